/* powerpc32 debugging data. Capstone 4.0.2 prints SPR numbers raw and has
 * incomplete branch groups, so names come from this SPR table (classic
 * book3s/32 numbering, plus the 8xx MMU registers that do not collide) and
 * control flow from the primary/extended opcodes (Power ISA, Book I). */
#include "arch/debug.h"

#include <stdio.h>
#include <string.h>
#include <unicorn/unicorn.h>

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

static enum mb_flow ppc_flow(const cs_insn *insn, uint32_t w, uint64_t addr, uint64_t *target)
{
	(void)insn;
	unsigned op = w >> 26, xo = (w >> 1) & 0x3ff;
	bool lk = w & 1, aa = w & 2;
	if (op == 18) { /* b, bl, ba, bla */
		int64_t li = sext(w & 0x03fffffc, 26);
		*target = (uint32_t)(aa ? (uint64_t)li : addr + (uint64_t)li);
		return lk ? MB_FLOW_CALL : MB_FLOW_JUMP;
	}
	if (op == 16) { /* bc */
		int64_t bd = sext(w & 0xfffc, 16);
		uint64_t t = (uint32_t)(aa ? (uint64_t)bd : addr + (uint64_t)bd);
		*target = t;
		/* `bcl 20,31,$+4` reads the PC in PIC code; it is not a call. */
		if (lk && t == addr + 4)
			return MB_FLOW_NONE;
		if (lk)
			return MB_FLOW_CALL;
		bool always = (((w >> 21) & 0x14) == 0x14);
		return always ? MB_FLOW_JUMP : MB_FLOW_CJUMP;
	}
	if (op == 19 && xo == 16) /* bclr: blr, blrl, conditional returns */
		return lk ? MB_FLOW_CALL : MB_FLOW_RET;
	if (op == 19 && xo == 528) /* bcctr: bctr, bctrl */
		return lk ? MB_FLOW_CALL : MB_FLOW_JUMP;
	if (op == 3 || (op == 31 && xo == 4)) /* twi, tw */
		return MB_FLOW_TRAP;
	return MB_FLOW_NONE;
}

struct spr { uint16_t num; const char *name; };
static const struct spr sprs[] = {
	{ 1, "XER" }, { 8, "LR" }, { 9, "CTR" }, { 18, "DSISR" }, { 19, "DAR" }, { 22, "DEC" },
	{ 25, "SDR1" }, { 26, "SRR0" }, { 27, "SRR1" }, { 48, "PID" }, { 58, "CSRR0" },
	{ 59, "CSRR1" }, { 61, "DEAR" }, { 62, "ESR" }, { 63, "IVPR" }, { 80, "EIE" },
	{ 81, "EID" }, { 82, "NRI" }, { 144, "CMPA" }, { 256, "VRSAVE" }, { 268, "TBRL" },
	{ 269, "TBRU" }, { 272, "SPRG0" }, { 273, "SPRG1" }, { 274, "SPRG2" }, { 275, "SPRG3" },
	{ 276, "SPRG4" }, { 277, "SPRG5" }, { 278, "SPRG6" }, { 279, "SPRG7" }, { 282, "EAR" },
	{ 284, "TBWL" }, { 285, "TBWU" }, { 287, "PVR" },
	{ 528, "IBAT0U" }, { 529, "IBAT0L" }, { 530, "IBAT1U" }, { 531, "IBAT1L" },
	{ 532, "IBAT2U" }, { 533, "IBAT2L" }, { 534, "IBAT3U" }, { 535, "IBAT3L" },
	{ 536, "DBAT0U" }, { 537, "DBAT0L" }, { 538, "DBAT1U" }, { 539, "DBAT1L" },
	{ 540, "DBAT2U" }, { 541, "DBAT2L" }, { 542, "DBAT3U" }, { 543, "DBAT3L" },
	{ 560, "IBAT4U" }, { 561, "IBAT4L" }, { 562, "IBAT5U" }, { 563, "IBAT5L" },
	{ 564, "IBAT6U" }, { 565, "IBAT6L" }, { 566, "IBAT7U" }, { 567, "IBAT7L" },
	{ 568, "DBAT4U" }, { 569, "DBAT4L" }, { 570, "DBAT5U" }, { 571, "DBAT5L" },
	{ 572, "DBAT6U" }, { 573, "DBAT6L" }, { 574, "DBAT7U" }, { 575, "DBAT7L" },
	{ 784, "MI_CTR" }, { 786, "MI_AP" }, { 787, "MI_EPN" }, { 789, "MI_TWC" },
	{ 790, "MI_RPN" }, { 792, "MD_CTR" }, { 793, "M_CASID" }, { 794, "MD_AP" },
	{ 795, "MD_EPN" }, { 796, "M_TWB" }, { 797, "MD_TWC" }, { 798, "MD_RPN" },
	{ 799, "M_TW" }, { 936, "UMMCR0" }, { 952, "MMCR0" }, { 953, "PMC1" }, { 954, "PMC2" },
	{ 955, "SIA" }, { 956, "MMCR1" }, { 957, "PMC3" }, { 958, "PMC4" }, { 959, "SDA" },
	{ 1008, "HID0" }, { 1009, "HID1" }, { 1010, "IABR" }, { 1013, "DABR" },
	{ 1017, "L2CR" }, { 1018, "L3CR" }, { 1019, "ICTC" }, { 1020, "THRM1" },
	{ 1021, "THRM2" }, { 1022, "THRM3" }, { 1023, "PIR" },
};

