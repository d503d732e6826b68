/* Kernel-version rule sets: the table lookup, one section list laid out by
 * 6.1, 6.4 and the latest rules against offsets computed by hand from
 * v6.1's layout_sections()/layout_symtab() (strict_align between classes,
 * page-aligned kallsyms tails, .static_call_sites in data) and v6.4+'s,
 * 6.1's core/init(/data) blocks placed on real maps at hand-computed
 * addresses, and the lookup bounds of each version on book3s/32 and 8xx
 * against a brute-force scan, with the counters predicted by hand. */
#include <check.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "core/kver.h"
#include "core/layout.h"
#include "core/lookup.h"
#include "core/place.h"
#include "tests/check_main.h"
#include "tests/core/testutil.h"

#define A MB_SHF_ALLOC
#define W MB_SHF_WRITE
#define X MB_SHF_EXECINSTR
#define PB 1u /* SHT_PROGBITS */
#define NB MB_SHT_NOBITS

static const struct mb_kver *kv(const char *s)
{
	const struct mb_kver *k = mb_kver_lookup(s);
	ck_assert_msg(k != NULL, "no rule set for %s", s);
	return k;
}

START_TEST(table_lookup)
{
	struct { const char *in, *want; } v[] = {
		{ "6.1", "6.1" },   { "5.18", "6.1" }, { "6.2", "6.2" },   { "6.3", "6.2" }, { "6.4", "6.4" },
		{ "6.9", "6.4" },   { "6.10", "6.10" }, { "6.13", "6.10" }, { "6.14", "6.10" },
		{ "6.15", "6.15" }, { "6.18", "6.15" }, { "7.0", "6.15" },  { "latest", "6.15" },
		{ "6.1.0-57-cloud-amd64", "6.1" }, { "6.12.9+deb13-amd64", "6.10" }, { "6.1 SMP mod_unload", "6.1" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		ck_assert_msg(strcmp(kv(v[i].in)->name, v[i].want) == 0, "%s -> %s, want %s", v[i].in,
			      kv(v[i].in)->name, v[i].want);
	const char *bad[] = { "5.17", "4.19", "6", "6.", ".1", "six", "6.1x", "", "66666.1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(mb_kver_lookup(bad[i]) == NULL, "'%s' should have no rule set", bad[i]);
	ck_assert(mb_kver_lookup(NULL) == NULL);
	/* oldest first, each name finds itself, the last is "latest" */
	for (size_t i = 0; i < mb_nkvers; i++) {
		ck_assert_ptr_eq(mb_kver_lookup(mb_kvers[i].name), &mb_kvers[i]);
		if (i)
			ck_assert_uint_lt(mb_kvers[i - 1].first, mb_kvers[i].first);
	}
	ck_assert_ptr_eq(mb_kver_latest(), &mb_kvers[mb_nkvers - 1]);
}
END_TEST

/* ---- one section list under three rule sets ---- */

static struct mb_sec sec(const char *name, uint32_t type, uint64_t flags, unsigned long size, unsigned long align)
{
	return (struct mb_sec){ .name = name, .type = type, .flags = flags, .size = size, .addralign = align,
				.mem_type = MOD_INVALID };
}

enum { S_TEXT = 1, S_INIT_TEXT, S_EXIT_TEXT, S_RODATA, S_SCS, S_DATA, S_ROAI, S_JT, S_INIT_DATA, S_THIS,
       S_BSS, S_SYMTAB, S_STRTAB, S_INIT_RODATA, NSECS };

static void sections(struct mb_sec *s)
{
	s[0] = sec("", MB_SHT_NULL, 0, 0, 0);
	s[S_TEXT] = sec(".text", PB, A | X, 0x1234, 16);
	s[S_INIT_TEXT] = sec(".init.text", PB, A | X, 0x100, 16);
	s[S_EXIT_TEXT] = sec(".exit.text", PB, A | X, 0x40, 16);
	s[S_RODATA] = sec(".rodata", PB, A, 0x300, 32);
	s[S_SCS] = sec(".static_call_sites", PB, A | W, 0x18, 4);
	s[S_DATA] = sec(".data", PB, A | W, 0x200, 64);
	s[S_ROAI] = sec(".data..ro_after_init", PB, A | W, 0x10, 8);
	s[S_JT] = sec("__jump_table", PB, A | W, 0x30, 8);
	s[S_INIT_DATA] = sec(".init.data", PB, A | W, 0x50, 8);
	s[S_THIS] = sec(".gnu.linkonce.this_module", PB, A | W, 0x380, 64);
	s[S_BSS] = sec(".bss", NB, A | W, 0x1000, 32);
	s[S_SYMTAB] = sec(".symtab", MB_SHT_SYMTAB, 0, 16 * 24, 8);
	s[S_STRTAB] = sec(".strtab", 3, 0, 0x123, 1);
	s[S_INIT_RODATA] = sec(".init.rodata", PB, A, 0x20, 8);
}

static const struct mb_kallsyms_in ks = { .symtab_index = S_SYMTAB, .strtab_index = S_STRTAB, .sym_size = 24,
					  .ptr_bytes = 8, .ndst = 5, .core_strtab_size = 0x31 };

static void lay_out_strict(const char *kernel, bool div, bool strict, struct mb_sec *s, struct mb_layout *lay)
{
	struct mb_layout_opts o = { .module_unload = true, .strict_rwx = strict, .static_call_inline = true,
				    .kver = kv(kernel), .data_in_vmalloc = div, .page_size = 0x1000 };
	struct mb_rewrite_info ri;
	struct mb_layout_err err;
	sections(s);
	memset(lay, 0xa5, sizeof *lay); /* every output must be written */
	mb_layout_rewrite(s, NSECS, &o, &ri);
	ck_assert_int_eq(mb_layout_sections(s, NSECS, &o, &ks, lay, &err), 0);
}

static void lay_out(const char *kernel, bool div, struct mb_sec *s, struct mb_layout *lay)
{
	lay_out_strict(kernel, div, true, s, lay);
}

/* Expected (section, type, offset in type) triples. */
struct want_sec {
	int sec, type;
	unsigned long off;
};

static void check_secs(const struct mb_sec *s, const struct want_sec *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s[w[i].sec].mem_type == w[i].type && s[w[i].sec].offset == w[i].off,
			      "%s: %s +%#lx, want %s +%#lx", s[w[i].sec].name, mod_mem_type_name(s[w[i].sec].mem_type),
			      s[w[i].sec].offset, mod_mem_type_name(w[i].type), w[i].off);
}
#define CHECK_SECS(s, ...)                                                                        \
	do {                                                                                      \
		const struct want_sec w_[] = { __VA_ARGS__ };                                     \
		check_secs((s), w_, sizeof w_ / sizeof w_[0]);                                    \
	} while (0)

static void check_sizes(const struct mb_layout *lay, const unsigned long *want)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert_msg(lay->size[t] == want[t], "%s: %#lx, want %#lx", mod_mem_type_name(t), lay->size[t],
			      want[t]);
}

/* v6.15+: .static_call_sites ro_after_init; one allocation per type. */
START_TEST(layout_latest)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out("latest", false, s, &lay);
	CHECK_SECS(s,
		   { S_TEXT, MOD_TEXT, 0 },
		   { S_EXIT_TEXT, MOD_TEXT, 0x1240 },
		   { S_RODATA, MOD_RODATA, 0 },
		   { S_SCS, MOD_RO_AFTER_INIT, 0 },
		   { S_ROAI, MOD_RO_AFTER_INIT, 0x18 },
		   { S_JT, MOD_RO_AFTER_INIT, 0x28 },
		   { S_DATA, MOD_DATA, 0 },
		   { S_THIS, MOD_DATA, 0x200 },
		   { S_BSS, MOD_DATA, 0x580 },
		   { S_INIT_TEXT, MOD_INIT_TEXT, 0 },
		   { S_INIT_RODATA, MOD_INIT_RODATA, 0 },
		   { S_INIT_DATA, MOD_INIT_DATA, 0 },
		   { S_SYMTAB, MOD_INIT_DATA, 0x50 }, /* 8-aligned end of init data */
		   { S_STRTAB, MOD_INIT_DATA, 0x1d0 });
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x1580);
	ck_assert_uint_eq(lay.kallsyms.stroffs, 0x15f8);
	ck_assert_uint_eq(lay.kallsyms.core_typeoffs, 0x1629);
	ck_assert_uint_eq(lay.kallsyms.init_kallsyms_off, 0x2f8);
	ck_assert_uint_eq(lay.kallsyms.init_typeoffs, 0x318);
	const unsigned long want[] = { 0x1280, 0x162e, 0x300, 0x58, 0x100, 0x328, 0x20 };
	check_sizes(&lay, want);
	ck_assert_int_eq(lay.shape, MB_SHAPE_PER_TYPE);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		ck_assert_int_eq(lay.block[t], -1);
		ck_assert_uint_eq(lay.extent[t], want[t]);
	}
}
END_TEST

