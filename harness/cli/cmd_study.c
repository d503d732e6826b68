/* modbed study builtin FILE...|DIR|modules.list: the 2012 "pre-linked
 * modules" questions (issue 13) over one module set, every placement side by
 * side: kernel, packed, builtin --pack page|cacheline|section, each builtin
 * also with --compact, at seeded expunge rates of 10, 30 and 50 %. Each run
 * boots the set (harness/session/boot.h) with no code run: an init that is
 * not injected succeeds (its init memory is freed); after boot the expunged
 * files are loaded again (--then), as drivers whose hardware turns up later. */
#include "harness/session/account.h"
#include "harness/session/boot.h"
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"
#include "harness/session/kernel_pick.h"
#include "harness/load/loader.h"
#include "harness/load/modpath.h"
#include "harness/load/space.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct config {
	const char *policy, *pack;
	bool compact;
};
static const struct config configs[] = {
	{ "kernel", NULL, false },        { "packed", NULL, false },
	{ "builtin", "page", false },     { "builtin", "page", true },
	{ "builtin", "cacheline", false }, { "builtin", "cacheline", true },
	{ "builtin", "section", false },  { "builtin", "section", true },
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))
static const uint64_t rates[] = { 10, 30, 50 };
#define NRATES (sizeof(rates) / sizeof(rates[0]))

struct run {
	struct mb_boot_stats st;
	struct mb_account final;
};

struct study_ctx {
	struct mb_modpath *mp;
	struct mb_loader *l;
	const struct mb_boot_stats *st;
};

/* modprobe's rule under insmod order: a provider whose init failed is not
 * loaded again for the next module that needs it; that module fails */
static int st_load_one(void *ctx, const char *path, struct mb_loaded_module **out, struct mb_err *err)
{
	struct study_ctx *c = ctx;
	char name[64];
	mb_boot_modname(path, name, sizeof(name));
	if (!c->st->booted && mb_boot_gone(c->st, name))
		return mb_fail(err, path, NULL, "provider %s was expunged", name);
	return mb_load_file(c->l, path, out, err);
}

static void st_unload_one(void *ctx, struct mb_loaded_module *mod)
{
	struct study_ctx *c = ctx;
	struct mb_err ignored;
	mb_unload_module(c->l, mod, &ignored);
}

static int st_link(void *ctx, const char *path, struct mb_err *err)
{
	struct study_ctx *c = ctx;
	const struct mb_modpath_loader how = { c, st_load_one, st_unload_one };
	return mb_modpath_load(c->mp, c->l, path, &how, NULL, NULL, err);
}

static int st_init(void *ctx, struct mb_loaded_module *mod, bool run, struct mb_err *err)
{
	(void)run;
	(void)err;
	struct study_ctx *c = ctx;
	mb_module_free_init(c->l, mod); /* no code runs: as --skip-init */
	return 0;
}

static void st_drop(void *ctx, struct mb_loaded_module *mod)
{
	struct study_ctx *c = ctx;
	struct mb_err ignored;
	mb_unload_module(c->l, mod, &ignored);
}

static int one_run(struct mb_modpath *mp, const char *const *paths, size_t n, const struct mb_arch *arch,
		   const struct mb_map *map, const struct mb_kver *kver, const struct mb_cli *cli,
		   const struct config *cf, uint64_t rate, struct run *r, struct mb_err *err)
{
	struct mb_space space;
	mb_space_init(&space, map->page_size);
	struct mb_list_provider kernel;
	static const char *const names[] = { "__per_cpu_start" };
	const uint64_t addrs[] = { map->kernel_base + map->kernel_size / 2 };
	mb_list_provider_init(&kernel, names, addrs, 1, map->kernel_base, map->kernel_size / 2, 16);
	struct mb_loader l;
	struct mb_loader_config cfg = { .arch = arch, .map = map, .policy = cf->policy, .pack = cf->pack,
					.kernel = &kernel.ops, .kver = kver };
	int rc = -1;
	if (mb_loader_init(&l, &cfg, &space, err) != 0)
		goto out;
	struct study_ctx c = { mp, &l, &r->st };
	const struct mb_boot_driver d = { &c, &l, st_link, st_init, st_drop };
	const struct mb_boot_plan p = { .paths = paths, .npaths = n, .rate_set = true, .rate = rate,
					.seed = cli->seed, .compact = cf->compact, .keep_going = true,
					.then_picked = true };
	rc = mb_boot_run(&d, &p, &r->st, err);
	if (rc == 0 && mb_account(&l, r->st.holes, r->st.nholes, &r->final) != 0)
		rc = mb_fail(err, NULL, NULL, "out of memory");
	mb_loader_fini(&l);
out:
	mb_list_provider_fini(&kernel);
	mb_space_fini(&space);
	return rc;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t s = 0;
	for (unsigned c = 0; c < MB_NPCLASS; c++)
		s += v[c];
	return s;
}

