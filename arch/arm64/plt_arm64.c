/* arm64 module PLTs (arch/arm64/kernel/module-plts.c): the sizing pass
 * (module_frob_arch_sections) and the entries CALL26/JUMP26 fall back to.
 *
 * An entry is `adrp x16, dst; add x16, x16, #:lo12:dst; br x16` (12 bytes).
 * The kernel shares an entry only with the one emitted just before it,
 * which is enough because the sizing pass sorted each section's branch
 * relocations by (symbol, type, addend) and they are applied in that order.
 * With erratum 843419 (mb_reloc_config; off by default), ADRPs change
 * section alignment or reserve veneers here, and entries never start at
 * page offsets 0xff8/0xffc. */
#include "arch/arm64/arm64_insn.h"

enum {
	R_AARCH64_ADR_PREL_PG_HI21 = 275,
	R_AARCH64_ADR_PREL_PG_HI21_NC = 276,
	R_AARCH64_JUMP26 = 282,
	R_AARCH64_CALL26 = 283,
	PLT_ENTRY_SIZE = 12,
	L1_CACHE_BYTES = 64,
	NR_FTRACE_PLTS = 1, /* 2 with cfg->ftrace_regs_trampoline (before v6.2) */
	ARM64_REG_IP0 = 16,
};

static const uint32_t ADRP_X16 = 0x90000000u | ARM64_REG_IP0;
static const uint32_t ADD_X16_X16 = 0x91000000u | (ARM64_REG_IP0 << 5) | ARM64_REG_IP0;
static const uint32_t BR_X16 = 0xd61f0000u | (ARM64_REG_IP0 << 5);

/* ---- Sizing -------------------------------------------------------------- */

static bool branch_rela_needs_plt(const struct mb_object *obj, const struct mb_obj_rela *r,
				  uint32_t dstidx)
{
	if (obj->symbols[r->sym].shndx == dstidx)
		return false;
	return r->type == R_AARCH64_JUMP26 || r->type == R_AARCH64_CALL26;
}

/* The kernel's partition_branch_plt_relas, step for step (including that it
 * returns n - 1 when every relocation qualifies), so that the order the
 * relocations are applied in, and hence PLT sharing, is the kernel's. */
static size_t partition_branch_plt_relas(const struct mb_object *obj, struct mb_obj_rela *r,
					 size_t n, uint32_t dstidx)
{
	if (n == 0)
		return 0;
	size_t i = 0, j = n - 1;
	while (i < j) {
		if (branch_rela_needs_plt(obj, &r[i], dstidx)) {
			i++;
		} else if (branch_rela_needs_plt(obj, &r[j], dstidx)) {
			struct mb_obj_rela t = r[i];
			r[i] = r[j];
			r[j] = t;
		} else {
			j--;
		}
	}
	return i;
}

/* cmp_rela: r_info (symbol, then type, as ELF64_R_INFO packs them), then
 * addend. */
static int cmp_rela(const struct mb_obj_rela *a, const struct mb_obj_rela *b)
{
	if (a->sym != b->sym)
		return a->sym < b->sym ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->addend != b->addend)
		return a->addend < b->addend ? -1 : 1;
	return 0;
}

/* 2 << ffz(offset | 7): the alignment at which an ADRP at this section
 * offset cannot land on page offset 0xff8/0xffc. */
static uint64_t adrp_min_align(uint64_t offset)
{
	uint64_t v = offset | 7;
	unsigned zero = 0;
	while (zero < 63 && (v >> zero) & 1)
		zero++;
	return (uint64_t)2 << zero;
}

static uint32_t count_plts(const struct mb_object *obj, const struct mb_obj_rela *r, size_t n,
			   uint32_t dstidx, struct mb_obj_section *dst, bool erratum)
{
	uint32_t ret = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].type == R_AARCH64_ADR_PREL_PG_HI21 || r[i].type == R_AARCH64_ADR_PREL_PG_HI21_NC) {
			if (!erratum)
				continue;
			/* A veneer slot if no section alignment can keep
			 * this ADRP off the forbidden offsets. */
			uint64_t min_align = adrp_min_align(r[i].offset);
			if (min_align > 4096)
				ret++;
			else if (dst->addralign < min_align)
				dst->addralign = min_align;
			continue;
		}
		if (r[i].type != R_AARCH64_JUMP26 && r[i].type != R_AARCH64_CALL26)
			continue;
		/* A branch within its own section never needs a PLT. */
		if (obj->symbols[r[i].sym].shndx == dstidx)
			continue;
		bool duplicate = i > 0 && cmp_rela(&r[i], &r[i - 1]) == 0;
		if (r[i].addend != 0 || !duplicate)
			ret++;
	}
	/* Slack for PLT slots skipped at forbidden offsets. */
	if (erratum)
		ret += (ret + 4096 / PLT_ENTRY_SIZE - 1) / (4096 / PLT_ENTRY_SIZE);
	return ret;
}

