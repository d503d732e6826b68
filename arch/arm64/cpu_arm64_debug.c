/* arm64 debugging data. Capstone 4.0.2 puts `bl` in no call group and cannot
 * decode LSE/RCpc/MTE, and prints PAC/BTI as bare hints; this file fills
 * those gaps from the encodings (Arm ARM, A64 base and v8.1-v8.5 ISA). */
#include "arch/debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

static enum mb_flow a64_flow(const cs_insn *insn, uint32_t w, uint64_t addr, uint64_t *target)
{
	(void)insn;
	if ((w & 0x7c000000) == 0x14000000) { /* B, BL */
		*target = addr + (uint64_t)(sext(w & 0x03ffffff, 26) * 4);
		return (w & 0x80000000) ? MB_FLOW_CALL : MB_FLOW_JUMP;
	}
	if ((w & 0xff000010) == 0x54000000 || (w & 0x7e000000) == 0x34000000) { /* B.cond, CBZ/CBNZ */
		*target = addr + (uint64_t)(sext((w >> 5) & 0x7ffff, 19) * 4);
		return MB_FLOW_CJUMP;
	}
	if ((w & 0x7e000000) == 0x36000000) { /* TBZ/TBNZ */
		*target = addr + (uint64_t)(sext((w >> 5) & 0x3fff, 14) * 4);
		return MB_FLOW_CJUMP;
	}
	if ((w & 0xfffffc1f) == 0xd63f0000 || (w & 0xfefff800) == 0xd63f0800) /* BLR, BLRAA.. */
		return MB_FLOW_CALL;
	if ((w & 0xfffffc1f) == 0xd65f0000 || (w & 0xfffffbff) == 0xd65f0bff) /* RET, RETAA/AB */
		return MB_FLOW_RET;
	if ((w & 0xfffffc1f) == 0xd61f0000 || (w & 0xfefff800) == 0xd61f0800) /* BR, BRAA.. */
		return MB_FLOW_JUMP;
	if ((w & 0xffe0001f) == 0xd4200000) /* BRK */
		return MB_FLOW_TRAP;
	return MB_FLOW_NONE;
}

/* HINT #imm names from the A64 hint space (Capstone 4 names only 0-5). */
static const char *const hint_names[40] = {
	[7] = "xpaclri", [8] = "pacia1716", [10] = "pacib1716", [12] = "autia1716",
	[14] = "autib1716", [16] = "esb", [17] = "psb csync", [18] = "tsb csync",
	[20] = "csdb", [24] = "paciaz", [25] = "paciasp", [26] = "pacibz", [27] = "pacibsp",
	[28] = "autiaz", [29] = "autiasp", [30] = "autibz", [31] = "autibsp",
	[32] = "bti", [34] = "bti c", [36] = "bti j", [38] = "bti jc",
};

static bool a64_rename(uint32_t w, const char *mnemonic, const char *op_str, char *out, size_t outsz)
{
	if (w == 0xd50330ff) { /* SB, misdecoded by Capstone 4 as an msr */
		snprintf(out, outsz, "sb");
		return true;
	}
	if (strcmp(mnemonic, "hint") != 0 || op_str[0] != '#')
		return false;
	unsigned long n = strtoul(op_str + 1, NULL, 0);
	if (n >= sizeof(hint_names) / sizeof(hint_names[0]) || hint_names[n] == NULL)
		return false;
	snprintf(out, outsz, "%s", hint_names[n]);
	return true;
}

static const char *a64_undecodable_note(uint32_t w)
{
	if ((w & 0x3fbffc00) == 0x38bfc000)
		return "ldapr: RCpc load-acquire (ARMv8.3), not decoded by Capstone 4.0.2";
	if ((w & 0x3f200c00) == 0x38200000)
		return "LSE atomic memory op (ARMv8.1), not decoded by Capstone 4.0.2";
	if ((w & 0x3fa07c00) == 0x08a07c00 || (w & 0xbfa07c00) == 0x08207c00)
		return "LSE compare-and-swap (ARMv8.1), not decoded by Capstone 4.0.2";
	if ((w & 0x3f200c00) == 0x19000000)
		return "stlur/ldapur (ARMv8.4), not decoded by Capstone 4.0.2";
	if ((w & 0xffe0fc00) == 0x9ac01000 || (w & 0xff200000) == 0xd9200000)
		return "MTE tag instruction (ARMv8.5), not decoded by Capstone 4.0.2";
	return NULL;
}

#define X(n) { "x" #n, 64, UC_ARM64_REG_X##n, "int", true }
static const struct mb_dbg_reg a64_regs[] = {
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9), X(10), X(11), X(12),
	X(13), X(14), X(15), X(16), X(17), X(18), X(19), X(20), X(21), X(22), X(23), X(24),
	X(25), X(26), X(27), X(28), X(29), X(30),
	{ "sp", 64, UC_ARM64_REG_SP, "data_ptr", true },
	{ "pc", 64, UC_ARM64_REG_PC, "code_ptr", false },
	{ "cpsr", 32, UC_ARM64_REG_NZCV, "int", true },
};

const struct mb_debug_ops mb_debug_arm64 = {
	.insn_max = 4,
	.word_directive = ".long",
	.rename = a64_rename,
	.undecodable_note = a64_undecodable_note,
	.flow = a64_flow,
	.regs = a64_regs,
	.nregs = sizeof(a64_regs) / sizeof(a64_regs[0]),
	.pc_index = 32,
	.gdb_arch = "aarch64",
	.gdb_feature = "org.gnu.gdb.aarch64.core",
	.bug_relative = true,
	.bug_entry_size = 12,
	.bug_insn_size = 4,
};
