/* Section layout against layouts computed by hand from the kernel's rules
 * (kernel-module-memory.md 1.2-1.4): masks in order, core walk then init
 * walk, sections in index order, each at its own alignment. */
#include <check.h>
#include <string.h>

#include "core/layout.h"
#include "tests/check_main.h"

#define A  MB_SHF_ALLOC
#define W  MB_SHF_WRITE
#define X  MB_SHF_EXECINSTR
#define PB 1u  /* SHT_PROGBITS */
#define NB MB_SHT_NOBITS

static struct mb_sec sec(const char *name, uint32_t type, uint64_t flags, unsigned long size, unsigned long align)
{
	struct mb_sec s = { name, type, flags, size, align, -2, 0x5555 };
	return s;
}

/* An x86_64-shaped module; offsets below are worked out by hand. */
static size_t x86_module(struct mb_sec *s)
{
	size_t n = 0;
	s[n++] = sec("", 0, 0, 0, 0);
	s[n++] = sec(".text", PB, A | X, 0x123, 16);                    /* 1 */
	s[n++] = sec(".init.text", PB, A | X, 0x31, 1);                 /* 2 */
	s[n++] = sec(".exit.text", PB, A | X, 0x10, 1);                 /* 3 */
	s[n++] = sec(".rodata", PB, A, 0x40, 32);                       /* 4 */
	s[n++] = sec(".rodata.str1.1", PB, A | 0x30, 0x11, 1);          /* 5 AMS */
	s[n++] = sec(".data", PB, A | W, 0x20, 8);                      /* 6 */
	s[n++] = sec(".bss", NB, A | W, 0x100, 64);                     /* 7 */
	s[n++] = sec(".data..ro_after_init", PB, A | W, 0x18, 8);       /* 8 */
	s[n++] = sec("__jump_table", PB, A | W, 0x30, 8);               /* 9 */
	s[n++] = sec(".init.data", PB, A | W, 8, 8);                    /* 10 */
	s[n++] = sec(".modinfo", PB, A, 0x50, 1);                       /* 11 */
	s[n++] = sec("__versions", PB, A, 0x80, 32);                    /* 12 */
	s[n++] = sec(".gnu.linkonce.this_module", PB, A | W, 0x380, 64);/* 13 */
	s[n++] = sec(".symtab", MB_SHT_SYMTAB, 0, 24 * 10, 8);          /* 14 */
	s[n++] = sec(".strtab", 3, 0, 0x55, 1);                         /* 15 */
	s[n++] = sec(".data..percpu", PB, A | W, 0x10, 8);              /* 16 */
	s[n++] = sec(".text.unlikely", PB, A | X, 7, 1);                /* 17 */
	s[n++] = sec(".init.rodata", PB, A, 9, 4);                      /* 18 */
	s[n++] = sec(".static_call_sites", PB, A | W, 0x10, 8);         /* 19 */
	s[n++] = sec(".rela.text", 4, 0x40, 0x60, 8);                   /* 20 */
	return n;
}

static const struct mb_layout_opts x86_opts = { .module_unload = true, .strict_rwx = true,
						.static_call_inline = true };

#define CHECK_SEC(s, i, t, off)                                                                   \
	do {                                                                                      \
		ck_assert_int_eq((s)[i].mem_type, (t));                                           \
		ck_assert_uint_eq((s)[i].offset, (off));                                          \
	} while (0)

