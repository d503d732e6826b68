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
 * Over all classes: large pages touched, and split: large pages holding
 * bytes of two or more classes (they need small mappings for the different
 * permissions). Text entries: page-table entries that map the live rx
 * bytes if every large page holding one class only were mapped large (one
 * large entry), and every rx page of a split large page small. */
#ifndef MODBED_HARNESS_ACCOUNT_H
#define MODBED_HARNESS_ACCOUNT_H

#include "core/place.h"
#include "harness/load/loader.h"
#include "harness/util/json.h"

#include <stdint.h>
#include <stdio.h>

struct mb_account {
	uint64_t page_size, large_page_size;
	uint64_t used[MB_NPCLASS], reserved[MB_NPCLASS], pages[MB_NPCLASS], padding[MB_NPCLASS];
	uint64_t large_pages[MB_NPCLASS];
	uint64_t large_touched, large_split;
	uint64_t text_large_entries, text_small_entries;
};

/* 0, or -1 when out of memory. */
int mb_account(const struct mb_loader *l, struct mb_account *a);
void mb_account_json(struct mb_json *j, const struct mb_account *a);
void mb_account_text(FILE *f, const struct mb_account *a);

#endif
