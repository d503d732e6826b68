/* Bad input: corrupted copies of the real built test modules, each refused
 * with its own message, and with the loader (allocator, lookup tree, guest
 * space) exactly as before. A sample also goes through the modbed binary:
 * exit status 1 and one line on stderr.
 *
 * argv[1]: the test-module directory (build/tests/modules), argv[2]: modbed. */
#include "arch/arch.h"
#include "harness/elf/elf.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"
#include "tests/check_main.h"
#include "tests/elf/rawelf.h"
#include "tests/modfile.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *moddir, *modbed_bin;
static const char *const arches[] = { "x86_64", "arm64", "powerpc32" };
#define NARCH 3

static struct file module_file(const char *arch, const char *name)
{
	return read_module_file(moddir, arch, name);
}

/* ---- the corruptions -------------------------------------------------- */

/* Each mutates r (possibly shortening r->n), writes the expected message
 * part into want, and returns false when it does not apply to this arch. */
struct ctx {
	struct raw *r;
	const struct mb_arch *arch;
	char *want;
	size_t wn;
	bool strict;          /* load with --strict-symbols */
};
typedef bool (*mutator)(struct ctx *c);

#define WANT(...) snprintf(c->want, c->wn, __VA_ARGS__)

static size_t text_idx(const struct raw *r) { return raw_find(r, ".text"); }
static size_t rela_text(const struct raw *r) { return raw_find(r, ".rela.text"); }
static size_t shnum(const struct raw *r) { return (size_t)raw_eh(r, EH_SHNUM); }
static size_t ehsize(const struct raw *r) { return r->is64 ? 64 : 52; }

/* Truncations. */
static bool trunc_magic(struct ctx *c) { c->r->n = 3; WANT("ELF identification truncated: file has 3 bytes, needs 16"); return true; }
static bool trunc_ident(struct ctx *c) { c->r->n = 16; WANT("ELF header truncated"); return true; }
static bool trunc_ehdr(struct ctx *c) { c->r->n = ehsize(c->r) - 1; WANT("ELF header truncated"); return true; }
static bool trunc_to(struct ctx *c, size_t n)
{
	c->r->n = n;
	WANT("past end of file");
	return true;
}
static bool trunc_shoff(struct ctx *c) { return trunc_to(c, (size_t)raw_eh(c->r, EH_SHOFF)); }
static bool trunc_sh1(struct ctx *c) { return trunc_to(c, (size_t)raw_eh(c->r, EH_SHOFF) + 1); }
static bool trunc_shhalf(struct ctx *c)
{
	return trunc_to(c, (size_t)raw_eh(c->r, EH_SHOFF) + shnum(c->r) / 2 * raw_shentsize(c->r));
}
static bool trunc_shlast(struct ctx *c) { return trunc_to(c, c->r->n - 1); }
static bool trunc_data(struct ctx *c)
{
	/* Cut inside the last section's contents before the header table. */
	size_t shoff = (size_t)raw_eh(c->r, EH_SHOFF);
	if (shoff + shnum(c->r) * raw_shentsize(c->r) != c->r->n)
		return false;
	return trunc_to(c, shoff - 1);
}
static bool trunc_text(struct ctx *c)
{
	size_t t = text_idx(c->r);
	return trunc_to(c, (size_t)(raw_sh(c->r, t, SH_OFFSET) + raw_sh(c->r, t, SH_SIZE) / 2));
}