START_TEST(x86_shaped_module)
{
	struct mb_sec s[32];
	size_t n = x86_module(s);
	struct mb_rewrite_info ri;
	mb_layout_rewrite(s, n, &x86_opts, &ri);
	ck_assert_uint_eq(ri.percpu_index, 16);
	ck_assert(!(s[11].flags & A) && !(s[12].flags & A) && !(s[16].flags & A));
	ck_assert(s[8].flags & MB_SHF_RO_AFTER_INIT);
	ck_assert(s[9].flags & MB_SHF_RO_AFTER_INIT);
	ck_assert(s[19].flags & MB_SHF_RO_AFTER_INIT);

	struct mb_layout lay;
	struct mb_layout_err err;
	ck_assert_int_eq(mb_layout_sections(s, n, &x86_opts, NULL, &lay, &err), 0);
	/* text: .text 0..0x123, .exit.text 0x123.., .text.unlikely 0x133.. */
	CHECK_SEC(s, 1, MOD_TEXT, 0);
	CHECK_SEC(s, 3, MOD_TEXT, 0x123);
	CHECK_SEC(s, 17, MOD_TEXT, 0x133);
	ck_assert_uint_eq(lay.size[MOD_TEXT], 0x13a);
	/* rodata: .rodata, .rodata.str1.1 */
	CHECK_SEC(s, 4, MOD_RODATA, 0);
	CHECK_SEC(s, 5, MOD_RODATA, 0x40);
	ck_assert_uint_eq(lay.size[MOD_RODATA], 0x51);
	ck_assert_uint_eq(lay.align[MOD_RODATA], 32);
	/* ro_after_init: the three renamed sections, in index order */
	CHECK_SEC(s, 8, MOD_RO_AFTER_INIT, 0);
	CHECK_SEC(s, 9, MOD_RO_AFTER_INIT, 0x18);
	CHECK_SEC(s, 19, MOD_RO_AFTER_INIT, 0x48);
	ck_assert_uint_eq(lay.size[MOD_RO_AFTER_INIT], 0x58);
	/* data: .data 0, .bss aligned to 64 at 0x40, this_module at 0x140 */
	CHECK_SEC(s, 6, MOD_DATA, 0);
	CHECK_SEC(s, 7, MOD_DATA, 0x40);
	CHECK_SEC(s, 13, MOD_DATA, 0x140);
	ck_assert_uint_eq(lay.size[MOD_DATA], 0x4c0);
	ck_assert_uint_eq(lay.align[MOD_DATA], 64);
	/* init */
	CHECK_SEC(s, 2, MOD_INIT_TEXT, 0);
	CHECK_SEC(s, 18, MOD_INIT_RODATA, 0);
	CHECK_SEC(s, 10, MOD_INIT_DATA, 0);
	ck_assert_uint_eq(lay.size[MOD_INIT_TEXT], 0x31);
	ck_assert_uint_eq(lay.size[MOD_INIT_RODATA], 9);
	ck_assert_uint_eq(lay.size[MOD_INIT_DATA], 8);
	/* not loaded */
	for (size_t i = 0; i < n; i++)
		if (i == 0 || i == 11 || i == 12 || i == 14 || i == 15 || i == 16 || i == 20)
			ck_assert_int_eq(s[i].mem_type, MOD_INVALID);
	ck_assert(!lay.has_kallsyms);
}
END_TEST

START_TEST(kallsyms_tail)
{
	struct mb_sec s[32];
	size_t n = x86_module(s);
	struct mb_rewrite_info ri;
	mb_layout_rewrite(s, n, &x86_opts, &ri);
	struct mb_kallsyms_in ks = { .symtab_index = 14, .strtab_index = 15, .sym_size = 24,
				     .ptr_bytes = 8, .ndst = 4, .core_strtab_size = 0x20 };
	struct mb_layout lay;
	struct mb_layout_err err;
	ck_assert_int_eq(mb_layout_sections(s, n, &x86_opts, &ks, &lay, &err), 0);
	/* init data: .init.data 0..8, .symtab at 8 (align 8) .. 0xf8, .strtab
	 * 0xf8..0x14d, mod_kallsyms at ALIGN(0x14d, 8) = 0x150 (32 bytes),
	 * type chars for 10 symbols at 0x170 */
	CHECK_SEC(s, 14, MOD_INIT_DATA, 8);
	CHECK_SEC(s, 15, MOD_INIT_DATA, 0xf8);
	ck_assert(s[14].flags & A);
	ck_assert(s[15].flags & A);
	ck_assert_uint_eq(lay.kallsyms.init_kallsyms_off, 0x150);
	ck_assert_uint_eq(lay.kallsyms.init_typeoffs, 0x170);
	ck_assert_uint_eq(lay.size[MOD_INIT_DATA], 0x17a);
	/* data: core symbols at ALIGN(0x4c0, 8), 4 * 24 bytes, 0x20 name bytes,
	 * 4 type chars */
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x4c0);
	ck_assert_uint_eq(lay.kallsyms.stroffs, 0x520);
	ck_assert_uint_eq(lay.kallsyms.core_typeoffs, 0x540);
	ck_assert_uint_eq(lay.size[MOD_DATA], 0x544);
	ck_assert(lay.has_kallsyms);
}
END_TEST

