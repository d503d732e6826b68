/* Two small streams with results computed by hand from the documented rules
 * (core/place.h: lowest fit, PAGE_ALIGN, guard after each allocation;
 * core/lookup.h: bounds policies; core/opstream.h: result layout). The host
 * test runs them on the host core, the guest test on every emulated CPU;
 * both check the same expectations, so a core that is wrong only where
 * unsigned long is 32 bits fails on powerpc32 alone. */
#ifndef MODBED_TESTS_HAND_STREAMS_H
#define MODBED_TESTS_HAND_STREAMS_H

#include "tests/corediff/opsbuild.h"

enum { TEXT = MOD_TEXT, DATA = MOD_DATA, RODATA = MOD_RODATA, INIT_TEXT = MOD_INIT_TEXT };
#define NONE_SLOT(f) ((f).width == 4 ? 0xffffffffUL : ~0UL)

/* ---- a module's life under split bounds ---- */

static inline void basic_stream(struct ops *o, struct mb_opfmt f)
{
	ops_start(o, f);
	/* text [0x10000000, 0x1fffffff], data [0x20000000, 0x2fffffff], guard 1 page */
	ops_reset(o, MB_POLICY_KERNEL, MB_BOUNDS_SPLIT, 1, 0x1000, 0x10000000, 0x1fffffff, 0, 0, 0x20000000,
		  0x2fffffff);
	/* sizes: text 0x1800, data 0x100, init_text 0x10; aligns 16 */
	OPS(o, MB_OP_SIZES, 0, 0x1800, 0x100, 0, 0, 0x10, 0, 0, 16, 16, 16, 16, 16, 16, 16);
	OPS(o, MB_OP_PLACE, 0);
	OPS(o, MB_OP_INSERT, 0);
	OPS(o, MB_OP_LOOKUP, 0x10001fff);   /* last byte of text */
	OPS(o, MB_OP_LOOKUP, 0x10002000);   /* guard page: in the text pair, no node */
	OPS(o, MB_OP_LOOKUP, 0x10003000);   /* init text */
	OPS(o, MB_OP_LOOKUP, 0x0fffffff);   /* below everything */
	OPS0(o, MB_OP_STATS);
	OPS(o, MB_OP_REMOVE_INIT, 0);
	OPS(o, MB_OP_FREE_INIT, 0);
	OPS0(o, MB_OP_STATS);
	OPS(o, MB_OP_FREE, 0);              /* still in the tree: busy */
	OPS(o, MB_OP_REMOVE, 0);
	OPS(o, MB_OP_FREE, 0);
	OPS(o, MB_OP_LOOKUP, 0x10000000);
	OPS(o, MB_OP_LOOKUP, 0x10000000, 7);  /* one argument too many */
	OPS(o, MB_OP_PLACE, MB_OPS_MAX_MODULES);
}
#define BASIC_NOPS 18

static inline void check_place_type(const struct result *r, int t, unsigned long base, unsigned long size, bool created)
{
	ck_assert_uint_eq(r->v[5 * t], base);
	ck_assert_uint_eq(r->v[5 * t + 1], size);
	ck_assert_uint_eq(r->v[5 * t + 2], size ? base : 0);   /* kernel policy: the arena is the allocation */
	ck_assert_uint_eq(r->v[5 * t + 3], size);
	ck_assert_uint_eq(r->v[5 * t + 4], created ? 1 : 0);
}

static inline void check_lookup(const struct result *r, unsigned long slot, unsigned long type, unsigned long text,
				unsigned long flags)
{
	ck_assert_uint_eq(r->op, MB_OP_LOOKUP);
	ck_assert_uint_eq(r->status, MB_OPS_OK);
	ck_assert_uint_eq(r->n, 4);
	ck_assert_uint_eq(r->v[0], slot);
	ck_assert_uint_eq(r->v[1], type);
	ck_assert_uint_eq(r->v[2], text);
	ck_assert_uint_eq(r->v[3], flags);
}