static void label(char *buf, size_t n, const struct config *cf)
{
	snprintf(buf, n, "%s%s%s%s", cf->policy, cf->pack ? " " : "", cf->pack ? cf->pack : "",
		 cf->compact ? " +compact" : "");
}

static void print_json(struct mb_json *j, const struct config *cf, uint64_t rate, const struct run *r)
{
	mb_json_object(j, NULL);
	mb_json_str(j, "policy", cf->policy);
	mb_json_str(j, "pack", cf->pack);
	mb_json_bool(j, "compact", cf->compact);
	mb_json_u64(j, "expunge_rate", rate);
	mb_account_json(j, &r->final);
	mb_boot_json(j, &r->st);
	mb_json_end(j);
}

static void print_row(const struct config *cf, uint64_t rate, const struct run *r)
{
	char name[48];
	label(name, sizeof(name), cf);
	const struct mb_account *e = &r->st.after_expunge;
	const struct mb_account *f = &r->final;
	printf("%-26s %3llu%% %5zu %9.2f %9.2f %5llu %5llu %5llu %4llu/%-6llu %9.2f %9.2f %9.2f %5llu %4llu/%-6llu",
	       name, (unsigned long long)rate, r->st.gone, (double)sum(e->used) / 1048576.0,
	       (double)sum(e->padding) / 1048576.0, (unsigned long long)e->large_touched,
	       (unsigned long long)e->large_split, (unsigned long long)e->large_split_hole,
	       (unsigned long long)e->text_large_entries, (unsigned long long)e->text_small_entries,
	       (double)e->hole_bytes / 1048576.0, (double)r->st.then_reused / 1048576.0,
	       (double)r->final.hole_bytes / 1048576.0, (unsigned long long)f->large_split,
	       (unsigned long long)f->text_large_entries, (unsigned long long)f->text_small_entries);
	if (r->st.compacted)
		printf(" %9llu %8.1f", (unsigned long long)r->st.compact_relocs, (double)r->st.compact_ns / 1e6);
	printf("\n");
}

/* The files of the set: one directory (every module under it), one
 * modules.list (paths relative to its directory or its modules/), or files. */
static int collect(const struct mb_cli *cli, struct mb_modpath *mp, const char ***paths, size_t *n,
		   char **dir_out, struct mb_err *err)
{
	struct stat sb;
	const char *first = cli->paths[0];
	size_t len = strlen(first);
	*dir_out = NULL;
	if (cli->npaths == 1 && stat(first, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*paths = malloc((mp->nmods ? mp->nmods : 1) * sizeof(**paths));
		if (!*paths)
			return mb_fail(err, NULL, NULL, "out of memory");
		for (size_t i = 0; i < mp->nmods; i++)
			(*paths)[i] = mp->mods[i].path;
		*n = mp->nmods;
		return 0;
	}
	if (cli->npaths == 1 && len > 5 && strcmp(first + len - 5, ".list") == 0) {
		FILE *f = fopen(first, "r");
		if (!f)
			return mb_fail(err, first, NULL, "cannot read the module list");
		char line[1024];
		size_t cap = 0;
		*paths = NULL;
		*n = 0;
		const char *slash = strrchr(first, '/');
		int dlen = slash ? (int)(slash - first) : 1;
		const char *dbase = slash ? first : ".";
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!line[0])
				continue;
			char buf[2200];
			snprintf(buf, sizeof(buf), "%.*s/%s", dlen, dbase, line);
			if (stat(buf, &sb) != 0)
				snprintf(buf, sizeof(buf), "%.*s/modules/%s", dlen, dbase, line);
			if (*n == cap) {
				cap = cap ? 2 * cap : 256;
				const char **v = realloc(*paths, cap * sizeof(*v));
				if (!v) {
					fclose(f);
					return mb_fail(err, NULL, NULL, "out of memory");
				}
				*paths = v;
			}
			if (!((*paths)[(*n)++] = strdup(buf))) {
				fclose(f);
				return mb_fail(err, NULL, NULL, "out of memory");
			}
		}
		fclose(f);
		*dir_out = (char *)1; /* the paths are ours to free */
		return 0;
	}
	*paths = malloc(cli->npaths * sizeof(**paths));
	if (!*paths)
		return mb_fail(err, NULL, NULL, "out of memory");
	for (size_t i = 0; i < cli->npaths; i++)
		(*paths)[i] = cli->paths[i];
	*n = cli->npaths;
	return 0;
}