/* v6.4-v6.14: the same, but .static_call_sites stays in data, first in
 * ELF order, moving .data and what follows. */
START_TEST(layout_6_4)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out("6.4", false, s, &lay);
	CHECK_SECS(s,
		   { S_ROAI, MOD_RO_AFTER_INIT, 0 },
		   { S_JT, MOD_RO_AFTER_INIT, 0x10 },
		   { S_SCS, MOD_DATA, 0 },
		   { S_DATA, MOD_DATA, 0x40 },
		   { S_THIS, MOD_DATA, 0x240 },
		   { S_BSS, MOD_DATA, 0x5c0 },
		   { S_SYMTAB, MOD_INIT_DATA, 0x50 });
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x15c0);
	ck_assert_uint_eq(lay.kallsyms.core_typeoffs, 0x1669);
	const unsigned long want[] = { 0x1280, 0x166e, 0x300, 0x40, 0x100, 0x328, 0x20 };
	check_sizes(&lay, want);
	ck_assert_int_eq(lay.shape, MB_SHAPE_PER_TYPE);
	/* 6.10 lays out the same; only the windows differ */
	struct mb_sec s2[NSECS];
	struct mb_layout lay2;
	lay_out("6.13", false, s2, &lay2);
	check_sizes(&lay2, want);
	CHECK_SECS(s2,
		   { S_SCS, MOD_DATA, 0 });
}
END_TEST

