/* Lookup cost per map, bounds policy and tree, at 100 / 1,000 / 4,000
 * loaded modules whose per-type sizes follow the Debian 6.1 module corpus
 * (reference/kmod-corpus.md 2.2 and 2.4, with kallsyms), placed by the
 * kernel policy; beside a linear walk of the module list (what the kernel
 * does without CONFIG_MODULES_TREE_LOOKUP). Two address streams:
 * (a) addresses inside modules, (b) kernel text and other vmalloc
 * addresses (never inside a module). Prints ns per lookup and tree
 * searches per 1,000 lookups.
 *
 * Then the seed 004 table: book3s/32 and 8xx under each kernel's own rules
 * (core/kver): 6.1 (core/init/data blocks, two trees with -1UL bounds) and
 * 6.4 (one allocation per type, one tree, data_addr_min 0) on the module
 * areas of that time (the -6.1 maps), the latest rules on today's maps, and
 * the split and pertype bounds there. `bench_lookup seed004` prints only
 * that table. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "bench/bench_json.h"
#include "core/kver.h"
#include "core/layout.h"
#include "core/lookup.h"
#include "core/place.h"

/* Per type: share of modules where it is non-empty, then min, median, p90
 * and max bytes. */
struct dist {
	double nonempty;
	double q[4];
};
static const struct dist amd64[MOD_MEM_NUM_TYPES] = {
	[MOD_TEXT] = { 1120 / 1121.0, { 5, 2183, 29971, 1011043 } },
	[MOD_DATA] = { 1.0, { 1251, 2478, 12907, 725578 } },
	[MOD_RODATA] = { 1.0, { 184, 1740, 13968, 422520 } },
	[MOD_RO_AFTER_INIT] = { 364 / 1121.0, { 16, 96, 928, 20512 } },
	[MOD_INIT_TEXT] = { 1035 / 1121.0, { 12, 31, 274, 9533 } },
	[MOD_INIT_DATA] = { 1.0, { 875, 3016, 14466, 444158 } },
	[MOD_INIT_RODATA] = { 14 / 1121.0, { 40, 1064, 6258, 69065 } },
};
static const struct dist arm64[MOD_MEM_NUM_TYPES] = {
	[MOD_TEXT] = { 1.0, { 36, 3062, 34593, 1102504 } },
	[MOD_DATA] = { 1.0, { 922, 1961, 9454, 421599 } },
	[MOD_RODATA] = { 1.0, { 104, 824, 8758, 238896 } },
	[MOD_RO_AFTER_INIT] = { 366 / 992.0, { 16, 96, 888, 22352 } },
	[MOD_INIT_TEXT] = { 1.0, { 12, 88, 415, 3580 } },
	[MOD_INIT_DATA] = { 1.0, { 1076, 3358, 16485, 420180 } },
	[MOD_INIT_RODATA] = { 5 / 992.0, { 40, 2528, 42259, 65193 } },
};

