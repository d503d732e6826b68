/* modbed core-diff: the same seeded operation stream through the host core
 * and the core running on the emulated CPU, every result compared. */
#include "harness/cli/commands.h"
#include "harness/corediff/coreops.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "core/kver.h"
#include "core/lookup.h"
#include "core/opstream.h"
#include "core/place.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_OPS 10000
#define EDGE32 "edge32"


struct totals {
	size_t runs, ops, ndiff, errors;
};

/* The names an option selects: the one given, every one for "all" (as
 * name(0), name(1), ... gives them), or the default name(0). */
static size_t select_names(const char *given, const char *(*name)(int), size_t nall, const char **out)
{
	if (given && strcmp(given, "all") == 0) {
		for (size_t i = 0; i < nall; i++)
			out[i] = name((int)i);
		return nall;
	}
	out[0] = given ? given : name(0);
	return 1;
}

static const char *policy_name(int i)
{
	return mb_policy_name((enum mb_policy)i);
}

static const char *bounds_name(int i)
{
	return mb_bounds_name((enum mb_bounds)i);
}

static const char *tree_name(int i)
{
	return mb_tree_name((enum mb_tree_kind)i);
}

static void json_first(struct mb_json *j, const struct mb_corestream *s, const uint8_t *res, size_t len,
		       const struct mb_corediff *d)
{
	static struct mb_coreops_first first;
	mb_coreops_format_first(s, res, len, d, &first);
	mb_json_object(j, "first");
	mb_json_u64(j, "index", d->first);
	mb_json_str(j, "op", first.op);
	mb_json_str(j, "host", first.host);
	mb_json_str(j, "guest", first.has_guest ? first.guest : NULL);
	mb_json_end(j);
}

/* One stream: generate (host core), run on the guest, compare, print. */
static void run_one(struct mb_coreguest *g, const struct mb_arch *arch, const struct mb_corescenario *sc,
		    const char *policy, const char *bounds, const char *tree, const struct mb_cli *cli,
		    struct mb_json *j, struct totals *tot)
{
	uint64_t seed = cli->seed_set ? cli->seed : 1;
	size_t nops = cli->ops ? (size_t)cli->ops : DEFAULT_OPS;
	struct mb_err err;
	struct mb_corestream s;
	double t0 = mb_coreops_cpu_seconds();
	if (mb_coregen(sc, seed, nops, &s, &err) != 0) {
		mb_report(&err);
		tot->errors++;
		return;
	}
	double host_s = mb_coreops_cpu_seconds() - t0;
	uint8_t *res;
	size_t len;
	struct mb_coreguest_stats gs;
	if (mb_coreguest_run(g, &s, &res, &len, &gs, &err) != 0) {
		mb_report(&err);
		tot->errors++;
		mb_corestream_free(&s);
		return;
	}
	struct mb_corediff d;
	mb_coreops_compare(&s, res, len, &d);
	tot->runs++;
	tot->ops += d.nops;
	tot->ndiff += d.ndiff;
	double rate = gs.seconds > 0 ? (double)s.nops / gs.seconds : 0;
	if (j) {
		mb_json_object(j, NULL);
		mb_json_str(j, "arch", arch->name);
		mb_json_str(j, "map", sc->name);
		mb_json_str(j, "policy", policy);
		mb_json_str(j, "bounds", bounds);
		mb_json_str(j, "tree", tree);
		mb_json_u64(j, "seed", seed);
		mb_json_u64(j, "ops", s.nops);
		mb_json_u64(j, "differences", d.ndiff);
		mb_json_u64(j, "guest_insns", gs.insns);
		mb_json_u64(j, "guest_ops_per_s", (uint64_t)rate);
		if (d.ndiff)
			json_first(j, &s, res, len, &d);
		mb_json_end(j);
	} else {
		printf("%-9s %-19s policy=%-6s bounds=%-7s tree=%-6s seed=%" PRIu64 ": %zu ops, %zu differences "
		       "(guest %.2f s CPU, %.1f M insns, %.0f ops/s; host core and generator %.3f s)\n",
		       arch->name, sc->name, policy, bounds, tree, seed, s.nops, d.ndiff, gs.seconds, (double)gs.insns / 1e6,
		       rate, host_s);
		mb_coreops_report(stdout, &s, res, len, &d, 10);
	}
	free(res);
	mb_corestream_free(&s);
}

/* Every selected policy, bounds and tree on one map (or the edge scenario), with
 * one guest machine. */