static const char *spr_name(unsigned n)
{
	for (size_t i = 0; i < sizeof(sprs) / sizeof(sprs[0]); i++)
		if (sprs[i].num == n)
			return sprs[i].name;
	return NULL;
}

static bool ppc_rename(uint32_t w, const char *mnemonic, const char *op_str, char *out, size_t outsz)
{
	(void)op_str;
	unsigned op = w >> 26, xo = (w >> 1) & 0x3ff, r = (w >> 21) & 31;
	/* The SPR field is split: the two 5-bit halves are swapped. */
	unsigned spr = ((w >> 16) & 31) | (((w >> 11) & 31) << 5);
	if (op != 31)
		return false;
	if (xo == 371 && strcmp(mnemonic, "mftb") == 0 && (spr == 268 || spr == 269)) {
		snprintf(out, outsz, "%s r%u", spr == 268 ? "mftb" : "mftbu", r);
		return true;
	}
	const char *name = spr_name(spr);
	if (name == NULL)
		return false;
	if (xo == 339 && strcmp(mnemonic, "mfspr") == 0) {
		snprintf(out, outsz, "mfspr r%u, %s", r, name);
		return true;
	}
	if (xo == 467 && strcmp(mnemonic, "mtspr") == 0) {
		snprintf(out, outsz, "mtspr %s, r%u", name, r);
		return true;
	}
	return false;
}

static const char *ppc_undecodable_note(uint32_t w)
{
	unsigned op = w >> 26, xo = (w >> 1) & 0x3ff;
	if (op == 4)
		return "SPE/AltiVec (primary opcode 4), not decoded by Capstone 4.0.2";
	if (op == 31 && xo == 334)
		return "mfpmr (e500 PMR), not decoded by Capstone 4.0.2";
	return NULL;
}

#define R(n) { "r" #n, 32, UC_PPC_REG_##n, "int", true }
static const struct mb_dbg_reg ppc_regs[] = {
	R(0), R(1), R(2), R(3), R(4), R(5), R(6), R(7), R(8), R(9), R(10), R(11), R(12),
	R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20), R(21), R(22), R(23), R(24),
	R(25), R(26), R(27), R(28), R(29), R(30), R(31),
	{ "pc", 32, UC_PPC_REG_PC, "code_ptr", false },
	{ "msr", 32, UC_PPC_REG_MSR, "int", false },
	{ "cr", 32, UC_PPC_REG_CR, "int", true },
	{ "lr", 32, UC_PPC_REG_LR, "code_ptr", true },
	{ "ctr", 32, UC_PPC_REG_CTR, "int", true },
	{ "xer", 32, UC_PPC_REG_XER, "int", true },
};

const struct mb_debug_ops mb_debug_powerpc32 = {
	.insn_max = 4,
	.word_directive = ".long",
	.rename = ppc_rename,
	.undecodable_note = ppc_undecodable_note,
	.flow = ppc_flow,
	.regs = ppc_regs,
	.nregs = sizeof(ppc_regs) / sizeof(ppc_regs[0]),
	.pc_index = 32,
	.gdb_arch = "powerpc:common",
	.gdb_feature = "org.gnu.gdb.power.core",
	/* arch/powerpc/Kconfig selects GENERIC_BUG_RELATIVE_POINTERS: the
	 * kbuild modules' __bug_table carries R_PPC_REL32, 12-byte entries. */
	.bug_relative = true,
	.bug_entry_size = 12,
	.bug_insn_size = 4,
};