/* Header fields. */
static bool bad_magic(struct ctx *c) { c->r->b[1] = 'X'; WANT("not an ELF file"); return true; }
static bool bad_class(struct ctx *c) { c->r->b[4] = 3; WANT("ELF header: unknown class 3"); return true; }
static bool bad_data(struct ctx *c) { c->r->b[5] = 0; WANT("ELF header: unknown byte order 0"); return true; }
static bool bad_version(struct ctx *c) { c->r->b[6] = 9; WANT("ELF header: unknown version 9"); return true; }
static bool class_flip(struct ctx *c)
{
	c->r->b[4] = c->r->is64 ? 1 : 2;
	WANT("matches no arch modbed knows");
	return true;
}
static bool data_flip(struct ctx *c)
{
	c->r->b[5] = c->r->be ? 1 : 2;
	WANT("matches no arch modbed knows");
	return true;
}
static bool machine_i386(struct ctx *c)
{
	raw_set_eh(c->r, EH_MACHINE, 3);
	WANT("machine 3, %s", c->r->is64 ? "ELFCLASS64" : "ELFCLASS32");
	return true;
}
static bool machine_other(struct ctx *c)
{
	/* The other arch with the same class and byte order. */
	for (size_t i = 0; i < mb_narches; i++) {
		const struct mb_arch *a = mb_arches[i];
		if (a != c->arch && a->elf_class == c->arch->elf_class && a->elf_data == c->arch->elf_data) {
			raw_set_eh(c->r, EH_MACHINE, a->elf_machine);
			WANT("%s (machine %u", a->name, a->elf_machine);
			return true;
		}
	}
	return false;
}
static bool type_exec(struct ctx *c) { raw_set_eh(c->r, EH_TYPE, 2); WANT("ELF header: ET_EXEC, but a module is a relocatable object"); return true; }
static bool type_dyn(struct ctx *c) { raw_set_eh(c->r, EH_TYPE, 3); WANT("ELF header: ET_DYN, but"); return true; }
static bool shentsize0(struct ctx *c) { raw_set_eh(c->r, EH_SHENTSIZE, 0); WANT("section header size 0"); return true; }
static bool shoff_past(struct ctx *c)
{
	raw_set_eh(c->r, EH_SHOFF, c->r->n);
	WANT("section header table at 0x%zx past end of file (0x%zx)", c->r->n, c->r->n);
	return true;
}
static bool shoff_zero(struct ctx *c) { raw_set_eh(c->r, EH_SHOFF, 0); WANT("no section header table"); return true; }
static bool shnum_big(struct ctx *c)
{
	raw_set_eh(c->r, EH_SHNUM, shnum(c->r) + 40);
	WANT("past end of file");
	return true;
}
static bool shstrndx_big(struct ctx *c)
{
	size_t n = shnum(c->r);
	raw_set_eh(c->r, EH_SHSTRNDX, n + 5);
	WANT("section name table index %zu out of range (%zu sections)", n + 5, n);
	return true;
}
static bool shstrndx_notstr(struct ctx *c)
{
	raw_set_eh(c->r, EH_SHSTRNDX, text_idx(c->r));
	WANT("section name table has type 1, not SHT_STRTAB");
	return true;
}

