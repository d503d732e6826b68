/* Lookup against a brute-force scan of every live range, on seeded random
 * operation streams (insert, remove, remove-init, state changes, lookups)
 * per map variant, bounds policy, tree and placement policy; the counters
 * are predicted independently for each lookup. Run with a map name:
 * `core_lookup_random x86_64-kaslr` (all maps without one), optionally a
 * seed and a kernel rule set (`... 0x5eed0000 6.1`: block placement and
 * 5.18-6.3's two trees; the latest without). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "core/kver.h"
#include "core/lookup.h"
#include "core/place.h"
#include "tests/check_main.h"
#include "tests/core/testutil.h"

#define NSLOTS 48
#define OPS 100000

struct tmod {
	struct mb_module m;
	struct mb_alloc al[MOD_MEM_NUM_TYPES];
	unsigned long base[MOD_MEM_NUM_TYPES], size[MOD_MEM_NUM_TYPES]; /* reference copy */
	bool live;
	char name[16];
};

/* The reference: the kernel's bounds rules restated on our own copies, and
 * the exact hulls of live ranges computed by scanning. */
struct refk {
	unsigned long min, max, dmin, dmax; /* max exclusive, saturated */
};

static unsigned long log_uniform(struct trng *r, unsigned long lo, unsigned long hi)
{
	/* spread over orders of magnitude like the corpus' sizes */
	int bits_lo = 63 - __builtin_clzl(lo), bits_hi = 63 - __builtin_clzl(hi);
	int b = bits_lo + (int)trng_below(r, (uint64_t)(bits_hi - bits_lo + 1));
	unsigned long v = (1ul << b) + trng_below(r, 1ul << b);
	return v < lo ? lo : v > hi ? hi : v;
}

/* Under a block-shape rule set: the blocks the kernel would allocate for
 * these per-type sizes (each class page-aligned in its block, core text |
 * rodata | ro_after_init | data, init text | init rodata | init data,
 * core data apart under data_in_vmalloc), built here from the sizes alone. */
static void block_layout(struct mb_layout *lay, unsigned long page, bool div)
{
	static const int order[] = { MOD_TEXT, MOD_RODATA, MOD_RO_AFTER_INIT, MOD_DATA,
				     MOD_INIT_TEXT, MOD_INIT_RODATA, MOD_INIT_DATA };
	lay->shape = MB_SHAPE_BLOCKS;
	for (int b = 0; b < MB_NBLOCKS; b++)
		lay->block_size[b] = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		int t = order[i];
		int b = t == MOD_INIT_TEXT || t == MOD_INIT_RODATA || t == MOD_INIT_DATA ? MB_BLOCK_INIT
			: t != MOD_TEXT && div					 ? MB_BLOCK_DATA
										 : MB_BLOCK_CORE;
		lay->block[t] = b;
		lay->start[t] = lay->block_size[b];
		lay->extent[t] = (lay->size[t] + page - 1) & ~(page - 1);
		lay->block_size[b] += lay->extent[t];
	}
}

static void random_layout(struct trng *r, struct mb_layout *lay)
{
	memset(lay, 0, sizeof *lay);
	lay->size[MOD_TEXT] = trng_pct(r, 2) ? 0 : log_uniform(r, 16, 200000);
	lay->size[MOD_DATA] = log_uniform(r, 896, 40000);
	lay->size[MOD_RODATA] = trng_pct(r, 10) ? 0 : log_uniform(r, 100, 60000);
	lay->size[MOD_RO_AFTER_INIT] = trng_pct(r, 66) ? 0 : log_uniform(r, 16, 4000);
	lay->size[MOD_INIT_TEXT] = trng_pct(r, 10) ? 0 : log_uniform(r, 12, 3000);
	lay->size[MOD_INIT_DATA] = log_uniform(r, 8, 20000);
	lay->size[MOD_INIT_RODATA] = trng_pct(r, 97) ? 0 : log_uniform(r, 40, 60000);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		lay->align[t] = 1ul << trng_below(r, 7);
}

