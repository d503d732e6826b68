/* What a fault record carries beyond the machine's own view: registers, the
 * observed backtrace, a BUG/WARN's file and line. The machine leaves it
 * zeroed; harness/debug/backtrace.h fills and prints it. Here so the machine
 * (emu.h: struct mb_fault) need not include the debug layer above it. */
#ifndef MODBED_HARNESS_MACHINE_FAULTCTX_H
#define MODBED_HARNESS_MACHINE_FAULTCTX_H

#include <stdbool.h>
#include <stdint.h>

#define MB_FAULT_MAX_REGS 48
#define MB_FAULT_MAX_FRAMES 32

struct mb_fault_context {
	bool valid;
	uint64_t regs[MB_FAULT_MAX_REGS];   /* arch->debug->regs order; pc is the exact fault pc */
	unsigned nregs;
	bool has_backtrace;                  /* a tracer watched the call */
	uint64_t frame_func[MB_FAULT_MAX_FRAMES];  /* innermost first */
	uint64_t frame_site[MB_FAULT_MAX_FRAMES];  /* call instruction, 0 for the outermost call */
	unsigned nframes;
	bool frames_truncated;
	bool has_bug;                        /* the pc is a __bug_table entry */
	bool bug_warning;
	unsigned bug_line;
	char bug_file[160];
};

#endif
