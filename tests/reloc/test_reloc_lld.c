/* Differential: every relocation of a module, applied by modbed at chosen
 * addresses, must give the same bytes as ld.lld linking the same object at
 * the same addresses. Relocations routed through a PLT are left out (lld
 * uses its own thunks there); the near layouts need none, the far ones
 * route only calls to kernel symbols.
 *
 *   test_reloc_lld ARCH                  the test modules, fixed and seeded layouts
 *   test_reloc_lld --corpus DIR ARCH     every .ko under DIR/ARCH (exit 77 if none)
 *   test_reloc_lld --kbuild SET ARCH     every .ko under SET/modules (a kbuild set)
 */
#include "tests/check_main.h"
#include "tests/evidence.h"
#include "tests/reloc/layouts.h"

#include <check.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_plt_section(const char *name)
{
	return strcmp(name, ".plt") == 0 || strcmp(name, ".init.plt") == 0 ||
	       strstr(name, "ftrace_trampoline") != NULL;
}

static bool masked(const struct rf_image *im, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < im->nsites; i++) {
		const struct rf_site *s = &im->sites[i];
		if (s->target == sec && s->res.via_plt && off >= s->rela.offset && off < s->rela.offset + 4)
			return true;
	}
	return false;
}

/* The relocation covering byte `off` of `sec`, for the failure message. */
static const struct rf_site *covering(const struct rf_image *im, uint32_t sec, uint64_t off)
{
	for (uint64_t back = 0; back < 8 && back <= off; back++) {
		const struct rf_site *s = rf_site_at(im, sec, off - back);
		if (s)
			return s;
	}
	return NULL;
}

static bool failf(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return false;
}

struct diff_stats {
	size_t relocs, bytes, via_plt;
};

/* Compares modbed's and lld's bytes of every placed PROGBITS section. */
static bool compare_with_lld(const struct rf_image *im, const char *out, char *msg, size_t n,
			     struct diff_stats *st)
{
	const char *mod = im->elf.path;
	for (uint32_t i = 1; i < im->obj.nsections; i++) {
		const struct mb_obj_section *sec = &im->obj.sections[i];
		if (!im->placed[i] || sec->type == MB_SHT_NOBITS || is_plt_section(sec->name))
			continue;
		uint64_t size = 0, addr = 0;
		uint8_t *ref = rf_linked_section(out, i, &size, &addr);
		if (!ref) {
			/* lld drops some input sections it makes itself (e.g.
			 * .note.gnu.build-id); that is only a difference if a
			 * relocation patches the section. */
			bool patched = false;
			for (size_t k = 0; k < im->nsites; k++)
				patched |= im->sites[k].target == i;
			if (!patched)
				continue;
			return failf(msg, n, "%s: %s missing from the lld output", mod, sec->name);
		}
		bool ok = true;
		/* lld appends its range-extension thunks to the section of a
		 * branch it could not reach directly: only there may it be
		 * longer than modbed's. */
		bool thunks = false;
		for (size_t k = 0; k < im->nsites; k++)
			thunks |= im->sites[k].target == i && im->sites[k].res.via_plt;
		if (addr != im->addr[i] || size < sec->size || (size > sec->size && !thunks))
			ok = failf(msg, n, "%s: %s: lld placed it at 0x%" PRIx64 " (size 0x%" PRIx64
				  "), modbed at 0x%" PRIx64 " (0x%" PRIx64 ")", mod, sec->name, addr,
				  size, im->addr[i], sec->size);
		for (uint64_t b = 0; ok && b < sec->size; b++) {
			if (ref[b] == im->bytes[i][b] || masked(im, i, b))
				continue;
			const struct rf_site *s = covering(im, i, b);
			ok = failf(msg, n, "%s: %s+0x%" PRIx64 ": modbed 0x%02x, ld.lld 0x%02x (%s at +0x%" PRIx64 ")",
				  mod, sec->name, b, im->bytes[i][b], ref[b],
				  s ? im->arch->reloc->type_name(s->rela.type) : "no relocation",
				  s ? s->rela.offset : 0);
		}
		free(ref);
		if (!ok)
			return false;
		st->bytes += sec->size;
	}
	return true;
}