struct run {
	const struct mb_map *map;
	const struct mb_kver *k;
	enum mb_bounds bounds;
	enum mb_tree_kind tree;
	enum mb_policy policy;
	struct mb_place pl;
	struct mb_arena chunks[64];
	struct mb_lookup lk;
	struct mb_slot slots[MB_LOOKUP_SLOTS(NSLOTS * MOD_MEM_NUM_TYPES)];
	struct tmod mods[NSLOTS];
	struct refk rk;
	unsigned long hlo[MOD_MEM_NUM_TYPES], hhi[MOD_MEM_NUM_TYPES];
	bool hany[MOD_MEM_NUM_TYPES];
	struct mb_place_config cfg;
	struct trng rng;
	uint64_t seed;
	uint64_t lookups, inside, searches, rejects;
};

static void ref_widen(struct run *R, int t, unsigned long base, unsigned long size)
{
	unsigned long last = base + (size - 1);
	unsigned long end = last == ~0ul ? ~0ul : last + 1;
	if (R->map->data_in_vmalloc && (t == MOD_DATA || t == MOD_RODATA || t == MOD_RO_AFTER_INIT)) {
		if (end > R->rk.dmax)
			R->rk.dmax = end;
		/* since v6.4 dmin stays 0, as data_addr_min is never initialised
		 * upstream; mod_data_tree (5.18-6.3) started at -1UL */
		if (R->k->data_min_initialised && base < R->rk.dmin)
			R->rk.dmin = base;
	} else {
		if (base < R->rk.min)
			R->rk.min = base;
		if (end > R->rk.max)
			R->rk.max = end;
	}
}

/* The exact hull of the live ranges of each type, rescanned after every
 * change (the exact policies must match it, however they maintain it). */
static void ref_hulls(struct run *R)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		R->hlo[t] = ~0ul;
		R->hhi[t] = 0;
		R->hany[t] = false;
	}
	for (int i = 0; i < NSLOTS; i++) {
		const struct tmod *m = &R->mods[i];
		if (!m->live)
			continue;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			if (!m->size[t])
				continue;
			R->hany[t] = true;
			if (m->base[t] < R->hlo[t])
				R->hlo[t] = m->base[t];
			if (m->base[t] + (m->size[t] - 1) > R->hhi[t])
				R->hhi[t] = m->base[t] + (m->size[t] - 1);
		}
	}
}

/* Expected in-bounds answer for the run's policy, from the reference state. */
static bool ref_in_bounds(const struct run *R, unsigned long addr)
{
	if (R->bounds == MB_BOUNDS_KERNEL)
		return (addr >= R->rk.min && addr <= R->rk.max) ||
		       (R->map->data_in_vmalloc && addr >= R->rk.dmin && addr <= R->rk.dmax);
	if (R->bounds == MB_BOUNDS_PERTYPE) {
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (R->hany[t] && addr >= R->hlo[t] && addr <= R->hhi[t])
				return true;
		return false;
	}
	/* split: the hull of the text types' hulls, and of the data types' */
	for (int text = 0; text < 2; text++) {
		unsigned long lo = ~0ul, hi = 0;
		bool any = false;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			if (mod_mem_type_is_text(t) != (bool)text || !R->hany[t])
				continue;
			any = true;
			lo = R->hlo[t] < lo ? R->hlo[t] : lo;
			hi = R->hhi[t] > hi ? R->hhi[t] : hi;
		}
		if (any && addr >= lo && addr <= hi)
			return true;
	}
	return false;
}

/* Brute force: the module slot and type whose live range holds addr. */
static int ref_find(const struct run *R, unsigned long addr, int *type)
{
	int found = -1;
	for (int i = 0; i < NSLOTS; i++) {
		if (!R->mods[i].live)
			continue;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (R->mods[i].size[t] && addr >= R->mods[i].base[t] &&
			    addr <= R->mods[i].base[t] + (R->mods[i].size[t] - 1)) {
				REQUIRE(found < 0, "ranges overlap at %#lx", addr);
				found = i;
				*type = t;
			}
	}
	return found;
}

