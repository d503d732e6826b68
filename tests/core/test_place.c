/* Placement against independent references: a page bitmap doing lowest
 * fit the slow way (kernel policy), a byte bitmap per chunk (packed), and
 * hand-computed addresses on the real maps. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "core/place.h"
#include "tests/check_main.h"
#include "tests/core/testutil.h"

#define PAGE 4096ul

/* A small synthetic map: text window with one fallback, a separate data
 * window. Small enough for bitmaps, large enough to fill and fragment. */
static struct mb_place_config small_cfg(void)
{
	struct mb_place_config c;
	memset(&c, 0, sizeof c);
	c.page_size = PAGE;
	c.large_page_size = 16 * PAGE;
	c.guard_size = PAGE;
	c.text[0] = (struct mb_window){ "text", 0x10000000ul, 0x10000000ul + 256 * PAGE - 1 };
	c.text[1] = (struct mb_window){ "text fallback", 0x30000000ul, 0x30000000ul + 128 * PAGE - 1 };
	c.ntext = 2;
	c.data[0] = (struct mb_window){ "data", 0x20000000ul, 0x20000000ul + 384 * PAGE - 1 };
	c.ndata = 1;
	return c;
}

/* ---- reference: one bit per page of each window, lowest fit by scanning ---- */
struct ref_win {
	unsigned long start;
	size_t npages;
	unsigned char used[512];
};
struct ref {
	struct ref_win w[3]; /* text, text fallback, data */
};

static void ref_init(struct ref *r, const struct mb_place_config *c)
{
	memset(r, 0, sizeof *r);
	r->w[0].start = c->text[0].start, r->w[0].npages = (c->text[0].last - c->text[0].start + 1) / PAGE;
	r->w[1].start = c->text[1].start, r->w[1].npages = (c->text[1].last - c->text[1].start + 1) / PAGE;
	r->w[2].start = c->data[0].start, r->w[2].npages = (c->data[0].last - c->data[0].start + 1) / PAGE;
}

/* n pages + 1 guard page, aligned to align_pages, lowest first. */
static int ref_alloc(struct ref *r, int text, size_t n, size_t align_pages, unsigned long *addr)
{
	int first = text ? 0 : 2, last = text ? 1 : 2;
	for (int wi = first; wi <= last; wi++) {
		struct ref_win *w = &r->w[wi];
		for (size_t p = 0; p + n + 1 <= w->npages; p++) {
			if (((w->start / PAGE) + p) % align_pages)
				continue;
			size_t k = 0;
			while (k < n + 1 && !w->used[p + k])
				k++;
			if (k == n + 1) {
				memset(&w->used[p], 1, n + 1);
				*addr = w->start + p * PAGE;
				return 0;
			}
		}
	}
	return -1;
}

static void ref_free(struct ref *r, unsigned long addr, size_t n)
{
	for (int wi = 0; wi < 3; wi++) {
		struct ref_win *w = &r->w[wi];
		if (addr >= w->start && addr < w->start + w->npages * PAGE) {
			size_t p = (addr - w->start) / PAGE;
			for (size_t k = 0; k < n + 1; k++) {
				REQUIRE(w->used[p + k], "page %zu not in use", p + k);
				w->used[p + k] = 0;
			}
			return;
		}
	}
	ck_abort_msg("freed address %#lx in no window", addr);
}