/* Section headers. */
static bool sh_name_big(struct ctx *c)
{
	size_t t = text_idx(c->r);
	size_t str = (size_t)raw_eh(c->r, EH_SHSTRNDX);
	uint64_t strsize = raw_sh(c->r, str, SH_SIZE);
	raw_set_sh(c->r, t, SH_NAME, 0xfffff);
	WANT("section %zu: name offset 0xfffff outside the section name table (0x%" PRIx64 ")", t, strsize);
	return true;
}
static bool text_offset_past(struct ctx *c)
{
	size_t t = text_idx(c->r);
	uint64_t size = raw_sh(c->r, t, SH_SIZE);
	raw_set_sh(c->r, t, SH_OFFSET, c->r->n);
	WANT(".text: contents [0x%zx, +0x%" PRIx64 ") past end of file (0x%zx)", c->r->n, size, c->r->n);
	return true;
}
static bool text_size_huge(struct ctx *c)
{
	size_t t = text_idx(c->r);
	raw_set_sh(c->r, t, SH_SIZE, 0x7ffffff0);
	WANT(".text: contents [0x%" PRIx64 ", +0x7ffffff0) past end of file", raw_sh(c->r, t, SH_OFFSET));
	return true;
}
static bool text_align3(struct ctx *c)
{
	raw_set_sh(c->r, text_idx(c->r), SH_ALIGN, 3);
	WANT(".text: alignment 0x3 is not a power of two");
	return true;
}
static bool strtab_past(struct ctx *c)
{
	size_t str = (size_t)raw_eh(c->r, EH_SHSTRNDX);
	raw_set_sh(c->r, str, SH_SIZE, c->r->n);
	WANT("section name table [0x");
	return true;
}
static bool symtab_link0(struct ctx *c)
{
	raw_set_sh(c->r, raw_find_type(c->r, 2), SH_LINK, 0);
	WANT(".symtab: link 0 is not a string table section");
	return true;
}
static bool symtab_link_text(struct ctx *c)
{
	size_t t = text_idx(c->r);
	raw_set_sh(c->r, raw_find_type(c->r, 2), SH_LINK, t);
	WANT(".symtab: link %zu is not a string table section", t);
	return true;
}
static bool symtab_entsize(struct ctx *c)
{
	raw_set_sh(c->r, raw_find_type(c->r, 2), SH_ENTSIZE, 1);
	WANT(".symtab: entry size 1, %s symbols are %zu bytes", c->r->is64 ? "ELFCLASS64" : "ELFCLASS32",
	     raw_symsize(c->r));
	return true;
}
static bool symtab_size_odd(struct ctx *c)
{
	size_t st = raw_find_type(c->r, 2);
	uint64_t sz = raw_sh(c->r, st, SH_SIZE) - 1;
	raw_set_sh(c->r, st, SH_SIZE, sz);
	WANT(".symtab: size 0x%" PRIx64 " is not a multiple of the entry size %zu", sz, raw_symsize(c->r));
	return true;
}
static bool symtab_gone(struct ctx *c)
{
	raw_set_sh(c->r, raw_find_type(c->r, 2), SH_TYPE, 1);
	WANT("no symbol table (stripped?)");
	return true;
}
static bool rela_info_big(struct ctx *c)
{
	size_t s = rela_text(c->r);
	size_t n = shnum(c->r);
	raw_set_sh(c->r, s, SH_INFO, n + 1);
	WANT(".rela.text: target section index %zu out of range (%zu sections)", n + 1, n);
	return true;
}
static bool rela_link0(struct ctx *c)
{
	raw_set_sh(c->r, rela_text(c->r), SH_LINK, 0);
	WANT(".rela.text: link 0 is not the symbol table (%zu)", raw_find_type(c->r, 2));
	return true;
}
static bool rela_entsize(struct ctx *c)
{
	raw_set_sh(c->r, rela_text(c->r), SH_ENTSIZE, 7);
	WANT(".rela.text: entry size 7, %s RELA entries are %zu bytes", c->r->is64 ? "ELFCLASS64" : "ELFCLASS32",
	     raw_relasize(c->r));
	return true;
}
static bool rela_size_odd(struct ctx *c)
{
	size_t s = rela_text(c->r);
	uint64_t sz = raw_sh(c->r, s, SH_SIZE) + 1;
	raw_set_sh(c->r, s, SH_SIZE, sz);
	WANT(".rela.text: size 0x%" PRIx64 " is not a multiple of the entry size %zu", sz, raw_relasize(c->r));
	return true;
}
static bool rela_as_rel(struct ctx *c)
{
	raw_set_sh(c->r, rela_text(c->r), SH_TYPE, 9 /* SHT_REL */);
	WANT(".rela.text: SHT_REL relocations: the %s kernel loader takes RELA only", c->arch->name);
	return true;
}

/* Symbols. */
static size_t first_defined_global(const struct raw *r)
{
	for (size_t i = 1; i < raw_nsyms(r); i++) {
		uint64_t shndx = raw_sym(r, i, SYM_SHNDX);
		if ((raw_sym(r, i, SYM_INFO) >> 4) == 1 && shndx != 0 && shndx < 0xff00)
			return i;
	}
	return 0;
}
static size_t first_undefined(const struct raw *r)
{
	for (size_t i = 1; i < raw_nsyms(r); i++)
		if (raw_sym(r, i, SYM_SHNDX) == 0 && raw_symname(r, i)[0])
			return i;
	return 0;
}
static bool sym_shndx_big(struct ctx *c)
{
	size_t i = first_defined_global(c->r);
	size_t n = shnum(c->r);
	WANT(".symtab: symbol %zu '%s': section index %zu out of range (%zu sections)", i, raw_symname(c->r, i), n + 3, n);
	raw_set_sym(c->r, i, SYM_SHNDX, n + 3);
	return i != 0;
}
static bool sym_common(struct ctx *c)
{
	size_t i = first_defined_global(c->r);
	WANT(".symtab: symbol %zu '%s' is SHN_COMMON: please compile with -fno-common", i, raw_symname(c->r, i));
	raw_set_sym(c->r, i, SYM_SHNDX, 0xfff2);
	return i != 0;
}
static bool sym_reserved(struct ctx *c)
{
	size_t i = first_defined_global(c->r);
	WANT(".symtab: symbol %zu '%s': section index 65280 out of range", i, raw_symname(c->r, i));
	raw_set_sym(c->r, i, SYM_SHNDX, 0xff00);
	return i != 0;
}
static bool sym_name_big(struct ctx *c)
{
	size_t i = first_defined_global(c->r);
	raw_set_sym(c->r, i, SYM_NAME, 0xfffffff);
	WANT(".symtab: symbol %zu: name offset 0xfffffff outside .strtab", i);
	return i != 0;
}