/* arm64 after module_frob_arch_sections: .plt/.init.plt NOBITS AX 64-aligned;
 * without MODULE_UNLOAD .exit.* goes to init. */
START_TEST(arm64_plt_and_no_unload)
{
	struct mb_sec s[8];
	size_t n = 0;
	s[n++] = sec("", 0, 0, 0, 0);
	s[n++] = sec(".text", PB, A | X, 0x104, 8);
	s[n++] = sec(".plt", NB, A | X, 3 * 12, 64);
	s[n++] = sec(".init.plt", NB, A | X, 2 * 12, 64);
	s[n++] = sec(".exit.text", PB, A | X, 0x20, 4);
	s[n++] = sec(".init.text", PB, A | X, 0x40, 4);
	s[n++] = sec(".exit.data", PB, A | W, 8, 8);
	struct mb_layout_opts o = { .module_unload = false, .strict_rwx = true };
	struct mb_layout lay;
	struct mb_layout_err err;
	struct mb_rewrite_info ri;
	mb_layout_rewrite(s, n, &o, &ri);
	ck_assert_int_eq(mb_layout_sections(s, n, &o, NULL, &lay, &err), 0);
	CHECK_SEC(s, 1, MOD_TEXT, 0);
	CHECK_SEC(s, 2, MOD_TEXT, 0x140);          /* ALIGN(0x104, 64) */
	ck_assert_uint_eq(lay.size[MOD_TEXT], 0x164);
	CHECK_SEC(s, 3, MOD_INIT_TEXT, 0);         /* index order: .init.plt first */
	CHECK_SEC(s, 4, MOD_INIT_TEXT, 0x18);      /* .exit.text is init without unload */
	CHECK_SEC(s, 5, MOD_INIT_TEXT, 0x38);
	ck_assert_uint_eq(lay.size[MOD_INIT_TEXT], 0x78);
	CHECK_SEC(s, 6, MOD_INIT_DATA, 0);
	/* with unload, .exit.* are core */
	o.module_unload = true;
	ck_assert_int_eq(mb_layout_sections(s, n, &o, NULL, &lay, &err), 0);
	CHECK_SEC(s, 4, MOD_TEXT, 0x164);
	CHECK_SEC(s, 6, MOD_DATA, 0);
	ck_assert_uint_eq(lay.size[MOD_INIT_TEXT], 0x58);
}
END_TEST

/* Flag corner cases of the masks: ro_after_init without WRITE is plain
 * rodata (mask 1 comes first); an init section flagged ro_after_init is not
 * placed by mask 2 (MOD_INVALID) but by mask 3; zero-size sections still
 * pad; alignment 0 means 1. */