START_TEST(kernel_policy_matches_page_bitmap)
{
	struct mb_place_config c = small_cfg();
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, MB_POLICY_KERNEL, &c, NULL, 0, &err), 0);
	static struct ref ref;
	ref_init(&ref, &c);
	struct mb_alloc a[64];
	bool live[64] = { 0 };
	struct trng rng;
	trng_seed(&rng, 1234 + _i);
	size_t nospace = 0, placed = 0;
	for (int op = 0; op < 15000; op++) {
		int slot = (int)trng_below(&rng, 64);
		if (live[slot]) {
			ref_free(&ref, a[slot].base, a[slot].size / PAGE);
			ck_assert(mb_place_free(&pl, &a[slot]));
			live[slot] = false;
			continue;
		}
		int type = (int)trng_below(&rng, MOD_MEM_NUM_TYPES);
		unsigned long size = 1 + trng_below(&rng, trng_pct(&rng, 40) ? 48 * PAGE : 3 * PAGE);
		unsigned long align = 1ul << trng_below(&rng, 7); /* <= a page: page alignment wins */
		size_t npages = (size + PAGE - 1) / PAGE;
		unsigned long want;
		int rrc = ref_alloc(&ref, mod_mem_type_is_text(type), npages, 1, &want);
		struct place_snap before, after;
		place_snap(&pl, &before);
		int rc = mb_place_alloc(&pl, type, size, align, &a[slot], &err);
		ck_assert_int_eq(rc, rrc);
		if (rc) {
			ck_assert_int_eq(err.status, MB_PLACE_NOSPACE);
			place_snap(&pl, &after);
			ck_assert(place_snap_eq(&before, &after));
			nospace++;
			continue;
		}
		ck_assert_msg(a[slot].base == want, "op %d: placed %s at %#lx, lowest fit is %#lx", op,
			      mod_mem_type_name(type), a[slot].base, want);
		ck_assert_uint_eq(a[slot].size, npages * PAGE);
		ck_assert(a[slot].arena_created);
		ck_assert_uint_eq(a[slot].arena->base, a[slot].base);
		ck_assert_uint_eq(a[slot].arena->size, npages * PAGE);
		live[slot] = true;
		placed++;
	}
	/* the run must have exercised both outcomes */
	ck_assert_uint_gt(nospace, 100);
	ck_assert_uint_gt(placed, 1000);
}
END_TEST

