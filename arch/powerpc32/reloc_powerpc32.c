/* powerpc32 relocations as arch/powerpc/kernel/module_32.c
 * (apply_relocate_add) applies them. Values are 32-bit; the only range
 * rule upstream is REL24's +-32 MiB, handled by a trampoline. Everything
 * else the kernel does not know (ADDR24, REL14, REL16*, ...) is refused. */
#include "arch/powerpc32/ppc32_plt.h"

enum {
	R_PPC_NONE = 0,
	R_PPC_ADDR32 = 1,
	R_PPC_ADDR16_LO = 4,
	R_PPC_ADDR16_HI = 5,
	R_PPC_ADDR16_HA = 6,
	R_PPC_REL24 = 10,
	R_PPC_REL32 = 26,
	PPC_LI_MASK = 0x03fffffc,
};

static int32_t s32(uint32_t v)
{
	return v <= (uint32_t)INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}

/* The kernel's test: (int)(value - location) in [-0x02000000, 0x02000000). */
static bool rel24_in_range(uint32_t disp)
{
	return s32(disp) >= -0x02000000 && s32(disp) < 0x02000000;
}

/* patch_location_16: the low halfword of the 4-byte word holding the
 * location (r_offset points at insn + 2 for D-form immediates). */
static void patch_location_16(const struct mb_reloc_site *s, uint16_t half,
			      struct mb_reloc_result *res)
{
	uint64_t down = mb_site_place(s) & 3;
	if (s->offset < down || !mb_site_fits(s, s->offset - down, 4)) {
		mb_result_set(res, MB_RELOC_LOC_RANGE);
		return;
	}
	uint8_t *word = s->sec_bytes + s->offset - down;
	uint32_t insn = (uint32_t)mb_load(word, 4, true);
	mb_store(word, 4, (insn & 0xffff0000u) | half, true);
}

static void store32(const struct mb_reloc_site *s, uint32_t v, struct mb_reloc_result *res)
{
	if (!mb_site_fits(s, s->offset, 4)) {
		mb_result_set(res, MB_RELOC_LOC_RANGE);
		return;
	}
	mb_store(s->sec_bytes + s->offset, 4, v, true);
}

static void apply_rel24(const struct mb_reloc_site *s, struct mb_plt_state *plts, uint32_t value,
			struct mb_reloc_result *res)
{
	uint32_t loc = (uint32_t)mb_site_place(s);
	if (!mb_site_fits(s, s->offset, 4)) {
		mb_result_set(res, MB_RELOC_LOC_RANGE);
		return;
	}
	if (loc & 3) {
		mb_result_set(res, MB_RELOC_MISALIGNED);
		return;
	}

	struct ppc32_plt_pick pick = { .fresh = false };
	bool via_plt = false;
	if (!rel24_in_range(value - loc)) {
		enum mb_reloc_status st = plts ? ppc32_plt_pick(plts, s->in_init, value, &pick)
					       : MB_RELOC_PLT_FULL;
		if (st != MB_RELOC_OK) {
			mb_result_set(res, st);
			res->value = s32(value - loc);
			return;
		}
		value = (uint32_t)pick.addr;
		via_plt = true;
	}
	if (!rel24_in_range(value - loc)) {
		/* Only reachable when the trampoline itself is out of range;
		 * upstream would truncate silently. */
		mb_result_overflow(res, s32(value - loc), -0x02000000, 0x01ffffff, true);
		return;
	}

	uint8_t *p = s->sec_bytes + s->offset;
	uint32_t insn = (uint32_t)mb_load(p, 4, true);
	/* Only the LI field changes: opcode, AA and LK stay. */
	insn = (insn & ~(uint32_t)PPC_LI_MASK) | ((value - loc) & PPC_LI_MASK);
	if (via_plt) {
		ppc32_plt_commit(&pick);
		res->via_plt = true;
		res->plt_new = pick.fresh;
		res->plt_addr = pick.addr;
	}
	mb_store(p, 4, insn, true);
}

static void apply_powerpc32(const struct mb_reloc_site *s, struct mb_plt_state *plts,
			    struct mb_reloc_result *res)
{
	uint32_t value = (uint32_t)(s->S + (uint64_t)s->A);

	mb_result_reset(res);
	switch (s->type) {
	case R_PPC_ADDR32:
		store32(s, value, res);
		break;
	case R_PPC_ADDR16_LO:
		patch_location_16(s, (uint16_t)(value & 0xffff), res);
		break;
	case R_PPC_ADDR16_HI:
		patch_location_16(s, (uint16_t)(value >> 16), res);
		break;
	case R_PPC_ADDR16_HA:
		patch_location_16(s, (uint16_t)((value + 0x8000u) >> 16), res);
		break;
	case R_PPC_REL24:
		apply_rel24(s, plts, value, res);
		break;
	case R_PPC_REL32:
		store32(s, value - (uint32_t)mb_site_place(s), res);
		break;
	default:
		/* Includes R_PPC_NONE: module_32.c has no case for it. */
		mb_result_set(res, MB_RELOC_UNSUPPORTED);
		break;
	}
}

const struct mb_reloc_ops mb_reloc_powerpc32 = {
	.type_name = mb_reloc_type_name_powerpc32,
	.size_plts = ppc32_size_plts,
	.apply = apply_powerpc32,
	.plt_entry_size = 16,
};
