/* harness/debug/: looking at a machine from outside: disassembly (this
 * header), instruction traces (trace.h), oops-style fault reports and
 * __bug_table (backtrace.h); gdb/ is the GDB remote stub, its own library
 * on top. Depends on machine/, load/ and Capstone; nothing below calls it.
 *
 * Disassembly for traces, fault reports and the GDB stub: Capstone, decoded
 * once per address (a decode costs ~500 ns, a trace hook ~5 ns), with the
 * arch's fallbacks for what Capstone 4.0.2 cannot name (arch/debug.h).
 * An undecodable unit never aborts: it prints as `.long 0x...` (`.byte` on
 * x86) with a note saying what it probably is. */
#ifndef MODBED_HARNESS_DISASM_H
#define MODBED_HARNESS_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/debug.h"
#include "harness/util/diag.h"

struct mb_machine;
struct mb_disasm;

#define MB_INSN_TEXT 80
#define MB_INSN_SYM 160

struct mb_insn {
	uint64_t addr;
	uint8_t size;
	uint8_t bytes[16];
	bool decoded;             /* false: Capstone could not decode it */
	enum mb_flow flow;
	bool has_target;          /* direct branch: target is known */
	uint64_t target;
	char text[MB_INSN_TEXT];  /* "movq %rdi, %rax", ".long 0xc8e2fce2" */
	const char *note;         /* why it printed raw, or NULL */
	char sym[MB_INSN_SYM];    /* "module:symbol+0xoff" (mb_disasm_machine only) */
};

int mb_disasm_open(struct mb_disasm **out, const struct mb_arch *arch, struct mb_err *err);
void mb_disasm_close(struct mb_disasm *d);

/* The instruction at addr, decoded from code[0..len) on first sight and
 * cached. The pointer stays valid until mb_disasm_close. */
const struct mb_insn *mb_disasm_at(struct mb_disasm *d, uint64_t addr, const uint8_t *code, size_t len);
/* Same, reading `size` bytes (0: the arch's maximum, clipped to what is
 * mapped) from the machine's memory and symbolizing addr through it. NULL
 * only when nothing at addr is readable. */
const struct mb_insn *mb_disasm_machine(struct mb_disasm *d, struct mb_machine *m, uint64_t addr,
					size_t size);
/* Code in [addr, addr+size) changed (a debugger write): decode it again. */
void mb_disasm_forget(struct mb_disasm *d, uint64_t addr, uint64_t size);

/* Figures for tests and benchmarks: distinct addresses cached, and how many
 * times Capstone was actually called. */
size_t mb_disasm_cached(const struct mb_disasm *d);
uint64_t mb_disasm_decodes(const struct mb_disasm *d);

/* "48 89 f8" into buf (size*3 bytes needed). */
void mb_insn_hex(const struct mb_insn *in, char *buf, size_t len);

#endif