static inline void check_basic(struct mb_opfmt f, const uint8_t *res, size_t len)
{
	struct result r[BASIC_NOPS + 2];
	unsigned long none = NONE_SLOT(f);
	ck_assert_uint_eq(results_decode(f, res, len, r, BASIC_NOPS + 2), BASIC_NOPS);
	ck_assert_uint_eq(r[0].status, MB_OPS_OK);                 /* reset */
	ck_assert_uint_eq(r[1].status, MB_OPS_OK);                 /* sizes */
	ck_assert_uint_eq(r[2].status, MB_OPS_OK);                 /* place */
	ck_assert_uint_eq(r[2].n, 5 * MOD_MEM_NUM_TYPES);
	/* text first at the window start; init text after text + its guard page */
	check_place_type(&r[2], TEXT, 0x10000000, 0x2000, true);
	check_place_type(&r[2], DATA, 0x20000000, 0x1000, true);
	check_place_type(&r[2], RODATA, 0, 0, false);
	check_place_type(&r[2], INIT_TEXT, 0x10003000, 0x1000, true);
	ck_assert_uint_eq(r[3].status, MB_OPS_OK);                 /* insert */
	check_lookup(&r[4], 0, TEXT, 0, MB_OPS_IN_CORE | MB_OPS_IN_BOUNDS);
	check_lookup(&r[5], none, none, none, MB_OPS_IN_BOUNDS);
	check_lookup(&r[6], 0, INIT_TEXT, 0, MB_OPS_IN_INIT | MB_OPS_IN_BOUNDS);
	check_lookup(&r[7], none, none, none, 0);
	/* stats: each LOOKUP is two lookups (module_address, module_text_address) */
	ck_assert_uint_eq(r[8].n, 8 + 2 * MOD_MEM_NUM_TYPES + 1);
	ck_assert_uint_eq(r[8].v[0], 8);                           /* lookups */
	ck_assert_uint_eq(r[8].v[1], 2);                           /* fast rejects: 0x0fffffff */
	ck_assert_uint_eq(r[8].v[2], 6);                           /* tree searches */
	ck_assert_uint_eq(r[8].v[3], 2);                           /* misses: the guard page */
	ck_assert_uint_eq(r[8].v[8], 0x10000000);                  /* split text pair */
	ck_assert_uint_eq(r[8].v[9], 0x10003fff);
	ck_assert_uint_eq(r[8].v[10], 0x20000000);                 /* split data pair */
	ck_assert_uint_eq(r[8].v[11], 0x20000fff);
	ck_assert_uint_eq(r[8].v[22], 3);                          /* nodes */
	ck_assert_uint_eq(r[9].status, MB_OPS_OK);                 /* remove_init */
	ck_assert_uint_eq(r[10].n, 3);                             /* free_init: init_text's arena goes */
	ck_assert_uint_eq(r[10].v[0], 1);
	ck_assert_uint_eq(r[10].v[1], 0);
	ck_assert_uint_eq(r[10].v[2], 0);
	ck_assert_uint_eq(r[11].v[9], 0x10001fff);                 /* split shrinks after init is gone */
	ck_assert_uint_eq(r[11].v[22], 2);
	ck_assert_uint_eq(r[12].status, MB_OPS_BUSY);
	ck_assert_uint_eq(r[13].status, MB_OPS_OK);
	ck_assert_uint_eq(r[14].status, MB_OPS_OK);
	ck_assert_uint_eq(r[14].n, MOD_MEM_NUM_TYPES);
	ck_assert_uint_eq(r[14].v[TEXT], 1);
	ck_assert_uint_eq(r[14].v[DATA], 1);
	ck_assert_uint_eq(r[14].v[INIT_TEXT], 0);                  /* already released by free_init */
	check_lookup(&r[15], none, none, none, 0);                 /* split bounds are empty again */
	ck_assert_uint_eq(r[16].status, MB_OPS_BAD_ARGS);
	ck_assert_uint_eq(r[16].n, 0);
	ck_assert_uint_eq(r[17].status, MB_OPS_BAD_SLOT);
}

/* ---- the top of a 32-bit space, kernel bounds with a data pair ---- */

