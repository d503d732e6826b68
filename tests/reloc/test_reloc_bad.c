/* The deliberately bad test modules (tests/modules/bad): each is refused
 * for its one reason, with the type's name, value and range, and the bytes
 * of every refused location stay as the file has them. */
#include "tests/check_main.h"
#include "tests/reloc/layouts.h"

#include <check.h>
#include <inttypes.h>
#include <string.h>

struct want {
	const char *type;             /* the refused relocation's type name */
	enum mb_reloc_status status;
	bool check_range;
	int64_t lo, hi;
	const char *sym;              /* the symbol it names */
};

/* Loads `module` at `lay`, expects exactly the refusals in `w` (in
 * application order) and returns the image (caller closes). */
static void expect_refusals(struct rf_image *im, const char *arch, const char *module,
			    const struct rf_layout *lay, const struct want *w, size_t nw)
{
	rf_open(im, arch, rf_module_path(arch, module), NULL);
	ck_assert_int_eq(im->sizing, MB_RELOC_OK);
	rf_place(im, lay);
	rf_apply(im);
	ck_assert_uint_eq(im->failures, nw);
	size_t k = 0;
	for (size_t i = 0; i < im->nsites; i++) {
		const struct rf_site *s = &im->sites[i];
		if (s->res.status == MB_RELOC_OK)
			continue;
		const char *name = im->arch->reloc->type_name(s->rela.type);
		ck_assert_ptr_nonnull(name);
		ck_assert_str_eq(name, w[k].type);
		ck_assert_msg(s->res.status == w[k].status, "%s/%s %s: '%s'", arch, module, name,
			      mb_reloc_status_str(s->res.status));
		ck_assert_str_eq(im->obj.symbols[s->rela.sym].name, w[k].sym);
		if (w[k].check_range) {
			ck_assert_int_eq(s->res.lo, w[k].lo);
			ck_assert_int_eq(s->res.hi, w[k].hi);
		}
		/* The location still holds the file's bytes. */
		const struct mb_elf_section *es = &im->elf.secs[s->target];
		uint64_t n = es->size - s->rela.offset < 4 ? es->size - s->rela.offset : 4;
		ck_assert_mem_eq(im->bytes[s->target] + s->rela.offset, es->data + s->rela.offset, n);
		k++;
	}
}

START_TEST(x86_64_gotpcrel)
{
	struct rf_image im;
	const struct want w[] = { { "R_X86_64_REX_GOTPCRELX", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" } };
	expect_refusals(&im, "x86_64", "bad_gotpcrel", &x86_64_near, w, 1);
	rf_close(&im);
}
END_TEST

START_TEST(x86_64_nonzero)
{
	struct rf_image im;
	const struct want w[] = { { "R_X86_64_64", MB_RELOC_NONZERO, false, 0, 0, "_printk" } };
	expect_refusals(&im, "x86_64", "bad_nonzero", &x86_64_near, w, 1);
	for (size_t i = 0; i < im.nsites; i++)
		if (im.sites[i].res.status == MB_RELOC_NONZERO)
			ck_assert_uint_eq(im.sites[i].res.existing, 0x1122334455667788);
	rf_close(&im);
}
END_TEST

START_TEST(x86_64_range)
{
	struct rf_image im;
	const struct want w[] = { { "R_X86_64_32", MB_RELOC_OVERFLOW, true, 0, 0xffffffff, "bad_range_target" } };
	expect_refusals(&im, "x86_64", "bad_range", &x86_64_near, w, 1);
	uint32_t target = rf_symbol(&im, "bad_range_target");
	for (size_t i = 0; i < im.nsites; i++)
		if (im.sites[i].res.status == MB_RELOC_OVERFLOW)
			ck_assert_uint_eq((uint64_t)im.sites[i].res.value, im.symval[target]);
	rf_close(&im);
}
END_TEST

START_TEST(arm64_range)
{
	struct rf_image im;
	const struct want w[] = {
		{ "R_AARCH64_TSTBR14", MB_RELOC_OVERFLOW, true, -0x8000, 0x7ffc, "_printk" },
		{ "R_AARCH64_CONDBR19", MB_RELOC_OVERFLOW, true, -0x100000, 0xffffc, "_printk" },
	};
	expect_refusals(&im, "arm64", "bad_range", &arm64_near, w, 2);
	uint32_t printk = rf_symbol(&im, "_printk");
	for (size_t i = 0; i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		ck_assert_int_eq(s->res.value, (int64_t)(im.symval[printk] - s->place));
	}
	rf_close(&im);
}
END_TEST

START_TEST(arm64_got)
{
	struct rf_image im;
	const struct want w[] = {
		{ "R_AARCH64_ADR_GOT_PAGE", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" },
		{ "R_AARCH64_LD64_GOT_LO12_NC", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" },
	};
	expect_refusals(&im, "arm64", "bad_got", &arm64_near, w, 2);
	rf_close(&im);
}
END_TEST

START_TEST(powerpc32_rel16)
{
	struct rf_image im;
	const struct want w[] = {
		{ "R_PPC_REL16_HA", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" },
		{ "R_PPC_REL16_LO", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" },
	};
	expect_refusals(&im, "powerpc32", "bad_rel16", &powerpc32_near, w, 2);
	rf_close(&im);
}
END_TEST

START_TEST(powerpc32_addr24)
{
	struct rf_image im;
	const struct want w[] = { { "R_PPC_ADDR24", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" } };
	expect_refusals(&im, "powerpc32", "bad_addr24", &powerpc32_near, w, 1);
	rf_close(&im);
}
END_TEST

START_TEST(powerpc32_rel14)
{
	struct rf_image im;
	const struct want w[] = { { "R_PPC_REL14", MB_RELOC_UNSUPPORTED, false, 0, 0, "_printk" } };
	expect_refusals(&im, "powerpc32", "bad_rel14", &powerpc32_near, w, 1);
	rf_close(&im);
}
END_TEST

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	const struct check_test tests[] = {
		CHECK_GROUP_TEST("x86_64", x86_64_gotpcrel),
		CHECK_GROUP_TEST("x86_64", x86_64_nonzero),
		CHECK_GROUP_TEST("x86_64", x86_64_range),
		CHECK_GROUP_TEST("arm64", arm64_range),
		CHECK_GROUP_TEST("arm64", arm64_got),
		CHECK_GROUP_TEST("powerpc32", powerpc32_rel16),
		CHECK_GROUP_TEST("powerpc32", powerpc32_addr24),
		CHECK_GROUP_TEST("powerpc32", powerpc32_rel14),
	};
	const struct check_suite cs = { .suite = "reloc_bad", .tcase = "bad", .only = only };
	return CHECK_RUN(&cs, tests);
}