static void do_insert(struct run *R, int i)
{
	struct tmod *m = &R->mods[i];
	struct mb_layout lay;
	random_layout(&R->rng, &lay);
	if (R->k->shape == MB_SHAPE_BLOCKS)
		block_layout(&lay, R->cfg.page_size, R->map->data_in_vmalloc);
	struct mb_place_err perr;
	if (mb_place_module(&R->pl, &lay, m->al, &perr) != 0) {
		REQUIRE(perr.status == MB_PLACE_NOSPACE || perr.status == MB_PLACE_NOCHUNK, "place status %d",
			perr.status);
		return;
	}
	memset(&m->m, 0, sizeof m->m);
	m->m.name = m->name;
	m->m.owner = m;
	m->m.state = trng_pct(&R->rng, 5) ? MB_MODULE_UNFORMED : MB_MODULE_LIVE;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		m->base[t] = m->m.mem[t].base = m->al[t].base;
		m->size[t] = m->m.mem[t].size = m->al[t].size;
		REQUIRE((m->size[t] != 0) == (lay.size[t] != 0), "size of an empty type");
	}
	struct mb_lookup_err lerr;
	REQUIRE(mb_lookup_insert(&R->lk, &m->m, &lerr) == 0, "insert failed: %d", lerr.status);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (m->size[t])
			ref_widen(R, t, m->base[t], m->size[t]);
	m->live = true;
}

static void do_remove(struct run *R, int i)
{
	struct tmod *m = &R->mods[i];
	mb_lookup_remove(&R->lk, &m->m);
	mb_place_free_module(&R->pl, m->al);
	m->live = false;
}

static void do_remove_init(struct run *R, int i)
{
	struct tmod *m = &R->mods[i];
	mb_lookup_remove_init(&R->lk, &m->m);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!mod_mem_type_is_init(t))
			continue;
		REQUIRE(m->m.mem[t].base == 0 && m->m.mem[t].size == 0, "init type not cleared");
		mb_place_free(&R->pl, &m->al[t]);
		m->base[t] = m->size[t] = 0;
	}
}

static unsigned long pick_addr(struct run *R)
{
	struct trng *r = &R->rng;
	int kind = (int)trng_below(r, 100);
	int i = (int)trng_below(r, NSLOTS), t = (int)trng_below(r, MOD_MEM_NUM_TYPES);
	const struct tmod *m = &R->mods[i];
	if (kind < 45 && m->live && m->size[t]) {
		switch (trng_below(r, 4)) {
		case 0: return m->base[t];
		case 1: return m->base[t] + (m->size[t] - 1);
		default: return m->base[t] + trng_below(r, m->size[t]);
		}
	}
	if (kind < 60 && m->live && m->size[t])
		return trng_pct(r, 50) ? m->base[t] - 1 : m->base[t] + m->size[t]; /* just outside */
	if (kind < 80) {
		const struct mb_window *w = trng_pct(r, 50) ? &R->cfg.text[0] : &R->cfg.data[0];
		return w->start + trng_below(r, (w->last - w->start) / 64 + 1); /* the busy low end */
	}
	if (kind < 92) {
		/* kernel text, other vmalloc, any named region */
		const struct mb_map_region *reg = &R->map->regions[trng_below(r, R->map->nregions)];
		uint64_t span = reg->last - reg->start;
		return (unsigned long)(reg->start + (span ? trng_below(r, span) : 0));
	}
	switch (trng_below(r, 4)) {
	case 0: return 0;
	case 1: return ~0ul;
	case 2: return R->rk.max; /* the one byte of slack of the kernel's <= */
	default: return (unsigned long)trng_next(r);
	}
}

