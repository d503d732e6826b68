#include "harness/util/cli.h"
#include "harness/util/diag.h"

#include "core/lookup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool mb_parse_u64(const char *s, uint64_t *out)
{
	if (s == NULL || *s == '\0')
		return false;
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	/* strtoull itself would skip blanks and take a sign: " -5" is not -5. */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end != '\0')
		return false;
	*out = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return true;
}

bool mb_parse_count(const char *s, uint64_t *out)
{
	return s && s[0] != '-' && mb_parse_u64(s, out);
}

struct opt {
	const char *name;
	unsigned flag;
	int kind; /* 0: flag, 1: string, 2: u64 */
	size_t off;
};

#define STR(field, flag) { "--" #field, flag, 1, offsetof(struct mb_cli, field) }
static const struct opt opts[] = {
	{ "--arch", MB_OPT_ARCH, 1, offsetof(struct mb_cli, arch) },
	{ "--map", MB_OPT_MAP, 1, offsetof(struct mb_cli, map) },
	{ "--policy", MB_OPT_POLICY, 1, offsetof(struct mb_cli, policy) },
	{ "--pack", MB_OPT_POLICY, 1, offsetof(struct mb_cli, pack) },
	{ "--bounds", MB_OPT_BOUNDS, 1, offsetof(struct mb_cli, bounds) },
	{ "--tree", MB_OPT_BOUNDS, 1, offsetof(struct mb_cli, tree) },
	{ "--json", MB_OPT_JSON, 0, offsetof(struct mb_cli, json) },
	{ "--seed", MB_OPT_SEED, 2, offsetof(struct mb_cli, seed) },
	{ "--dump", MB_OPT_DUMP, 1, offsetof(struct mb_cli, dump) },
	{ "--no-init", MB_OPT_NO_INIT, 0, offsetof(struct mb_cli, no_init) },
	{ "--skip-init", MB_OPT_SKIP_INIT, 0, offsetof(struct mb_cli, skip_init) },
	{ "--strict-symbols", MB_OPT_STRICT, 0, offsetof(struct mb_cli, strict_symbols) },
	{ "--gdb", MB_OPT_GDB, 1, offsetof(struct mb_cli, gdb) },
	{ "--gdb-any-address", MB_OPT_GDB, 0, offsetof(struct mb_cli, gdb_any_addr) },
	{ "--budget", MB_OPT_BUDGET, 2, offsetof(struct mb_cli, budget) },
	{ "--timeout", MB_OPT_TIMEOUT, 2, offsetof(struct mb_cli, timeout_ms) },
	{ "--ops", MB_OPT_OPS, 2, offsetof(struct mb_cli, ops) },
	{ "--output", MB_OPT_TRACE, 1, offsetof(struct mb_cli, output) },
	{ "--filter", MB_OPT_TRACE, 1, offsetof(struct mb_cli, filter) },
	{ "--calls", MB_OPT_TRACE, 0, offsetof(struct mb_cli, calls_only) },
	{ "--jsonl", MB_OPT_TRACE, 0, offsetof(struct mb_cli, trace_json) },
	{ "--mem", MB_OPT_TRACE, 0, offsetof(struct mb_cli, trace_mem) },
	{ "--start", MB_OPT_TRACE, 1, offsetof(struct mb_cli, start_addr) },
	{ "--stop", MB_OPT_TRACE, 1, offsetof(struct mb_cli, stop_addr) },
	{ "--record", MB_OPT_RECORD, 1, offsetof(struct mb_cli, record) },
	{ "--show", MB_OPT_RECORD, 1, offsetof(struct mb_cli, show) },
	{ "--kallsyms", MB_OPT_KALLSYMS, 1, offsetof(struct mb_cli, kallsyms) },
	{ "--jobs", MB_OPT_MATRIX, 2, offsetof(struct mb_cli, jobs) },
	{ "-j", MB_OPT_MATRIX, 2, offsetof(struct mb_cli, jobs) },
	{ "--junit", MB_OPT_MATRIX, 1, offsetof(struct mb_cli, junit) },
	{ "--spec", MB_OPT_MATRIX, 1, offsetof(struct mb_cli, spec) },
	{ "--ktap-dir", MB_OPT_MATRIX, 1, offsetof(struct mb_cli, ktap_dir) },
	{ "--kernel", MB_OPT_KERNEL, 1, offsetof(struct mb_cli, kernel) },
	{ "--svg", MB_OPT_SVG, 1, offsetof(struct mb_cli, svg) },
	{ "--kernel-config", MB_OPT_KCONFIG, 1, offsetof(struct mb_cli, kernel_config) },
	{ "--fail", MB_OPT_BOOT, 1, offsetof(struct mb_cli, fail) },
	{ "--fail-rate", MB_OPT_BOOT, 2, offsetof(struct mb_cli, fail_rate) },
	{ "--compact", MB_OPT_BOOT, 0, offsetof(struct mb_cli, compact) },
	/* a marker: the file arguments after it load after boot */
	{ "--then", MB_OPT_BOOT, 3, offsetof(struct mb_cli, then_set) },
	/* the same commands: both describe the booted kernel */
	{ "--system-map", MB_OPT_KCONFIG, 1, offsetof(struct mb_cli, system_map) },
};
#undef STR

static unsigned given_flags(const struct mb_cli *cli);