static uint64_t rng_state = 0x1234567;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}
static double unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* x^f for x >= 1 and f in [0, 1) without libm: f's binary digits select
 * factors x^(1/2), x^(1/4), ... (square roots by Newton's method). */
static double pow_frac(double x, double f)
{
	double result = 1.0, root = x;
	for (int bit = 0; bit < 24; bit++) {
		double r = root > 1 ? root : 1;
		for (int k = 0; k < 60; k++)
			r = 0.5 * (r + root / r);
		root = r;
		f *= 2;
		if (f >= 1) {
			result *= root;
			f -= 1;
		}
	}
	return result;
}

/* Piecewise log-linear between the quantiles: half the modules between min
 * and median, 40 % up to p90, the rest up to max. */
static unsigned long sample(const struct dist *d)
{
	if (unit() >= d->nonempty)
		return 0;
	double u = unit(), lo, hi, f;
	if (u < 0.5)
		lo = d->q[0], hi = d->q[1], f = u / 0.5;
	else if (u < 0.9)
		lo = d->q[1], hi = d->q[2], f = (u - 0.5) / 0.4;
	else
		lo = d->q[2], hi = d->q[3], f = (u - 0.9) / 0.1;
	return (unsigned long)(lo * pow_frac(hi / lo, f));
}

#define MAXMODS 4000
#define NADDR 65536

struct bmod {
	struct mb_module m;
	struct mb_alloc al[MOD_MEM_NUM_TYPES];
};

static struct bmod mods[MAXMODS];
static unsigned long addr_in[NADDR], addr_out[NADDR];
static struct mb_slot slots[MB_LOOKUP_SLOTS(MAXMODS * MOD_MEM_NUM_TYPES)];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int place_all_kver(const struct mb_map *map, const struct mb_kver *k, int n)
{
	struct mb_place_config cfg;
	struct mb_place pl;
	struct mb_place_err err;
	if (mb_map_place_config(map, false, 0, &cfg) ||
	    mb_place_init_kver(&pl, MB_POLICY_KERNEL, &cfg, k, NULL, 0, &err))
		return 0;
	const struct dist *d = map->data_in_vmalloc || strstr(map->name, "arm64") ? arm64 : amd64;
	rng_state = 0x1234567;
	int placed = 0;
	for (int i = 0; i < n; i++) {
		struct mb_layout lay;
		memset(&lay, 0, sizeof lay);
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			lay.size[t] = sample(&d[t]);
			lay.align[t] = 64;
		}
		/* 6.1: the blocks layout_sections() makes of these sizes */
		if (!mb_layout_shape_from_sizes(&lay, k, map->data_in_vmalloc, cfg.page_size, 0))
			continue;
		if (mb_place_module(&pl, &lay, mods[placed].al, &err) != 0)
			continue; /* the area is full for this one (ppc32's 32-64 MiB) */
		struct mb_module *m = &mods[placed].m;
		memset(m, 0, sizeof *m);
		m->name = "bench";
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			m->mem[t].base = mods[placed].al[t].base;
			m->mem[t].size = mods[placed].al[t].size;
		}
		placed++;
	}
	return placed;
}

static int place_all(const struct mb_map *map, int n)
{
	return place_all_kver(map, mb_kver_latest(), n);
}

/* Whether an address is in a module, for picking "outside" addresses: a
 * lookup of its own (the suites check lookups against brute force). */
static struct mb_lookup probe;
static struct mb_slot probe_slots[MB_LOOKUP_SLOTS(MAXMODS * MOD_MEM_NUM_TYPES)];
static bool in_any(unsigned long a)
{
	return mb_module_address(&probe, a, NULL) != NULL;
}

static void make_addresses(const struct mb_map *map, int n)
{
	rng_state = 0xabcdef;
	for (int k = 0; k < NADDR; k++) {
		const struct mb_module *m;
		int t;
		do {
			m = &mods[rnd() % (uint64_t)n].m;
			t = (int)(rnd() % MOD_MEM_NUM_TYPES);
		} while (!m->mem[t].size);
		addr_in[k] = m->mem[t].base + rnd() % m->mem[t].size;
	}
	mb_lookup_init(&probe, MB_BOUNDS_SPLIT, MB_TREE_FAST, false, probe_slots,
		       sizeof probe_slots / sizeof probe_slots[0]);
	struct mb_lookup_err err;
	for (int i = 0; i < n; i++)
		mb_lookup_insert(&probe, &mods[i].m, &err);
	/* kernel text, and vmalloc outside any module */
	const struct mb_map_region *vm = NULL;
	for (size_t i = 0; i < map->nregions; i++)
		if (strcmp(map->regions[i].name, "vmalloc") == 0)
			vm = &map->regions[i];
	for (int k = 0; k < NADDR; k++) {
		unsigned long a;
		do {
			if ((k & 1) || !vm)
				a = (unsigned long)(map->kernel_base + rnd() % map->kernel_size);
			else
				a = (unsigned long)(vm->start + rnd() % (vm->last - vm->start));
		} while (in_any(a));
		addr_out[k] = a;
	}
	for (int i = 0; i < n; i++)
		mb_lookup_remove(&probe, &mods[i].m);
}

static volatile uintptr_t sink;

/* ns per lookup (best of 3 rounds: the machine is shared) and tree
 * searches per 1,000 lookups */
static void measure(struct mb_lookup *lk, const unsigned long *addrs, long iters, double *ns, double *per1k)
{
	mb_module_address(lk, addrs[0], NULL); /* a pending rebuild is not a lookup cost */
	*ns = 1e30;
	for (int round = 0; round < 3; round++) {
		mb_lookup_reset_stats(lk);
		uintptr_t acc = 0;
		double t0 = now();
		for (long i = 0; i < iters; i++)
			acc += (uintptr_t)mb_module_address(lk, addrs[i & (NADDR - 1)], NULL);
		double t1 = now();
		sink = acc;
		double t = (t1 - t0) * 1e9 / (double)iters;
		if (t < *ns)
			*ns = t;
	}
	*per1k = 1000.0 * (double)lk->stats.tree_searches / (double)lk->stats.lookups;
}

