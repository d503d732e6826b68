/* A64 immediate fields, as arch/arm64/lib/insn.c encodes them
 * (aarch64_insn_encode_immediate), and the PLT entry interface shared by
 * reloc_arm64.c and plt_arm64.c. Internal to arch/arm64. */
#ifndef MODBED_ARCH_ARM64_INSN_H
#define MODBED_ARCH_ARM64_INSN_H

#include "arch/common/reloc_util.h"

enum arm64_imm {
	ARM64_IMM_26,  /* B/BL: bits 0..25 */
	ARM64_IMM_19,  /* B.cond, CBZ, LDR literal: bits 5..23 */
	ARM64_IMM_16,  /* MOVZ/MOVK/MOVN: bits 5..20 */
	ARM64_IMM_14,  /* TBZ/TBNZ: bits 5..18 */
	ARM64_IMM_12,  /* ADD/LDR/STR unsigned offset: bits 10..21 */
	ARM64_IMM_ADR, /* ADR/ADRP: immlo bits 29..30, immhi bits 5..23 */
};

static inline uint32_t arm64_encode_imm(enum arm64_imm t, uint32_t insn, uint64_t imm)
{
	uint32_t mask, shift;

	switch (t) {
	case ARM64_IMM_26:
		mask = 0x3ffffff;
		shift = 0;
		break;
	case ARM64_IMM_19:
		mask = 0x7ffff;
		shift = 5;
		break;
	case ARM64_IMM_16:
		mask = 0xffff;
		shift = 5;
		break;
	case ARM64_IMM_14:
		mask = 0x3fff;
		shift = 5;
		break;
	case ARM64_IMM_12:
		mask = 0xfff;
		shift = 10;
		break;
	case ARM64_IMM_ADR: {
		uint32_t immlo = (uint32_t)(imm & 0x3);
		uint32_t immhi = (uint32_t)((imm >> 2) & 0x7ffff);
		imm = ((uint64_t)immlo << 24) | immhi;
		mask = (0x3u << 24) | 0x7ffff;
		shift = 5;
		break;
	}
	default:
		return insn;
	}
	insn &= ~(mask << shift);
	return insn | (((uint32_t)imm & mask) << shift);
}

/* Sign-extended byte offset an ADRP encodes (aarch64_insn_adrp_get_offset). */
static inline int64_t arm64_adrp_offset(uint32_t insn)
{
	uint64_t imm = ((uint64_t)((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 0x3);
	if (imm & (1u << 20))
		imm |= ~(uint64_t)0x1fffff;
	return mb_s64(imm << 12);
}

/* is_forbidden_offset_for_adrp: with erratum 843419, an ADRP must not sit
 * at page offset 0xff8 or 0xffc. */
static inline bool arm64_adrp_forbidden(bool erratum, uint64_t place)
{
	return erratum && (place & 0xfff) >= 0xff8;
}

static inline bool arm64_erratum(const struct mb_reloc_config *cfg)
{
	return cfg && cfg->arm64_erratum_843419;
}

/* One PLT entry chosen for a branch: computed first, written by commit. */
struct arm64_plt_pick {
	struct mb_plt *plt;
	uint64_t addr;      /* guest address of the entry the branch will use */
	uint32_t slot;      /* its index */
	bool fresh;         /* a new entry (false: the previous one is shared) */
	uint32_t words[3];  /* adrp, add, br */
};

/* module_emit_plt_entry without the writes: picks the core or init PLT,
 * builds the entry for dst, shares the previous entry when equal. */
enum mb_reloc_status arm64_plt_pick(struct mb_plt_state *plts, bool in_init, uint64_t dst,
				    bool erratum, struct arm64_plt_pick *pick);
/* module_emit_veneer_for_adrp without the writes: `adrp Rd, page; add Rd,
 * Rd, #0; b place + 4` for the ADRP `insn` at `place`. OVERFLOW when the
 * veneer cannot branch back. */
enum mb_reloc_status arm64_veneer_pick(struct mb_plt_state *plts, bool in_init, uint64_t place,
				       uint32_t insn, uint64_t page, bool erratum,
				       struct arm64_plt_pick *pick);
void arm64_plt_commit(const struct arm64_plt_pick *pick);

/* The sizing pass (module_frob_arch_sections), for the ops table. */
enum mb_reloc_status arm64_size_plts(struct mb_object *obj, const struct mb_reloc_config *cfg,
				     struct mb_plt_plan *plan);

#endif
