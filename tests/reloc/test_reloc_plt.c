/* PLT paths on arm64 (12-byte adrp/add/br entries) and powerpc32 (16-byte
 * lis/addi/mtctr/bctr trampolines), on the plt_calls module.
 *
 * Expected counts are worked out by hand from plt_calls.c (see the comments
 * at each case), and every branch and entry is decoded here from the ISA
 * encodings, independently of arch/. */
#include "tests/check_main.h"
#include "tests/reloc/layouts.h"

#include <check.h>
#include <inttypes.h>
#include <string.h>

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = (uint64_t)1 << (bits - 1);
	v &= (m << 1) - 1;
	return (int64_t)(v ^ m) - (int64_t)m;
}

/* ---- Decoders (from the ARMv8-A and Power ISA manuals) ------------------- */

/* B / BL: 0b?00101 imm26 */
static bool a64_branch_target(uint32_t insn, uint64_t pc, uint64_t *to)
{
	if ((insn & 0x7c000000u) != 0x14000000u)
		return false;
	*to = pc + (uint64_t)(sext(insn & 0x3ffffffu, 26) * 4);
	return true;
}

/* adrp x16 ; add x16, x16, #imm12 ; br x16 */
static bool a64_plt_target(const uint32_t w[3], uint64_t pc, uint64_t *to)
{
	if ((w[0] & 0x9f00001fu) != 0x90000010u)
		return false;
	if ((w[1] & 0xffc003ffu) != 0x91000210u)
		return false;
	if (w[2] != 0xd61f0200u)
		return false;
	uint64_t imm = ((uint64_t)((w[0] >> 5) & 0x7ffff) << 2) | ((w[0] >> 29) & 3);
	uint64_t page = (pc & ~(uint64_t)0xfff) + (uint64_t)(sext(imm, 21) * 4096);
	*to = page + ((w[1] >> 10) & 0xfff);
	return true;
}

/* b / bl (opcode 18, AA = 0) */
static bool ppc_branch_target(uint32_t insn, uint32_t pc, uint64_t *to)
{
	if ((insn >> 26) != 18 || (insn & 2))
		return false;
	*to = (uint32_t)(pc + (uint32_t)sext(insn & 0x03fffffcu, 26));
	return true;
}

/* lis r12,hi ; addi r12,r12,lo ; mtctr r12 ; bctr */
static bool ppc_plt_target(const uint32_t w[4], uint64_t *to)
{
	if ((w[0] >> 16) != 0x3d80 || (w[1] >> 16) != 0x398c)
		return false;
	if (w[2] != 0x7d8903a6u || w[3] != 0x4e800420u)
		return false;
	*to = (uint32_t)((w[0] & 0xffff) << 16) + (uint32_t)sext(w[1] & 0xffff, 16);
	return true;
}

/* ---- Checks ---------------------------------------------------------------- */

struct plt_expect {
	const char *arch;
	uint32_t core_max, init_max;   /* sizing */
	uint64_t core_size, init_size; /* section sizes after sizing */
	uint32_t core_used, init_used; /* entries emitted in the far layout */
};

static bool is_branch(const struct rf_image *im, uint32_t type)
{
	const char *n = im->arch->reloc->type_name(type);
	return strcmp(n, "R_AARCH64_CALL26") == 0 || strcmp(n, "R_AARCH64_JUMP26") == 0 ||
	       strcmp(n, "R_PPC_REL24") == 0;
}

static bool decode_branch(const struct rf_image *im, const struct rf_site *s, uint64_t *to)
{
	uint32_t insn = rf_word(im, im->bytes[s->target] + s->rela.offset);
	return im->arch->big_endian ? ppc_branch_target(insn, (uint32_t)s->place, to)
				    : a64_branch_target(insn, s->place, to);
}

/* The entry at guest address `addr` in the core or init PLT. */
static bool decode_entry(const struct rf_image *im, uint64_t addr, bool init, uint64_t *to)
{
	const struct mb_plt *plt = init ? &im->plt.init : &im->plt.core;
	unsigned esz = im->arch->reloc->plt_entry_size;
	if (addr < plt->addr || addr + esz > plt->addr + plt->size)
		return false;
	const uint8_t *p = plt->bytes + (addr - plt->addr);
	uint32_t w[4];
	for (unsigned i = 0; i < esz / 4; i++)
		w[i] = rf_word(im, p + 4 * i);
	return im->arch->big_endian ? ppc_plt_target(w, to) : a64_plt_target(w, addr, to);
}