/* ---- packed: a byte map per chunk ---- */
START_TEST(packed_policy_first_fit_in_pools)
{
	struct mb_place_config c = small_cfg();
	struct mb_arena chunks[40];
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, MB_POLICY_PACKED, &c, chunks, 40, &err), 0);
	const unsigned long LP = c.large_page_size;
	struct mb_alloc a[96];
	bool live[96] = { 0 };
	struct trng rng;
	trng_seed(&rng, 99 + _i);
	static unsigned char owner[40][32 * PAGE]; /* per chunk descriptor: byte -> slot+1 */
	memset(owner, 0, sizeof owner);
	size_t created = 0, shared = 0, released = 0;
	for (int op = 0; op < 8000; op++) {
		int slot = (int)trng_below(&rng, 96);
		if (live[slot]) {
			struct mb_arena *ch = a[slot].arena;
			size_t ci = (size_t)(ch - chunks);
			memset(&owner[ci][a[slot].base - ch->base], 0, a[slot].size);
			unsigned users = ch->users;
			bool rel = mb_place_free(&pl, &a[slot]);
			ck_assert_int_eq(rel, users == 1);
			released += rel;
			live[slot] = false;
			continue;
		}
		int type = (int)trng_below(&rng, MOD_MEM_NUM_TYPES);
		unsigned long size = 1 + trng_below(&rng, trng_pct(&rng, 5) ? 20 * PAGE : PAGE);
		unsigned long align = 1ul << trng_below(&rng, 7);
		bool page_granule = mod_mem_type_is_init(type) || type == MOD_RO_AFTER_INIT;
		unsigned long al = page_granule && align < PAGE ? PAGE : align;
		unsigned long rsize = page_granule ? (size + PAGE - 1) & ~(PAGE - 1) : size;
		/* reference: lowest address in the class's live chunks (address
		 * order) where rsize bytes at alignment al are free */
		unsigned long want = 0;
		enum mb_pclass pc = mb_pclass_of(type);
		for (unsigned long best = ~0ul, i = 0; i < 40; i++) {
			if (!chunks[i].in_use || chunks[i].pclass != pc || chunks[i].base > best)
				continue;
			/* chunk bases are large-page aligned, so offsets that are
			 * multiples of al are the aligned addresses */
			for (unsigned long off = 0; off + rsize <= chunks[i].size;) {
				unsigned long k = 0;
				while (k < rsize && !owner[i][off + k])
					k++;
				if (k == rsize) {
					best = want = chunks[i].base + off;
					break;
				}
				off = (off + k + 1 + al - 1) / al * al; /* next aligned past the used byte */
			}
		}
		struct place_snap before, after;
		place_snap(&pl, &before);
		int rc = mb_place_alloc(&pl, type, size, align, &a[slot], &err);
		if (want) {
			ck_assert_int_eq(rc, 0);
			ck_assert_msg(a[slot].base == want, "op %d: %#lx, first fit %#lx", op, a[slot].base, want);
			ck_assert(!a[slot].arena_created);
			shared++;
		} else if (rc == 0) {
			/* a new chunk: large-page aligned, in the class's windows */
			const struct mb_arena *ch = a[slot].arena;
			ck_assert(a[slot].arena_created);
			ck_assert_uint_eq(ch->base % LP, 0);
			ck_assert_uint_eq(ch->size % LP, 0);
			ck_assert_uint_ge(ch->size, rsize);
			ck_assert_uint_eq(a[slot].base, ch->base);
			created++;
		} else {
			place_snap(&pl, &after);
			ck_assert(place_snap_eq(&before, &after));
			continue;
		}
		ck_assert_uint_eq(a[slot].size, rsize);
		ck_assert_uint_eq(a[slot].base % al, 0);
		struct mb_arena *ch = a[slot].arena;
		size_t ci = (size_t)(ch - chunks);
		ck_assert_uint_eq(ch->pclass, pc);
		for (unsigned long k = 0; k < rsize; k++) {
			REQUIRE(owner[ci][a[slot].base - ch->base + k] == 0,
				      "op %d: %s %#lx+%#lx overlaps slot %d in chunk %#lx (want %#lx)", op,
				      mod_mem_type_name(type), a[slot].base, rsize,
				      owner[ci][a[slot].base - ch->base + k] - 1, ch->base, want);
			owner[ci][a[slot].base - ch->base + k] = (unsigned char)(slot + 1);
		}
		live[slot] = true;
	}
	ck_assert_uint_gt(created, 50);
	ck_assert_uint_gt(shared, 1000);
	ck_assert_uint_gt(released, 20);
	/* chunks never overlap each other and keep a guard page between them */
	for (const struct mb_range *r = mb_place_first(&pl); r && r->next; r = r->next)
		ck_assert_uint_le(r->base + r->span, r->next->base);
}
END_TEST

/* A module whose third type does not fit: the two placed first are
 * released and the allocator is exactly as before. */
START_TEST(full_area_fails_cleanly)
{
	struct mb_place_config c = small_cfg();
	struct mb_arena chunks[8];
	enum mb_policy pol = _i ? MB_POLICY_PACKED : MB_POLICY_KERNEL;
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, pol, &c, chunks, 8, &err), 0);
	/* fill the data window but 79 pages (both policies then fit data and
	 * rodata, whether in fresh 16-page chunks or as page runs, and not an
	 * 80-page ro_after_init) */
	struct mb_alloc filler;
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_DATA, 304 * PAGE, 1, &filler, &err), 0);
	struct mb_layout lay;
	memset(&lay, 0, sizeof lay);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		lay.align[t] = 8;
	lay.size[MOD_TEXT] = 3 * PAGE;
	lay.size[MOD_DATA] = 2 * PAGE;
	lay.size[MOD_RODATA] = 5 * PAGE;
	lay.size[MOD_RO_AFTER_INIT] = 80 * PAGE; /* the third data type: too big */
	lay.size[MOD_INIT_TEXT] = 100;
	struct place_snap before, after;
	place_snap(&pl, &before);
	struct mb_alloc allocs[MOD_MEM_NUM_TYPES];
	ck_assert_int_eq(mb_place_module(&pl, &lay, allocs, &err), -1);
	place_snap(&pl, &after);
	ck_assert(place_snap_eq(&before, &after));
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert(allocs[t].arena == NULL);
	ck_assert_int_eq(err.status, MB_PLACE_NOSPACE);
	ck_assert_int_eq(err.type, MOD_RO_AFTER_INIT);
	char msg[300];
	mb_place_strerror(&err, msg, sizeof msg);
	ck_assert_msg(strstr(msg, "ro_after_init (327680 bytes") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "data [0x20000000-0x2017ffff]") != NULL, "%s", msg);
	/* and the same module fits once the filler is gone */
	mb_place_free(&pl, &filler);
	ck_assert_int_eq(mb_place_module(&pl, &lay, allocs, &err), 0);
	mb_place_free_module(&pl, allocs);
	ck_assert(mb_place_first(&pl) == NULL);
}
END_TEST

