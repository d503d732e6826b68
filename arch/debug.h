/* Per-arch debugging data: what the trace, fault reports and the GDB stub
 * need to know about an ISA beyond running it. Host only (Capstone types).
 *
 * Capstone 4.0.2 has gaps (unicorn-capstone-notes.md, section 7): arm64 LSE
 * and PAC/BTI names, ppc SPR names, ppc branch groups. Each arch fills them
 * here so the harness never switches on an arch name. */
#ifndef MODBED_ARCH_DEBUG_H
#define MODBED_ARCH_DEBUG_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Control flow of one instruction, as the call/return tracker needs it. */
enum mb_flow {
	MB_FLOW_NONE = 0,
	MB_FLOW_JUMP,      /* unconditional branch, no link */
	MB_FLOW_CJUMP,     /* conditional branch, no link */
	MB_FLOW_CALL,      /* branch and link (direct or indirect) */
	MB_FLOW_RET,       /* return through the link register / stack */
	MB_FLOW_TRAP,      /* trap/breakpoint instruction (BUG/WARN) */
};

/* One register as GDB and the trace see it. uc_reg < 0: not modelled by the
 * emulator, reads as zero and ignores writes (GDB's x86 core feature insists
 * on the x87 registers). */
struct mb_dbg_reg {
	const char *name;
	uint16_t bits;
	int uc_reg;
	const char *gdb_type;  /* "int", "code_ptr", "data_ptr", "i387_ext", ... */
	bool traced;           /* compared between instructions by the trace */
};

struct mb_debug_ops {
	uint8_t insn_max;        /* longest encoding in bytes */
	int cs_syntax;           /* CS_OPT_SYNTAX_* to match the arch's objdump; 0: Capstone's default */
	const char *word_directive; /* how an undecodable unit prints: ".byte", ".long" */

	/* Rewrites what Capstone 4.0.2 prints raw (ppc SPR numbers, arm64
	 * PAC/BTI hints) into names. `word` is the instruction in target order
	 * (fixed-width ISAs). Returns true if it wrote `out`. May be NULL. */
	bool (*rename)(uint32_t word, const char *mnemonic, const char *op_str,
	               char *out, size_t outsz);
	/* Why an encoding Capstone cannot decode is still a real instruction,
	 * e.g. "LSE atomic (ARMv8.1)"; NULL when unknown. May be NULL. */
	const char *(*undecodable_note)(uint32_t word);
	/* Classifies control flow. insn is NULL when Capstone could not decode;
	 * *target is set for direct branches (else left alone). */
	enum mb_flow (*flow)(const cs_insn *insn, uint32_t word, uint64_t addr, uint64_t *target);

	/* Registers in GDB's remote order (the 'g' packet), with which of them
	 * the trace compares between instructions. */
	const struct mb_dbg_reg *regs;
	size_t nregs;
	size_t pc_index;          /* index of the program counter in regs[] */
	const char *gdb_arch;     /* <architecture> of the target description */
	const char *gdb_feature;  /* the core feature name GDB validates */

	/* __bug_table entries: relative pointers (GENERIC_BUG_RELATIVE_POINTERS,
	 * selected by x86_64, arm64 and powerpc in 6.1) or absolute, and the
	 * entry size for this arch's layout. */
	bool bug_relative;
	uint8_t bug_entry_size;
	/* Bytes of the BUG()/WARN() trap instruction: where a WARN resumes
	 * (x86 report_bug skips LEN_UD2; arm64 and powerpc one instruction). */
	uint8_t bug_insn_size;
};

#endif