/* Relocation entries. */
static bool rela_offset_past(struct ctx *c)
{
	size_t s = rela_text(c->r), t = (size_t)raw_sh(c->r, s, SH_INFO);
	uint64_t size = raw_sh(c->r, t, SH_SIZE);
	size_t k = raw_nrelas(c->r, s) - 1;
	raw_set_rela_offset(c->r, s, k, size + 8);
	WANT("bad.ko: .rela.text: entry %zu: offset 0x%" PRIx64 " past end of .text (0x%" PRIx64 ")", k, size + 8, size);
	return true;
}
static bool rela_offset_at_end(struct ctx *c)
{
	size_t s = rela_text(c->r), t = (size_t)raw_sh(c->r, s, SH_INFO);
	uint64_t size = raw_sh(c->r, t, SH_SIZE);
	raw_set_rela_offset(c->r, s, 0, size);
	WANT("bad.ko: .rela.text: entry 0: offset 0x%" PRIx64 " past end of .text (0x%" PRIx64 ")", size, size);
	return true;
}
static bool rela_sym_big(struct ctx *c)
{
	size_t s = rela_text(c->r);
	size_t n = raw_nsyms(c->r);
	uint32_t bad = c->r->is64 ? (uint32_t)n + 100 : 0xffffff;
	raw_set_rela_info(c->r, s, 1, bad, raw_rela_type(c->r, s, 1));
	WANT(".rela.text: entry 1: symbol index %u out of range (%zu symbols)", bad, n);
	return true;
}

/* Found only when relocating: the loader must undo everything. */
static bool rela_type_unknown(struct ctx *c)
{
	size_t s = rela_text(c->r);
	/* A number no arch here defines, and one each defines but refuses. */
	uint32_t t = c->r->is64 ? 200 : 200;
	raw_set_rela_info(c->r, s, 2, raw_rela_sym(c->r, s, 2), t);
	WANT("bad.ko: .rela.text: entry 2: unsupported relocation type 200");
	return true;
}
static bool rela_type_refused(struct ctx *c)
{
	size_t s = rela_text(c->r);
	uint32_t t;
	const char *name;
	if (c->arch->elf_machine == 20) {
		t = 252;
		name = "R_PPC_REL16_HA";
	} else if (c->arch->elf_machine == 62) {
		t = 41;
		name = "R_X86_64_GOTPCRELX";
	} else {
		t = 311;
		name = "R_AARCH64_ADR_GOT_PAGE";
	}
	raw_set_rela_info(c->r, s, 0, raw_rela_sym(c->r, s, 0), t);
	WANT("bad.ko: .rela.text: entry 0: unsupported relocation type %u (%s)", t, name);
	return true;
}

/* The index of the first relocation of `type` in any RELA section, with
 * its section in *sec; false if none. */
static bool find_rela(const struct raw *r, uint32_t type, size_t *sec, size_t *k)
{
	for (size_t s = 1; s < shnum(r); s++) {
		if (raw_sh(r, s, SH_TYPE) != 4)
			continue;
		size_t target = (size_t)raw_sh(r, s, SH_INFO);
		if (!(raw_sh(r, target, SH_FLAGS) & 2))
			continue;
		for (size_t i = 0; i < raw_nrelas(r, s); i++)
			if (raw_rela_type(r, s, i) == type) {
				*sec = s;
				*k = i;
				return true;
			}
	}
	return false;
}