START_TEST(mask_corner_cases)
{
	struct mb_sec s[8];
	size_t n = 0;
	s[n++] = sec("", 0, 0, 0, 0);
	s[n++] = sec("ro_no_write", PB, A | MB_SHF_RO_AFTER_INIT, 5, 0);
	s[n++] = sec(".init.roai", PB, A | W | MB_SHF_RO_AFTER_INIT, 4, 4);
	s[n++] = sec("empty", PB, A, 0, 256);
	s[n++] = sec("after_empty", PB, A, 1, 1);
	s[n++] = sec("noalloc_x", PB, X, 100, 1);
	struct mb_layout_opts o = { .module_unload = true, .strict_rwx = true };
	struct mb_layout lay;
	struct mb_layout_err err;
	ck_assert_int_eq(mb_layout_sections(s, n, &o, NULL, &lay, &err), 0);
	CHECK_SEC(s, 1, MOD_RODATA, 0);
	CHECK_SEC(s, 3, MOD_RODATA, 0x100);
	CHECK_SEC(s, 4, MOD_RODATA, 0x100);
	ck_assert_uint_eq(lay.size[MOD_RODATA], 0x101);
	CHECK_SEC(s, 2, MOD_INIT_DATA, 0);
	ck_assert_int_eq(s[5].mem_type, MOD_INVALID);
	ck_assert_uint_eq(lay.size[MOD_RO_AFTER_INIT], 0);
	ck_assert_uint_eq(lay.size[MOD_TEXT], 0);
}
END_TEST

/* Strict RWX: refused with the section's index and name, nothing changed. */
START_TEST(wx_refused_unchanged)
{
	struct mb_sec s[32], before[32];
	size_t n = x86_module(s);
	s[6].flags |= X; /* .data becomes WRITE|EXEC */
	memcpy(before, s, sizeof(s));
	struct mb_layout lay, lay_before;
	memset(&lay, 0xa5, sizeof(lay));
	memcpy(&lay_before, &lay, sizeof(lay));
	struct mb_layout_err err;
	ck_assert_int_eq(mb_layout_sections(s, n, &x86_opts, NULL, &lay, &err), -1);
	ck_assert_int_eq(err.status, MB_LAYOUT_WX);
	ck_assert_uint_eq(err.index, 6);
	ck_assert(memcmp(s, before, sizeof(s)) == 0);
	ck_assert(memcmp(&lay, &lay_before, sizeof(lay)) == 0);
	char msg[200];
	mb_layout_strerror(&err, msg, sizeof msg);
	ck_assert_str_eq(msg, "section .data (index 6) has invalid WRITE|EXEC flags (0x7)");
	/* without strict RWX it is laid out (as text: mask 0 comes first) */
	struct mb_layout_opts lax = x86_opts;
	lax.strict_rwx = false;
	ck_assert_int_eq(mb_layout_sections(s, n, &lax, NULL, &lay, &err), 0);
	ck_assert_int_eq(s[6].mem_type, MOD_TEXT);
}
END_TEST

START_TEST(bad_alignment_and_overflow)
{
	struct mb_sec s[4], before[4];
	size_t n = 0;
	s[n++] = sec("", 0, 0, 0, 0);
	s[n++] = sec(".text", PB, A | X, 0x10, 16);
	s[n++] = sec(".rodata", PB, A, 0x10, 24);
	memcpy(before, s, sizeof(s));
	struct mb_layout lay;
	struct mb_layout_err err;
	ck_assert_int_eq(mb_layout_sections(s, n, &x86_opts, NULL, &lay, &err), -1);
	ck_assert_int_eq(err.status, MB_LAYOUT_BAD_ALIGN);
	ck_assert_uint_eq(err.index, 2);
	ck_assert(memcmp(s, before, sizeof(s)) == 0);

	s[2] = sec(".text.2", PB, A | X, ~0UL - 8, 1);
	memcpy(before, s, sizeof(s));
	ck_assert_int_eq(mb_layout_sections(s, n, &x86_opts, NULL, &lay, &err), -1);
	ck_assert_int_eq(err.status, MB_LAYOUT_TOO_BIG);
	ck_assert_uint_eq(err.index, 2);
	ck_assert(memcmp(s, before, sizeof(s)) == 0);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(x86_shaped_module),
		CHECK_TEST(kallsyms_tail),
		CHECK_TEST(arm64_plt_and_no_unload),
		CHECK_TEST(mask_corner_cases),
		CHECK_TEST(wx_refused_unchanged),
		CHECK_TEST(bad_alignment_and_overflow),
	};
	const struct check_suite cs = { .suite = "core_layout", .tcase = "layout" };
	return CHECK_RUN(&cs, tests);
}
