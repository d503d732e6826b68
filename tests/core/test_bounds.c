/* The seed discussion on powerpc32-book3s32, replayed: module text below the
 * kernel, data in vmalloc; which addresses take a tree search under each
 * bounds policy; bounds that shrink (split) or never do (kernel). Plus the
 * top-of-address-space edge, and insert errors that change nothing.
 * Expected addresses are worked out by hand from the map (text window from
 * _etext - 32 MiB = 0xbe800000, vmalloc from 0xf1000000, one guard page
 * after each page-rounded allocation). */
#include <check.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "core/lookup.h"
#include "core/place.h"
#include "tests/check_main.h"
#include "tests/core/testutil.h"

struct world {
	struct mb_place pl;
	struct mb_lookup lk;
	struct mb_slot slots[MB_LOOKUP_SLOTS(64)];
	struct mb_module mod[4];
	struct mb_alloc al[4][MOD_MEM_NUM_TYPES];
};

static void world_init(struct world *w, enum mb_bounds b, enum mb_tree_kind t)
{
	memset(w, 0, sizeof *w);
	const struct mb_arch *a = mb_arch_by_name("powerpc32");
	const struct mb_map *m = mb_arch_map(a, "powerpc32-book3s32");
	ck_assert_ptr_nonnull(m);
	struct mb_place_config c;
	ck_assert_int_eq(mb_map_place_config(m, false, 0, &c), 0);
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init(&w->pl, MB_POLICY_KERNEL, &c, NULL, 0, &err), 0);
	mb_lookup_init(&w->lk, b, t, m->data_in_vmalloc, w->slots, sizeof w->slots / sizeof w->slots[0]);
}

/* text 0x3000, data 0x2000, rodata 0x1000, init_text 0x1000, init_data 0x1000 */
static void load(struct world *w, int i, unsigned long scale)
{
	struct mb_layout lay;
	memset(&lay, 0, sizeof lay);
	lay.size[MOD_TEXT] = 0x3000 * scale;
	lay.size[MOD_DATA] = 0x2000 * scale;
	lay.size[MOD_RODATA] = 0x1000 * scale;
	lay.size[MOD_INIT_TEXT] = 0x1000 * scale;
	lay.size[MOD_INIT_DATA] = 0x1000 * scale;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		lay.align[t] = 4;
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_module(&w->pl, &lay, w->al[i], &err), 0);
	w->mod[i].name = i ? "second" : "first";
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		w->mod[i].mem[t].base = w->al[i][t].base;
		w->mod[i].mem[t].size = w->al[i][t].size;
	}
	struct mb_lookup_err lerr;
	ck_assert_int_eq(mb_lookup_insert(&w->lk, &w->mod[i], &lerr), 0);
}

/* 'S' tree search that misses, 'R' fast reject, 'H' hit */
static char probe(struct world *w, unsigned long addr)
{
	struct mb_lookup_stats s0 = w->lk.stats;
	struct mb_module *m = mb_module_address(&w->lk, addr, NULL);
	const struct mb_lookup_stats *s = &w->lk.stats;
	ck_assert_uint_eq(s->lookups, s0.lookups + 1);
	if (m) {
		ck_assert_uint_eq(s->tree_searches, s0.tree_searches + 1);
		return 'H';
	}
	if (s->fast_rejects == s0.fast_rejects + 1)
		return 'R';
	ck_assert_uint_eq(s->tree_misses, s0.tree_misses + 1);
	return 'S';
}

#define KTEXT   0xc0001000ul  /* kernel text */
#define LOWMEM  0xd0000000ul  /* the gap between module text and vmalloc */
#define USER    0x10000000ul
#define VMAFTER 0xf2000000ul  /* vmalloc above the modules' data */

START_TEST(placement_is_as_hand_computed)
{
	static struct world w;
	world_init(&w, MB_BOUNDS_KERNEL, MB_TREE_FAST);
	load(&w, 0, 1);
	ck_assert_uint_eq(w.al[0][MOD_TEXT].base, 0xbe800000ul);
	ck_assert_uint_eq(w.al[0][MOD_DATA].base, 0xf1000000ul);
	ck_assert_uint_eq(w.al[0][MOD_RODATA].base, 0xf1003000ul);
	ck_assert_uint_eq(w.al[0][MOD_INIT_TEXT].base, 0xbe804000ul);
	ck_assert_uint_eq(w.al[0][MOD_INIT_DATA].base, 0xf1005000ul);
	/* kernel bounds: init data (vmalloc) widens the text pair; the data
	 * pair starts at 0 */
	ck_assert_uint_eq(w.lk.addr_min, 0xbe800000ul);
	ck_assert_uint_eq(w.lk.addr_max, 0xf1006000ul);
	ck_assert_uint_eq(w.lk.data_addr_min, 0);
	ck_assert_uint_eq(w.lk.data_addr_max, 0xf1004000ul); /* rodata ends there */
}
END_TEST