static bool diff_one(const char *arch, const char *path, const struct rf_layout *lay, bool allow_plt,
		     char *msg, size_t n, struct diff_stats *st)
{
	struct rf_image im;
	if (!rf_try_open(&im, arch, path, NULL, msg, n))
		return false;
	bool ok = true;
	if (im.sizing != MB_RELOC_OK)
		ok = failf(msg, n, "%s: PLT sizing: %s", path, mb_reloc_status_str(im.sizing));
	if (ok) {
		rf_place(&im, lay);
		rf_apply(&im);
	}
	for (size_t i = 0; ok && i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		const char *tn = im.arch->reloc->type_name(s->rela.type);
		if (s->res.status != MB_RELOC_OK)
			ok = failf(msg, n, "%s: %s at %s+0x%" PRIx64 ": %s", path, tn ? tn : "?",
				  im.obj.sections[s->target].name, s->rela.offset,
				  mb_reloc_status_str(s->res.status));
		else if (s->res.via_plt && !allow_plt)
			ok = failf(msg, n, "%s: near layout used a PLT at %s+0x%" PRIx64, path,
				  im.obj.sections[s->target].name, s->rela.offset);
		st->via_plt += s->res.via_plt;
	}
	st->relocs += im.nsites;

	char out[256], log[300], script[300];
	snprintf(out, sizeof(out), "lld-%s-%d.elf", arch, (int)getpid());
	snprintf(log, sizeof(log), "%s.log", out);
	snprintf(script, sizeof(script), "%s.lds", out);
	if (ok && !rf_link_lld(&im, out, log))
		ok = failf(msg, n, "%s: ld.lld failed, see %s", path, log);
	if (ok)
		ok = compare_with_lld(&im, out, msg, n, st);
	if (ok) {
		unlink(log);
		unlink(script);
	}
	unlink(out);
	rf_close(&im);
	return ok;
}

static void diff_module(const char *arch, const char *module, const struct rf_layout *lay,
			bool allow_plt)
{
	char msg[1024];
	struct diff_stats st = { 0 };
	ck_assert_msg(diff_one(arch, rf_module_path(arch, module), lay, allow_plt, msg, sizeof(msg), &st),
		      "%s", msg);
	ck_assert_uint_gt(st.relocs, 0);
	ck_assert_uint_gt(st.bytes, 0);
	if (allow_plt)
		ck_assert_uint_gt(st.via_plt, 0);
}

/* The near layout moved by a seeded amount per group (keeping each group's
 * alignment to 64 KiB and every range constraint of the near layout, which
 * leaves megabytes of slack), with a seeded gap between sections. */
static struct rf_layout jitter(const struct rf_layout *base, unsigned seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
	struct rf_layout l = *base;
	uint64_t *f[] = { &l.text, &l.rodata, &l.data, &l.init_text, &l.init_rodata, &l.init_data };
	for (size_t i = 0; i < 6; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdull;
		x ^= x >> 29;
		*f[i] += (x % 16) * 0x10000 + (x >> 8) % 0x1000;
	}
	l.gap = 0x10 + (x >> 20) % 0x400;
	return l;
}

static const struct rf_layout *near_of(const char *arch)
{
	if (strcmp(arch, "x86_64") == 0)
		return &x86_64_near;
	return strcmp(arch, "arm64") == 0 ? &arm64_near : &powerpc32_near;
}

static const struct rf_layout *far_of(const char *arch)
{
	if (strcmp(arch, "arm64") == 0)
		return &arm64_far;
	return strcmp(arch, "powerpc32") == 0 ? &powerpc32_far : NULL;
}

static const char *test_arch;

START_TEST(near_reloc_all) { diff_module(test_arch, "reloc_all", near_of(test_arch), false); }
END_TEST
START_TEST(near_plt_calls) { diff_module(test_arch, "plt_calls", near_of(test_arch), false); }
END_TEST
/* x86_64 has no module PLT and Linux 6.1's apply_relocate_add does not
 * check PC32/PLT32 for overflow (the check is under `#if 0` in
 * arch/x86/kernel/module.c): with the kernel beyond +-2 GiB, each call to a
 * kernel symbol gets the low 32 bits of S + A - P, as computed here, is
 * reported as truncated (modbed says what the kernel does silently), and no
 * PLT entry is reserved or used. */
static void x86_64_far_truncated(void)
{
	struct rf_image im;
	rf_open(&im, "x86_64", rf_module_path("x86_64", "plt_calls"), NULL);
	ck_assert_int_eq(im.sizing, MB_RELOC_OK);
	ck_assert_uint_eq(im.plan.core_max + im.plan.init_max, 0);
	rf_place(&im, &x86_64_far);
	rf_apply(&im);
	size_t far = 0;
	for (size_t i = 0; i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		const char *tn = im.arch->reloc->type_name(s->rela.type);
		ck_assert_msg(s->res.status == MB_RELOC_OK, "%s at 0x%" PRIx64 ": %s", tn, s->place,
			      mb_reloc_status_str(s->res.status));
		ck_assert(!s->res.via_plt);
		bool kcall = im.obj.symbols[s->rela.sym].shndx == MB_SHN_UNDEF &&
			     (s->rela.type == 2 || s->rela.type == 4);
		ck_assert_msg(s->res.truncated == kcall, "%s at 0x%" PRIx64 ": truncated %d", tn, s->place,
			      (int)s->res.truncated);
		if (!kcall)
			continue;
		int64_t d = (int64_t)(im.symval[s->rela.sym] + (uint64_t)s->rela.addend - s->place);
		ck_assert_msg(d < INT32_MIN || d > INT32_MAX, "site at 0x%" PRIx64 " is not far", s->place);
		ck_assert_uint_eq(rf_word(&im, im.bytes[s->target] + s->rela.offset), (uint32_t)d);
		far++;
	}
	ck_assert_uint_ge(far, 6);
	rf_close(&im);
}