/* v6.1, x86_64/arm64 (no DATA_IN_VMALLOC): one core block
 * text | rodata | ro_after_init | data | kallsyms copy, each class
 * page-aligned, and one init block init text | init rodata | init data |
 * symtab, strtab, mod_kallsyms, types with .symtab on a fresh page. */
START_TEST(layout_6_1)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out("6.1", false, s, &lay);
	ck_assert_int_eq(lay.shape, MB_SHAPE_BLOCKS);
	/* block offsets: text 0, rodata 0x2000, ro_after_init 0x3000, data 0x4000 */
	const unsigned long start[] = { 0, 0x4000, 0x2000, 0x3000, 0, 0x2000, 0x1000 };
	const int block[] = { MB_BLOCK_CORE, MB_BLOCK_CORE, MB_BLOCK_CORE, MB_BLOCK_CORE,
			      MB_BLOCK_INIT, MB_BLOCK_INIT, MB_BLOCK_INIT };
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		ck_assert_uint_eq(lay.start[t], start[t]);
		ck_assert_int_eq(lay.block[t], block[t]);
	}
	CHECK_SECS(s,
		   { S_TEXT, MOD_TEXT, 0 },
		   { S_EXIT_TEXT, MOD_TEXT, 0x1240 },
		   { S_RODATA, MOD_RODATA, 0 }, /* block 0x2000 */
		   { S_ROAI, MOD_RO_AFTER_INIT, 0 }, /* block 0x3000 */
		   { S_JT, MOD_RO_AFTER_INIT, 0x10 },
		   { S_SCS, MOD_DATA, 0 }, /* block 0x4000: .static_call_sites is data */
		   { S_DATA, MOD_DATA, 0x40 },
		   { S_THIS, MOD_DATA, 0x240 },
		   { S_BSS, MOD_DATA, 0x5c0 },
		   { S_INIT_TEXT, MOD_INIT_TEXT, 0 },
		   { S_INIT_RODATA, MOD_INIT_RODATA, 0 }, /* init block 0x1000 */
		   { S_INIT_DATA, MOD_INIT_DATA, 0 }); /* init block 0x2000 */
	/* init size page-aligned (0x3000) before .symtab: init data + 0x1000 */
	CHECK_SECS(s,
		   { S_SYMTAB, MOD_INIT_DATA, 0x1000 },
		   { S_STRTAB, MOD_INIT_DATA, 0x1180 });
	/* the core copy on its own page after data: block 0x6000 */
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x2000);
	ck_assert_uint_eq(lay.kallsyms.stroffs, 0x2078);
	ck_assert_uint_eq(lay.kallsyms.core_typeoffs, 0x20a9);
	ck_assert_uint_eq(lay.kallsyms.init_kallsyms_off, 0x12a8);
	ck_assert_uint_eq(lay.kallsyms.init_typeoffs, 0x12c8);
	const unsigned long used[] = { 0x1280, 0x20ae, 0x300, 0x40, 0x100, 0x12d8, 0x20 };
	check_sizes(&lay, used);
	/* data = PAGE_ALIGN(data) + PAGE_ALIGN(copy) = 0x2000 + 0x1000 */
	const unsigned long extent[] = { 0x2000, 0x3000, 0x1000, 0x1000, 0x1000, 0x2000, 0x1000 };
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert_uint_eq(lay.extent[t], extent[t]);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_CORE], 0x7000);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_INIT], 0x4000);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_DATA], 0);
}
END_TEST