static void do_lookup(struct run *R, int op)
{
	unsigned long addr = pick_addr(R);
	int rtype = -1, type = -1;
	int ri = ref_find(R, addr, &rtype);
	bool any_range = ri >= 0;
	bool inb = ref_in_bounds(R, addr);
	REQUIRE(ri < 0 || inb, "op %d: %#lx is in module %d but outside the reference bounds", op, addr, ri);
	/* two trees (5.18-6.3): the text pair sends the lookup to mod_tree,
	 * only else the data pair to mod_data_tree; each holds its own ranges */
	if (ri >= 0 && R->bounds == MB_BOUNDS_KERNEL && R->k->data_tree && R->map->data_in_vmalloc) {
		bool to_data = !(addr >= R->rk.min && addr <= R->rk.max);
		bool is_data = rtype == MOD_DATA || rtype == MOD_RODATA || rtype == MOD_RO_AFTER_INIT;
		if (to_data != is_data) {
			ri = -1;
			any_range = false;
		}
	}
	struct mb_lookup_stats before = R->lk.stats;
	bool text_query = trng_pct(&R->rng, 20);
	struct mb_module *got;
	if (text_query) {
		got = mb_module_text_address(&R->lk, addr);
		if (ri >= 0 && !mod_mem_type_is_text(rtype))
			ri = -1;
	} else {
		got = mb_module_address(&R->lk, addr, &type);
	}
	if (ri >= 0 && R->mods[ri].m.state == MB_MODULE_UNFORMED)
		ri = -1;
	const struct tmod *want = ri >= 0 ? &R->mods[ri] : NULL;
	REQUIRE(got == (want ? &want->m : NULL), "seed %#llx op %d: %s %s %s %s: %#lx -> %s, brute force %s",
		(unsigned long long)R->seed, op, R->map->name, mb_bounds_name(R->bounds), mb_tree_name(R->tree),
		mb_policy_name(R->policy), addr, got ? got->name : "none", want ? want->name : "none");
	if (want && !text_query)
		REQUIRE(type == rtype, "op %d: type %d, brute force %d", op, type, rtype);
	if (want) {
		REQUIRE(mb_within_module(addr, got), "within_module");
		REQUIRE(mb_within_module_init(addr, got) == mod_mem_type_is_init(rtype), "within_module_init");
		REQUIRE(mb_within_module_core(addr, got) == !mod_mem_type_is_init(rtype), "within_module_core");
		R->inside++;
	}
	/* counters: exactly one lookup, a reject iff out of bounds, a miss iff
	 * searched and no live range holds it (UNFORMED ones still count as found) */
	const struct mb_lookup_stats *s = &R->lk.stats;
	REQUIRE(s->lookups == before.lookups + 1, "lookups");
	REQUIRE(s->fast_rejects == before.fast_rejects + !inb, "op %d: %#lx fast reject expected %d", op, addr, !inb);
	REQUIRE(s->tree_searches == before.tree_searches + inb, "tree searches");
	REQUIRE(s->tree_misses == before.tree_misses + (inb && !any_range), "op %d: %#lx tree miss", op, addr);
	R->lookups++;
	R->searches += inb;
	R->rejects += !inb;
}

/* Red-black shape: order, no red-red, equal black height, parent links. */
static int rb_check(const struct mb_mem_node *n, const struct mb_mem_node *parent, unsigned long *prev,
		    size_t *count)
{
	if (!n)
		return 1;
	REQUIRE(n->rb_parent == parent, "parent link");
	REQUIRE(!(n->rb_red && parent && parent->rb_red), "red-red");
	int lh = rb_check(n->rb_left, n, prev, count);
	unsigned long base = n->mod->mem[n->type].base;
	REQUIRE(*count == 0 || base > *prev, "order");
	*prev = base;
	(*count)++;
	int rh = rb_check(n->rb_right, n, prev, count);
	REQUIRE(lh == rh, "black height");
	return lh + !n->rb_red;
}

