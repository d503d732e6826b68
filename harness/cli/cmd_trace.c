/* modbed trace FILE... -- FUNC ARG... : `modbed call` with an instruction
 * trace (harness/debug/trace.h). Same loading, arguments, results, exit codes and
 * fault reports as call; the trace goes to stdout or --output FILE, as text
 * or --jsonl, optionally --calls only, filtered by --filter MODULE[:FUNC]
 * and --start/--stop ADDR (an address or a symbol).
 *
 * --record FILE runs the calls as call does (the fast path) and writes a
 * recording instead of the trace; --show FILE renders one, with the
 * display options above (trace_record.h). */
#include "harness/cli/commands.h"
#include "harness/cli/trace_record.h"
#include "harness/util/diag.h"

int cmd_trace(struct mb_cli *cli)
{
	if (cli->show)
		return mb_trace_show(cli);
	if (cli->record && (cli->output || cli->filter || cli->calls_only || cli->trace_json || cli->trace_mem ||
			    cli->start_addr ||
			    cli->stop_addr || cli->gdb)) {
		mb_errorf("usage: --record takes no trace display options nor --gdb (give them to --show)");
		return MB_EXIT_USAGE;
	}
	return mb_calls_run(cli, true);
}