int cmd_study(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_JSON | MB_OPT_SEED | MB_OPT_PATHS | MB_OPT_KERNEL) != 0)
		return MB_EXIT_USAGE;
	if (cli->npaths < 2 || strcmp(cli->paths[0], "builtin") != 0) {
		mb_errorf("usage: study builtin FILE...|DIR|modules.list [--arch A] [--map M] [--kernel V] [--seed S] [--json]");
		return MB_EXIT_USAGE;
	}
	struct mb_cli sub = *cli;
	sub.paths = cli->paths + 1;
	sub.npaths = cli->npaths - 1;
	struct mb_err err = { "" };
	/* the index of providers: the directory, the list's directory, or the files' */
	char dir[1024];
	struct stat sb;
	const char *first = sub.paths[0];
	size_t flen = strlen(first);
	bool one_dir = stat(first, &sb) == 0 && S_ISDIR(sb.st_mode);
	bool list = sub.npaths == 1 && flen > 5 && strcmp(first + flen - 5, ".list") == 0;
	/* Files named one by one must be there: a study of nothing says so. */
	for (size_t i = 0; !one_dir && !list && i < sub.npaths; i++)
		if (stat(sub.paths[i], &sb) != 0) {
			mb_errorf("%s: cannot open: %s", sub.paths[i], strerror(errno));
			return MB_EXIT_ERROR;
		}
	if (one_dir) {
		snprintf(dir, sizeof(dir), "%s", first);
	} else {
		const char *slash = strrchr(first, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - first) : 1, slash ? first : ".");
	}
	const struct mb_arch *arch = NULL;
	if (sub.arch && !(arch = mb_arch_by_name(sub.arch))) {
		mb_errorf("usage: unknown arch '%s'", sub.arch);
		return MB_EXIT_USAGE;
	}
	struct mb_modpath mp;
	const char *dirs[1] = { dir };
	int orc = mb_modpath_open(&mp, dirs, 1, arch, false, &err);
	if (orc == 0 && mp.nmods == 0)
		mb_modpath_close(&mp);
	if (orc != 0 || mp.nmods == 0) {
		mb_errorf("%s: no modules of a known arch", dir);
		return MB_EXIT_ERROR;
	}
	arch = mp.arch;
	const char **paths = NULL;
	size_t n = 0;
	char *owned = NULL;
	int status = MB_EXIT_ERROR;
	struct run *runs = NULL;
	if (collect(&sub, &mp, &paths, &n, &owned, &err) != 0) {
		mb_report(&err);
		goto out;
	}
	struct mb_kernel_pick kpick;
	if (mb_kernel_pick(&kpick, sub.kernel, n ? paths[0] : NULL) != MB_EXIT_OK)
		goto out;
	const struct mb_map *map = mb_kernel_pick_map(&kpick, arch, sub.map);
	if (!map) {
		mb_errorf("usage: arch %s has no map '%s' (see modbed maps)", arch->name, sub.map);
		status = MB_EXIT_USAGE;
		goto out;
	}
	runs = calloc(NCONFIGS * NRATES, sizeof(*runs));
	if (!runs)
		goto out;
	for (size_t c = 0; c < NCONFIGS; c++)
		for (size_t k = 0; k < NRATES; k++)
			if (one_run(&mp, paths, n, arch, map, kpick.kver, &sub, &configs[c], rates[k], &runs[c * NRATES + k],
				    &err) != 0) {
				mb_report(&err);
				goto out;
			}
	if (cli->json) {
		struct mb_json j;
		mb_json_begin_report(&j, stdout, arch->name, map->name);
		mb_json_u64(&j, "files", n);
		mb_json_u64(&j, "seed", sub.seed);
		mb_json_array(&j, "runs");
		for (size_t i = 0; i < NCONFIGS * NRATES; i++)
			print_json(&j, &configs[i / NRATES], rates[i % NRATES], &runs[i]);
		mb_json_end(&j);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		printf("study builtin: %zu %s files (map %s, page %llu, large page %llu), seed %llu; linked %zu\n", n,
		       arch->name, map->name, (unsigned long long)runs[0].final.page_size,
		       (unsigned long long)runs[0].final.large_page_size, (unsigned long long)sub.seed,
		       runs[0].st.linked);
		printf("after the inits: modules expunged (picked + importing), used and padding MiB, large pages touched / split /\n"
		       "split by holes, text entries large/small, MiB in holes; then (the expunged files again): MiB reused;\n"
		       "at the end (after --compact and then): MiB in holes, large pages split, text entries; compact: relocations, ms\n");
		printf("%-26s %4s %5s %9s %9s %5s %5s %5s %11s %9s %9s %9s %5s %11s %9s %8s\n", "policy", "exp", "gone", "used",
		       "padding", "large", "split", "hole", "text l/s", "holes", "reused", "holes end", "split", "text l/s",
		       "relocs", "ms");
		for (size_t i = 0; i < NCONFIGS * NRATES; i++)
			print_row(&configs[i / NRATES], rates[i % NRATES], &runs[i]);
	}
	status = MB_EXIT_OK;
out:
	for (size_t i = 0; runs && i < NCONFIGS * NRATES; i++)
		mb_boot_stats_free(&runs[i].st);
	free(runs);
	if (owned)
		for (size_t i = 0; i < n; i++)
			free((char *)paths[i]);
	free(paths);
	mb_modpath_close(&mp);
	return status;
}