static void make_plt_section(struct mb_obj_section *sec, uint32_t count)
{
	sec->type = MB_SHT_NOBITS;
	sec->flags = MB_SHF_EXECINSTR | MB_SHF_ALLOC;
	sec->addralign = L1_CACHE_BYTES;
	sec->size = ((uint64_t)count + 1) * PLT_ENTRY_SIZE;
}

static void make_ftrace_section(struct mb_obj_section *sec, unsigned nplts)
{
	sec->type = MB_SHT_NOBITS;
	sec->flags = MB_SHF_EXECINSTR | MB_SHF_ALLOC;
	sec->addralign = 4; /* __alignof__(struct plt_entry) */
	sec->size = (uint64_t)nplts * PLT_ENTRY_SIZE;
}

enum mb_reloc_status arm64_size_plts(struct mb_object *obj, const struct mb_reloc_config *cfg,
				     struct mb_plt_plan *plan)
{
	uint32_t core = mb_obj_find_section(obj, ".plt");
	uint32_t init = mb_obj_find_section(obj, ".init.plt");
	uint32_t tramp = mb_obj_find_section(obj, ".text.ftrace_trampoline");
	uint32_t init_tramp = mb_obj_find_section(obj, ".init.text.ftrace_trampoline");

	if (!core || !init)
		return MB_RELOC_NO_PLT_SECTION;
	if (obj->nsymbols == 0)
		return MB_RELOC_NO_SYMTAB;
	enum mb_reloc_status st = mb_obj_check_symbols(obj);
	if (st != MB_RELOC_OK)
		return st;

	uint32_t core_plts = 0, init_plts = 0;
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		struct mb_obj_relsec *rs = &obj->relsecs[i];
		if (rs->target >= obj->nsections)
			continue;
		struct mb_obj_section *dst = &obj->sections[rs->target];
		if (!(dst->flags & MB_SHF_EXECINSTR))
			continue;
		size_t nents = partition_branch_plt_relas(obj, rs->relas, rs->nrelas, rs->target);
		mb_rela_sort(rs->relas, nents, cmp_rela);
		uint32_t n = count_plts(obj, rs->relas, rs->nrelas, rs->target, dst, arm64_erratum(cfg));
		if (mb_init_layout_section(dst->name ? dst->name : ""))
			init_plts += n;
		else
			core_plts += n;
	}

	make_plt_section(&obj->sections[core], core_plts);
	make_plt_section(&obj->sections[init], init_plts);
	if (!(cfg && cfg->arm64_no_ftrace)) {
		unsigned nplts = NR_FTRACE_PLTS + (cfg && cfg->ftrace_regs_trampoline);
		if (tramp)
			make_ftrace_section(&obj->sections[tramp], nplts);
		if (init_tramp)
			make_ftrace_section(&obj->sections[init_tramp], nplts);
	}
	*plan = (struct mb_plt_plan){
		.core_shndx = core, .init_shndx = init,
		.core_max = core_plts, .init_max = init_plts,
	};
	return MB_RELOC_OK;
}

/* ---- Emission ------------------------------------------------------------ */

static void get_plt_entry(uint64_t dst, uint64_t pc, uint32_t words[3])
{
	int64_t page_delta = mb_s64((dst & ~(uint64_t)0xfff) - (pc & ~(uint64_t)0xfff));
	words[0] = arm64_encode_imm(ARM64_IMM_ADR, ADRP_X16, (uint64_t)mb_asr(page_delta, 12));
	words[1] = arm64_encode_imm(ARM64_IMM_12, ADD_X16_X16, dst & 0xfff);
	words[2] = BR_X16;
}