/* v6.1 with DATA_IN_VMALLOC (ppc32): core_layout is text alone; rodata,
 * ro_after_init, data and the kallsyms copy form data_layout from 0. */
START_TEST(layout_6_1_data_in_vmalloc)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out("6.1", true, s, &lay);
	const unsigned long start[] = { 0, 0x2000, 0, 0x1000, 0, 0x2000, 0x1000 };
	const int block[] = { MB_BLOCK_CORE, MB_BLOCK_DATA, MB_BLOCK_DATA, MB_BLOCK_DATA,
			      MB_BLOCK_INIT, MB_BLOCK_INIT, MB_BLOCK_INIT };
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		ck_assert_uint_eq(lay.start[t], start[t]);
		ck_assert_int_eq(lay.block[t], block[t]);
	}
	CHECK_SECS(s,
		   { S_BSS, MOD_DATA, 0x5c0 });
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x2000);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_CORE], 0x2000);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_DATA], 0x5000);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_INIT], 0x4000);
	ck_assert_uint_eq(lay.extent[MOD_TEXT], 0x2000);
	ck_assert_uint_eq(lay.extent[MOD_RODATA], 0x1000);
	ck_assert_uint_eq(lay.extent[MOD_DATA], 0x3000);
}
END_TEST

/* v6.1 without CONFIG_STRICT_MODULE_RWX (pmac32_defconfig), DATA_IN_VMALLOC:
 * strict_align() is the identity, so each class starts where the one
 * before it ended (text_size, ro_size, ro_after_init_size are the running
 * sizes), and layout_symtab() appends the kallsyms copies unaligned.
 * Worked by hand from the section list (sizes/alignments above):
 *   data block: .rodata 0-0x300 | .data..ro_after_init 0x300, __jump_table
 *     0x310-0x340 | .static_call_sites 0x340, .data 0x380, this_module
 *     0x580, .bss 0x900-0x1900 | core symtab 0x1900 (8-aligned), names
 *     0x1978, types 0x19a9, end 0x19ae;
 *   init block: .init.text 0-0x100 | .init.rodata 0x100-0x120 | .init.data
 *     0x120-0x170, .symtab 0x170, .strtab 0x2f0-0x413, mod_kallsyms 0x418
 *     (8-aligned), types 0x438, end 0x448. */
START_TEST(layout_6_1_no_strict_rwx)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out_strict("6.1", true, false, s, &lay);
	ck_assert_int_eq(lay.shape, MB_SHAPE_BLOCKS);
	const unsigned long start[] = { 0, 0x340, 0, 0x300, 0, 0x120, 0x100 };
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert_msg(lay.start[t] == start[t], "%s starts at %#lx, want %#lx", mod_mem_type_name(t),
			      lay.start[t], start[t]);
	CHECK_SECS(s,
		   { S_TEXT, MOD_TEXT, 0 },
		   { S_EXIT_TEXT, MOD_TEXT, 0x1240 },
		   { S_RODATA, MOD_RODATA, 0 },
		   { S_ROAI, MOD_RO_AFTER_INIT, 0 },
		   { S_JT, MOD_RO_AFTER_INIT, 0x10 },
		   { S_SCS, MOD_DATA, 0 },
		   { S_DATA, MOD_DATA, 0x40 },
		   { S_THIS, MOD_DATA, 0x240 },
		   { S_BSS, MOD_DATA, 0x5c0 },
		   { S_INIT_TEXT, MOD_INIT_TEXT, 0 },
		   { S_INIT_RODATA, MOD_INIT_RODATA, 0 },
		   { S_INIT_DATA, MOD_INIT_DATA, 0 },
		   { S_SYMTAB, MOD_INIT_DATA, 0x50 },
		   { S_STRTAB, MOD_INIT_DATA, 0x1d0 });
	ck_assert_uint_eq(lay.kallsyms.symoffs, 0x15c0);
	ck_assert_uint_eq(lay.kallsyms.stroffs, 0x1638);
	ck_assert_uint_eq(lay.kallsyms.core_typeoffs, 0x1669);
	ck_assert_uint_eq(lay.kallsyms.init_kallsyms_off, 0x2f8);
	ck_assert_uint_eq(lay.kallsyms.init_typeoffs, 0x318);
	const unsigned long used[] = { 0x1280, 0x166e, 0x300, 0x40, 0x100, 0x328, 0x20 };
	check_sizes(&lay, used);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert_uint_eq(lay.extent[t], used[t]);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_CORE], 0x1280);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_DATA], 0x19ae);
	ck_assert_uint_eq(lay.block_size[MB_BLOCK_INIT], 0x448);
}
END_TEST

/* ---- placement ---- */