START_TEST(kernel_searches_where_split_rejects)
{
	static struct world k, s, p;
	world_init(&k, MB_BOUNDS_KERNEL, (enum mb_tree_kind)_i);
	world_init(&s, MB_BOUNDS_SPLIT, (enum mb_tree_kind)_i);
	world_init(&p, MB_BOUNDS_PERTYPE, (enum mb_tree_kind)_i);
	load(&k, 0, 1);
	load(&s, 0, 1);
	load(&p, 0, 1);
	/* kernel text and the lowmem gap: inside [addr_min, addr_max] */
	ck_assert_int_eq(probe(&k, KTEXT), 'S');
	ck_assert_int_eq(probe(&s, KTEXT), 'R');
	ck_assert_int_eq(probe(&p, KTEXT), 'R');
	ck_assert_int_eq(probe(&k, LOWMEM), 'S');
	ck_assert_int_eq(probe(&s, LOWMEM), 'R');
	/* user space: only inside the kernel's data pair, whose min is 0 */
	ck_assert_int_eq(probe(&k, USER), 'S');
	ck_assert_int_eq(probe(&s, USER), 'R');
	/* above everything: all reject */
	ck_assert_int_eq(probe(&k, VMAFTER), 'R');
	ck_assert_int_eq(probe(&s, VMAFTER), 'R');
	/* the kernel's <= on the exclusive max: one byte of slack */
	ck_assert_int_eq(probe(&k, 0xf1006000ul), 'S');
	ck_assert_int_eq(probe(&s, 0xf1006000ul), 'R');
	/* the guard page after text is inside both text pairs */
	ck_assert_int_eq(probe(&k, 0xbe803000ul), 'S');
	ck_assert_int_eq(probe(&s, 0xbe803000ul), 'S');
	ck_assert_int_eq(probe(&p, 0xbe803000ul), 'R'); /* per type: text ends at 0xbe802fff */
	/* hits everywhere a range is */
	ck_assert_int_eq(probe(&k, 0xbe800000ul), 'H');
	ck_assert_int_eq(probe(&s, 0xf1005ffful), 'H');
}
END_TEST

START_TEST(split_shrinks_kernel_does_not)
{
	static struct world k, s;
	world_init(&k, MB_BOUNDS_KERNEL, (enum mb_tree_kind)_i);
	world_init(&s, MB_BOUNDS_SPLIT, (enum mb_tree_kind)_i);
	load(&k, 0, 1);
	load(&s, 0, 1);
	load(&k, 1, 2);
	load(&s, 1, 2);
	/* second module: text 0xbe806000 (+0x6000), data 0xf1007000 (+0x4000),
	 * rodata 0xf100c000 (+0x2000), init_text 0xbe80d000 (+0x2000), init_data
	 * 0xf100f000 (+0x2000) */
	ck_assert_uint_eq(s.al[1][MOD_INIT_DATA].base, 0xf100f000ul);
	ck_assert_uint_eq(s.lk.pair[0].min, 0xbe800000ul);
	ck_assert_uint_eq(s.lk.pair[0].last, 0xbe80effful);
	ck_assert_uint_eq(s.lk.pair[1].min, 0xf1000000ul);
	ck_assert_uint_eq(s.lk.pair[1].last, 0xf1010ffful);

	/* init freed: split's text pair loses init_text, data pair loses init_data */
	mb_lookup_remove_init(&k.lk, &k.mod[1]);
	mb_lookup_remove_init(&s.lk, &s.mod[1]);
	ck_assert_uint_eq(s.lk.pair[0].last, 0xbe80bffful);
	ck_assert_uint_eq(s.lk.pair[1].last, 0xf100dffful);
	ck_assert_int_eq(probe(&s, 0xbe80d000ul), 'R');
	ck_assert_int_eq(probe(&k, 0xbe80d000ul), 'S');

	/* the second module unloads: split shrinks to the first module */
	mb_lookup_remove(&k.lk, &k.mod[1]);
	mb_lookup_remove(&s.lk, &s.mod[1]);
	ck_assert_uint_eq(s.lk.pair[0].last, 0xbe804ffful);
	ck_assert_uint_eq(s.lk.pair[1].last, 0xf1005ffful);
	ck_assert_int_eq(probe(&s, 0xbe806000ul), 'R');
	ck_assert_int_eq(probe(&k, 0xbe806000ul), 'S');
	ck_assert_uint_eq(k.lk.addr_max, 0xf1011000ul); /* never shrunk */

	/* all gone: split rejects everything, kernel still searches */
	mb_lookup_remove(&k.lk, &k.mod[0]);
	mb_lookup_remove(&s.lk, &s.mod[0]);
	ck_assert_int_eq(probe(&s, 0xbe800000ul), 'R');
	ck_assert_int_eq(probe(&k, 0xbe800000ul), 'S');
	ck_assert_int_eq(probe(&k, KTEXT), 'S');
	ck_assert_uint_eq(k.lk.nnodes, 0);
}
END_TEST