/* Packed with every chunk descriptor in use: a clear error, nothing changed. */
START_TEST(packed_out_of_chunks)
{
	struct mb_place_config c = small_cfg();
	struct mb_arena chunks[2];
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, MB_POLICY_PACKED, &c, chunks, 2, &err), 0);
	struct mb_alloc t, d, r;
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 100, 16, &t, &err), 0);
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_DATA, 100, 16, &d, &err), 0);
	struct place_snap before, after;
	place_snap(&pl, &before);
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_RODATA, 100, 16, &r, &err), -1);
	ck_assert_int_eq(err.status, MB_PLACE_NOCHUNK);
	place_snap(&pl, &after);
	ck_assert(place_snap_eq(&before, &after));
}
END_TEST

/* Hole reuse and fallback, addresses worked out by hand. */
START_TEST(holes_and_fallback)
{
	struct mb_place_config c = small_cfg();
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, MB_POLICY_KERNEL, &c, NULL, 0, &err), 0);
	struct mb_alloc x, y, z, w, f;
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 1, 1, &x, &err), 0);        /* 1 page + guard */
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 2 * PAGE, 1, &y, &err), 0); /* 2 pages + guard */
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_INIT_TEXT, PAGE + 1, 1, &z, &err), 0);
	ck_assert_uint_eq(x.base, 0x10000000ul);
	ck_assert_uint_eq(y.base, 0x10002000ul);
	ck_assert_uint_eq(z.base, 0x10005000ul);
	mb_place_free(&pl, &y);
	/* a 1-page request takes the lowest hole: y's old place */
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 10, 1, &w, &err), 0);
	ck_assert_uint_eq(w.base, 0x10002000ul);
	/* 252 pages do not fit the primary's rest (256 - 8 used), so the
	 * fallback window is used from its start */
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 120 * PAGE, 1, &f, &err), 0);
	ck_assert_uint_eq(f.base, 0x10008000ul);
	struct mb_alloc g;
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 127 * PAGE, 1, &g, &err), 0);
	ck_assert_uint_eq(g.base, 0x30000000ul);
}
END_TEST

/* Windows that end at the top of a 32-bit space, and at the top of this
 * host's unsigned long: the last page is usable (no guard) and nothing wraps. */