struct placed {
	struct mb_place pl;
	struct mb_alloc al[2][MOD_MEM_NUM_TYPES];
};

static void place_init(struct placed *p, const char *map, const char *kernel, bool boot)
{
	const struct mb_map *m = NULL;
	for (size_t a = 0; a < mb_narches && !m; a++)
		m = mb_arch_map(mb_arches[a], map);
	ck_assert_ptr_nonnull(m);
	struct mb_place_config c;
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(mb_map_place_config(m, false, 0, &c), 0);
	if (boot)
		ck_assert_int_eq(mb_map_boot_config(m, &c), 0);
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_init_kver(&p->pl, MB_POLICY_KERNEL, &c, kv(kernel), NULL, 0, &err), 0);
}

#define AT(a, base_, size_)                                                                       \
	do {                                                                                      \
		ck_assert_uint_eq((a).base, (unsigned long)(base_));                              \
		ck_assert_uint_eq((a).size, (unsigned long)(size_));                              \
	} while (0)

/* Debian's KASLR build under nokaslr: bpf_prog_pack 0xffffffffc0000000-
 * 0xffffffffc0201000 (guard included), then core, init, each with a guard;
 * the freed init range is reused lowest first. */
START_TEST(place_6_1_x86_nokaslr)
{
	if (sizeof(unsigned long) < 8)
		return;
	struct placed p;
	place_init(&p, "x86_64-nokaslr", "6.1", true);
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out("6.1", false, s, &lay);
	struct mb_place_err err;
	ck_assert_int_eq(mb_place_module(&p.pl, &lay, p.al[0], &err), 0);
	const unsigned long K = 0xffffffffc0000000ul;
	AT(p.al[0][MOD_TEXT], K + 0x201000, 0x2000);
	AT(p.al[0][MOD_RODATA], K + 0x203000, 0x1000);
	AT(p.al[0][MOD_RO_AFTER_INIT], K + 0x204000, 0x1000);
	AT(p.al[0][MOD_DATA], K + 0x205000, 0x3000);
	AT(p.al[0][MOD_INIT_TEXT], K + 0x209000, 0x1000);   /* after the core's guard page */
	AT(p.al[0][MOD_INIT_RODATA], K + 0x20a000, 0x1000);
	AT(p.al[0][MOD_INIT_DATA], K + 0x20b000, 0x2000);
	/* one arena per block, created by its first type */
	ck_assert(p.al[0][MOD_TEXT].arena_created && !p.al[0][MOD_DATA].arena_created);
	ck_assert_ptr_eq(p.al[0][MOD_DATA].arena, p.al[0][MOD_TEXT].arena);
	ck_assert_uint_eq(p.al[0][MOD_TEXT].arena->base, K + 0x201000);
	ck_assert_uint_eq(p.al[0][MOD_TEXT].arena->size, 0x7000);
	ck_assert(p.al[0][MOD_INIT_TEXT].arena_created);
	/* init freed type by type: the block goes with the last one */
	ck_assert(!mb_place_free(&p.pl, &p.al[0][MOD_INIT_TEXT]));
	ck_assert(!mb_place_free(&p.pl, &p.al[0][MOD_INIT_RODATA]));
	ck_assert(mb_place_free(&p.pl, &p.al[0][MOD_INIT_DATA]));
	/* a second module: core 0x3000 (+ guard) reuses the freed init range
	 * from +0x209000 (lowest fit), its init block follows at +0x20d000 */
	struct mb_layout small;
	memset(&small, 0, sizeof small);
	small.shape = MB_SHAPE_BLOCKS;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		small.block[t] = (int)mb_kver_block_of(t, false);
	small.size[MOD_TEXT] = small.extent[MOD_TEXT] = 0x1000;
	small.start[MOD_DATA] = 0x1000;
	small.size[MOD_DATA] = 0x1800;
	small.extent[MOD_DATA] = 0x2000;
	small.start[MOD_RODATA] = small.start[MOD_RO_AFTER_INIT] = 0x1000;
	small.size[MOD_INIT_TEXT] = small.extent[MOD_INIT_TEXT] = 0x1000;
	small.start[MOD_INIT_RODATA] = small.start[MOD_INIT_DATA] = 0x1000;
	small.block_size[MB_BLOCK_CORE] = 0x3000;
	small.block_size[MB_BLOCK_INIT] = 0x1000;
	ck_assert_int_eq(mb_place_module(&p.pl, &small, p.al[1], &err), 0);
	AT(p.al[1][MOD_TEXT], K + 0x209000, 0x1000);
	AT(p.al[1][MOD_DATA], K + 0x20a000, 0x2000);
	AT(p.al[1][MOD_RODATA], 0, 0);
	AT(p.al[1][MOD_INIT_TEXT], K + 0x20d000, 0x1000);
	mb_place_free_module(&p.pl, p.al[1]);
	mb_place_free_module(&p.pl, p.al[0]);
	/* only the boot allocation is left */
	const struct mb_range *r = mb_place_first(&p.pl);
	ck_assert(r && r->base == K && r->span == 0x201000 && r->next == NULL);
}
END_TEST

