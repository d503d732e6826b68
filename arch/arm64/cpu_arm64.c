/* arm64 CPU glue: AAPCS64, the newest CPU model Unicorn offers (LSE atomics,
 * PAN), `current` in sp_el0. */
#include "arch/cpu.h"
#include "core/byteorder.h"

#define A64(w) { { (uint8_t)(w), (uint8_t)((w) >> 8), (uint8_t)((w) >> 16), (uint8_t)((w) >> 24) }, 4 }
#define A64_RET 0xd65f03c0u
#define A64_BRK0 0xd4200000u

static const struct mb_cpu_stub_code arm64_stub_code[] = {
	{ "_mcount", A64(A64_RET) },
	/* Only named by .altinstructions callbacks; never patches anything here. */
	{ "alt_cb_patch_nops", A64(A64_RET) },
};

/* sp_el0 is `current`; with CONFIG_STACKPROTECTOR_PER_TASK the canary is read
 * at sp_el0 + TSK_STACK_CANARY. tpidr_el1 (per-cpu offset) stays 0 so per-cpu
 * symbols are plain addresses of the stub's data. */
static uc_err arm64_setup_percpu(uc_engine *uc, const struct mb_cpu_percpu *pc)
{
	uint64_t task = pc->task_base, zero = 0;
	uc_err e = uc_reg_write(uc, UC_ARM64_REG_SP_EL0, &task);
	if (e == UC_ERR_OK)
		e = uc_reg_write(uc, UC_ARM64_REG_TPIDR_EL1, &zero);
	return e;
}

/* AAPCS64 va_list: { void *stack, *gr_top, *vr_top; int gr_offs, vr_offs }
 * (passed by reference); gr_offs counts up from -64 to 0 below gr_top. */
static int arm64_va_next(const struct mb_cpu_va_mem *mem, uint8_t *va, bool wide, uint64_t *out)
{
	(void)wide;
	uint64_t stack = mb_load(va, 8, false), gr_top = mb_load(va + 8, 8, false);
	int32_t offs = (int32_t)(uint32_t)mb_load(va + 24, 4, false);
	uint8_t b[8];
	if (offs < 0 && offs + 8 <= 0) {
		if (mem->read(mem->ctx, gr_top + (uint64_t)(int64_t)offs, b, 8) != 0)
			return -1;
		mb_store(va + 24, 4, (uint32_t)(offs + 8), false);
	} else {
		if (mem->read(mem->ctx, stack, b, 8) != 0)
			return -1;
		if (offs < 0)
			mb_store(va + 24, 4, 0, false);
		mb_store(va, 8, stack + 8, false);
	}
	*out = mb_load(b, 8, false);
	return 0;
}

const struct mb_cpu_ops mb_cpu_arm64 = {
	.uc_arch = UC_ARCH_ARM64,
	.uc_mode = UC_MODE_ARM,
	.uc_cpu_model = UC_CPU_ARM64_MAX,
	.cs_arch = CS_ARCH_ARM64,
	.cs_mode = CS_MODE_ARM,
	.reg_bytes = 8,
	.insn_align = 4,
	.reg_pc = UC_ARM64_REG_PC,
	.reg_sp = UC_ARM64_REG_SP,
	.reg_ret = UC_ARM64_REG_X0,
	.reg_ret2 = UC_ARM64_REG_X1,
	.reg_link = UC_ARM64_REG_X30,
	.arg_regs = { UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X3,
		      UC_ARM64_REG_X4, UC_ARM64_REG_X5, UC_ARM64_REG_X6, UC_ARM64_REG_X7 },
	.narg_regs = 8,
	.pair_hi_first = false,
	.stack_align = 16,
	.ret_addr_pushed = false,
	.stack_back_chain = false,
	.stack_reserve = 0,
	.stack_args_offset = 0,
	.ret_insn = A64(A64_RET),
	.trap_insn = A64(A64_BRK0),
	.stub_code = arm64_stub_code,
	.nstub_code = sizeof(arm64_stub_code) / sizeof(arm64_stub_code[0]),
	.percpu_symbols_are_offsets = false,
	.percpu_canary_offset = -1,
	.setup_percpu = arm64_setup_percpu,
	.addr_ok = NULL,
	.va_list_bytes = 32,
	.va_next = arm64_va_next,
};