START_TEST(window_at_top_of_address_space)
{
	unsigned long tops[2] = { 0xfffffffful, ~0ul };
	for (int k = 0; k < 2; k++) {
		unsigned long top = tops[k];
		struct mb_place_config c;
		memset(&c, 0, sizeof c);
		c.page_size = PAGE;
		c.large_page_size = 4 * PAGE;
		c.guard_size = _i ? PAGE : 0;
		c.text[0] = (struct mb_window){ "top", top - 16 * PAGE + 1, top };
		c.ntext = 1;
		c.data[0] = c.text[0];
		c.ndata = 1;
		struct mb_arena chunks[8];
		for (int pol = 0; pol < 2; pol++) {
			struct mb_place pl;
			struct mb_place_err err;
			ck_assert_int_eq(mb_place_init(&pl, pol, &c, chunks, 8, &err), 0);
			struct mb_alloc a[20];
			int n = 0;
			unsigned long highest_last = 0;
			while (n < 20 && mb_place_alloc(&pl, MOD_INIT_DATA, PAGE, 1, &a[n], &err) == 0) {
				unsigned long last = a[n].base + (a[n].size - 1);
				ck_assert_uint_ge(a[n].base, c.text[0].start);
				ck_assert_uint_ge(last, a[n].base); /* no wrap */
				if (last > highest_last)
					highest_last = last;
				n++;
			}
			ck_assert_int_eq(err.status, MB_PLACE_NOSPACE);
			if (c.guard_size == 0) {
				/* 16 pages, each used: the last one ends exactly at the top */
				ck_assert_int_eq(n, 16);
				ck_assert_uint_eq(highest_last, top);
			} else if (pol == MB_POLICY_KERNEL) {
				ck_assert_int_eq(n, 8); /* page + guard each */
				ck_assert_uint_eq(highest_last, top - PAGE);
			}
			for (int i = 0; i < n; i++)
				mb_place_free(&pl, &a[i]);
			ck_assert(mb_place_first(&pl) == NULL);
		}
	}
}
END_TEST

/* On every real map: a module lands in its windows, per type class. */
START_TEST(real_maps_place_in_windows)
{
	for (size_t ai = 0; ai < mb_narches; ai++) {
		const struct mb_arch *arch = mb_arches[ai];
		for (size_t mi = 0; mi < arch->nmaps; mi++) {
			const struct mb_map *m = arch->maps[mi];
			struct mb_place_config c;
			ck_assert_int_eq(mb_map_place_config(m, false, 0, &c), 0);
			struct mb_arena chunks[16];
			struct mb_place pl;
			struct mb_place_err err;
			ck_assert_int_eq(mb_place_init(&pl, _i, &c, chunks, 16, &err), 0);
			struct mb_layout lay;
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
				lay.size[t] = 1000 + 3000 * (unsigned long)t;
				lay.align[t] = 64;
			}
			struct mb_alloc al[MOD_MEM_NUM_TYPES];
			ck_assert_int_eq(mb_place_module(&pl, &lay, al, &err), 0);
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
				size_t n;
				const struct mb_map_window *w = mb_map_windows_for(m, t, &n);
				/* the first window (primary) has room: everything goes there */
				unsigned long start = w[0].start + mb_map_random_offset(m, false, 0);
				ck_assert_msg(al[t].base >= start && al[t].base + al[t].size - 1 <= w[0].last,
					      "%s %s at %#lx", m->name, mod_mem_type_name(t), al[t].base);
			}
			if (_i == MB_POLICY_KERNEL) {
				/* lowest fit from the window start: text first, then
				 * rodata... each page-rounded with a guard page */
				ck_assert_uint_eq(al[MOD_TEXT].base, c.text[0].start);
			}
			mb_place_free_module(&pl, al);
			ck_assert(mb_place_first(&pl) == NULL);
		}
	}
}
END_TEST

/* Built-in style: blocks back to back, types in order, page-rounded, no
 * guards; an expunged module's block is reused; init free keeps the block. */