/* book3s/32 before Aug 2024 under each rule set: 6.1's core block (text
 * alone) and init block via module_alloc() near _etext, data block in
 * vmalloc; 6.4 one allocation per type with init data still from
 * module_alloc(); 6.10+ init data from the data range (execmem). */
START_TEST(place_ppc32_per_version)
{
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	struct placed p;
	struct mb_place_err err;
	const unsigned long T = 0xbe800000ul, V = 0xf1000000ul;

	place_init(&p, "powerpc32-book3s32-6.1", "6.1", false);
	lay_out("6.1", true, s, &lay);
	ck_assert_int_eq(mb_place_module(&p.pl, &lay, p.al[0], &err), 0);
	AT(p.al[0][MOD_TEXT], T, 0x2000);
	AT(p.al[0][MOD_INIT_TEXT], T + 0x3000, 0x1000);
	AT(p.al[0][MOD_INIT_RODATA], T + 0x4000, 0x1000);
	AT(p.al[0][MOD_INIT_DATA], T + 0x5000, 0x2000);
	AT(p.al[0][MOD_RODATA], V, 0x1000);
	AT(p.al[0][MOD_RO_AFTER_INIT], V + 0x1000, 0x1000);
	AT(p.al[0][MOD_DATA], V + 0x2000, 0x3000);

	place_init(&p, "powerpc32-book3s32-6.1", "6.4", false);
	lay_out("6.4", true, s, &lay);
	ck_assert_int_eq(mb_place_module(&p.pl, &lay, p.al[0], &err), 0);
	AT(p.al[0][MOD_TEXT], T, 0x2000);
	AT(p.al[0][MOD_DATA], V, 0x2000);
	AT(p.al[0][MOD_RODATA], V + 0x3000, 0x1000);
	AT(p.al[0][MOD_RO_AFTER_INIT], V + 0x5000, 0x1000);
	AT(p.al[0][MOD_INIT_TEXT], T + 0x3000, 0x1000);
	AT(p.al[0][MOD_INIT_DATA], T + 0x5000, 0x1000);
	AT(p.al[0][MOD_INIT_RODATA], T + 0x7000, 0x1000);

	place_init(&p, "powerpc32-book3s32-6.1", "6.10", false);
	ck_assert_int_eq(mb_place_module(&p.pl, &lay, p.al[0], &err), 0);
	AT(p.al[0][MOD_INIT_TEXT], T + 0x3000, 0x1000);
	AT(p.al[0][MOD_INIT_DATA], V + 0x7000, 0x1000);
	AT(p.al[0][MOD_INIT_RODATA], V + 0x9000, 0x1000);
}
END_TEST

/* ---- lookup bounds per version, book3s/32 and 8xx ---- */

struct lworld {
	struct placed p;
	struct mb_lookup lk;
	struct mb_slot slots[MB_LOOKUP_SLOTS(32)];
	struct mb_module mod[2];
};

static void lworld_init(struct lworld *w, const char *map, const char *kernel)
{
	memset(w, 0, sizeof *w);
	place_init(&w->p, map, kernel, false);
	mb_lookup_init_kver(&w->lk, MB_BOUNDS_KERNEL, MB_TREE_FAST, true, kv(kernel), w->slots,
			    sizeof w->slots / sizeof w->slots[0]);
	struct mb_sec s[NSECS];
	struct mb_layout lay;
	lay_out(kernel, true, s, &lay);
	for (int i = 0; i < 2; i++) {
		struct mb_place_err err;
		ck_assert_int_eq(mb_place_module(&w->p.pl, &lay, w->p.al[i], &err), 0);
		w->mod[i].name = i ? "b" : "a";
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			w->mod[i].mem[t].base = w->p.al[i][t].base;
			w->mod[i].mem[t].size = w->p.al[i][t].size;
		}
		struct mb_lookup_err lerr;
		ck_assert_int_eq(mb_lookup_insert(&w->lk, &w->mod[i], &lerr), 0);
	}
}

/* The reference, from the module records alone: the kernel's two hulls
 * (core data / everything else), the containing range by scanning. */
struct expect {
	unsigned long searches, misses, rejects, hits;
};

