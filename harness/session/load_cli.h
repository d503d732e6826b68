/* harness/session/: what a command opens: a load session (this header:
 * arch, map, space, loader), the runtime on top (runtime.h: the machine
 * with its kernel stub and the module lifecycle) and the load reports
 * (load_report.h). Depends on load/, machine/, kstub/ and debug/.
 *
 * What every command that loads modules does first: pick the arch (given or
 * from the first file's ELF header) and map, build the guest space and the
 * loader, load the files in order. Shared by load, lookup (and call/trace). */
#ifndef MODBED_HARNESS_LOAD_CLI_H
#define MODBED_HARNESS_LOAD_CLI_H

#include "harness/util/cli.h"
#include "harness/session/kernel_pick.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"

struct mb_load_session {
	const struct mb_arch *arch;
	const struct mb_map *map;
	struct mb_kernel_pick kernel;   /* the rule set: --kernel, else the first module's vermagic */
	struct mb_space space;
	struct mb_loader loader;
	bool ready;
};

/* Sets up arch, map, space and loader from the options. Returns an exit
 * status (MB_EXIT_OK, or MB_EXIT_USAGE / MB_EXIT_ERROR after printing). */
int mb_session_open(struct mb_load_session *s, const struct mb_cli *cli,
		    const struct mb_symbol_provider *kernel);
/* Loads cli->paths in order; MB_EXIT_ERROR after printing the first error. */
int mb_session_load_all(struct mb_load_session *s, const struct mb_cli *cli);
void mb_session_close(struct mb_load_session *s);

/* "r-x" style permission text. */
const char *mb_perm_str(unsigned perm);

#endif