/* Ranges ending at the top of a 32-bit space (0xffffffff) and at the top of
 * this host's unsigned long: found, nothing wraps, every policy and tree. */
START_TEST(ranges_at_the_top)
{
	unsigned long tops[2] = { 0xfffffffful, ~0ul };
	for (int k = 0; k < 2; k++) {
		unsigned long top = tops[k];
		for (int b = 0; b < MB_NBOUNDS; b++) {
			struct mb_slot slots[MB_LOOKUP_SLOTS(8)];
			struct mb_lookup lk;
			mb_lookup_init(&lk, (enum mb_bounds)b, (enum mb_tree_kind)_i, true, slots, 17);
			struct mb_module hi, lo;
			memset(&hi, 0, sizeof hi);
			memset(&lo, 0, sizeof lo);
			hi.name = "hi";
			lo.name = "lo";
			hi.mem[MOD_TEXT].base = top - 0xfff;
			hi.mem[MOD_TEXT].size = 0x1000;
			hi.mem[MOD_DATA].base = top - 0xfffff;
			hi.mem[MOD_DATA].size = 0x2000;
			lo.mem[MOD_TEXT].base = 0x1000;
			lo.mem[MOD_TEXT].size = 0x1000;
			struct mb_lookup_err err;
			ck_assert_int_eq(mb_lookup_insert(&lk, &hi, &err), 0);
			ck_assert_int_eq(mb_lookup_insert(&lk, &lo, &err), 0);
			int t = -1;
			ck_assert_ptr_eq(mb_module_address(&lk, top, &t), &hi);
			ck_assert_int_eq(t, MOD_TEXT);
			ck_assert_ptr_eq(mb_module_address(&lk, top - 0xfff, NULL), &hi);
			ck_assert_ptr_null(mb_module_address(&lk, top - 0x1000, NULL));
			ck_assert_ptr_eq(mb_module_address(&lk, top - 0xfe001, NULL), &hi);
			ck_assert_ptr_null(mb_module_address(&lk, 0, NULL));
			ck_assert_ptr_eq(mb_module_address(&lk, 0x1fff, NULL), &lo);
			ck_assert_ptr_null(mb_module_address(&lk, 0x2000, NULL));
			ck_assert(mb_is_module_text_address(&lk, top));
			ck_assert(!mb_is_module_text_address(&lk, top - 0xfffff));
			ck_assert(mb_within_module_mem_type(top, &hi, MOD_TEXT));
			ck_assert(!mb_within_module_mem_type(0, &hi, MOD_TEXT));
			ck_assert(mb_within_module_core(top, &hi));
			ck_assert(!mb_within_module_init(top, &hi));
			ck_assert_uint_eq(lk.stats.fast_rejects + lk.stats.tree_searches, lk.stats.lookups);
			/* a range that would wrap is refused, nothing changes */
			struct mb_module bad;
			memset(&bad, 0, sizeof bad);
			bad.name = "bad";
			bad.mem[MOD_RODATA].base = top - 0xfff;
			bad.mem[MOD_RODATA].size = 0x2000;
			if (top == ~0ul) {
				ck_assert_int_eq(mb_lookup_insert(&lk, &bad, &err), -1);
				ck_assert_int_eq(err.status, MB_LOOKUP_WRAP);
			}
			mb_lookup_remove(&lk, &hi);
			ck_assert_ptr_null(mb_module_address(&lk, top, NULL));
			ck_assert_ptr_eq(mb_module_address(&lk, 0x1000, NULL), &lo);
		}
	}
}
END_TEST