static void brute(struct lworld *w, bool two_trees, unsigned long from, unsigned long step, unsigned long n,
		  struct expect *e)
{
	unsigned long tmin = ~0ul, tmax = 0, dmin = two_trees ? ~0ul : 0, dmax = 0;
	for (int i = 0; i < 2; i++)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			const struct mb_module_mem *m = &w->mod[i].mem[t];
			if (!m->size)
				continue;
			bool cd = t == MOD_DATA || t == MOD_RODATA || t == MOD_RO_AFTER_INIT;
			unsigned long *lo = cd ? &dmin : &tmin, *hi = cd ? &dmax : &tmax;
			if (m->base < *lo)
				*lo = m->base;
			if (m->base + m->size > *hi)
				*hi = m->base + m->size;
		}
	memset(e, 0, sizeof *e);
	mb_lookup_reset_stats(&w->lk);
	for (unsigned long k = 0; k < n; k++) {
		unsigned long a = from + k * step;
		int owner = -1, type = -1;
		for (int i = 0; i < 2; i++)
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
				if (a - w->mod[i].mem[t].base < w->mod[i].mem[t].size) {
					owner = i;
					type = t;
				}
		bool cd = type == MOD_DATA || type == MOD_RODATA || type == MOD_RO_AFTER_INIT;
		int tree = a >= tmin && a <= tmax ? 0 : a >= dmin && a <= dmax ? 1 : -1;
		bool found = owner >= 0 && tree >= 0 && (!two_trees || cd == (tree == 1));
		int got_type = -1;
		struct mb_module *got = mb_module_address(&w->lk, a, &got_type);
		REQUIRE(got == (found ? &w->mod[owner] : NULL), "%#lx: got %p", a, (void *)got);
		REQUIRE(!found || got_type == type, "%#lx: type %d, want %d", a, got_type, type);
		if (tree < 0)
			e->rejects++;
		else
			e->searches++;
		if (tree >= 0 && !found)
			e->misses++;
		e->hits += found;
	}
	ck_assert_uint_eq(w->lk.stats.lookups, n);
	ck_assert_uint_eq(w->lk.stats.fast_rejects, e->rejects);
	ck_assert_uint_eq(w->lk.stats.tree_searches, e->searches);
	ck_assert_uint_eq(w->lk.stats.tree_misses, e->misses);
}

START_TEST(bounds_per_version)
{
	static struct lworld w;
	struct expect e;
	struct { const char *map; unsigned long vmalloc; } maps[] = {
		{ "powerpc32-book3s32-6.1", 0xf1000000ul },
		{ "powerpc32-8xx-6.1", 0xc9000000ul },
	};
	for (int i = 0; i < 2; i++) {
		/* every 1 MiB of the 32-bit space: 4096 non-module lookups but for
		 * the two that land on the first module's text and data */
		lworld_init(&w, maps[i].map, "6.1");
		brute(&w, true, 0, 0x100000, 4096, &e);
		/* 6.1: only 0xbe800000 (text hull) and the vmalloc start (data hull) */
		ck_assert_uint_eq(e.searches, 2);
		ck_assert_uint_eq(e.hits, 2);
		ck_assert_uint_eq(e.rejects, 4094);
		/* fine scan across both hulls and their edges */
		brute(&w, true, 0xbe7ff000ul, 0x100, 0x20000, &e);
		brute(&w, true, maps[i].vmalloc - 0x1000, 0x100, 0x20000, &e);

		lworld_init(&w, maps[i].map, "6.4");
		brute(&w, false, 0, 0x100000, 4096, &e);
		/* 6.4: data_addr_min 0: every probe from 0 to the vmalloc start
		 * passes, (vmalloc >> 20) + 1 of them, all but two miss */
		ck_assert_uint_eq(e.searches, (maps[i].vmalloc >> 20) + 1);
		ck_assert_uint_eq(e.misses, (maps[i].vmalloc >> 20) - 1);
		brute(&w, false, 0xbe7ff000ul, 0x100, 0x20000, &e);
		brute(&w, false, maps[i].vmalloc - 0x1000, 0x100, 0x20000, &e);
	}
	/* the bound pairs themselves: 6.1's data pair starts at the first data
	 * block (initialised -1UL), 6.4's data_addr_min stays 0 */
	lworld_init(&w, "powerpc32-book3s32-6.1", "6.1");
	ck_assert_uint_eq(w.lk.data_addr_min, w.mod[0].mem[MOD_RODATA].base);
	lworld_init(&w, "powerpc32-book3s32-6.1", "6.4");
	ck_assert_uint_eq(w.lk.data_addr_min, 0);
}
END_TEST