static void run_map(const struct mb_arch *arch, const struct mb_map *map, bool edge32, const struct mb_cli *cli,
		    struct mb_json *j, struct totals *tot)
{
	char path[4096];
	mb_coreguest_default_path(arch, path, sizeof(path));
	struct mb_err err;
	struct mb_coreguest *g;
	/* The edge scenario's windows are numbers for the core, not guest
	 * memory: the machine uses the arch's default map. */
	const struct mb_map *machine_map = edge32 ? arch->maps[0] : map;
	if (mb_coreguest_open(&g, arch, machine_map, path, &err) != 0) {
		mb_report(&err);
		tot->errors++;
		return;
	}
	const char *policies[MB_NPOLICIES], *bounds[MB_NBOUNDS], *trees[MB_NTREES];
	size_t np = select_names(cli->policy, policy_name, MB_NPOLICIES, policies);
	size_t nb = select_names(cli->bounds, bounds_name, MB_NBOUNDS, bounds);
	size_t nt = select_names(cli->tree, tree_name, MB_NTREES, trees);
	for (size_t p = 0; p < np; p++)
		for (size_t b = 0; b < nb; b++)
			for (size_t t = 0; t < nt; t++) {
				struct mb_corescenario sc;
				int rc = edge32 ? mb_corescenario_edge32(&sc, arch, policies[p], bounds[b], trees[t], &err)
						: mb_corescenario_from_map(&sc, arch, map, policies[p], bounds[b], trees[t],
									   &err);
				if (rc != 0) {
					mb_report(&err);
					tot->errors++;
					continue;
				}
				/* --kernel: both cores follow that rule set (default latest) */
				if (cli->kernel)
					sc.layout_flags |= (unsigned)(mb_kver_lookup(cli->kernel) - mb_kvers + 1)
							   << MB_OPS_LAYOUT_KVER_SHIFT;
				run_one(g, arch, &sc, policies[p], bounds[b], trees[t], cli, j, tot);
			}
	mb_coreguest_close(g);
}

static int usage_check(const struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_OPS | MB_OPT_SEED |
				       MB_OPT_JSON | MB_OPT_KERNEL) != 0)
		return -1;
	if (cli->kernel && !mb_kver_lookup(cli->kernel)) {
		mb_errorf("usage: --kernel '%s': no modelled rule set at or below it", cli->kernel);
		return -1;
	}
	if (cli->policy && strcmp(cli->policy, "all") != 0 && mb_policy_parse(cli->policy) < 0) {
		mb_errorf("usage: unknown placement policy '%s' (kernel, packed, builtin, all)", cli->policy);
		return -1;
	}
	if (cli->bounds && strcmp(cli->bounds, "all") != 0 && mb_bounds_parse(cli->bounds) < 0) {
		mb_errorf("usage: unknown bounds policy '%s' (kernel, split, pertype, all)", cli->bounds);
		return -1;
	}
	if (mb_cli_check_tree(cli, true) != 0)
		return -1;
	if (cli->arch && strcmp(cli->arch, "all") != 0 && !mb_arch_by_name(cli->arch)) {
		mb_errorf("usage: unknown arch '%s' (x86_64, arm64, powerpc32, all)", cli->arch);
		return -1;
	}
	return 0;
}

int cmd_core_diff(struct mb_cli *cli)
{
	if (usage_check(cli) != 0)
		return MB_EXIT_USAGE;
	struct totals tot = { 0, 0, 0, 0 };
	struct mb_json json, *j = NULL;
	if (cli->json) {
		j = &json;
		mb_json_init(j, stdout, false);
		mb_json_object(j, NULL);
		mb_json_array(j, "runs");
	}
	bool all_arches = !cli->arch || strcmp(cli->arch, "all") == 0;
	for (size_t a = 0; a < mb_narches; a++) {
		const struct mb_arch *arch = mb_arches[a];
		if (!all_arches && strcmp(cli->arch, arch->name) != 0)
			continue;
		const char *m = cli->map;
		bool every = !m || strcmp(m, "all") == 0;
		if (m && !every && strcmp(m, EDGE32) != 0 && !mb_arch_map(arch, m)) {
			if (!all_arches) {
				mb_errorf("usage: %s has no map '%s' (see modbed maps; or %s, all)", arch->name, m, EDGE32);
				return MB_EXIT_USAGE;
			}
			continue;
		}
		for (size_t i = 0; i < arch->nmaps; i++)
			if (every || strcmp(m, arch->maps[i]->name) == 0)
				run_map(arch, arch->maps[i], false, cli, j, &tot);
		if (every || strcmp(m, EDGE32) == 0)
			run_map(arch, NULL, true, cli, j, &tot);
	}
	if (j) {
		mb_json_end(j);
		mb_json_u64(j, "total_ops", tot.ops);
		mb_json_u64(j, "differences", tot.ndiff);
		mb_json_u64(j, "errors", tot.errors);
		mb_json_end(j);
		mb_json_finish(j);
	} else {
		printf("core-diff: %zu runs, %zu operations, %zu differences%s\n", tot.runs, tot.ops, tot.ndiff,
		       tot.errors ? ", with errors (above)" : "");
	}
	if (tot.runs == 0 && tot.errors == 0) {
		mb_errorf("core-diff: no map of the selected arches is named '%s'", cli->map ? cli->map : "");
		return MB_EXIT_USAGE;
	}
	return tot.ndiff || tot.errors ? MB_EXIT_ERROR : MB_EXIT_OK;
}