int mb_cli_parse(struct mb_cli *cli, int argc, char **argv, int first)
{
	memset(cli, 0, sizeof(*cli));
	cli->paths = (const char *const *)(argv + first);
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			cli->rest = argv + i + 1;
			cli->nrest = argc - i - 1;
			return 0;
		}
		if (strcmp(a, "--modpath") == 0) {
			if (i + 1 >= argc) {
				mb_errorf("usage: --modpath needs a directory");
				return -1;
			}
			if (cli->nmodpath == sizeof(cli->modpath) / sizeof(cli->modpath[0])) {
				mb_errorf("usage: too many --modpath options");
				return -1;
			}
			cli->modpath[cli->nmodpath++] = argv[++i];
			continue;
		}
		if (strncmp(a, "--", 2) == 0 || strcmp(a, "-j") == 0) {
			const struct opt *o = NULL;
			for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (strcmp(opts[k].name, a) == 0)
					o = &opts[k];
			if (o == NULL) {
				mb_errorf("usage: unknown option %s (see modbed --help)", a);
				return -1;
			}
			char *field = (char *)cli + o->off;
			if (o->kind == 3) {
				cli->then_set = true;
				cli->then_from = cli->npaths;
				continue;
			}
			if (o->kind == 0) {
				*(bool *)field = true;
				continue;
			}
			if (i + 1 >= argc) {
				mb_errorf("usage: %s needs a value", a);
				return -1;
			}
			const char *v = argv[++i];
			if (o->kind == 1) {
				*(const char **)field = v;
			} else {
				uint64_t n;
				if (o->flag == MB_OPT_BUDGET && strcmp(v, "none") == 0)
					n = UINT64_MAX;   /* no instruction budget (MB_NO_BUDGET) */
				else if (!mb_parse_count(v, &n)) {
					mb_errorf("usage: %s takes a non-negative integer, not '%s'", a, v);
					return -1;
				}
				*(uint64_t *)field = n;
				if (o->flag == MB_OPT_SEED)
					cli->seed_set = true;
				if (o->off == offsetof(struct mb_cli, fail_rate))
					cli->fail_rate_set = true;
			}
			continue;
		}
		argv[first + (int)cli->npaths++] = (char *)a; /* slot <= i: already read */
	}
	return 0;
}

static unsigned given_flags(const struct mb_cli *cli)
{
	unsigned f = 0;
	if (cli->arch) f |= MB_OPT_ARCH;
	if (cli->map) f |= MB_OPT_MAP;
	if (cli->policy || cli->pack) f |= MB_OPT_POLICY;
	if (cli->bounds || cli->tree) f |= MB_OPT_BOUNDS;
	if (cli->json) f |= MB_OPT_JSON;
	if (cli->seed_set) f |= MB_OPT_SEED;
	if (cli->dump) f |= MB_OPT_DUMP;
	if (cli->no_init) f |= MB_OPT_NO_INIT;
	if (cli->skip_init) f |= MB_OPT_SKIP_INIT;
	if (cli->strict_symbols) f |= MB_OPT_STRICT;
	if (cli->nmodpath) f |= MB_OPT_MODPATH;
	if (cli->gdb || cli->gdb_any_addr) f |= MB_OPT_GDB;
	if (cli->budget) f |= MB_OPT_BUDGET;
	if (cli->timeout_ms) f |= MB_OPT_TIMEOUT;
	if (cli->ops) f |= MB_OPT_OPS;
	if (cli->output || cli->filter || cli->calls_only || cli->trace_json || cli->trace_mem ||
	    cli->start_addr || cli->stop_addr)
		f |= MB_OPT_TRACE;
	if (cli->record || cli->show) f |= MB_OPT_RECORD;
	if (cli->kallsyms) f |= MB_OPT_KALLSYMS;
	if (cli->jobs || cli->junit || cli->spec || cli->ktap_dir) f |= MB_OPT_MATRIX;
	if (cli->kernel) f |= MB_OPT_KERNEL;
	if (cli->svg) f |= MB_OPT_SVG;
	if (cli->kernel_config || cli->system_map) f |= MB_OPT_KCONFIG;
	if (cli->fail || cli->fail_rate_set || cli->compact || cli->then_set) f |= MB_OPT_BOOT;
	if (cli->npaths) f |= MB_OPT_PATHS;
	if (cli->rest) f |= MB_OPT_REST;
	return f;
}

int mb_cli_reject(const struct mb_cli *cli, unsigned allowed)
{
	unsigned extra = given_flags(cli) & ~allowed;
	if (extra == 0)
		return 0;
	if (extra & MB_OPT_PATHS)
		mb_errorf("usage: '%s' takes no file arguments", cli->cmd);
	else if (extra & MB_OPT_REST)
		mb_errorf("usage: '%s' takes nothing after --", cli->cmd);
	else
		mb_errorf("usage: an option given is not one '%s' takes (see modbed --help)", cli->cmd);
	return -1;
}

int mb_cli_check_tree(const struct mb_cli *cli, bool allow_all)
{
	if (cli->tree == NULL || mb_tree_parse(cli->tree) >= 0 || (allow_all && strcmp(cli->tree, "all") == 0))
		return 0;
	mb_errorf("usage: unknown lookup tree '%s' (%s, %s%s)", cli->tree, mb_tree_name(MB_TREE_FAST),
		  mb_tree_name(MB_TREE_RBTREE), allow_all ? ", all" : "");
	return -1;
}
