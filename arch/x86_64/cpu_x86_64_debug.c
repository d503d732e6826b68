/* x86_64 debugging data: Capstone's x86 groups are complete, so control flow
 * comes from them; the register list is GDB's org.gnu.gdb.i386.core order. */
#include "arch/debug.h"

#include <unicorn/unicorn.h>

static bool has_group(const cs_insn *insn, uint8_t group)
{
	if (insn->detail == NULL)
		return false;
	for (uint8_t i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == group)
			return true;
	return false;
}

static enum mb_flow x86_flow(const cs_insn *insn, uint32_t word, uint64_t addr, uint64_t *target)
{
	(void)word;
	(void)addr;
	if (insn == NULL)
		return MB_FLOW_NONE;
	if (insn->id == X86_INS_UD2 || insn->id == X86_INS_INT3)
		return MB_FLOW_TRAP;
	enum mb_flow f;
	if (has_group(insn, CS_GRP_CALL))
		f = MB_FLOW_CALL;
	else if (has_group(insn, CS_GRP_RET))
		return MB_FLOW_RET;
	else if (insn->id == X86_INS_JMP || insn->id == X86_INS_LJMP)
		f = MB_FLOW_JUMP;
	else if (has_group(insn, CS_GRP_JUMP))
		f = MB_FLOW_CJUMP;
	else
		return MB_FLOW_NONE;
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		*target = (uint64_t)x->operands[0].imm;
	return f;
}

#define GPR(n, id) { n, 64, id, "int", true }
#define SEG(n, id) { n, 32, id, "int", false }
#define X87(n) { n, 80, -1, "i387_ext", false }
#define FPC(n) { n, 32, -1, "int", false }
static const struct mb_dbg_reg x86_regs[] = {
	GPR("rax", UC_X86_REG_RAX), GPR("rbx", UC_X86_REG_RBX), GPR("rcx", UC_X86_REG_RCX),
	GPR("rdx", UC_X86_REG_RDX), GPR("rsi", UC_X86_REG_RSI), GPR("rdi", UC_X86_REG_RDI),
	{ "rbp", 64, UC_X86_REG_RBP, "data_ptr", true },
	{ "rsp", 64, UC_X86_REG_RSP, "data_ptr", true },
	GPR("r8", UC_X86_REG_R8), GPR("r9", UC_X86_REG_R9), GPR("r10", UC_X86_REG_R10),
	GPR("r11", UC_X86_REG_R11), GPR("r12", UC_X86_REG_R12), GPR("r13", UC_X86_REG_R13),
	GPR("r14", UC_X86_REG_R14), GPR("r15", UC_X86_REG_R15),
	{ "rip", 64, UC_X86_REG_RIP, "code_ptr", false },
	{ "eflags", 32, UC_X86_REG_EFLAGS, "int", true },
	SEG("cs", UC_X86_REG_CS), SEG("ss", UC_X86_REG_SS), SEG("ds", UC_X86_REG_DS),
	SEG("es", UC_X86_REG_ES), SEG("fs", UC_X86_REG_FS), SEG("gs", UC_X86_REG_GS),
	X87("st0"), X87("st1"), X87("st2"), X87("st3"), X87("st4"), X87("st5"), X87("st6"), X87("st7"),
	FPC("fctrl"), FPC("fstat"), FPC("ftag"), FPC("fiseg"), FPC("fioff"), FPC("foseg"),
	FPC("fooff"), FPC("fop"),
};

const struct mb_debug_ops mb_debug_x86_64 = {
	.insn_max = 15,
	.cs_syntax = CS_OPT_SYNTAX_ATT, /* what objdump and kernel developers read */
	.word_directive = ".byte",
	.flow = x86_flow,
	.regs = x86_regs,
	.nregs = sizeof(x86_regs) / sizeof(x86_regs[0]),
	.pc_index = 16,
	.gdb_arch = "i386:x86-64",
	.gdb_feature = "org.gnu.gdb.i386.core",
	.bug_relative = true,
	.bug_entry_size = 12,
	.bug_insn_size = 2,
};