START_TEST(far_plt_calls)
{
	if (far_of(test_arch))
		diff_module(test_arch, "plt_calls", far_of(test_arch), true);
	else
		x86_64_far_truncated();
}
END_TEST
START_TEST(seeded_layouts)
{
	for (unsigned seed = 0; seed < 8; seed++) {
		struct rf_layout l = jitter(near_of(test_arch), seed);
		diff_module(test_arch, "reloc_all", &l, false);
	}
}
END_TEST

/* Every loadable test module of the arch (modules.txt, whoever added it). */
START_TEST(every_listed_module)
{
	char list[4096], line[4096], msg[1024];
	snprintf(list, sizeof(list), "%s/%s/modules.txt", MODBED_MODULES_OUT, test_arch);
	FILE *f = fopen(list, "r");
	ck_assert_msg(f != NULL, "%s: cannot open", list);
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		struct diff_stats st = { 0 };
		ck_assert_msg(diff_one(test_arch, line, near_of(test_arch), false, msg, sizeof(msg), &st),
			      "%s", msg);
		n++;
	}
	fclose(f);
	ck_assert_uint_ge(n, 2);
}
END_TEST

/* ---- Corpus mode ----------------------------------------------------------- */

static struct {
	const char *arch;
	size_t pass, fail;
	struct diff_stats st;
	uint64_t reserved[2], used[2];
	size_t forbidden_adrp;
} corpus;

static bool failf(char *msg, size_t n, const char *fmt, ...);

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = (uint64_t)1 << (bits - 1);
	v &= (m << 1) - 1;
	return (int64_t)(v ^ m) - (int64_t)m;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ADR/ADRP immediate (immhi:immlo), sign-extended. */
