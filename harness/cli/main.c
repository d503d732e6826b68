#include "harness/cli/commands.h"
#include "harness/util/diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The command table: add a command here and in commands.h. */
const struct mb_command mb_commands[] = {
	{ "maps", cmd_maps, "maps [--arch A|all] [--map M] [--policy P] [--json]   memory maps; sample placement with --policy" },
	{ "load", cmd_load, "load FILE... [--arch A] [--map M] [--policy P] [--bounds B] [--tree T] [--json] [--dump DIR] [--strict-symbols]\n"
	  "       [--no-init|--skip-init] [--kallsyms off|text|all] [--pack page|cacheline|section]\n"
	  "       [--fail MOD,...] [--fail-rate P --seed S] [--compact] [--then FILE...]   (boot: issue 13)\n"
	  "                                           place and relocate modules; summary per module" },
	{ "map", cmd_map, "map FILE... --svg OUT.svg [load's options]\n"
	  "                                           place and load as 'load' does, then draw the address space (regions, modules\n"
	  "                                           by permission class, guard pages, holes, split large pages) as SVG" },
	{ "lookup", cmd_lookup, "lookup FILE... [--bounds B] [--tree T] -- ADDR...\n"
	  "                                           address -> module, type, symbol+offset; lookup counters" },
	{ "info", cmd_info, "info FILE... [--json]                     .modinfo, __versions, signature of modules" },
	{ "corpus", cmd_corpus, "corpus DIR... [--arch A] [--policy P] [--tree T] [--json]   load a module tree, providers first; report" },
	{ "call", cmd_call, "call FILE... -- FUNC ARG... [-- FUNC ARG...] [--json] [--budget N|none] [--timeout MS] [--no-init] [--tree T] [--gdb 127.0.0.1:PORT]\n"
	  "                                           run module functions on the arch's CPU (ARG: 42, buf:@PATH, hex:, str:, out:N, NAME=ARG, @NAME)" },
	{ "trace", cmd_trace, "trace FILE... -- FUNC ARG... [--calls] [--filter MODULE[:FUNC]] [--start ADDR] [--stop ADDR]\n"
	  "                                           [--output FILE] [--jsonl] [--mem] [--gdb 127.0.0.1:PORT]   call with a symbolized instruction trace\n"
	  "       trace --record REC FILE... -- FUNC ARG... [trace's options but --output, --gdb]\n"
	  "                                           record the calls at the fast path's speed (no trace printed)\n"
	  "       trace --show REC [--calls] [--filter F] [--start A] [--stop A] [--output FILE] [--jsonl] [--mem] [--json]\n"
	  "                                           render a recording (its display options, or those given): what `trace` prints" },
	{ "core-diff", cmd_core_diff, "core-diff [--arch A|all] [--map M|edge32|all] [--policy P|all] [--bounds B|all] [--tree T|all] [--ops N] [--seed S] [--kernel V] [--json]\n"
	  "                                           one seeded stream through the host core and the core on the emulated CPU; every result compared" },
	{ "kunit", cmd_kunit, "kunit FILE.ko... [--arch A] [--map M] [--policy P] [--bounds B] [--modpath DIR] [--json]\n"
	  "                                           run KUnit test modules with the real kunit.ko; KUnit's KTAP on stdout" },
	{ "matrix", cmd_matrix, "matrix FILE.ko... [--arch A,..|all] [--map M,..|all] [--policy P,..|all] [--bounds B,..|all] [--kernel V,..]\n"
	  "                                           [--modpath DIR] [--spec FILE] [-j N] [--junit FILE] [--json] [--ktap-dir DIR]\n"
	  "                                           KUnit suites and call checks in every cell, each cell forked; exit 1 if one failed" },
	{ "study", cmd_study, "study builtin FILE...|DIR|modules.list [--arch A] [--map M] [--kernel V] [--seed S] [--json]\n"
	  "                                           every policy (builtin packed, expunged 10/30/50 %, --then, --compact) side by side" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fputs("usage: modbed COMMAND [options] [FILE...] [-- ...]\n\ncommands:\n", f);
	for (const struct mb_command *c = mb_commands; c->name; c++)
		fprintf(f, "  modbed %s\n", c->usage);
	fputs("\ncommon options: --arch A  --map M  --policy P  --bounds B  --json\n"
	      "kernel rule set: --kernel 6.1|6.2|6.4|6.10|6.15|VERSION|latest (load, lookup, call, trace, corpus, core-diff;\n"
	      "default: the nearest at or below the first module's vermagic, else latest)\n"
	      "kernel config: --kernel-config FILE (load, lookup, call, trace, corpus): the kernel's .config;\n"
	      "without CONFIG_STRICT_MODULE_RWX=y no class page alignment and the allocations' own permissions\n"
	      "(default: STRICT_MODULE_RWX on, as Debian's configs)\n"
	      "kernel image: --system-map FILE (the same commands): the kernel's System.map; its _stext/_etext\n"
	      "place the kernel image and the windows derived from _etext (ppc32: _etext - 32 MiB)\n"
	      "lookup tree: --tree fast (default) | rbtree (the kernel's red-black mod_tree)\n"
	      "errors: exit 1; usage errors: exit 2; guest faults: exit 3\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return MB_EXIT_OK;
	}
	for (const struct mb_command *c = mb_commands; c->name; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		struct mb_cli cli;
		if (mb_cli_parse(&cli, argc, argv, 2) != 0)
			return MB_EXIT_USAGE;
		cli.cmd = c->name;
		int rc = c->run(&cli);
		/* Output that did not reach stdout in full (a full disk, a
		 * closed pipe) is an error, whatever the command said. */
		if (fflush(stdout) != 0 || ferror(stdout)) {
			mb_errorf("standard output: write error: %s", strerror(errno ? errno : EIO));
			return rc == MB_EXIT_OK || rc == MB_EXIT_FAULT ? MB_EXIT_ERROR : rc;
		}
		return rc;
	}
	mb_errorf("usage: unknown command '%s' (see modbed --help)", argv[1]);
	return MB_EXIT_USAGE;
}
