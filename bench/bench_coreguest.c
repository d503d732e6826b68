/* The placement and lookup core on the emulated CPUs beside the host core:
 * operations per second of the same seeded stream (realistic mix: loads,
 * unloads, init frees, lookups) through the host's core and through the
 * coreguest driver on each arch's emulated CPU. */
#include "harness/corediff/coreops.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "core/opstream.h"

#include "bench/bench_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOPS 10000
#define SEED 1


/* Host ops/s: the whole buffer through the host interpreter, best of a few
 * runs (the generator's lockstep run is not timed: it also generates). */
static double host_rate(const struct mb_corestream *s)
{
	struct mb_ops_state *st = malloc(sizeof(*st));
	uint8_t *res = malloc(s->res_cap);
	double best = 0;
	for (int rep = 0; rep < 5 && st && res; rep++) {
		memset(st, 0, sizeof(*st));
		double t0 = mb_coreops_cpu_seconds();
		long n = mb_ops_run(st, s->ops, s->ops_len, res, s->res_cap);
		double dt = mb_coreops_cpu_seconds() - t0;
		if (n < 0 || (size_t)n != s->res_len || memcmp(res, s->res, s->res_len) != 0) {
			fprintf(stderr, "bench_coreguest: host rerun differs from the generator's run\n");
			exit(1);
		}
		if (dt > 0 && (double)s->nops / dt > best)
			best = (double)s->nops / dt;
	}
	free(st);
	free(res);
	return best;
}

static void bench_map(const struct mb_arch *arch, const struct mb_map *map, const char *bounds)
{
	struct mb_corescenario sc;
	struct mb_err err;
	if (mb_corescenario_from_map(&sc, arch, map, "kernel", bounds, NULL, &err) != 0) {
		fprintf(stderr, "bench_coreguest: %s\n", err.msg);
		exit(1);
	}
	struct mb_corestream s;
	if (mb_coregen(&sc, SEED, NOPS, &s, &err) != 0) {
		fprintf(stderr, "bench_coreguest: %s\n", err.msg);
		exit(1);
	}
	double host = host_rate(&s);
	char path[4096];
	mb_coreguest_default_path(arch, path, sizeof(path));
	struct mb_coreguest *g;
	if (mb_coreguest_open(&g, arch, map, path, &err) != 0) {
		bench_cell("bench_coreguest", "s:arch", arch->name, "s:map", map->name, "s:bounds", bounds, "f:host_ops_per_s",
			   host, "s:error", err.msg, NULL);
		bench_text("%-9s %-19s %-7s %12.0f   (guest not run: %s)\n", arch->name, map->name, bounds, host, err.msg);
		mb_corestream_free(&s);
		return;
	}
	uint8_t *res;
	size_t len;
	struct mb_coreguest_stats gs;
	double t0 = mb_coreops_cpu_seconds();
	if (mb_coreguest_run(g, &s, &res, &len, &gs, &err) != 0) {
		fprintf(stderr, "bench_coreguest: %s\n", err.msg);
		exit(1);
	}
	gs.seconds = mb_coreops_cpu_seconds() - t0; /* CPU time, batch copies included */
	struct mb_corediff d;
	mb_coreops_compare(&s, res, len, &d);
	double guest = gs.seconds > 0 ? (double)s.nops / gs.seconds : 0;
	bench_cell("bench_coreguest", "s:arch", arch->name, "s:map", map->name, "s:bounds", bounds, "f:host_ops_per_s",
		   host, "f:guest_ops_per_s", guest, "f:guest_insns_per_op", (double)gs.insns / (double)s.nops,
		   "f:guest_mips", gs.seconds > 0 ? (double)gs.insns / gs.seconds / 1e6 : 0.0, "u:diffs", (uint64_t)d.ndiff,
		   NULL);
	bench_text("%-9s %-19s %-7s %12.0f %12.0f %10.0fx %12.0f %10.1f %6zu\n", arch->name, map->name, bounds, host, guest,
	       guest > 0 ? host / guest : 0, (double)gs.insns / (double)s.nops,
	       gs.seconds > 0 ? (double)gs.insns / gs.seconds / 1e6 : 0, d.ndiff);
	free(res);
	mb_coreguest_close(g);
	mb_corestream_free(&s);
}