static int64_t adr_imm(uint32_t insn)
{
	return sext(((uint64_t)((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 3), 21);
}

/* Erratum 843419: an ADRP at page offset 0xff8/0xffc must have become an
 * ADR of the same page, or a B to a veneer whose ADRP/ADD compute the page
 * into the same register and whose B returns to the next instruction.
 * Decoded here from the ARMv8-A encodings. */
static bool check_adrp_site(const struct rf_image *im, const struct rf_site *s, char *msg, size_t n)
{
	uint64_t page = (im->symval[s->rela.sym] + (uint64_t)s->rela.addend) & ~(uint64_t)0xfff;
	uint32_t insn = le32(im->bytes[s->target] + s->rela.offset);
	uint32_t orig = le32(im->elf.secs[s->target].data + s->rela.offset);
	if ((insn & 0x9f000000u) == 0x10000000u) {
		if ((insn & 31) != (orig & 31) || s->place + (uint64_t)adr_imm(insn) != page)
			return failf(msg, n, "ADR at 0x%" PRIx64 " does not compute the page", s->place);
		return true;
	}
	if ((insn & 0xfc000000u) != 0x14000000u)
		return failf(msg, n, "forbidden ADRP at 0x%" PRIx64 " left as 0x%08x", s->place, insn);
	uint64_t veneer = s->place + (uint64_t)(sext(insn & 0x3ffffff, 26) * 4);
	const struct mb_plt *plt = im->init[s->target] ? &im->plt.init : &im->plt.core;
	if (veneer < plt->addr || veneer + 12 > plt->addr + plt->size)
		return failf(msg, n, "B at 0x%" PRIx64 " goes outside the PLT", s->place);
	const uint8_t *v = plt->bytes + (veneer - plt->addr);
	uint32_t w0 = le32(v), w1 = le32(v + 4), w2 = le32(v + 8);
	uint32_t rd = orig & 31;
	bool ok = (w0 & 0x9f00001fu) == (0x90000000u | rd) &&
		  (veneer & ~(uint64_t)0xfff) + (uint64_t)(adr_imm(w0) * 4096) == page &&
		  w1 == (0x91000000u | rd << 5 | rd) && (w2 & 0xfc000000u) == 0x14000000u &&
		  veneer + 8 + (uint64_t)(sext(w2 & 0x3ffffff, 26) * 4) == s->place + 4;
	return ok ? true : failf(msg, n, "veneer at 0x%" PRIx64 " for 0x%" PRIx64 " is wrong", veneer, s->place);
}

/* With kernel symbols beyond branch range, the PLTs the sizing pass
 * reserved must be enough for every branch that needs one; with the
 * erratum on as well, for every veneer. */
static bool far_fits(const char *arch, const char *path, const struct mb_reloc_config *cfg,
		     char *msg, size_t n)
{
	const struct rf_layout *far = far_of(arch);
	if (!far)
		return true;
	struct rf_image im;
	if (!rf_try_open(&im, arch, path, cfg, msg, n))
		return false;
	rf_place(&im, far);
	rf_apply(&im);
	bool ok = true;
	for (size_t i = 0; ok && cfg && i < im.nsites; i++) {
		const struct rf_site *s = &im.sites[i];
		if ((s->rela.type == 275 || s->rela.type == 276) && (s->place & 0xfff) >= 0xff8) {
			corpus.forbidden_adrp++;
			ok = check_adrp_site(&im, s, msg, n);
		}
	}
	for (size_t i = 0; ok && i < im.nsites; i++)
		if (im.sites[i].res.status != MB_RELOC_OK)
			ok = failf(msg, n, "%s: far layout: %s at %s+0x%" PRIx64 ": %s", path,
				   im.arch->reloc->type_name(im.sites[i].rela.type),
				   im.obj.sections[im.sites[i].target].name, im.sites[i].rela.offset,
				   mb_reloc_status_str(im.sites[i].res.status));
	if (!cfg) {
		corpus.reserved[0] += im.plan.core_max;
		corpus.reserved[1] += im.plan.init_max;
		corpus.used[0] += im.plt.core.used;
		corpus.used[1] += im.plt.init.used;
	}
	rf_close(&im);
	return ok;
}

static const struct mb_reloc_config erratum = { .arm64_erratum_843419 = true };

static int corpus_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t len = strlen(path);
	if (flag != FTW_F || len < 3 || strcmp(path + len - 3, ".ko") != 0)
		return 0;
	char msg[1024];
	if (diff_one(corpus.arch, path, near_of(corpus.arch), false, msg, sizeof(msg), &corpus.st) &&
	    far_fits(corpus.arch, path, NULL, msg, sizeof(msg)) &&
	    far_fits(corpus.arch, path, &erratum, msg, sizeof(msg))) {
		corpus.pass++;
	} else {
		corpus.fail++;
		printf("FAIL %s\n", msg);
	}
	return 0;
}

static int run_corpus(const char *dir, const char *sub, const char *arch)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/%s", dir, sub);
	if (access(root, R_OK) != 0) {
		char what[4200];
		snprintf(what, sizeof(what), "corpus: %s not present (run tests/corpus/fetch.sh)", root);
		return evidence_missing(what);
	}
	corpus.arch = arch;
	nftw(root, corpus_one, 16, FTW_PHYS);
	if (corpus.pass + corpus.fail == 0) {
		char what[4200];
		snprintf(what, sizeof(what), "corpus: no .ko under %s (run tests/corpus/fetch.sh)", root);
		return evidence_missing(what);
	}
	printf("%s corpus: %zu relocations, %zu bytes compared with ld.lld\n", arch, corpus.st.relocs,
	       corpus.st.bytes);
	if (far_of(arch))
		printf("%s corpus, kernel out of branch range: PLT entries reserved %" PRIu64 " core + %" PRIu64
		       " init, used %" PRIu64 " + %" PRIu64 "\n", arch, corpus.reserved[0], corpus.reserved[1],
		       corpus.used[0], corpus.used[1]);
	if (far_of(arch))
		printf("%s corpus with erratum 843419: %zu ADRPs at page offset 0xff8/0xffc patched and checked\n",
		       arch, corpus.forbidden_adrp);
	printf("%zu passed, %zu failed\n", corpus.pass, corpus.fail);
	return corpus.fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--corpus") == 0)
		return run_corpus(argv[2], argv[3], argv[3]);
	if (argc == 4 && strcmp(argv[1], "--kbuild") == 0)
		return run_corpus(argv[2], "modules", argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s ARCH | --corpus DIR ARCH | --kbuild SET_DIR ARCH\n", argv[0]);
		return 2;
	}
	test_arch = argv[1];
	const struct check_test tests[] = {
		CHECK_TEST(near_reloc_all),
		CHECK_TEST(near_plt_calls),
		CHECK_TEST(far_plt_calls),
		CHECK_TEST(seeded_layouts),
		CHECK_TEST(every_listed_module),
	};
	const struct check_suite cs = { .suite = "reloc_lld", .tcase = test_arch, .timeout = 120 };
	return CHECK_RUN(&cs, tests);
}
