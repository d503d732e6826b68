/* arm64 relocations as arch/arm64/kernel/module.c (apply_relocate_add)
 * applies them: the same value computations, field encodings and overflow
 * rules. The kernel writes the field and then reports overflow; here the
 * new bytes are computed first and written only when the relocation is
 * accepted. */
#include "arch/arm64/arm64_insn.h"

enum {
	R_ARM_NONE = 0,
	R_AARCH64_NONE = 256,
	R_AARCH64_ABS64 = 257,
	R_AARCH64_ABS32 = 258,
	R_AARCH64_ABS16 = 259,
	R_AARCH64_PREL64 = 260,
	R_AARCH64_PREL32 = 261,
	R_AARCH64_PREL16 = 262,
	R_AARCH64_MOVW_UABS_G0 = 263,
	R_AARCH64_MOVW_UABS_G0_NC = 264,
	R_AARCH64_MOVW_UABS_G1 = 265,
	R_AARCH64_MOVW_UABS_G1_NC = 266,
	R_AARCH64_MOVW_UABS_G2 = 267,
	R_AARCH64_MOVW_UABS_G2_NC = 268,
	R_AARCH64_MOVW_UABS_G3 = 269,
	R_AARCH64_MOVW_SABS_G0 = 270,
	R_AARCH64_MOVW_SABS_G1 = 271,
	R_AARCH64_MOVW_SABS_G2 = 272,
	R_AARCH64_LD_PREL_LO19 = 273,
	R_AARCH64_ADR_PREL_LO21 = 274,
	R_AARCH64_ADR_PREL_PG_HI21 = 275,
	R_AARCH64_ADR_PREL_PG_HI21_NC = 276,
	R_AARCH64_ADD_ABS_LO12_NC = 277,
	R_AARCH64_LDST8_ABS_LO12_NC = 278,
	R_AARCH64_TSTBR14 = 279,
	R_AARCH64_CONDBR19 = 280,
	R_AARCH64_JUMP26 = 282,
	R_AARCH64_CALL26 = 283,
	R_AARCH64_LDST16_ABS_LO12_NC = 284,
	R_AARCH64_LDST32_ABS_LO12_NC = 285,
	R_AARCH64_LDST64_ABS_LO12_NC = 286,
	R_AARCH64_MOVW_PREL_G0 = 287,
	R_AARCH64_MOVW_PREL_G0_NC = 288,
	R_AARCH64_MOVW_PREL_G1 = 289,
	R_AARCH64_MOVW_PREL_G1_NC = 290,
	R_AARCH64_MOVW_PREL_G2 = 291,
	R_AARCH64_MOVW_PREL_G2_NC = 292,
	R_AARCH64_MOVW_PREL_G3 = 293,
	R_AARCH64_LDST128_ABS_LO12_NC = 299,
};

enum reloc_op { OP_ABS, OP_PREL, OP_PAGE };
enum movw_kind { MOVW_KZ, MOVW_NZ }; /* MOVK/MOVZ as is, or MOVN/MOVZ by sign */

/* What one relocation does, decoded from its type (the kernel's switch). */
struct arm64_rule {
	enum { K_NONE, K_DATA, K_INSN, K_MOVW, K_BRANCH } kind;
	enum reloc_op op;
	unsigned lsb, len;  /* K_DATA: len = bits; K_INSN: field */
	enum arm64_imm imm;
	enum movw_kind movw;
	bool check;         /* the kernel's overflow_check */
};

