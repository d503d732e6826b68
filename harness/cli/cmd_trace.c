/* modbed trace FILE... -- FUNC ARG... : `modbed call` with an instruction
 * trace (harness/debug/trace.h). Same loading, arguments, results, exit codes and
 * fault reports as call; the trace goes to stdout or --output FILE, as text
 * or --jsonl, optionally --calls only, filtered by --filter MODULE[:FUNC]
 * and --start/--stop ADDR (an address or a symbol). */
#include "harness/cli/commands.h"

int cmd_trace(struct mb_cli *cli)
{
	return mb_calls_run(cli, true);
}
