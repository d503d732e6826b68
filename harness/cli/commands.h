/* One function per `modbed` command, each in harness/cli/cmd_<name>.c. Each
 * takes the parsed options and returns the process exit status (diag.h).
 *
 * harness/cli/: the top layer: main.c, the commands and debugrun.c (the
 * debugging side of call and trace). Uses every folder; none uses it. */
#ifndef MODBED_COMMANDS_H
#define MODBED_COMMANDS_H

#include "harness/util/cli.h"

struct mb_command {
	const char *name;
	int (*run)(struct mb_cli *cli);
	const char *usage;   /* one line, after "modbed " */
};

extern const struct mb_command mb_commands[];

/* What `load` takes to say what is loaded and how; `map` takes the same
 * (load adds --json and --dump). */
#define MB_LOAD_OPTS                                                                                     \
	(MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_SEED | MB_OPT_STRICT |        \
	 MB_OPT_NO_INIT | MB_OPT_SKIP_INIT | MB_OPT_PATHS | MB_OPT_MODPATH | MB_OPT_BUDGET | MB_OPT_TIMEOUT | \
	 MB_OPT_KALLSYMS | MB_OPT_KERNEL | MB_OPT_KCONFIG | MB_OPT_BOOT)

int cmd_maps(struct mb_cli *cli);
int cmd_load(struct mb_cli *cli);
int cmd_map(struct mb_cli *cli);
int cmd_lookup(struct mb_cli *cli);
int cmd_info(struct mb_cli *cli);
int cmd_corpus(struct mb_cli *cli);
int cmd_call(struct mb_cli *cli);
int cmd_trace(struct mb_cli *cli);
/* The run loop of call and trace (cmd_call.c). */
int mb_calls_run(struct mb_cli *cli, bool tracing);
/* The same, replaying a recording (trace --show): every call is checked
 * against it (harness/debug/tracerec.h). */
struct mb_tracerec;
int mb_calls_run_replay(struct mb_cli *cli, bool tracing, const struct mb_tracerec *replay);
int cmd_core_diff(struct mb_cli *cli);
int cmd_kunit(struct mb_cli *cli);
int cmd_matrix(struct mb_cli *cli);
int cmd_study(struct mb_cli *cli);

#endif