/* Overlap and full slots: -1, a message naming both, nothing changed. */
START_TEST(insert_errors_change_nothing)
{
	struct mb_slot slots[MB_LOOKUP_SLOTS(3)];
	struct mb_lookup lk;
	mb_lookup_init(&lk, MB_BOUNDS_SPLIT, (enum mb_tree_kind)_i, false, slots, sizeof slots / sizeof slots[0]);
	struct mb_module a, b, c;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&c, 0, sizeof c);
	a.name = "a";
	b.name = "b";
	c.name = "c";
	a.mem[MOD_TEXT] = (struct mb_module_mem){ .base = 0x10000, .size = 0x1000 };
	a.mem[MOD_DATA] = (struct mb_module_mem){ .base = 0x20000, .size = 0x1000 };
	b.mem[MOD_TEXT] = (struct mb_module_mem){ .base = 0x30000, .size = 0x1000 };
	b.mem[MOD_RODATA] = (struct mb_module_mem){ .base = 0x20800, .size = 0x1000 };
	struct mb_lookup_err err;
	ck_assert_int_eq(mb_lookup_insert(&lk, &a, &err), 0);
	struct mb_lookup before = lk;
	ck_assert_int_eq(mb_lookup_insert(&lk, &b, &err), -1);
	ck_assert_int_eq(err.status, MB_LOOKUP_OVERLAP);
	char msg[200];
	mb_lookup_strerror(&err, msg, sizeof msg);
	ck_assert_str_eq(msg, "b: rodata [0x20800 +0x1000] overlaps a data [0x20000 +0x1000]");
	ck_assert(memcmp(&before, &lk, sizeof lk) == 0);
	ck_assert(!b.lk_inserted);
	/* two more ranges fit in 3 slots, three do not */
	b.mem[MOD_RODATA].base = 0x40000;
	c.mem[MOD_TEXT] = (struct mb_module_mem){ .base = 0x50000, .size = 0x1000 };
	c.mem[MOD_DATA] = (struct mb_module_mem){ .base = 0x60000, .size = 0x1000 };
	if (_i == MB_TREE_FAST) {
		ck_assert_int_eq(mb_lookup_insert(&lk, &b, &err), -1);
		ck_assert_int_eq(err.status, MB_LOOKUP_FULL);
		/* grow the storage and retry */
		static struct mb_slot bigger[MB_LOOKUP_SLOTS(16)];
		ck_assert_int_eq(mb_lookup_set_slots(&lk, bigger, sizeof bigger / sizeof bigger[0]), 0);
		ck_assert_ptr_eq(mb_module_address(&lk, 0x10000, NULL), &a);
		/* the same storage with a smaller, then the full capacity: the
		 * ranges move inside it and stay findable */
		ck_assert_int_eq(mb_lookup_set_slots(&lk, bigger, MB_LOOKUP_SLOTS(1)), -1);
		ck_assert_int_eq(mb_lookup_set_slots(&lk, bigger, MB_LOOKUP_SLOTS(2)), 0);
		ck_assert_ptr_eq(mb_module_address(&lk, 0x20fff, NULL), &a);
		ck_assert_int_eq(mb_lookup_set_slots(&lk, bigger, MB_LOOKUP_SLOTS(3)), 0); /* overlapping move */
		ck_assert_ptr_eq(mb_module_address(&lk, 0x10000, NULL), &a);
		ck_assert_ptr_eq(mb_module_address(&lk, 0x20000, NULL), &a);
		ck_assert_int_eq(mb_lookup_set_slots(&lk, bigger, sizeof bigger / sizeof bigger[0]), 0);
		ck_assert_ptr_eq(mb_module_address(&lk, 0x10000, NULL), &a);
		ck_assert_ptr_eq(mb_module_address(&lk, 0x20000, NULL), &a);
	}
	ck_assert_int_eq(mb_lookup_insert(&lk, &b, &err), 0);
	ck_assert_int_eq(mb_lookup_insert(&lk, &c, &err), 0);
	ck_assert_ptr_eq(mb_module_address(&lk, 0x40fff, NULL), &b);
	ck_assert_ptr_eq(mb_module_address(&lk, 0x60000, NULL), &c);
	ck_assert_int_eq(mb_lookup_insert(&lk, &c, &err), -1);
	ck_assert_int_eq(err.status, MB_LOOKUP_STATE);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(placement_is_as_hand_computed),
		CHECK_LOOP(kernel_searches_where_split_rejects, MB_NTREES),
		CHECK_LOOP(split_shrinks_kernel_does_not, MB_NTREES),
		CHECK_LOOP(ranges_at_the_top, MB_NTREES),
		CHECK_LOOP(insert_errors_change_nothing, MB_NTREES),
	};
	const struct check_suite cs = { .suite = "core_bounds", .tcase = "bounds" };
	return CHECK_RUN(&cs, tests);
}
