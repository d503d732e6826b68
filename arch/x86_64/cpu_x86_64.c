/* x86_64 CPU glue: SysV kernel ABI, gs-based per-cpu data, retpoline and
 * return thunks as real code. */
#include "arch/cpu.h"
#include "core/byteorder.h"

#define JMP_REG(n) { { 0xff, (uint8_t)(0xe0 | (n)) }, 2 }
#define JMP_REGX(n) { { 0x41, 0xff, (uint8_t)(0xe0 | (n)) }, 3 }

/* The thunks run the indirect jump / return directly: the emulator has no
 * speculation to guard against, and the guest sees the real control flow. */
static const struct mb_cpu_stub_code x86_64_stub_code[] = {
	{ "__x86_return_thunk", { { 0xc3 }, 1 } },
	{ "__fentry__", { { 0xc3 }, 1 } },
	{ "__x86_indirect_thunk_rax", JMP_REG(0) },
	{ "__x86_indirect_thunk_rcx", JMP_REG(1) },
	{ "__x86_indirect_thunk_rdx", JMP_REG(2) },
	{ "__x86_indirect_thunk_rbx", JMP_REG(3) },
	{ "__x86_indirect_thunk_rsp", JMP_REG(4) },
	{ "__x86_indirect_thunk_rbp", JMP_REG(5) },
	{ "__x86_indirect_thunk_rsi", JMP_REG(6) },
	{ "__x86_indirect_thunk_rdi", JMP_REG(7) },
	{ "__x86_indirect_thunk_r8", JMP_REGX(0) },
	{ "__x86_indirect_thunk_r9", JMP_REGX(1) },
	{ "__x86_indirect_thunk_r10", JMP_REGX(2) },
	{ "__x86_indirect_thunk_r11", JMP_REGX(3) },
	{ "__x86_indirect_thunk_r12", JMP_REGX(4) },
	{ "__x86_indirect_thunk_r13", JMP_REGX(5) },
	{ "__x86_indirect_thunk_r14", JMP_REGX(6) },
	{ "__x86_indirect_thunk_r15", JMP_REGX(7) },
};

/* The kernel reads its stack canary at %gs:40; user-space-style code built
 * without -mstack-protector-guard-reg=gs reads %fs:40. Both bases point at
 * the same per-cpu area so either build works. */
static uc_err x86_64_setup_percpu(uc_engine *uc, const struct mb_cpu_percpu *pc)
{
	uint64_t base = pc->percpu_base;
	uc_err e = uc_reg_write(uc, UC_X86_REG_GS_BASE, &base);
	if (e == UC_ERR_OK)
		e = uc_reg_write(uc, UC_X86_REG_FS_BASE, &base);
	return e;
}

/* Unicorn does not raise #GP for non-canonical addresses (48-bit VA). */
static bool x86_64_addr_ok(uint64_t addr)
{
	uint64_t top = addr >> 47;
	return top == 0 || top == 0x1ffff;
}

/* SysV va_list: { u32 gp_offset, fp_offset; u64 overflow_arg_area,
 * reg_save_area }; the six argument registers are saved at reg_save_area. */
static int x86_64_va_next(const struct mb_cpu_va_mem *mem, uint8_t *va, bool wide, uint64_t *out)
{
	(void)wide;
	uint64_t gp = mb_load(va, 4, false), over = mb_load(va + 8, 8, false), save = mb_load(va + 16, 8, false);
	uint8_t b[8];
	if (gp < 48) {
		if (mem->read(mem->ctx, save + gp, b, 8) != 0)
			return -1;
		mb_store(va, 4, gp + 8, false);
	} else {
		if (mem->read(mem->ctx, over, b, 8) != 0)
			return -1;
		mb_store(va + 8, 8, over + 8, false);
	}
	*out = mb_load(b, 8, false);
	return 0;
}

const struct mb_cpu_ops mb_cpu_x86_64 = {
	.uc_arch = UC_ARCH_X86,
	.uc_mode = UC_MODE_64,
	.uc_cpu_model = -1,
	.cs_arch = CS_ARCH_X86,
	.cs_mode = CS_MODE_64,
	.reg_bytes = 8,
	.insn_align = 1,
	.reg_pc = UC_X86_REG_RIP,
	.reg_sp = UC_X86_REG_RSP,
	.reg_ret = UC_X86_REG_RAX,
	.reg_ret2 = UC_X86_REG_RDX,
	.reg_link = -1,
	.arg_regs = { UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX, UC_X86_REG_RCX,
		      UC_X86_REG_R8, UC_X86_REG_R9 },
	.narg_regs = 6,
	.pair_hi_first = false,
	.stack_align = 16,
	.ret_addr_pushed = true,
	.stack_back_chain = false,
	.stack_reserve = 0,
	.stack_args_offset = 8,
	.ret_insn = { { 0xc3 }, 1 },
	.trap_insn = { { 0x0f, 0x0b }, 2 },   /* ud2 */
	.stub_code = x86_64_stub_code,
	.nstub_code = sizeof(x86_64_stub_code) / sizeof(x86_64_stub_code[0]),
	.percpu_symbols_are_offsets = true,
	.percpu_canary_offset = 40,
	.setup_percpu = x86_64_setup_percpu,
	.addr_ok = x86_64_addr_ok,
	.va_list_bytes = 24,
	.va_next = x86_64_va_next,
};
