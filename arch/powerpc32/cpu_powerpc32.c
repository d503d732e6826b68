/* 32-bit big-endian powerpc CPU glue: SVR4 ABI (r3..r10, LR, r1 back chain,
 * 64-bit values in register pairs), FP enabled, and the time-base reads that
 * crash the host under Unicorn 2.0.1 (unicorn#1909). */
#include "arch/cpu.h"
#include "core/byteorder.h"

#define PPC(w) (uint8_t)((w) >> 24), (uint8_t)((w) >> 16), (uint8_t)((w) >> 8), (uint8_t)(w)
#define PPC_BLR 0x4e800020u
#define PPC_TRAP 0x7fe00008u         /* tw 31,0,0 */

#define MSR_FP 0x2000u

static const struct mb_cpu_stub_code powerpc32_stub_code[] = {
	/* -pg calls: `mflr r0; stw r0,4(r1); bl _mcount`. Return to the caller
	 * with LR restored from the saved word, as the kernel's _mcount does:
	 * mflr r12; mtctr r12; lwz r12,4(r1); mtlr r12; bctr */
	{ "_mcount", { { PPC(0x7d8802a6u), PPC(0x7d8903a6u), PPC(0x81810004u),
			 PPC(0x7d8803a6u), PPC(0x4e800420u) }, 20 } },
};

/* clang reads the ppc32 stack canary at r2 - 0x7008 (the TLS ABI offset;
 * it has no -mstack-protector-guard-reg=r2 as GCC kernels use), so r2 points
 * that far above the task page, which holds the canary throughout. */
#define PPC_TLS_CANARY_OFFSET 0x7008u

static uc_err powerpc32_setup_percpu(uc_engine *uc, const struct mb_cpu_percpu *pc)
{
	uint32_t msr = 0;
	uc_err e = uc_reg_read(uc, UC_PPC_REG_MSR, &msr);
	if (e != UC_ERR_OK)
		return e;
	msr |= MSR_FP;
	if ((e = uc_reg_write(uc, UC_PPC_REG_MSR, &msr)) != UC_ERR_OK)
		return e;
	uint32_t r2 = (uint32_t)pc->task_base + PPC_TLS_CANARY_OFFSET;
	return uc_reg_write(uc, UC_PPC_REG_2, &r2);
}

/* X-form mfspr (XO 339) and mftb (XO 371); the SPR number is encoded with
 * its two 5-bit halves swapped. */
#define PPC_OPCD(w) ((w) >> 26)
#define PPC_XO(w) (((w) >> 1) & 0x3ffu)
#define PPC_RD(w) (((w) >> 21) & 0x1fu)
#define PPC_SPR(w) ((((w) >> 16) & 0x1fu) | ((((w) >> 11) & 0x1fu) << 5))
enum { SPR_DEC = 22, SPR_TBL = 268, SPR_TBU = 269 };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool powerpc32_hazard_at(const uint8_t *code, size_t len)
{
	if (len < 4)
		return false;
	uint32_t w = be32(code);
	if (PPC_OPCD(w) != 31)
		return false;
	unsigned spr = PPC_SPR(w);
	if (PPC_XO(w) == 371)
		return spr == SPR_TBL || spr == SPR_TBU;
	if (PPC_XO(w) == 339)
		return spr == SPR_TBL || spr == SPR_TBU || spr == SPR_DEC;
	return false;
}

/* Runs the read on the host: TBL/TBU give a time base derived from the
 * instruction count, DEC counts down from it. */
static void powerpc32_emulate_hazard(uc_engine *uc, uint64_t pc, uint64_t fake_time)
{
	uint8_t b[4];
	if (uc_mem_read(uc, pc, b, 4) != UC_ERR_OK)
		return;
	uint32_t w = be32(b);
	uint32_t v;
	switch (PPC_SPR(w)) {
	case SPR_TBU: v = (uint32_t)(fake_time >> 32); break;
	case SPR_DEC: v = 0x7fffffffu - (uint32_t)fake_time; break;
	default: v = (uint32_t)fake_time; break;
	}
	uc_reg_write(uc, UC_PPC_REG_0 + (int)PPC_RD(w), &v);
	uint32_t next = (uint32_t)pc + 4;
	uc_reg_write(uc, UC_PPC_REG_PC, &next);
}

/* SVR4 va_list: { u8 gpr, fpr; u16 reserved; u32 overflow_arg_area,
 * reg_save_area }; r3..r10 saved at reg_save_area, gpr counts the ones used.
 * A 64-bit value takes an even register pair or 8-aligned stack words. */
static int powerpc32_va_next(const struct mb_cpu_va_mem *mem, uint8_t *va, bool wide, uint64_t *out)
{
	unsigned gpr = va[0];
	uint64_t over = mb_load(va + 4, 4, true), save = mb_load(va + 8, 4, true);
	unsigned n = wide ? 8 : 4;
	uint8_t b[8];
	if (wide)
		gpr += gpr & 1u;
	if (gpr + n / 4 <= 8) {
		if (mem->read(mem->ctx, save + 4u * gpr, b, n) != 0)
			return -1;
		va[0] = (uint8_t)(gpr + n / 4);
	} else {
		if (wide)
			over = (over + 7) & ~(uint64_t)7;
		if (mem->read(mem->ctx, over, b, n) != 0)
			return -1;
		va[0] = 8;
		mb_store(va + 4, 4, over + n, true);
	}
	*out = mb_load(b, n, true);
	return 0;
}

const struct mb_cpu_ops mb_cpu_powerpc32 = {
	.uc_arch = UC_ARCH_PPC,
	.uc_mode = UC_MODE_PPC32 | UC_MODE_BIG_ENDIAN,
	.uc_cpu_model = -1,
	.cs_arch = CS_ARCH_PPC,
	.cs_mode = CS_MODE_32 | CS_MODE_BIG_ENDIAN,
	.reg_bytes = 4,
	.insn_align = 4,
	.reg_pc = UC_PPC_REG_PC,
	.reg_sp = UC_PPC_REG_1,
	.reg_ret = UC_PPC_REG_3,
	.reg_ret2 = UC_PPC_REG_4,
	.reg_link = UC_PPC_REG_LR,
	.arg_regs = { UC_PPC_REG_3, UC_PPC_REG_4, UC_PPC_REG_5, UC_PPC_REG_6,
		      UC_PPC_REG_7, UC_PPC_REG_8, UC_PPC_REG_9, UC_PPC_REG_10 },
	.narg_regs = 8,
	.pair_hi_first = true,
	.stack_align = 16,
	.ret_addr_pushed = false,
	.stack_back_chain = true,
	.stack_reserve = 16,       /* the callee saves LR at 4(caller's r1) */
	.stack_args_offset = 8,
	.ret_insn = { { PPC(PPC_BLR) }, 4 },
	.trap_insn = { { PPC(PPC_TRAP) }, 4 },
	.stub_code = powerpc32_stub_code,
	.nstub_code = sizeof(powerpc32_stub_code) / sizeof(powerpc32_stub_code[0]),
	.percpu_symbols_are_offsets = false,
	.percpu_canary_offset = -1,
	.setup_percpu = powerpc32_setup_percpu,
	.addr_ok = NULL,
	.hazard_at = powerpc32_hazard_at,
	.emulate_hazard = powerpc32_emulate_hazard,
	.hazard_what = "time-base read (mftb / mfspr TBL, TBU, DEC) that crashes Unicorn 2.0.1",
	.va_list_bytes = 12,
	.va_next = powerpc32_va_next,
};