static bool rela_overflow(struct ctx *c)
{
	uint32_t type;
	const char *name;
	if (c->arch->elf_machine == 62) {
		type = 11;
		name = "R_X86_64_32S";
	} else if (c->arch->elf_machine == 183) {
		type = 259;
		name = "R_AARCH64_ABS16";
	} else {
		return false; /* ppc32's accepted types are unchecked or trampolined */
	}
	size_t s, k;
	if (!find_rela(c->r, type, &s, &k))
		return false;
	raw_set_rela_addend(c->r, s, k, 0x40000000000ll);
	WANT("bad.ko: %s: entry %zu: %s against '", raw_secname(c->r, s), k, name);
	return true;
}
static bool rela_overflow_range(struct ctx *c)
{
	/* Same, checking the range part of the message. */
	if (!rela_overflow(c))
		return false;
	WANT(c->arch->elf_machine == 62 ? "out of range [-0x80000000, 0x7fffffff]" : "out of range [0x0, 0xffff]");
	return true;
}
static bool rela_misaligned(struct ctx *c)
{
	uint32_t type = c->arch->elf_machine == 183 ? 283 /* CALL26 */ : c->arch->elf_machine == 20 ? 10 /* REL24 */ : 0;
	size_t s, k;
	if (!type || !find_rela(c->r, type, &s, &k))
		return false;
	uint64_t off = raw_rela_offset(c->r, s, k) + 1;
	raw_set_rela_offset(c->r, s, k, off);
	WANT("bad.ko: %s: entry %zu: %s against '", raw_secname(c->r, s), k,
	     type == 283 ? "R_AARCH64_CALL26" : "R_PPC_REL24");
	return true;
}
static bool x86_nonzero(struct ctx *c)
{
	size_t s, k;
	if (c->arch->elf_machine != 62 || !find_rela(c->r, 1 /* R_X86_64_64 */, &s, &k))
		return false;
	size_t t = (size_t)raw_sh(c->r, s, SH_INFO);
	uint64_t off = raw_rela_offset(c->r, s, k);
	c->r->b[raw_sh(c->r, t, SH_OFFSET) + off] = 0x5a;
	WANT("bad.ko: %s: entry %zu: R_X86_64_64 against '", raw_secname(c->r, s), k);
	return true;
}

/* Layout and placement. */
static bool data_wx(struct ctx *c)
{
	size_t d = raw_find(c->r, ".data");
	if (!d)
		return false;
	raw_set_sh(c->r, d, SH_FLAGS, raw_sh(c->r, d, SH_FLAGS) | 0x4);
	WANT("section .data (index %zu) has invalid WRITE|EXEC flags", d);
	return true;
}
static bool bss_huge(struct ctx *c)
{
	size_t b = raw_find(c->r, ".bss");
	if (!b)
		b = raw_find(c->r, ".data");
	if (!b)
		return false;
	uint64_t size = c->r->is64 ? 0x800000000ull : 0x0fff0000ull;
	raw_set_sh(c->r, b, SH_TYPE, 8 /* NOBITS */);
	raw_set_sh(c->r, b, SH_SIZE, size);
	WANT("out of module space: no room for data (");
	return true;
}
static bool plt_missing(struct ctx *c)
{
	size_t p = raw_find(c->r, ".plt");
	if (!p)
		return false;
	/* Rename in place: ".plt" -> ".plx". */
	size_t str = (size_t)raw_eh(c->r, EH_SHSTRNDX);
	c->r->b[raw_sh(c->r, str, SH_OFFSET) + raw_sh(c->r, p, SH_NAME) + 3] = 'x';
	WANT("bad.ko: module PLT section(s) missing");
	return true;
}
/* Renames the first undefined symbol to a name no kernel stub has. */
static size_t rename_undefined(struct raw *r)
{
	size_t u = first_undefined(r);
	if (u)
		((char *)raw_symname(r, u))[0] = 'Q';
	return u;
}
static bool strict_missing(struct ctx *c)
{
	size_t u = rename_undefined(c->r);
	c->strict = true;
	WANT("found nowhere (--strict-symbols): ");
	return u != 0;
}
static bool strict_names(struct ctx *c)
{
	size_t u = rename_undefined(c->r);
	c->strict = true;
	WANT("%s", u ? raw_symname(c->r, u) : "");
	return u != 0;
}

