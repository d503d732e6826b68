/* Per-arch CPU glue: what the emulator (Unicorn), the disassembler (Capstone)
 * and the guest-call code need to know about one ISA and its kernel ABI.
 * Host only (modbed_arch_cpu). Everything here is data plus a few small hooks
 * that must poke arch registers; harness/emu*.c never switches on an arch.
 *
 * Register ids are Unicorn ids (UC_*_REG_*). Register I/O must use
 * `reg_bytes`-wide buffers: Unicorn's ppc32 reads/writes uint32_t, and a
 * uint64_t buffer would keep garbage in its upper half. */
#ifndef MODBED_ARCH_CPU_H
#define MODBED_ARCH_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#define MB_CPU_MAX_ARG_REGS 8
#define MB_CPU_MAX_INSN 24

/* A short instruction sequence, in target byte order. */
struct mb_insn_bytes {
	uint8_t bytes[MB_CPU_MAX_INSN];
	uint8_t len;
};

/* A kernel symbol that must be real guest code (return thunks, indirect-call
 * thunks, ftrace entry points): the kernel stub copies `code` to its own slot. */
struct mb_cpu_stub_code {
	const char *name;
	struct mb_insn_bytes code;
};

/* Where the per-CPU / `current` machinery points, filled by the kernel stub
 * and handed to setup_percpu. */
struct mb_cpu_percpu {
	uint64_t percpu_base;   /* x86_64 gs (and fs) base */
	uint64_t task_base;     /* arm64 sp_el0: a readable task page */
};

/* Reading the guest's va_list (vsnprintf, %pV): `va` is a host copy of the
 * va_list object the guest passed a pointer to (va_list_bytes long), read()
 * reads guest memory. va_next fetches the next integer argument (wide: a
 * 64-bit value on a 32-bit ABI) and advances the copy; -1 on a read fault. */
struct mb_cpu_va_mem {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

struct mb_cpu_ops {
	/* Emulator. uc_cpu_model < 0 keeps Unicorn's default. */
	uc_arch uc_arch;
	uc_mode uc_mode;
	int uc_cpu_model;
	/* Disassembler (for traces). */
	cs_arch cs_arch;
	cs_mode cs_mode;

	uint8_t reg_bytes;      /* 8, or 4 on ppc32 (uint32_t register I/O) */
	uint8_t insn_align;     /* minimum instruction alignment */
	int reg_pc, reg_sp;
	int reg_ret;            /* return value (low word on 32-bit for 64-bit returns: see ret_hi_first) */
	int reg_ret2;           /* second return register (ppc32 r4), -1 if none */
	int reg_link;           /* link register, -1 when the return address is pushed */
	int arg_regs[MB_CPU_MAX_ARG_REGS];
	uint8_t narg_regs;
	/* 64-bit values on a 32-bit ABI occupy two registers starting at an
	 * even pair index (ppc32 SVR4: r3:r4, r5:r6, ...), high word first. */
	bool pair_hi_first;

	/* Call setup: stack pointer alignment at the call instruction, whether the
	 * call pushes the return address (x86), and whether the callee expects a
	 * zeroed back-chain word at *sp (ppc32). */
	uint8_t stack_align;
	bool ret_addr_pushed;
	bool stack_back_chain;
	uint16_t stack_reserve;  /* bytes left free above sp (back chain / red zone) */
	/* Where stack-passed arguments start, from sp at function entry (x86_64:
	 * above the return address; ppc32: above back chain and LR save word). */
	uint16_t stack_args_offset;

	/* Encodings, target byte order. `ret` ends a host-implemented kernel
	 * function after the host has set the return value; `trap` fills slots
	 * that must never run (an unresolved symbol, the host-return sentinel). */
	struct mb_insn_bytes ret_insn;
	struct mb_insn_bytes trap_insn;

	/* Kernel symbols that must be real guest code. */
	const struct mb_cpu_stub_code *stub_code;
	size_t nstub_code;
	/* Kernel per-cpu symbols are offsets from the per-cpu base register
	 * (x86_64 %gs) rather than addresses. */
	bool percpu_symbols_are_offsets;
	/* Offset of the stack canary from percpu_base (x86_64 gs:40), or -1. */
	int percpu_canary_offset;

	/* Per-CPU state after uc_open: gs/fs base, sp_el0, MSR[FP]. */
	uc_err (*setup_percpu)(uc_engine *uc, const struct mb_cpu_percpu *pc);

	/* Addresses the CPU itself would refuse (x86_64 non-canonical). NULL: all ok. */
	bool (*addr_ok)(uint64_t addr);

	/* Instructions that crash the host under Unicorn 2.0.1 (ppc32 time-base
	 * reads). hazard_at(insn_bytes, len) returns true for such an instruction
	 * at the start of the buffer; emulate_hazard runs it on the host (called
	 * from a code hook at its address) and must advance the pc past it.
	 * Both NULL when the arch has none. */
	bool (*hazard_at)(const uint8_t *code, size_t len);
	void (*emulate_hazard)(uc_engine *uc, uint64_t pc, uint64_t fake_time);
	const char *hazard_what; /* e.g. "time-base read (mftb/mfspr TBL/TBU/DEC)" */

	/* va_list (see struct mb_cpu_va_mem). */
	uint8_t va_list_bytes;
	int (*va_next)(const struct mb_cpu_va_mem *mem, uint8_t *va, bool wide, uint64_t *out);
};


/* Register I/O at the arch's width (ppc32: 32-bit). */
static inline uc_err mb_cpu_reg_read(uc_engine *uc, const struct mb_cpu_ops *cpu, int reg, uint64_t *val)
{
	if (cpu->reg_bytes == 4) {
		uint32_t v = 0;
		uc_err e = uc_reg_read(uc, reg, &v);
		*val = v;
		return e;
	}
	*val = 0;
	return uc_reg_read(uc, reg, val);
}

static inline uc_err mb_cpu_reg_write(uc_engine *uc, const struct mb_cpu_ops *cpu, int reg, uint64_t val)
{
	if (cpu->reg_bytes == 4) {
		uint32_t v = (uint32_t)val;
		return uc_reg_write(uc, reg, &v);
	}
	return uc_reg_write(uc, reg, &val);
}

#endif