static void run_stream(const struct mb_map *map, const struct mb_kver *k, enum mb_bounds b, enum mb_tree_kind tr,
		       uint64_t seed)
{
	static struct run R;
	memset(&R, 0, sizeof R);
	R.map = map;
	R.k = k;
	R.bounds = b;
	R.tree = tr;
	R.seed = seed;
	R.policy = (enum mb_policy)((b + tr) % MB_NPOLICIES); /* every placement policy per map */
	ck_assert_int_eq(mb_map_place_config(map, true, seed, &R.cfg), 0);
	struct mb_place_err perr;
	ck_assert_int_eq(mb_place_init_kver(&R.pl, R.policy, &R.cfg, k, R.chunks, 64, &perr), 0);
	mb_lookup_init_kver(&R.lk, b, tr, map->data_in_vmalloc, k, R.slots, sizeof R.slots / sizeof R.slots[0]);
	R.rk.min = ~0ul;
	R.rk.dmin = k->data_min_initialised ? ~0ul : 0;
	for (int i = 0; i < NSLOTS; i++)
		snprintf(R.mods[i].name, sizeof R.mods[i].name, "m%d", i);
	trng_seed(&R.rng, seed);
	ref_hulls(&R);
	for (int op = 0; op < OPS; op++) {
		int k = (int)trng_below(&R.rng, 100);
		int i = (int)trng_below(&R.rng, NSLOTS);
		struct tmod *m = &R.mods[i];
		if (k < 75)
			do_lookup(&R, op);
		else if (!m->live)
			do_insert(&R, i);
		else if (k < 85)
			do_remove(&R, i);
		else if (k < 93)
			do_remove_init(&R, i);
		else
			m->m.state = MB_MODULE_LIVE; /* an UNFORMED module finishes loading */
		if (k >= 75)
			ref_hulls(&R);
		if (tr == MB_TREE_RBTREE && op % 4096 == 0) {
			unsigned long prev = 0;
			size_t count = 0;
			rb_check(R.lk.rb_root, NULL, &prev, &count);
			REQUIRE(count == R.lk.nnodes, "node count");
		}
	}
	const struct mb_lookup_stats *s = &R.lk.stats;
	ck_assert_uint_eq(s->fast_rejects + s->tree_searches, s->lookups);
	ck_assert_uint_eq(s->lookups, R.lookups);
	/* the stream must have exercised hits, rejects and searches */
	ck_assert_uint_gt(R.inside, R.lookups / 5);
	ck_assert_uint_gt(R.rejects, R.lookups / 50);
	ck_assert_uint_gt(R.searches, R.lookups / 5);
	for (int i = 0; i < NSLOTS; i++)
		if (R.mods[i].live)
			do_remove(&R, i);
	ck_assert_uint_eq(R.lk.nnodes, 0);
	ck_assert(mb_place_first(&R.pl) == NULL);
}

static const char *only_map;
static uint64_t base_seed = 0x5eed0000u;
static const struct mb_kver *kernel;

START_TEST(random_streams)
{
	enum mb_bounds b = (enum mb_bounds)(_i % MB_NBOUNDS);
	enum mb_tree_kind tr = (enum mb_tree_kind)(_i / MB_NBOUNDS);
	size_t seen = 0;
	for (size_t ai = 0; ai < mb_narches; ai++)
		for (size_t mi = 0; mi < mb_arches[ai]->nmaps; mi++) {
			const struct mb_map *m = mb_arches[ai]->maps[mi];
			if (only_map && strcmp(only_map, m->name) != 0)
				continue;
			run_stream(m, kernel, b, tr, base_seed + (uint64_t)_i * 131 + ai * 17 + mi);
			seen++;
		}
	ck_assert_uint_gt(seen, 0);
}
END_TEST

int main(int argc, char **argv)
{
	/* core_lookup_random [MAP|all] [SEED]: another seed gives other streams */
	only_map = argc > 1 && strcmp(argv[1], "all") != 0 ? argv[1] : NULL;
	if (argc > 2)
		base_seed = strtoull(argv[2], NULL, 0);
	kernel = mb_kver_lookup(argc > 3 ? argv[3] : "latest");
	if (!kernel) {
		fprintf(stderr, "core_lookup_random: no rule set for kernel %s\n", argv[3]);
		return 2;
	}
	const struct check_test tests[] = {
		CHECK_LOOP(random_streams, MB_NBOUNDS * MB_NTREES),
	};
	const struct check_suite cs = { .suite = "core_lookup_random", .tcase = "random", .timeout = 120 };
	return CHECK_RUN(&cs, tests);
}