static void check_sizing(const struct rf_image *im, const struct plt_expect *e)
{
	ck_assert_int_eq(im->sizing, MB_RELOC_OK);
	ck_assert_uint_eq(im->plan.core_max, e->core_max);
	ck_assert_uint_eq(im->plan.init_max, e->init_max);
	const struct mb_obj_section *core = &im->obj.sections[im->plan.core_shndx];
	const struct mb_obj_section *init = &im->obj.sections[im->plan.init_shndx];
	ck_assert_str_eq(core->name, ".plt");
	ck_assert_str_eq(init->name, ".init.plt");
	ck_assert_uint_eq(core->size, e->core_size);
	ck_assert_uint_eq(init->size, e->init_size);
	ck_assert_uint_eq(core->type, 8);      /* SHT_NOBITS */
	ck_assert_uint_eq(init->type, 8);
	ck_assert(core->flags & 0x4);          /* SHF_EXECINSTR: lands in text */
	ck_assert(init->flags & 0x4);
}

static void far_case(const struct plt_expect *e, const struct rf_layout *far)
{
	struct rf_image im;
	rf_open(&im, e->arch, rf_module_path(e->arch, "plt_calls"), NULL);
	check_sizing(&im, e);
	rf_place(&im, far);
	rf_apply(&im);
	ck_assert_uint_eq(im.failures, 0);

	size_t routed = 0;
	uint64_t first_a = 0;
	for (size_t i = 0; i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		if (!is_branch(&im, s->rela.type))
			continue;
		const struct mb_obj_symbol *sym = &im.obj.symbols[s->rela.sym];
		uint64_t dest = im.symval[s->rela.sym] + (uint64_t)s->rela.addend, to = 0, final = 0;
		ck_assert_msg(decode_branch(&im, s, &to), "%s: no branch at %s+0x%" PRIx64, e->arch,
			      im.obj.sections[s->target].name, s->rela.offset);
		if (sym->shndx != 0) {
			/* Module-internal calls are within range: direct. */
			ck_assert_msg(!s->res.via_plt, "%s: call to %s went through a PLT", e->arch, sym->name);
			ck_assert_uint_eq(to, dest);
			continue;
		}
		/* Kernel symbols are out of range: the branch must reach a PLT
		 * entry (in .init.plt for init code) that reaches the symbol. */
		ck_assert_msg(s->res.via_plt, "%s: call to %s not routed via PLT", e->arch, sym->name);
		ck_assert_uint_eq(to, s->res.plt_addr);
		ck_assert_msg(decode_entry(&im, to, im.init[s->target], &final),
			      "%s: no valid %s entry at 0x%" PRIx64 " for %s", e->arch,
			      im.init[s->target] ? ".init.plt" : ".plt", to, sym->name);
		ck_assert_uint_eq(final, dest);
		routed++;
		/* Both core calls to kfunc_a share one entry. */
		if (strcmp(sym->name, "kfunc_a") == 0 && !im.init[s->target]) {
			if (first_a)
				ck_assert_uint_eq(to, first_a);
			first_a = to;
		}
	}
	/* kfunc_a x2, kfunc_b, kfunc_c x2 in core; kfunc_a, kfunc_b in init. */
	ck_assert_uint_eq(routed, 7);
	ck_assert_uint_eq(im.plt.core.used, e->core_used);
	ck_assert_uint_eq(im.plt.init.used, e->init_used);
	rf_close(&im);
}

static void near_case(const char *arch, const struct rf_layout *near)
{
	struct rf_image im;
	rf_open(&im, arch, rf_module_path(arch, "plt_calls"), NULL);
	rf_place(&im, near);
	rf_apply(&im);
	ck_assert_uint_eq(im.failures, 0);
	for (size_t i = 0; i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		ck_assert(!s->res.via_plt);
		if (!is_branch(&im, s->rela.type))
			continue;
		uint64_t to = 0;
		ck_assert(decode_branch(&im, s, &to));
		ck_assert_uint_eq(to, im.symval[s->rela.sym] + (uint64_t)s->rela.addend);
	}
	ck_assert_uint_eq(im.plt.core.used, 0);
	ck_assert_uint_eq(im.plt.init.used, 0);
	/* Nothing was written into the PLTs. */
	for (uint64_t b = 0; b < im.plt.core.size; b++)
		ck_assert_uint_eq(im.plt.core.bytes[b], 0);
	rf_close(&im);
}

/* A PLT reserved one entry too small: the branch that needs the missing
 * entry fails with PLT_FULL and leaves its instruction and the PLT as they
 * were. */