/* 5.18-6.3 searches exactly one tree: a core data range inside the text
 * hull is not found there (mod_tree holds no data_layout), so
 * __module_address() says NULL where v6.4's single tree finds it. Hand-made
 * ranges, since no real map interleaves vmalloc data with module text. */
START_TEST(two_trees_search_one)
{
	const char *kernels[] = { "6.1", "6.4" };
	for (int k = 0; k < 2; k++) {
		struct mb_lookup lk;
		struct mb_slot slots[MB_LOOKUP_SLOTS(8)];
		struct mb_module a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		a.name = "a";
		b.name = "b";
		a.mem[MOD_TEXT].base = 0x10000;
		a.mem[MOD_TEXT].size = 0x1000;
		a.mem[MOD_DATA].base = 0x50000; /* inside the text hull */
		a.mem[MOD_DATA].size = 0x1000;
		b.mem[MOD_TEXT].base = 0x90000;
		b.mem[MOD_TEXT].size = 0x1000;
		b.mem[MOD_RODATA].base = 0xf0000; /* above it */
		b.mem[MOD_RODATA].size = 0x1000;
		mb_lookup_init_kver(&lk, MB_BOUNDS_KERNEL, k ? MB_TREE_RBTREE : MB_TREE_FAST, true, kv(kernels[k]),
				    slots, sizeof slots / sizeof slots[0]);
		struct mb_lookup_err err;
		ck_assert_int_eq(mb_lookup_insert(&lk, &a, &err), 0);
		ck_assert_int_eq(mb_lookup_insert(&lk, &b, &err), 0);
		int t = -1;
		struct mb_module *m = mb_module_address(&lk, 0x50800, &t);
		if (k == 0) {
			ck_assert_ptr_null(m); /* searched mod_tree only: a miss */
			ck_assert_uint_eq(lk.stats.tree_misses, 1);
		} else {
			ck_assert_ptr_eq(m, &a);
			ck_assert_int_eq(t, MOD_DATA);
		}
		/* outside the text hull the data tree answers under both */
		ck_assert_ptr_eq(mb_module_address(&lk, 0xf0800, &t), &b);
		ck_assert_int_eq(t, MOD_RODATA);
		/* text inside the text hull: found under both */
		ck_assert_ptr_eq(mb_module_address(&lk, 0x90000, NULL), &b);
		ck_assert_uint_eq(lk.stats.tree_searches, 3);
	}
}
END_TEST

/* The default map per kernel version: the arch's first map covering it. */
START_TEST(maps_per_version)
{
	struct { const char *arch, *kernel, *map; } v[] = {
		{ "powerpc32", "6.1", "powerpc32-book3s32-6.1" }, { "powerpc32", "6.11", "powerpc32-book3s32-6.1" },
		{ "powerpc32", "6.12", "powerpc32-book3s32" },     { "powerpc32", "latest", "powerpc32-book3s32" },
		{ "arm64", "6.1", "arm64-48bit-6.1" },             { "arm64", "6.4", "arm64-48bit-6.1" },
		{ "arm64", "6.5", "arm64-48bit" },                 { "x86_64", "6.1", "x86_64" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		unsigned ver;
		ck_assert(mb_kver_parse(v[i].kernel, &ver));
		const struct mb_map *m = mb_arch_map_for_kernel(mb_arch_by_name(v[i].arch), ver);
		ck_assert_msg(strcmp(m->name, v[i].map) == 0, "%s %s: %s", v[i].arch, v[i].kernel, m->name);
	}
	/* 6.1's module areas */
	const struct mb_map *b = mb_arch_map(mb_arch_by_name("powerpc32"), "powerpc32-book3s32-6.1");
	ck_assert_uint_eq(b->text[1].start, 0xb0000000ull);
	ck_assert_uint_eq(b->text[1].last, 0xbfffffffull);
	const struct mb_map *a = mb_arch_map(mb_arch_by_name("arm64"), "arm64-48bit-6.1");
	ck_assert_uint_eq(a->text[0].start, 0xffff800008be0000ull - 128 * 1024 * 1024); /* _etext - 128M */
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(table_lookup),
		CHECK_TEST(layout_latest),
		CHECK_TEST(layout_6_4),
		CHECK_TEST(layout_6_1),
		CHECK_TEST(layout_6_1_data_in_vmalloc),
		CHECK_TEST(layout_6_1_no_strict_rwx),
		CHECK_TEST(place_6_1_x86_nokaslr),
		CHECK_TEST(place_ppc32_per_version),
		CHECK_TEST(bounds_per_version),
		CHECK_TEST(two_trees_search_one),
		CHECK_TEST(maps_per_version),
	};
	const struct check_suite cs = { .suite = "core_kver", .tcase = "kver" };
	return CHECK_RUN(&cs, tests);
}
