/* The debugging side of `modbed call` and `modbed trace`, behind four
 * calls the command's run loop makes: open (after the modules are loaded),
 * before and after each guest call, close. It owns the instruction trace
 * (trace), the GDB stub (--gdb) and the oops-style fault report.
 *
 * The untraced `call` pays nothing per instruction here. When one of its
 * calls faults, the report's backtrace comes from a deterministic replay:
 * a fresh runtime loads the same modules with the same options, runs the
 * earlier calls, and runs the faulting one again with a call-stack tracer;
 * the replay must fault at the same pc (else no backtrace is claimed). */
#ifndef MODBED_HARNESS_DEBUGRUN_H
#define MODBED_HARNESS_DEBUGRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/debug/backtrace.h"
#include "harness/util/cli.h"

struct mb_runtime;
struct mb_callplan;
struct mb_call_result;
struct mb_disasm;
struct mb_trace;
struct mb_gdb;
struct mb_recorder;
struct mb_replaycheck;
struct mb_tracerec;

struct mb_debugrun {
	const struct mb_cli *cli;
	struct mb_runtime *rt;
	const struct mb_callplan *plan;
	bool tracing;             /* the trace command: trace every call */
	struct mb_disasm *d;
	struct mb_trace *t;
	FILE *out;
	const char *out_name; /* --output FILE, for messages */
	bool close_out;
	char filter[256];
	struct mb_gdb *gdb;
	size_t call;              /* index of the current call */
	struct mb_recorder *rec;  /* trace --record: the block stream instead of a trace */
	const struct mb_tracerec *replay; /* trace --show: the recording this run replays */
	struct mb_replaycheck *check;
	bool failed;              /* the replay differs from the recording (reported) */
};

/* tracing: the trace command (with cli->record: recording, not tracing);
 * replay: the recording a `trace --show` replays, checked call by call
 * (NULL otherwise). Returns an exit status (after printing). */
int mb_debugrun_open(struct mb_debugrun *r, const struct mb_cli *cli, struct mb_runtime *rt,
		     const struct mb_callplan *plan, bool tracing, const struct mb_tracerec *replay);
void mb_debugrun_before(struct mb_debugrun *r, size_t i, uint64_t fn, const uint64_t *args, unsigned nargs);
/* Fills res->fault.ctx on a fault (registers, backtrace, BUG/WARN line).
 * Sets r->failed (after reporting) when a replayed call differs from the
 * recording. */
void mb_debugrun_after(struct mb_debugrun *r, struct mb_call_result *res);
/* The oops report of a call's fault (after the one-line error). */
void mb_debugrun_report(struct mb_debugrun *r, FILE *f, const struct mb_call_result *res);
/* Closes the trace output (and the rest); -1, reported, when the --output
 * file could not be written in full. */
int mb_debugrun_close(struct mb_debugrun *r);

#endif