/* Guest instructions per operation kind: the stream one operation per
 * guest call, each call's instruction count charged to its operation. */
struct per_kind {
	const struct mb_corestream *s;
	uint64_t insns[MB_OP_NCODES];
	size_t count[MB_OP_NCODES];
};

static void charge(void *ctx, const struct mb_coreguest_batch *b)
{
	struct per_kind *k = ctx;
	bool wide = false;
	struct mb_oprec h = mb_op_header(mb_opword_get(k->s->ops + k->s->op_off[b->first_op], k->s->fmt, &wide));
	if (h.op < MB_OP_NCODES && b->nops == 1) {
		k->insns[h.op] += b->insns;
		k->count[h.op]++;
	}
}

static void per_kind(const struct mb_arch *arch, struct per_kind *k)
{
	struct mb_corescenario sc;
	struct mb_err err;
	struct mb_corestream s;
	char path[4096];
	struct mb_coreguest *g;
	memset(k, 0, sizeof(*k));
	mb_coreguest_default_path(arch, path, sizeof(path));
	if (mb_corescenario_from_map(&sc, arch, arch->maps[0], "kernel", "kernel", NULL, &err) != 0 ||
	    mb_coregen(&sc, SEED, 3000, &s, &err) != 0 || mb_coreguest_open(&g, arch, arch->maps[0], path, &err) != 0) {
		fprintf(stderr, "bench_coreguest: %s\n", err.msg);
		exit(1);
	}
	k->s = &s;
	mb_coreguest_set_batch(g, 1);
	mb_coreguest_set_observer(g, charge, k);
	uint8_t *res;
	size_t len;
	struct mb_coreguest_stats gs;
	if (mb_coreguest_run(g, &s, &res, &len, &gs, &err) != 0) {
		fprintf(stderr, "bench_coreguest: %s\n", err.msg);
		exit(1);
	}
	free(res);
	mb_coreguest_close(g);
	mb_corestream_free(&s);
	k->s = NULL;
}

static void print_per_kind(void)
{
	static struct per_kind k[8];
	size_t n = mb_narches < 8 ? mb_narches : 8;
	for (size_t a = 0; a < n; a++)
		per_kind(mb_arches[a], &k[a]);
	for (size_t a = 0; a < n; a++)
		for (unsigned op = 1; op < MB_OP_NCODES; op++)
			if (k[a].count[op])
				bench_cell("bench_coreguest", "s:arch", mb_arches[a]->name, "s:operation", mb_op_name(op),
					   "f:guest_insns_per_op", (double)k[a].insns[op] / (double)k[a].count[op], NULL);
	if (bench_json)
		return;
	printf("\nguest instructions per operation, by kind (3,000-operation stream, default map, kernel bounds):\n");
	printf("%-12s", "operation");
	for (size_t a = 0; a < n; a++)
		printf(" %12s", mb_arches[a]->name);
	printf("\n");
	for (unsigned op = 1; op < MB_OP_NCODES; op++) {
		printf("%-12s", mb_op_name(op));
		for (size_t a = 0; a < n; a++)
			if (k[a].count[op])
				printf(" %12.0f", (double)k[a].insns[op] / (double)k[a].count[op]);
			else
				printf(" %12s", "-");
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	if (!bench_args(argc, argv))
		return 2;
	bench_text("core-diff streams: %d operations (seed %d, kmod-corpus module sizes; ~57%% lookups), placement policy kernel;\n"
	       "ops/s from process CPU time\n",
	       NOPS, SEED);
	bench_text("%-9s %-19s %-7s %12s %12s %11s %12s %10s %6s\n", "arch", "map", "bounds", "host ops/s", "guest ops/s",
	       "host/guest", "guest ins/op", "guest MIPS", "diffs");
	for (size_t a = 0; a < mb_narches; a++) {
		const struct mb_arch *arch = mb_arches[a];
		bench_map(arch, arch->maps[0], "kernel");
		bench_map(arch, arch->maps[0], "split");
	}
	print_per_kind();
	return 0;
}
