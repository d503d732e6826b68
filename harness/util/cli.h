/* Command-line options shared by every command (DESIGN.md, command-line
 * contract). One parser for all commands; each command checks the options it
 * does not take with mb_cli_reject(). */
#ifndef MODBED_CLI_H
#define MODBED_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_cli {
	const char *cmd;
	const char *arch;        /* --arch, NULL if not given */
	const char *map;         /* --map */
	const char *policy;      /* --policy (placement) */
	const char *pack;        /* --pack (builtin granularity) */
	const char *bounds;      /* --bounds (lookup) */
	const char *tree;        /* --tree fast|rbtree (lookup; core-diff also all) */
	bool json;               /* --json */
	bool seed_set;
	uint64_t seed;           /* --seed (KASLR-style randomisation, random streams) */
	const char *dump;        /* --dump DIR */
	bool no_init;            /* --no-init */
	bool skip_init;          /* --skip-init: init not run, the module goes on as after a successful one */
	bool strict_symbols;     /* --strict-symbols */
	const char *modpath[8];  /* --modpath DIR (repeatable) */
	size_t nmodpath;
	const char *gdb;         /* --gdb HOST:PORT */
	bool gdb_any_addr;       /* --gdb-any-address */
	uint64_t budget;         /* --budget N instructions per call (0: default; none: UINT64_MAX) */
	uint64_t timeout_ms;     /* --timeout MS per call (0: default) */
	uint64_t ops;            /* --ops N (core-diff) */
	const char *output;      /* --output FILE (trace) */
	const char *filter;      /* --filter MODULE[:FUNC] (trace) */
	bool calls_only;         /* --calls (trace) */
	bool trace_json;         /* --jsonl (trace) */
	bool trace_mem;          /* --mem (trace: memory accesses per instruction) */
	const char *start_addr;  /* --start ADDR (trace) */
	const char *stop_addr;   /* --stop ADDR (trace) */
	const char *record;      /* --record FILE (trace: a recording instead of a trace) */
	const char *show;        /* --show FILE (trace: render a recording) */
	const char *kallsyms;    /* --kallsyms off|text|all (load: layout_symtab copies) */
	/* matrix */
	uint64_t jobs;           /* -j N / --jobs N: cells at once */
	const char *junit;       /* --junit FILE */
	const char *spec;        /* --spec FILE: call checks with expected results */
	const char *ktap_dir;    /* --ktap-dir DIR: one KTAP file per cell */
	const char *kernel;      /* --kernel VERSION|latest (the rule set; default: vermagic) */
	const char *svg;         /* --svg FILE (map) */
	const char *kernel_config; /* --kernel-config FILE (the kernel's .config) */
	/* boot (harness/session/boot.h) */
	const char *fail;        /* --fail MOD,...: these inits fail */
	uint64_t fail_rate;      /* --fail-rate P: P % of the boot set's inits fail (seeded) */
	bool fail_rate_set;
	bool compact;            /* --compact */
	bool then_set;           /* --then: the paths from then_from on load after boot */
	size_t then_from;
	const char *system_map;    /* --system-map FILE (the kernel's System.map) */

	/* Positional arguments before "--", as many as given: the parser
	 * gathers them at the front of argv[first..] (every slot it writes was
	 * already read), so there is no fixed limit and nothing to free. */
	const char *const *paths;
	size_t npaths;
	char **rest;             /* everything after the first "--" */
	int nrest;
};

/* Parses argv[first..argc). Returns 0, or prints a usage error and returns -1. */
int mb_cli_parse(struct mb_cli *cli, int argc, char **argv, int first);

/* Bit flags naming options, for mb_cli_reject. MB_OPT_BOUNDS stands for the
 * whole lookup choice, --bounds and --tree: a command takes both or neither. */
enum {
	MB_OPT_ARCH = 1u << 0, MB_OPT_MAP = 1u << 1, MB_OPT_POLICY = 1u << 2,
	MB_OPT_BOUNDS = 1u << 3, MB_OPT_JSON = 1u << 4, MB_OPT_SEED = 1u << 5,
	MB_OPT_DUMP = 1u << 6, MB_OPT_NO_INIT = 1u << 7, MB_OPT_STRICT = 1u << 8,
	MB_OPT_MODPATH = 1u << 9, MB_OPT_GDB = 1u << 10, MB_OPT_BUDGET = 1u << 11,
	MB_OPT_TIMEOUT = 1u << 12, MB_OPT_OPS = 1u << 13, MB_OPT_TRACE = 1u << 14,
	MB_OPT_PATHS = 1u << 15, MB_OPT_REST = 1u << 16, MB_OPT_KALLSYMS = 1u << 17,
	MB_OPT_KERNEL = 1u << 18, MB_OPT_SKIP_INIT = 1u << 19, MB_OPT_MATRIX = 1u << 20,
	MB_OPT_RECORD = 1u << 21, MB_OPT_KCONFIG = 1u << 22, MB_OPT_BOOT = 1u << 23,
	MB_OPT_SVG = 1u << 30,
};
/* Returns -1 (after a usage message) if an option outside `allowed` was given. */
int mb_cli_reject(const struct mb_cli *cli, unsigned allowed);

/* Checks --tree (absent, a lookup tree name, or "all" where allow_all):
 * returns -1 after a usage error naming the valid values. */
int mb_cli_check_tree(const struct mb_cli *cli, bool allow_all);

/* Parses an integer the way the CLI accepts them: 42, 0x2a, -1 (two's
 * complement); nothing else before or after the digits. */
bool mb_parse_u64(const char *s, uint64_t *out);
/* The same without the sign: counts, sizes, limits, seeds. */
bool mb_parse_count(const char *s, uint64_t *out);

#endif
