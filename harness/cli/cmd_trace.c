/* modbed trace FILE... -- FUNC ARG... : `modbed call` with an instruction
 * trace (harness/debug/trace.h). Same loading, arguments, results, exit codes and
 * fault reports as call; the trace goes to stdout or --output FILE, as text
 * or --jsonl, optionally --calls only, filtered by --filter MODULE[:FUNC]
 * and --start/--stop ADDR (an address or a symbol).
 *
 * --record FILE runs the calls as call does (the fast path) and writes a
 * recording instead of the trace, with the display options given (but
 * --output); --show FILE renders one, with the recorded display options
 * or those given to --show (trace_record.h). */
#include "harness/cli/commands.h"
#include "harness/cli/trace_record.h"
#include "harness/util/diag.h"

int cmd_trace(struct mb_cli *cli)
{
	if (cli->show)
		return mb_trace_show(cli);
	if (cli->record && (cli->output || cli->gdb)) {
		mb_errorf("usage: --record writes no trace: --output (to --show) and --gdb are not for it");
		return MB_EXIT_USAGE;
	}
	return mb_calls_run(cli, true);
}