static const struct {
	const char *name;
	mutator fn;
} cases[] = {
	{ "truncated magic", trunc_magic }, { "truncated ident", trunc_ident },
	{ "truncated header", trunc_ehdr }, { "truncated at section headers", trunc_shoff },
	{ "truncated in first section header", trunc_sh1 }, { "truncated mid section headers", trunc_shhalf },
	{ "truncated last byte", trunc_shlast }, { "truncated before headers", trunc_data },
	{ "truncated in .text", trunc_text }, { "bad magic", bad_magic }, { "bad class", bad_class },
	{ "bad byte order", bad_data }, { "bad version", bad_version }, { "class mismatch", class_flip },
	{ "byte order mismatch", data_flip }, { "machine i386", machine_i386 },
	{ "machine of another arch", machine_other }, { "ET_EXEC", type_exec }, { "ET_DYN", type_dyn },
	{ "section header size 0", shentsize0 }, { "section headers past end", shoff_past },
	{ "no section headers", shoff_zero }, { "too many sections", shnum_big },
	{ "name table index out of range", shstrndx_big }, { "name table not a string table", shstrndx_notstr },
	{ "section name offset out of range", sh_name_big }, { ".text offset past end", text_offset_past },
	{ ".text size past end", text_size_huge }, { ".text alignment 3", text_align3 },
	{ "name table past end", strtab_past }, { "symtab link 0", symtab_link0 },
	{ "symtab link to .text", symtab_link_text }, { "symtab entry size", symtab_entsize },
	{ "symtab size not a multiple", symtab_size_odd }, { "no symtab", symtab_gone },
	{ "rela info out of range", rela_info_big }, { "rela link 0", rela_link0 },
	{ "rela entry size", rela_entsize }, { "rela size not a multiple", rela_size_odd },
	{ "SHT_REL", rela_as_rel }, { "symbol shndx out of range", sym_shndx_big },
	{ "SHN_COMMON", sym_common }, { "reserved shndx", sym_reserved },
	{ "symbol name out of range", sym_name_big }, { "rela offset past end", rela_offset_past },
	{ "rela offset at end", rela_offset_at_end }, { "rela symbol out of range", rela_sym_big },
	{ "unknown relocation type", rela_type_unknown }, { "refused relocation type", rela_type_refused },
	{ "overflowing value", rela_overflow }, { "overflow range", rela_overflow_range },
	{ "misaligned branch", rela_misaligned }, { "x86_64 location not zero", x86_nonzero },
	{ "WRITE|EXEC section", data_wx }, { "out of module space", bss_huge },
	{ "PLT section missing", plt_missing }, { "strict symbols", strict_missing },
	{ "strict symbols names", strict_names },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ---- running one case -------------------------------------------------- */

struct fixture {
	struct mb_space space;
	struct mb_loader loader;
};

static void fixture_open(struct fixture *fx, const struct mb_arch *arch, bool strict)
{
	struct mb_err err;
	mb_space_init(&fx->space, 4096);
	struct mb_loader_config cfg = { .arch = arch };
	ck_assert_msg(mb_loader_init(&fx->loader, &cfg, &fx->space, &err) == 0, "%s", err.msg);
	/* Something loaded already, so "unchanged" covers a non-empty state. */
	struct file base = module_file(arch->name, "plt_calls");
	ck_assert_msg(mb_load_buffer(&fx->loader, "plt_calls.ko", base.b, base.n, NULL, &err) == 0, "%s", err.msg);
	free(base.b);
	fx->loader.strict_symbols = strict; /* the base has undefined symbols of its own */
}

static void fixture_close(struct fixture *fx)
{
	mb_loader_fini(&fx->loader);
	mb_space_fini(&fx->space);
}

/* Runs modbed on the file; returns the exit status, stderr in buf. */
static int run_modbed(const char *arch, const char *path, bool strict, char *buf, size_t n)
{
	int fd[2];
	ck_assert(pipe(fd) == 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		if (strict)
			execl(modbed_bin, modbed_bin, "load", "--arch", arch, "--strict-symbols", path, (char *)NULL);
		else
			execl(modbed_bin, modbed_bin, "load", "--arch", arch, path, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < n && (r = read(fd[0], buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int applied[NARCH];

static void run_case(size_t ci, size_t ai)
{
	const struct mb_arch *arch = mb_arch_by_name(arches[ai]);
	ck_assert(arch != NULL);
	struct file f = module_file(arches[ai], "reloc_all");
	struct raw r;
	raw_init(&r, f.b, f.n);
	char want[256];
	struct ctx c = { .r = &r, .arch = arch, .want = want, .wn = sizeof(want) };
	if (!cases[ci].fn(&c)) {
		free(f.b);
		return;
	}
	applied[ai]++;
	struct fixture fx;
	fixture_open(&fx, arch, c.strict);
	uint64_t before = mb_loader_fingerprint(&fx.loader);
	size_t nmod = fx.loader.nmodules, narenas = fx.space.narenas;
	struct mb_err err = { "" };
	int rc = mb_load_buffer(&fx.loader, "bad.ko", r.b, r.n, NULL, &err);
	ck_assert_msg(rc == -1, "%s/%s: loaded although corrupted", arches[ai], cases[ci].name);
	ck_assert_msg(strncmp(err.msg, "bad.ko: ", 8) == 0, "%s/%s: message does not name the file: %s", arches[ai],
		      cases[ci].name, err.msg);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s/%s: message '%s' lacks '%s'", arches[ai], cases[ci].name,
		      err.msg, want);
	ck_assert_msg(!strchr(err.msg, '\n'), "%s/%s: message spans lines", arches[ai], cases[ci].name);
	ck_assert_msg(mb_loader_fingerprint(&fx.loader) == before, "%s/%s: loader state changed", arches[ai],
		      cases[ci].name);
	ck_assert_uint_eq(fx.loader.nmodules, nmod);
	ck_assert_uint_eq(fx.space.narenas, narenas);
	fixture_close(&fx);

	/* A sample through the binary: every third case. */
	if (modbed_bin && ci % 3 == ai % 3) {
		char dir[] = "/tmp/modbed-bad-XXXXXX";
		ck_assert(mkdtemp(dir) != NULL);
		char path[256];
		snprintf(path, sizeof(path), "%s/bad.ko", dir);
		FILE *fp = fopen(path, "wb");
		ck_assert(fp && fwrite(r.b, 1, r.n, fp) == r.n);
		fclose(fp);
		char out[2048];
		int st = run_modbed(arches[ai], path, c.strict, out, sizeof(out));
		unlink(path);
		rmdir(dir);
		ck_assert_msg(st == 1, "%s/%s: modbed exit %d (%s)", arches[ai], cases[ci].name, st, out);
		char *nl = strchr(out, '\n');
		ck_assert_msg(nl && nl[1] == '\0', "%s/%s: stderr is not one line: %s", arches[ai], cases[ci].name, out);
		ck_assert_msg(strncmp(out, "modbed: ", 8) == 0 && strstr(out, want), "%s/%s: stderr '%s' lacks '%s'",
			      arches[ai], cases[ci].name, out, want);
	}
	free(f.b);
}

START_TEST(test_bad_x86_64) { run_case((size_t)_i, 0); }
END_TEST
START_TEST(test_bad_arm64) { run_case((size_t)_i, 1); }
END_TEST
START_TEST(test_bad_powerpc32) { run_case((size_t)_i, 2); }
END_TEST

/* The pristine objects load: the corruptions, not the base, cause the errors. */
START_TEST(test_pristine_loads)
{
	for (size_t ai = 0; ai < NARCH; ai++) {
		struct fixture fx;
		fixture_open(&fx, mb_arch_by_name(arches[ai]), false);
		struct file f = module_file(arches[ai], "reloc_all");
		struct mb_err err;
		ck_assert_msg(mb_load_buffer(&fx.loader, "reloc_all.ko", f.b, f.n, NULL, &err) == 0, "%s: %s",
			      arches[ai], err.msg);
		free(f.b);
		fixture_close(&fx);
	}
}
END_TEST

/* Runs after the loops (CK_NOFORK keeps the counters). */
START_TEST(test_enough_cases)
{
	int total = applied[0] + applied[1] + applied[2];
	printf("%zu corruption kinds; applied per arch: x86_64 %d, arm64 %d, powerpc32 %d\n", (size_t)NCASES,
	       applied[0], applied[1], applied[2]);
	ck_assert_msg(total >= 50, "only %d corrupted objects tried", total);
	ck_assert_msg(applied[0] >= 30 && applied[1] >= 30 && applied[2] >= 30, "per arch: %d %d %d", applied[0],
		      applied[1], applied[2]);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s MODULE_DIR [MODBED]\n", argv[0]);
		return 2;
	}
	moddir = argv[1];
	modbed_bin = argc > 2 ? argv[2] : NULL;
	const struct check_test tests[] = {
		CHECK_TEST(test_pristine_loads),
		CHECK_LOOP(test_bad_x86_64, (int)NCASES),
		CHECK_LOOP(test_bad_arm64, (int)NCASES),
		CHECK_LOOP(test_bad_powerpc32, (int)NCASES),
		CHECK_TEST(test_enough_cases),
	};
	const struct check_suite cs = {
		.suite = "elf_bad",
		.tcase = "bad",
		.timeout = 120,
		.fork = CK_NOFORK,
	};
	return CHECK_RUN(&cs, tests);
}