static inline void edge_stream(struct ops *o, struct mb_opfmt f)
{
	ops_start(o, f);
	/* text [0xffff0000, 0xffffffff] then [0x80000000, 0xfffeffff];
	 * data [0x80000000, 0xffffffff]; no guard pages */
	ops_reset(o, MB_POLICY_KERNEL, MB_BOUNDS_KERNEL, 1, 0, 0xffff0000, 0xffffffff, 0x80000000, 0xfffeffff,
		  0x80000000, 0xffffffff);
	OPS(o, MB_OP_SIZES, 0, 0x10000, 0x1000, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1);
	OPS(o, MB_OP_PLACE, 0);
	OPS(o, MB_OP_INSERT, 0);
	OPS(o, MB_OP_LOOKUP, 0xffffffff);   /* the very last byte, inside m0's text */
	OPS(o, MB_OP_LOOKUP, 0xfffeffff);   /* just below: outside every bound */
	OPS(o, MB_OP_LOOKUP, 0x80000fff);   /* m0's data */
	OPS(o, MB_OP_LOOKUP, 0x7fffffff);   /* inside the data pair (min stays 0): tree miss */
	OPS(o, MB_OP_SIZES, 1, 0x1000, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1);
	OPS(o, MB_OP_PLACE, 1);             /* primary text window full: fallback */
	OPS(o, MB_OP_INSERT, 1);
	OPS(o, MB_OP_LOOKUP, 0x80001000);
	OPS(o, MB_OP_LOOKUP, 0xc0000000);   /* above 0x80000000, compared unsigned: in bounds, no module */
	OPS0(o, MB_OP_STATS);
	OPS(o, MB_OP_SIZES, 2, 0xfffe0000, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1);
	OPS(o, MB_OP_PLACE, 2);             /* near 4 GiB: no window holds it */
	OPS(o, MB_OP_SIZES, 2, 0, 0x7ffee000, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1);
	OPS(o, MB_OP_PLACE, 2);             /* ~2 GiB of data: exactly the gap above m1 */
	OPS(o, MB_OP_INSERT, 2);
	OPS(o, MB_OP_LOOKUP, 0xfffeffff);   /* m2's last byte */
	OPS0(o, MB_OP_STATS);
}
#define EDGE_NOPS 21

static inline void check_edge(struct mb_opfmt f, const uint8_t *res, size_t len)
{
	struct result r[EDGE_NOPS + 2];
	unsigned long none = NONE_SLOT(f);
	ck_assert_uint_eq(results_decode(f, res, len, r, EDGE_NOPS + 2), EDGE_NOPS);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(r[i].status == MB_OPS_OK, "op %d status %u", i, r[i].status);
	check_place_type(&r[2], TEXT, 0xffff0000, 0x10000, true);  /* ends exactly at 0xffffffff */
	check_place_type(&r[2], DATA, 0x80000000, 0x1000, true);
	check_lookup(&r[4], 0, TEXT, 0, MB_OPS_IN_CORE | MB_OPS_IN_BOUNDS);
	check_lookup(&r[5], none, none, none, 0);
	check_lookup(&r[6], 0, DATA, none, MB_OPS_IN_CORE | MB_OPS_IN_BOUNDS);
	check_lookup(&r[7], none, none, none, MB_OPS_IN_BOUNDS);
	ck_assert_uint_eq(r[9].status, MB_OPS_OK);
	check_place_type(&r[9], TEXT, 0x80001000, 0x1000, true);  /* lowest fit above m0's data */
	ck_assert_uint_eq(r[10].status, MB_OPS_OK);
	check_lookup(&r[11], 1, TEXT, 1, MB_OPS_IN_CORE | MB_OPS_IN_BOUNDS);
	check_lookup(&r[12], none, none, none, MB_OPS_IN_BOUNDS);
	/* kernel bounds: text pair [0x80001000, end of space], the exclusive end
	 * saturated at the top; data pair min 0 (never initialised upstream) */
	ck_assert_uint_eq(r[13].v[4], 0x80001000);
	/* 2^32 where it fits, else all ones (opstream.c: put_saturated) */
	ck_assert_uint_eq(r[13].v[5], f.width == 4 ? 0xffffffffUL : 0x100000000UL);
	ck_assert_uint_eq(r[13].v[6], 0);
	ck_assert_uint_eq(r[13].v[7], 0x80001000);
	ck_assert_uint_eq(r[13].flags, 0);
	ck_assert_uint_eq(r[15].status, MB_PLACE_NOSPACE);
	ck_assert_uint_eq(r[17].status, MB_OPS_OK);
	check_place_type(&r[17], DATA, 0x80002000, 0x7ffee000, true); /* last byte 0xfffeffff */
	ck_assert_uint_eq(r[18].status, MB_OPS_OK);
	check_lookup(&r[19], 2, DATA, none, MB_OPS_IN_CORE | MB_OPS_IN_BOUNDS);
	ck_assert_uint_eq(r[20].v[7], 0xffff0000);                /* data max: exclusive end of m2's data */
}

#endif