static void full_case(const char *arch, const struct rf_layout *far)
{
	struct rf_image im;
	rf_open(&im, arch, rf_module_path(arch, "plt_calls"), NULL);
	rf_place(&im, far);
	im.plt.init.max = 1;  /* init needs 2 (kfunc_a, kfunc_b) */
	uint32_t init_text = rf_section(&im, ".init.text");
	ck_assert_uint_ne(init_text, 0);
	size_t sz = im.obj.sections[init_text].size;
	uint8_t before[4096];
	ck_assert_uint_le(sz, sizeof(before));
	memcpy(before, im.bytes[init_text], sz);
	rf_apply(&im);
	ck_assert_uint_eq(im.failures, 1);
	ck_assert_uint_eq(im.plt.init.used, 1);
	for (size_t i = 0; i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		if (s->res.status == MB_RELOC_OK)
			continue;
		ck_assert_int_eq(s->res.status, MB_RELOC_PLT_FULL);
		ck_assert_uint_eq(s->target, init_text);
		/* The instruction bytes are the file's. */
		ck_assert_mem_eq(im.bytes[init_text] + s->rela.offset, before + s->rela.offset, 4);
		/* The second entry slot is still empty. */
		unsigned esz = im.arch->reloc->plt_entry_size;
		for (unsigned b = 0; b < esz; b++)
			ck_assert_uint_eq(im.plt.init.bytes[esz + b], 0);
	}
	rf_close(&im);
}

/* arm64: count_plts counts branches to other sections per (sym, type,
 * addend): .text {kfunc_a, kfunc_b, plt_cold} + .text.unlikely {kfunc_c} +
 * .exit.text {kfunc_c} = 5 core; .init.text {kfunc_a, kfunc_b,
 * plt_core_one} = 3 init. Sizes (n + 1) * 12. Emitted: kfunc_a, kfunc_b,
 * kfunc_c in core (.exit.text's kfunc_c shares the previous entry),
 * kfunc_a, kfunc_b in init. */
static const struct plt_expect arm64_expect = {
	.arch = "arm64", .core_max = 5, .init_max = 3, .core_size = 72, .init_size = 48,
	.core_used = 3, .init_used = 2,
};

/* powerpc32: get_plt_size counts distinct (sym, addend) REL24 per RELA
 * section, same-section calls included: .rela.text {kfunc_a, kfunc_b,
 * plt_local, plt_cold} + .rela.text.unlikely {kfunc_c} + .rela.exit.text
 * {kfunc_c} = 6 core; .rela.init.text {kfunc_a, kfunc_b, plt_core_one} = 3
 * init; 16 bytes each. Emitted (linear-scan sharing): 3 core, 2 init. */
static const struct plt_expect powerpc32_expect = {
	.arch = "powerpc32", .core_max = 6, .init_max = 3, .core_size = 96, .init_size = 48,
	.core_used = 3, .init_used = 2,
};

START_TEST(t_arm64_far) { far_case(&arm64_expect, &arm64_far); }
END_TEST
START_TEST(t_arm64_near) { near_case("arm64", &arm64_near); }
END_TEST
START_TEST(t_arm64_full) { full_case("arm64", &arm64_far); }
END_TEST
START_TEST(t_powerpc32_far) { far_case(&powerpc32_expect, &powerpc32_far); }
END_TEST
START_TEST(t_powerpc32_near) { near_case("powerpc32", &powerpc32_near); }
END_TEST
START_TEST(t_powerpc32_full) { full_case("powerpc32", &powerpc32_far); }
END_TEST

/* x86_64 has no PLTs: no sizing pass, and calls are direct. */
START_TEST(t_x86_64_none)
{
	struct rf_image im;
	rf_open(&im, "x86_64", rf_module_path("x86_64", "plt_calls"), NULL);
	ck_assert_ptr_null(im.arch->reloc->size_plts);
	ck_assert_uint_eq(im.plan.core_shndx, 0);
	rf_place(&im, &x86_64_near);
	rf_apply(&im);
	ck_assert_uint_eq(im.failures, 0);
	for (size_t i = 0; i < im.nsites; i++)
		ck_assert(!im.sites[i].res.via_plt);
	rf_close(&im);
}
END_TEST

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	const struct check_test tests[] = {
		CHECK_GROUP_TEST("x86_64", t_x86_64_none),
		CHECK_GROUP_TEST("arm64", t_arm64_far),
		CHECK_GROUP_TEST("arm64", t_arm64_near),
		CHECK_GROUP_TEST("arm64", t_arm64_full),
		CHECK_GROUP_TEST("powerpc32", t_powerpc32_far),
		CHECK_GROUP_TEST("powerpc32", t_powerpc32_near),
		CHECK_GROUP_TEST("powerpc32", t_powerpc32_full),
	};
	const struct check_suite cs = { .suite = "reloc_plt", .tcase = "plt", .only = only };
	return CHECK_RUN(&cs, tests);
}
