/* Instruction tracing of guest calls: an observer on the machine's code hook
 * that prints one line per instruction (address, module:symbol+0xoff, bytes,
 * disassembly, the registers the instruction changed) or, with calls_only,
 * calls and returns indented by depth with arguments and return values.
 * Lines are written as they happen: nothing of the trace is kept in memory
 * except the shadow call stack, which also gives fault reports their
 * backtrace.
 *
 * Register changes are found by comparing snapshots of the arch's traced
 * registers (arch/debug.h) before and after each printed instruction, so a
 * line is written when the next instruction starts (or the call ends). */
#ifndef MODBED_HARNESS_TRACE_H
#define MODBED_HARNESS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/util/diag.h"

struct mb_machine;
struct mb_disasm;
struct mb_call_result;
struct mb_trace;

struct mb_trace_opts {
	FILE *out;              /* NULL: no output, only the call stack (fault backtraces) */
	bool jsonl;             /* one JSON object per line instead of text */
	bool calls_only;        /* calls and returns only */
	const char *module;     /* only instructions/calls in this module; NULL: all */
	const char *func;       /* ... and in this function of it; NULL: whole module */
	bool has_start, has_stop;
	uint64_t start, stop;   /* trace from executing `start` until after `stop` */
	unsigned call_args;     /* arguments shown for nested calls (0: 4) */
	bool mem;               /* instruction lines show their memory accesses (trace_mem.h) */
};

/* The tracer observes m from now until mb_trace_close; d is the shared
 * disassembly cache (it must outlive the tracer). */
int mb_trace_open(struct mb_trace **out, struct mb_machine *m, struct mb_disasm *d,
		  const struct mb_trace_opts *opts, struct mb_err *err);
void mb_trace_close(struct mb_trace *t);

/* Frames the top-level call (before mb_machine_call) and ends it (after). */
void mb_trace_call_begin(struct mb_trace *t, uint64_t func, const uint64_t *args,
			 unsigned nargs);
void mb_trace_call_end(struct mb_trace *t, const struct mb_call_result *res);

/* The shadow call stack as observed: the innermost frame first. */
struct mb_frame {
	uint64_t func;        /* entry address of the callee */
	uint64_t call_site;   /* address of the call instruction (0: the top-level call) */
};
size_t mb_trace_backtrace(const struct mb_trace *t, struct mb_frame *out, size_t max);

/* Lines written so far (instructions or call/return events). */
uint64_t mb_trace_lines(const struct mb_trace *t);

/* Parses --filter MODULE[:FUNC] into opts (pointing into a copy held by
 * buf, which must outlive opts). */
void mb_trace_parse_filter(const char *filter, char *buf, size_t len, struct mb_trace_opts *opts);

#endif
