/* Memory accounting of a placed module set, the same for every policy:
 * what the live module memory costs in bytes, pages and TLB entries.
 *
 * Only live types count (init types are out once freed). Per permission
 * class (rx, r, rw, ro_after_init):
 *   used     bytes of the layout (sections, PLTs, symtab) of each type
 *   reserved bytes placement gave the types (size rounded to the policy's
 *            granule)
 *   pages    small pages holding at least one byte of a type of the class
 *   padding  pages * page_size - used: bytes in those pages no module uses
 *   large_pages  large pages holding at least one byte of the class
 * Holes (after a boot expunged modules, harness/session/boot.h): the ranges
 * the expunged types had reserved.
 *   hole_bytes       bytes of those ranges no live type now reserves
 *   handed_back      small pages of those ranges holding no live byte: given
 *                    back to the page allocator
 * Over all classes: large pages touched; split: large pages that must be
 * mapped small, because they hold bytes of two or more classes
 * (split_mixed, different permissions) or a handed-back page next to a live
 * one (split_hole). Text entries: the page-table entries that map the live
 * rx bytes: one large entry per large page that holds rx bytes only and is
 * not split, a small entry per rx page of every other large page (what a
 * full walk of the live code costs in TLB entries). */
#ifndef MODBED_HARNESS_ACCOUNT_H
#define MODBED_HARNESS_ACCOUNT_H

#include "core/place.h"
#include "harness/load/loader.h"
#include "harness/util/json.h"

#include <stdint.h>
#include <stdio.h>

struct mb_account_range {
	uint64_t base, size;
};

struct mb_account {
	uint64_t page_size, large_page_size;
	uint64_t used[MB_NPCLASS], reserved[MB_NPCLASS], pages[MB_NPCLASS], padding[MB_NPCLASS];
	uint64_t large_pages[MB_NPCLASS];
	uint64_t large_touched, large_split, large_split_mixed, large_split_hole;
	uint64_t hole_bytes, handed_back;
	uint64_t text_large_entries, text_small_entries;
};

/* holes[0..nholes) (may be NULL/0): ranges freed by expunging. 0, or -1
 * when out of memory. */
int mb_account(const struct mb_loader *l, const struct mb_account_range *holes, size_t nholes,
	       struct mb_account *a);
/* Bytes of [base, base + size) inside the union of r[0..n) (unsorted). */
uint64_t mb_account_overlap(const struct mb_account_range *r, size_t n, uint64_t base, uint64_t size);
void mb_account_json(struct mb_json *j, const struct mb_account *a);
void mb_account_text(FILE *f, const struct mb_account *a);

#endif
