/* Fault reports, oops style: what the emulator's fault record (emu.h) does
 * not know by itself. The registers at the fault, the backtrace the tracer's
 * shadow call stack observed, the last instructions symbolized and
 * disassembled, and for a BUG()/WARN() trap the file and line of the
 * module's __bug_table entry:
 *
 *   struct bug_entry {                          (CONFIG_GENERIC_BUG)
 *       int bug_addr_disp, file_disp;           relative to the field itself
 *       unsigned short line, flags;             (12 bytes on x86_64, arm64
 *   };                                           and powerpc32, all of which
 *                                                select GENERIC_BUG_RELATIVE_POINTERS)
 *   Without that option the pointers are absolute (arch/debug.h bug_relative).
 *   BUGFLAG_WARNING = 1 tells WARN() from BUG(). */
#ifndef MODBED_HARNESS_BACKTRACE_H
#define MODBED_HARNESS_BACKTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/machine/faultctx.h"

struct mb_machine;
struct mb_loader;
struct mb_trace;
struct mb_disasm;
struct mb_fault;
struct mb_json;

#define BUGFLAG_WARNING 1u

/* The context of a fault (harness/machine/faultctx.h), kept in the fault
 * record itself (emu.h, struct mb_fault: ctx). Fills ctx right after the faulting mb_machine_call returned (the CPU is
 * still as the fault left it). t and l may be NULL. */
void mb_fault_context_fill(struct mb_fault_context *ctx, const struct mb_fault *f, struct mb_machine *m,
			   const struct mb_trace *t, const struct mb_loader *l);

/* One decoded __bug_table entry. */
struct mb_bug_entry {
	uint64_t addr;        /* of the entry itself */
	uint64_t bug_addr;    /* the trap instruction */
	uint64_t file_addr;   /* the file name string */
	unsigned line, flags;
};
struct mb_loaded_module;
/* Decodes mod's __bug_table from its placed (relocated) bytes, calling fn
 * for each entry until it returns false; returns the entries decoded. */
size_t mb_bug_table(struct mb_machine *m, const struct mb_loaded_module *mod,
		    bool (*fn)(void *ctx, const struct mb_bug_entry *e), void *ctx);
/* The entry's file name, read from guest memory. */
void mb_bug_file(struct mb_machine *m, const struct mb_bug_entry *e, char *file, size_t len);

/* The __bug_table entry whose trap is at pc, from the placed (relocated)
 * bytes of every loaded module. */
bool mb_bug_find(struct mb_machine *m, const struct mb_loader *l, uint64_t pc, char *file, size_t len,
		 unsigned *line, unsigned *flags);

/* The report for people (after the emulator's one-line error). d may be NULL
 * (a private cache is used). */
void mb_oops_print(FILE *out, const struct mb_fault *f, struct mb_machine *m, struct mb_disasm *d);
/* The same as JSON members of the current object: "bug", "regs",
 * "backtrace", "last_insns". */
void mb_oops_json(struct mb_json *j, const struct mb_fault *f, struct mb_machine *m, struct mb_disasm *d);

#endif