static bool rule_for(uint32_t type, struct arm64_rule *r)
{
	*r = (struct arm64_rule){ .check = true };
#define DATA(o, bits, chk) (r->kind = K_DATA, r->op = (o), r->len = (bits), r->check = (chk))
#define INSN(o, l, n, t, chk) \
	(r->kind = K_INSN, r->op = (o), r->lsb = (l), r->len = (n), r->imm = (t), r->check = (chk))
#define MOVW(o, l, m, chk) (r->kind = K_MOVW, r->op = (o), r->lsb = (l), r->movw = (m), r->check = (chk))
	switch (type) {
	case R_ARM_NONE:
	case R_AARCH64_NONE: r->kind = K_NONE; break;
	case R_AARCH64_ABS64: DATA(OP_ABS, 64, false); break;
	case R_AARCH64_ABS32: DATA(OP_ABS, 32, true); break;
	case R_AARCH64_ABS16: DATA(OP_ABS, 16, true); break;
	case R_AARCH64_PREL64: DATA(OP_PREL, 64, false); break;
	case R_AARCH64_PREL32: DATA(OP_PREL, 32, true); break;
	case R_AARCH64_PREL16: DATA(OP_PREL, 16, true); break;
	case R_AARCH64_MOVW_UABS_G0_NC: MOVW(OP_ABS, 0, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_UABS_G0: MOVW(OP_ABS, 0, MOVW_KZ, true); break;
	case R_AARCH64_MOVW_UABS_G1_NC: MOVW(OP_ABS, 16, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_UABS_G1: MOVW(OP_ABS, 16, MOVW_KZ, true); break;
	case R_AARCH64_MOVW_UABS_G2_NC: MOVW(OP_ABS, 32, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_UABS_G2: MOVW(OP_ABS, 32, MOVW_KZ, true); break;
	case R_AARCH64_MOVW_UABS_G3: MOVW(OP_ABS, 48, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_SABS_G0: MOVW(OP_ABS, 0, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_SABS_G1: MOVW(OP_ABS, 16, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_SABS_G2: MOVW(OP_ABS, 32, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_PREL_G0_NC: MOVW(OP_PREL, 0, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_PREL_G0: MOVW(OP_PREL, 0, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_PREL_G1_NC: MOVW(OP_PREL, 16, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_PREL_G1: MOVW(OP_PREL, 16, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_PREL_G2_NC: MOVW(OP_PREL, 32, MOVW_KZ, false); break;
	case R_AARCH64_MOVW_PREL_G2: MOVW(OP_PREL, 32, MOVW_NZ, true); break;
	case R_AARCH64_MOVW_PREL_G3: MOVW(OP_PREL, 48, MOVW_NZ, false); break;
	case R_AARCH64_LD_PREL_LO19: INSN(OP_PREL, 2, 19, ARM64_IMM_19, true); break;
	case R_AARCH64_ADR_PREL_LO21: INSN(OP_PREL, 0, 21, ARM64_IMM_ADR, true); break;
	case R_AARCH64_ADR_PREL_PG_HI21_NC: INSN(OP_PAGE, 12, 21, ARM64_IMM_ADR, false); break;
	case R_AARCH64_ADR_PREL_PG_HI21: INSN(OP_PAGE, 12, 21, ARM64_IMM_ADR, true); break;
	case R_AARCH64_ADD_ABS_LO12_NC:
	case R_AARCH64_LDST8_ABS_LO12_NC: INSN(OP_ABS, 0, 12, ARM64_IMM_12, false); break;
	case R_AARCH64_LDST16_ABS_LO12_NC: INSN(OP_ABS, 1, 11, ARM64_IMM_12, false); break;
	case R_AARCH64_LDST32_ABS_LO12_NC: INSN(OP_ABS, 2, 10, ARM64_IMM_12, false); break;
	case R_AARCH64_LDST64_ABS_LO12_NC: INSN(OP_ABS, 3, 9, ARM64_IMM_12, false); break;
	case R_AARCH64_LDST128_ABS_LO12_NC: INSN(OP_ABS, 4, 8, ARM64_IMM_12, false); break;
	case R_AARCH64_TSTBR14: INSN(OP_PREL, 2, 14, ARM64_IMM_14, true); break;
	case R_AARCH64_CONDBR19: INSN(OP_PREL, 2, 19, ARM64_IMM_19, true); break;
	case R_AARCH64_JUMP26:
	case R_AARCH64_CALL26:
		INSN(OP_PREL, 2, 26, ARM64_IMM_26, true);
		r->kind = K_BRANCH;
		break;
	default:
		return false;
	}
#undef DATA
#undef INSN
#undef MOVW
	return true;
}

/* do_reloc */
static int64_t do_reloc(enum reloc_op op, uint64_t place, uint64_t val)
{
	switch (op) {
	case OP_ABS:
		return mb_s64(val);
	case OP_PREL:
		return mb_s64(val - place);
	case OP_PAGE:
		return mb_s64((val & ~(uint64_t)0xfff) - (place & ~(uint64_t)0xfff));
	}
	return 0;
}

/* reloc_data: the value, its range, and whether it fits. */
static bool data_value(const struct arm64_rule *r, uint64_t place, uint64_t val, int64_t *sval,
		       struct mb_reloc_result *range)
{
	*sval = do_reloc(r->op, place, val);
	if (r->len == 64)
		return true;
	int64_t lim = (int64_t)1 << (r->len - 1);
	if (r->op == OP_ABS) {
		/* ABS is unsigned: [0, U16_MAX] / [0, U32_MAX]. */
		range->lo = 0;
		range->hi = 2 * lim - 1;
		range->range_signed = false;
	} else {
		/* PREL is signed by design (the kernel's address space needs it). */
		range->lo = -lim;
		range->hi = lim - 1;
		range->range_signed = true;
	}
	return *sval >= range->lo && *sval <= range->hi;
}

/* reloc_insn_imm: new instruction word and whether the value fits. */
static bool insn_imm(const struct arm64_rule *r, uint32_t insn, int64_t sval, uint32_t *out,
		     struct mb_reloc_result *range)
{
	int64_t shifted = mb_asr(sval, r->lsb);
	uint64_t imm_mask = (((uint64_t)1 << (r->lsb + r->len)) - 1) >> r->lsb;
	*out = arm64_encode_imm(r->imm, insn, (uint64_t)shifted & imm_mask);

	int64_t half = (int64_t)1 << (r->len - 1);
	range->lo = -half * ((int64_t)1 << r->lsb);
	range->hi = (half - 1) * ((int64_t)1 << r->lsb);
	range->range_signed = true;
	return shifted >= -half && shifted < half;
}

/* reloc_insn_movw */
static bool insn_movw(const struct arm64_rule *r, uint32_t insn, int64_t sval, uint32_t *out,
		      struct mb_reloc_result *range)
{
	uint64_t imm = (uint64_t)mb_asr(sval, r->lsb);
	/* G3 (lsb 48) covers the top bits and is never checked. */
	int64_t span = r->lsb < 48 ? (int64_t)1 << (r->lsb + 16) : INT64_MAX;

	if (r->movw == MOVW_NZ) {
		insn &= ~(3u << 29);
		if (sval >= 0)
			insn |= 2u << 29; /* MOVZ */
		else
			imm = ~imm;       /* MOVN of the inverted value */
		range->lo = r->lsb < 48 ? -span : INT64_MIN;
		range->hi = r->lsb < 48 ? span - 1 : INT64_MAX;
		range->range_signed = true;
	} else {
		range->lo = 0;
		range->hi = r->lsb < 48 ? span - 1 : -1;
		range->range_signed = false;
	}
	*out = arm64_encode_imm(ARM64_IMM_16, insn, imm);
	return imm <= 0xffff;
}

/* reloc_insn_adrp for an ADRP at a forbidden offset: an ADR to the page
 * when within +-1 MiB, else a branch to a veneer that does the ADRP. */
static void adrp_843419(const struct mb_reloc_site *s, struct mb_plt_state *plts, uint32_t insn,
			uint64_t val, struct mb_reloc_result *res)
{
	static const struct arm64_rule adr = { .kind = K_INSN, .op = OP_PREL, .lsb = 0, .len = 21,
					       .imm = ARM64_IMM_ADR, .check = true };
	uint64_t place = mb_site_place(s), page = val & ~(uint64_t)0xfff;
	uint8_t *loc = s->sec_bytes + s->offset;
	struct mb_reloc_result range = { 0 };
	uint32_t out;

	if (insn_imm(&adr, insn, do_reloc(OP_PREL, place, page), &out, &range)) {
		mb_store(loc, 4, out & ~(1u << 31), false);  /* ADRP -> ADR */
		return;
	}
	struct arm64_plt_pick pick;
	enum mb_reloc_status st = plts ? arm64_veneer_pick(plts, s->in_init, place, insn, page, true, &pick)
				       : MB_RELOC_PLT_FULL;
	int64_t to = st == MB_RELOC_OK ? mb_s64(pick.addr - place) : 0;
	if (st == MB_RELOC_OK && (to < -(1 << 27) || to >= (1 << 27))) {
		mb_result_overflow(res, to, -(1 << 27), (1 << 27) - 4, true);
		return;
	}
	if (st != MB_RELOC_OK) {
		mb_result_set(res, st);
		return;
	}
	arm64_plt_commit(&pick);
	mb_store(loc, 4, arm64_encode_imm(ARM64_IMM_26, 0x14000000u, (uint64_t)mb_asr(to, 2)), false);
	res->via_plt = true;
	res->plt_new = true;
	res->plt_addr = pick.addr;
}

static void apply_arm64(const struct mb_reloc_site *s, struct mb_plt_state *plts,
			struct mb_reloc_result *res)
{
	struct arm64_rule r;
	uint64_t place = mb_site_place(s);
	uint64_t val = s->S + (uint64_t)s->A;
	struct mb_reloc_result range = { 0 };

	mb_result_reset(res);
	if (!rule_for(s->type, &r)) {
		mb_result_set(res, MB_RELOC_UNSUPPORTED);
		return;
	}
	if (r.kind == K_NONE)
		return;

	if (r.kind == K_DATA) {
		unsigned bytes = r.len / 8;
		int64_t sval;
		if (!mb_site_fits(s, s->offset, bytes)) {
			mb_result_set(res, MB_RELOC_LOC_RANGE);
			return;
		}
		if (!data_value(&r, place, val, &sval, &range) && r.check) {
			mb_result_overflow(res, sval, range.lo, range.hi, range.range_signed);
			return;
		}
		mb_store(s->sec_bytes + s->offset, bytes, (uint64_t)sval, false);
		return;
	}

	if (!mb_site_fits(s, s->offset, 4)) {
		mb_result_set(res, MB_RELOC_LOC_RANGE);
		return;
	}
	if (place & 3) {
		mb_result_set(res, MB_RELOC_MISALIGNED);
		return;
	}
	uint8_t *loc = s->sec_bytes + s->offset;
	uint32_t insn = (uint32_t)mb_load(loc, 4, false), out;
	bool erratum = arm64_erratum(s->cfg);
	if (r.op == OP_PAGE && arm64_adrp_forbidden(erratum, place)) {
		adrp_843419(s, plts, insn, val, res);
		return;
	}
	int64_t sval = do_reloc(r.op, place, val);
	bool fits = r.kind == K_MOVW ? insn_movw(&r, insn, sval, &out, &range)
				     : insn_imm(&r, insn, sval, &out, &range);

	if (r.kind == K_BRANCH && !fits) {
		/* Out of +-128 MiB: branch to a PLT entry that reaches val. */
		struct arm64_plt_pick pick;
		enum mb_reloc_status st = plts ? arm64_plt_pick(plts, s->in_init, val, erratum, &pick)
					       : MB_RELOC_PLT_FULL;
		if (st != MB_RELOC_OK) {
			mb_result_set(res, st);
			res->value = sval;
			return;
		}
		sval = do_reloc(r.op, place, pick.addr);
		fits = insn_imm(&r, insn, sval, &out, &range);
		if (fits) {
			arm64_plt_commit(&pick);
			res->via_plt = true;
			res->plt_new = pick.fresh;
			res->plt_addr = pick.addr;
		}
	}
	if (!fits && r.check) {
		mb_result_overflow(res, sval, range.lo, range.hi, range.range_signed);
		return;
	}
	mb_store(loc, 4, out, false);
}

const struct mb_reloc_ops mb_reloc_arm64 = {
	.type_name = mb_reloc_type_name_arm64,
	.size_plts = arm64_size_plts,
	.apply = apply_arm64,
	.plt_entry_size = 12,
};