static void measure_linear(int n, const unsigned long *addrs, long iters, double *ns)
{
	*ns = 1e30;
	for (int round = 0; round < 3; round++) {
		uintptr_t acc = 0;
		double t0 = now();
		for (long i = 0; i < iters; i++) {
			unsigned long a = addrs[i & (NADDR - 1)];
			for (int k = 0; k < n; k++)
				if (mb_within_module(a, &mods[k].m)) {
					acc += (uintptr_t)&mods[k];
					break;
				}
		}
		double t1 = now();
		sink = acc;
		double t = (t1 - t0) * 1e9 / (double)iters;
		if (t < *ns)
			*ns = t;
	}
}

static const struct mb_map *map_named(const char *name)
{
	for (size_t ai = 0; ai < mb_narches; ai++) {
		const struct mb_map *m = mb_arch_map(mb_arches[ai], name);
		if (m)
			return m;
	}
	return NULL;
}

/* One cell: modules placed under rule set k on map, looked up with bounds
 * b under k; ns in/out and searches per 1,000 outside lookups. */
struct cell {
	int mods;
	double in_ns, out_ns, out_per1k;
};

static int seed004_cell(const char *mapname, const char *kernel, enum mb_bounds b, int want, struct cell *c)
{
	const struct mb_map *map = map_named(mapname);
	const struct mb_kver *k = mb_kver_lookup(kernel);
	if (!map || !k)
		return -1;
	c->mods = place_all_kver(map, k, want);
	make_addresses(map, c->mods);
	struct mb_lookup lk;
	mb_lookup_init_kver(&lk, b, MB_TREE_FAST, map->data_in_vmalloc, k, slots, sizeof slots / sizeof slots[0]);
	struct mb_lookup_err err;
	for (int i = 0; i < c->mods; i++)
		if (mb_lookup_insert(&lk, &mods[i].m, &err) != 0)
			return -1;
	double in_per1k;
	measure(&lk, addr_in, 200000, &c->in_ns, &in_per1k);
	measure(&lk, addr_out, 200000, &c->out_ns, &c->out_per1k);
	for (int i = 0; i < c->mods; i++)
		mb_lookup_remove(&lk, &mods[i].m);
	return 0;
}

/* Seed 004 per version: the v6.4 regression (data_addr_min 0) measured.
 * 6.1 and 6.4 on the 256 MiB module area they had, latest/split/pertype on
 * today's 64/32 MiB areas; init memory still loaded. */
static int seed004(void)
{
	static const struct { const char *old_map, *new_map, *label; } arches[] = {
		{ "powerpc32-book3s32-6.1", "powerpc32-book3s32", "book3s/32" },
		{ "powerpc32-8xx-6.1", "powerpc32-8xx", "8xx" },
	};
	static const struct { const char *label, *kernel; bool old; enum mb_bounds b; } cols[] = {
		{ "6.1", "6.1", true, MB_BOUNDS_KERNEL },
		{ "6.4 (kernel)", "6.4", true, MB_BOUNDS_KERNEL },
		{ "latest (kernel)", "latest", false, MB_BOUNDS_KERNEL },
		{ "split", "latest", false, MB_BOUNDS_SPLIT },
		{ "pertype", "latest", false, MB_BOUNDS_PERTYPE },
	};
	static const int sizes[] = { 100, 1000 };
	printf("\nseed 004 per kernel version: tree searches per 1,000 lookups of kernel-text and\n"
	       "other vmalloc addresses (out), ns per lookup out and inside modules (in);\n"
	       "fast tree, kernel placement under each version's rules, init memory loaded.\n\n");
	printf("%-10s %-16s %5s | %9s %8s %8s\n", "arch", "bounds", "mods", "out srch", "out ns", "in ns");
	for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
			for (size_t ci = 0; ci < sizeof cols / sizeof cols[0]; ci++) {
				struct cell c;
				const char *map = cols[ci].old ? arches[a].old_map : arches[a].new_map;
				if (seed004_cell(map, cols[ci].kernel, cols[ci].b, sizes[si], &c) != 0) {
					fprintf(stderr, "seed004: %s %s failed\n", map, cols[ci].kernel);
					return 1;
				}
				printf("%-10s %-16s %5d | %9.0f %8.1f %8.1f\n", arches[a].label, cols[ci].label, c.mods,
				       c.out_per1k, c.out_ns, c.in_ns);
			}
	return 0;
}