START_TEST(builtin_blocks)
{
	struct mb_place_config c = small_cfg();
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, MB_POLICY_BUILTIN, &c, NULL, 0, &err), 0);
	struct mb_layout lay;
	memset(&lay, 0, sizeof lay);
	lay.size[MOD_TEXT] = 5000;          /* 2 pages */
	lay.size[MOD_RODATA] = 100;         /* 1 */
	lay.size[MOD_DATA] = 4096;          /* 1 */
	lay.size[MOD_INIT_TEXT] = 1;        /* 1 */
	struct mb_alloc a[MOD_MEM_NUM_TYPES], b[MOD_MEM_NUM_TYPES], d[MOD_MEM_NUM_TYPES];
	ck_assert_int_eq(mb_place_module(&pl, &lay, a, &err), 0);
	ck_assert_int_eq(mb_place_module(&pl, &lay, b, &err), 0);
	/* a: text 0x10000000, data +0x2000, rodata +0x3000, init_text +0x4000;
	 * b follows at +0x5000 with no guard page */
	ck_assert_uint_eq(a[MOD_TEXT].base, 0x10000000ul);
	ck_assert_uint_eq(a[MOD_DATA].base, 0x10002000ul);
	ck_assert_uint_eq(a[MOD_RODATA].base, 0x10003000ul);
	ck_assert_uint_eq(a[MOD_INIT_TEXT].base, 0x10004000ul);
	ck_assert_uint_eq(b[MOD_TEXT].base, 0x10005000ul);
	ck_assert_ptr_eq(a[MOD_DATA].arena, a[MOD_TEXT].arena);
	ck_assert_uint_eq(a[MOD_TEXT].arena->size, 0x5000);
	ck_assert(a[MOD_TEXT].arena_created && !a[MOD_DATA].arena_created);
	/* init freed: the block stays */
	ck_assert(!mb_place_free(&pl, &b[MOD_INIT_TEXT]));
	/* a expunged (its init failed): a smaller module takes its place */
	mb_place_free_module(&pl, a);
	ck_assert(a[MOD_DATA].arena_released); /* the last one freed, MOD_DATA */
	memset(&lay, 0, sizeof lay);
	lay.size[MOD_TEXT] = 100;
	lay.size[MOD_DATA] = 100;
	ck_assert_int_eq(mb_place_module(&pl, &lay, d, &err), 0);
	ck_assert_uint_eq(d[MOD_TEXT].base, 0x10000000ul);
	ck_assert_uint_eq(d[MOD_DATA].base, 0x10001000ul);
	mb_place_free_module(&pl, d);
	mb_place_free_module(&pl, b);
	ck_assert(mb_place_first(&pl) == NULL);
}
END_TEST

/* Sizes at the top of the address space: refused as too big or as no
 * space, never wrapped, nothing changed, for every policy. */
START_TEST(huge_sizes)
{
	struct mb_place_config c = small_cfg();
	struct mb_arena chunks[4];
	struct mb_place pl;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&pl, (enum mb_policy)_i, &c, chunks, 4, &err), 0);
	struct mb_alloc keep, a;
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, 100, 8, &keep, &err), 0);
	struct place_snap before, after;
	place_snap(&pl, &before);
	unsigned long sizes[] = { ~0ul, ~0ul - PAGE, ~0ul / 2 + 1, 0x80000000ul, 257 * PAGE };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, sizes[i], 8, &a, &err), -1);
		ck_assert_msg(err.status == MB_PLACE_TOO_BIG || err.status == MB_PLACE_NOSPACE, "size %#lx: %d",
			      sizes[i], err.status);
		place_snap(&pl, &after);
		ck_assert(place_snap_eq(&before, &after));
	}
	ck_assert_int_eq(mb_place_alloc(&pl, MOD_TEXT, ~0ul, 8, &a, &err), -1);
	ck_assert_int_eq(err.status, MB_PLACE_TOO_BIG);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_LOOP(kernel_policy_matches_page_bitmap, 2),
		CHECK_LOOP(packed_policy_first_fit_in_pools, 2),
		CHECK_LOOP(full_area_fails_cleanly, 2),
		CHECK_TEST(packed_out_of_chunks),
		CHECK_TEST(holes_and_fallback),
		CHECK_LOOP(window_at_top_of_address_space, 2),
		CHECK_LOOP(real_maps_place_in_windows, 2),
		CHECK_TEST(builtin_blocks),
		CHECK_LOOP(huge_sizes, MB_NPOLICIES),
	};
	const struct check_suite cs = { .suite = "core_place", .tcase = "place", .timeout = 60 };
	return CHECK_RUN(&cs, tests);
}