/* plt_entries_equal: same add and br, and both ADRPs resolve to one page. */
static bool plt_entries_equal(const uint32_t a[3], uint64_t a_addr, const uint32_t b[3],
			      uint64_t b_addr)
{
	if (a[1] != b[1] || a[2] != b[2])
		return false;
	uint64_t p = a_addr & ~(uint64_t)0xfff, q = b_addr & ~(uint64_t)0xfff;
	if (a[0] == b[0] && p == q)
		return true;
	return p + (uint64_t)arm64_adrp_offset(a[0]) == q + (uint64_t)arm64_adrp_offset(b[0]);
}

static uint64_t slot_addr(const struct mb_plt *plt, uint32_t slot)
{
	return plt->addr + (uint64_t)slot * PLT_ENTRY_SIZE;
}

static bool slot_fits(const struct mb_plt *plt, uint32_t slot)
{
	return (uint64_t)(slot + 1) * PLT_ENTRY_SIZE <= plt->size;
}

enum mb_reloc_status arm64_plt_pick(struct mb_plt_state *plts, bool in_init, uint64_t dst,
				    bool erratum, struct arm64_plt_pick *pick)
{
	struct mb_plt *plt = in_init ? &plts->init : &plts->core;
	uint32_t used = plt->used, i = used;

	if (arm64_adrp_forbidden(erratum, slot_addr(plt, i)))
		i++;
	pick->plt = plt;
	get_plt_entry(dst, slot_addr(plt, i), pick->words);
	/* Shared with the previous entry (j = used - 1) when equal. */
	if (used > 0 && slot_fits(plt, used - 1)) {
		uint32_t prev[3];
		const uint8_t *pb = plt->bytes + (uint64_t)(used - 1) * PLT_ENTRY_SIZE;
		for (int w = 0; w < 3; w++)
			prev[w] = (uint32_t)mb_load(pb + 4 * w, 4, false);
		if (plt_entries_equal(pick->words, slot_addr(plt, i), prev, slot_addr(plt, used - 1))) {
			pick->slot = used - 1;
			pick->addr = slot_addr(plt, used - 1);
			pick->fresh = false;
			return MB_RELOC_OK;
		}
	}
	if (i + 1 > plt->max || !slot_fits(plt, i))
		return MB_RELOC_PLT_FULL;
	pick->slot = i;
	pick->addr = slot_addr(plt, i);
	pick->fresh = true;
	return MB_RELOC_OK;
}

enum mb_reloc_status arm64_veneer_pick(struct mb_plt_state *plts, bool in_init, uint64_t place,
				       uint32_t insn, uint64_t page, bool erratum,
				       struct arm64_plt_pick *pick)
{
	struct mb_plt *plt = in_init ? &plts->init : &plts->core;
	uint32_t i = plt->used;

	if (i + 1 > plt->max)
		return MB_RELOC_PLT_FULL;
	/* The kernel checks the count before skipping a forbidden slot, and
	 * relies on the slack after it. */
	if (arm64_adrp_forbidden(erratum, slot_addr(plt, i)))
		i++;
	if (!slot_fits(plt, i))
		return MB_RELOC_PLT_FULL;

	uint32_t rd = insn & 31;
	uint64_t at = slot_addr(plt, i);
	int64_t back = mb_s64(place + 4 - (at + 8));
	if (back < -(1 << 27) || back >= (1 << 27))
		return MB_RELOC_OVERFLOW;
	int64_t page_delta = mb_s64((page & ~(uint64_t)0xfff) - (at & ~(uint64_t)0xfff));
	pick->words[0] = arm64_encode_imm(ARM64_IMM_ADR, 0x90000000u | rd, (uint64_t)mb_asr(page_delta, 12));
	pick->words[1] = arm64_encode_imm(ARM64_IMM_12, 0x91000000u | rd << 5 | rd, page & 0xfff);
	pick->words[2] = arm64_encode_imm(ARM64_IMM_26, 0x14000000u, (uint64_t)mb_asr(back, 2));
	pick->plt = plt;
	pick->slot = i;
	pick->addr = at;
	pick->fresh = true;
	return MB_RELOC_OK;
}

void arm64_plt_commit(const struct arm64_plt_pick *pick)
{
	if (!pick->fresh)
		return;
	uint8_t *p = pick->plt->bytes + (uint64_t)pick->slot * PLT_ENTRY_SIZE;
	for (int w = 0; w < 3; w++)
		mb_store(p + 4 * w, 4, pick->words[w], false);
	pick->plt->used = pick->slot + 1;
}