int main(int argc, char **argv)
{
	/* seed004: the per-version table (text only); otherwise [--json]. */
	if (argc == 2 && strcmp(argv[1], "seed004") == 0)
		return seed004();
	if (!bench_args(argc, argv))
		return 2;
	static const int sizes[] = { 100, 1000, 4000 };
	bench_text("lookup cost: ns per lookup, tree searches per 1,000 lookups (kernel placement,\n"
	       "corpus-shaped sizes, init memory still loaded). in = inside modules;\n"
	       "out = kernel text and other vmalloc addresses. mods = modules that fit\n"
	       "(100, 1,000, 4,000 asked; ppc32's module areas hold fewer).\n\n");
	bench_text("%-19s %-8s %-7s %6s %6s | %8s %9s | %8s %9s\n", "map", "bounds", "tree", "mods", "nodes",
	       "in ns", "in srch", "out ns", "out srch");
	for (size_t ai = 0; ai < mb_narches; ai++) {
		for (size_t mi = 0; mi < mb_arches[ai]->nmaps; mi++) {
			const struct mb_map *map = mb_arches[ai]->maps[mi];
			int prev_n = -1;
			if (map->kver_last)
				continue; /* maps of old kernels: in the seed 004 table below */
			for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
				int n = place_all(map, sizes[si]);
				if (n == prev_n)
					continue; /* the area was already full (ppc32's 32-64 MiB) */
				prev_n = n;
				make_addresses(map, n);
				size_t nodes = 0;
				for (int i = 0; i < n; i++)
					for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
						nodes += mods[i].m.mem[t].size != 0;
				for (int tr = 0; tr < MB_NTREES; tr++) {
					for (int b = 0; b < MB_NBOUNDS; b++) {
						struct mb_lookup lk;
						mb_lookup_init(&lk, (enum mb_bounds)b, (enum mb_tree_kind)tr,
							       map->data_in_vmalloc, slots, sizeof slots / sizeof slots[0]);
						struct mb_lookup_err err;
						for (int i = 0; i < n; i++)
							if (mb_lookup_insert(&lk, &mods[i].m, &err) != 0) {
								fprintf(stderr, "insert failed\n");
								return 1;
							}
						double ins, inp, outs, outp;
						measure(&lk, addr_in, 100000, &ins, &inp);
						measure(&lk, addr_out, 100000, &outs, &outp);
						bench_cell("bench_lookup", "s:map", map->name, "s:bounds",
							   mb_bounds_name((enum mb_bounds)b), "s:tree", mb_tree_name((enum mb_tree_kind)tr),
							   "u:modules", (uint64_t)n, "u:nodes", (uint64_t)nodes, "f:in_ns", ins,
							   "f:in_searches", inp, "f:out_ns", outs, "f:out_searches", outp, NULL);
						bench_text("%-19s %-8s %-7s %6d %6zu | %8.1f %9.0f | %8.1f %9.0f\n", map->name,
						       mb_bounds_name((enum mb_bounds)b), mb_tree_name((enum mb_tree_kind)tr),
						       n, nodes, ins, inp, outs, outp);
						for (int i = 0; i < n; i++)
							mb_lookup_remove(&lk, &mods[i].m);
					}
				}
				long iters = 10000000L / ((long)n * 7 + 1);
				if (iters < 500)
					iters = 500;
				double lin_in, lin_out;
				measure_linear(n, addr_in, iters, &lin_in);
				measure_linear(n, addr_out, iters, &lin_out);
				bench_cell("bench_lookup", "s:map", map->name, "s:bounds", "-", "s:tree", "linear", "u:modules",
					   (uint64_t)n, "u:nodes", (uint64_t)nodes, "f:in_ns", lin_in, "f:out_ns", lin_out, NULL);
				bench_text("%-19s %-8s %-7s %6d %6zu | %8.1f %9s | %8.1f %9s\n", map->name, "-", "linear", n,
				       nodes, lin_in, "-", lin_out, "-");
			}
		}
	}
	return seed004();
}
