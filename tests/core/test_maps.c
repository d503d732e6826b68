/* The memory maps against the constraints they exist to satisfy: reach of
 * the relocations each arch's modules use, windows inside their regions,
 * emulator areas clear of every window, the KASLR draw. */
#include <check.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/map.h"
#include "tests/check_main.h"

#define MIB (1024ull * 1024)
#define GIB (1024 * MIB)

static const struct mb_map *map_named(const char *name)
{
	for (size_t a = 0; a < mb_narches; a++)
		for (size_t m = 0; m < mb_arches[a]->nmaps; m++)
			if (strcmp(mb_arches[a]->maps[m]->name, name) == 0)
				return mb_arches[a]->maps[m];
	ck_abort_msg("no map %s", name);
	return NULL;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;
}

static bool inside_region(const struct mb_map *m, const struct mb_map_window *w, const char *region)
{
	for (size_t i = 0; i < m->nregions; i++)
		if (strcmp(m->regions[i].name, region) == 0 && w->start >= m->regions[i].start &&
		    w->last <= m->regions[i].last)
			return true;
	return false;
}

START_TEST(every_map_is_consistent)
{
	size_t total = 0;
	for (size_t a = 0; a < mb_narches; a++) {
		const struct mb_arch *arch = mb_arches[a];
		ck_assert_uint_ge(arch->nmaps, 1);
		ck_assert_ptr_eq(mb_arch_map(arch, NULL), arch->maps[0]);
		for (size_t k = 0; k < arch->nmaps; k++) {
			const struct mb_map *m = arch->maps[k];
			total++;
			ck_assert_ptr_eq(map_named(m->name), m); /* names unique */
			ck_assert(m->page_size && (m->page_size & (m->page_size - 1)) == 0);
			ck_assert(m->large_page_size >= m->page_size &&
				  (m->large_page_size & (m->large_page_size - 1)) == 0);
			for (size_t i = 1; i < m->nregions; i++)
				ck_assert_msg(m->regions[i - 1].start <= m->regions[i].start, "%s regions order", m->name);
			uint64_t kb = m->kernel_base, kl = m->kernel_base + m->kernel_size - 1;
			uint64_t sb = m->scratch_base, sl = m->scratch_base + m->scratch_size - 1;
			ck_assert(!overlaps(kb, kl, sb, sl));
			ck_assert_uint_ge(m->scratch_size, 16 * MIB);
			for (int cls = 0; cls < 2; cls++) {
				const struct mb_map_window *w = cls ? m->data : m->text;
				size_t n = cls ? m->ndata : m->ntext;
				ck_assert_uint_ge(n, 1);
				for (size_t i = 0; i < n; i++) {
					ck_assert_msg(!overlaps(w[i].start, w[i].last, kb, kl), "%s: window %s on the kernel",
						      m->name, w[i].name);
					ck_assert_msg(!overlaps(w[i].start, w[i].last, sb, sl), "%s: window %s on scratch",
						      m->name, w[i].name);
					const char *region = cls && m->data_in_vmalloc ? "vmalloc" : "modules";
					ck_assert_msg(inside_region(m, &w[i], region), "%s: %s outside %s", m->name,
						      w[i].name, region);
					/* a fallback contains its primary (execmem retries a wider range) */
					if (i)
						ck_assert(w[i].start <= w[0].start && w[i].last >= w[0].last);
				}
			}
			/* where each type goes: text types to text, the rest (init data too) to data */
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
				size_t n;
				const struct mb_map_window *w = mb_map_windows_for(m, t, &n);
				ck_assert_ptr_eq(w, t == MOD_TEXT || t == MOD_INIT_TEXT ? m->text : m->data);
			}
			struct mb_place_config c;
			ck_assert_int_eq(mb_map_place_config(m, false, 0, &c), 0);
			ck_assert_uint_eq(c.guard_size, m->page_size);
		}
	}
	ck_assert_uint_ge(total, 5);
}
END_TEST

/* x86_64: -mcmodel=kernel code uses R_X86_64_32S (top 2 GiB) and PC32 to
 * kernel symbols (+-2 GiB), with no PLTs to fall back on. */
START_TEST(x86_64_reach)
{
	const char *names[] = { "x86_64", "x86_64-kaslr" };
	for (int i = 0; i < 2; i++) {
		const struct mb_map *m = map_named(names[i]);
		ck_assert(!m->data_in_vmalloc);
		uint64_t kend = m->kernel_base + m->kernel_size;
		ck_assert_uint_ge(m->kernel_base, 0xffffffff80000000ull);
		for (size_t w = 0; w < m->ntext; w++) {
			ck_assert_uint_ge(m->text[w].start, 0xffffffff80000000ull);
			ck_assert_uint_lt(m->text[w].last - m->kernel_base, 2 * GIB);
			ck_assert_uint_ge(m->text[w].start, kend);
		}
		ck_assert_uint_eq(m->text[0].last, 0xfffffffffeffffffull); /* MODULES_END - 1 */
	}
	ck_assert_uint_eq(map_named("x86_64")->text[0].start, 0xffffffffa0000000ull);
	ck_assert_uint_eq(map_named("x86_64-kaslr")->text[0].start, 0xffffffffc0000000ull);
}
END_TEST

/* arm64: the direct window is reachable by CALL26 (+-128 MiB) from the
 * whole kernel image and lies inside the 2 GiB PLT window (PREL32). */
START_TEST(arm64_windows)
{
	const struct mb_map *m = map_named("arm64-48bit");
	uint64_t kend = m->kernel_base + m->kernel_size;
	ck_assert_uint_eq(m->kernel_base, 0xffff800080000000ull); /* KIMAGE_VADDR = MODULES_END */
	ck_assert_uint_eq(m->ntext, 2);
	ck_assert_uint_eq(m->text[0].start, kend - 128 * MIB);
	ck_assert_uint_eq(m->text[1].start, kend - 2 * GIB);
	ck_assert_uint_eq(m->text[0].last, m->kernel_base - 1);
	ck_assert_uint_le(kend - m->text[0].start, 128 * MIB);
	ck_assert_uint_le(kend - m->text[1].start, 2 * GIB);
	ck_assert_uint_ge(m->text[1].start, 0xffff800000000000ull); /* MODULES_VADDR */
	ck_assert_uint_eq(m->ndata, 2);
	ck_assert_uint_eq(m->data[0].start, m->text[0].start);
	ck_assert_uint_eq(m->data[1].start, m->text[1].start);
}
END_TEST

/* ppc32: text within REL24 reach (32 MiB) of _etext first, then the module
 * area; data in vmalloc above lowmem. */
START_TEST(powerpc32_windows)
{
	struct { const char *name; uint64_t modules_vaddr; } v[] = {
		{ "powerpc32-book3s32", 0xc0000000ull - 64 * MIB },
		{ "powerpc32-8xx", 0xc0000000ull - 32 * MIB },
	};
	for (int i = 0; i < 2; i++) {
		const struct mb_map *m = map_named(v[i].name);
		uint64_t etext = m->kernel_base + m->kernel_size;
		ck_assert_uint_eq(m->kernel_base, 0xc0000000ull);
		ck_assert(m->data_in_vmalloc);
		ck_assert_uint_eq(m->text[0].start, etext - 32 * MIB);
		ck_assert_uint_eq(m->text[0].last, 0xbfffffffull);
		ck_assert_uint_eq(m->text[1].start, v[i].modules_vaddr);
		ck_assert_uint_eq(m->text[1].last, 0xbfffffffull);
		ck_assert_uint_gt(m->data[0].start, etext);
		ck_assert_uint_le(m->data[0].last, 0xffffffffull);
		ck_assert_uint_eq(m->scratch_base + m->scratch_size - 1 <= 0xffffffffull, 1);
		struct mb_place_config c;
		ck_assert_int_eq(mb_map_place_config(m, false, 0, &c), 0);
	}
}
END_TEST

START_TEST(kaslr_offset)
{
	const struct mb_map *m = map_named("x86_64-kaslr");
	ck_assert_uint_eq(mb_map_random_offset(m, false, 0), m->page_size);
	ck_assert_uint_eq(mb_map_random_offset(map_named("x86_64"), true, 5), 0);
	static unsigned char seen[1025];
	memset(seen, 0, sizeof seen);
	size_t distinct = 0;
	for (uint64_t seed = 0; seed < 20000; seed++) {
		uint64_t off = mb_map_random_offset(m, true, seed);
		ck_assert_uint_eq(off % m->page_size, 0);
		uint64_t pages = off / m->page_size;
		ck_assert(pages >= 1 && pages <= 1024);
		ck_assert_uint_eq(off, mb_map_random_offset(m, true, seed)); /* reproducible */
		distinct += !seen[pages];
		seen[pages] = 1;
	}
	ck_assert_uint_ge(distinct, 1000); /* the draw covers the range */
	struct mb_place_config c;
	ck_assert_int_eq(mb_map_place_config(m, true, 42, &c), 0);
	ck_assert_uint_eq(c.text[0].start, 0xffffffffc0000000ull + mb_map_random_offset(m, true, 42));
	ck_assert_uint_eq(c.data[0].start, c.text[0].start);
	ck_assert_uint_eq(c.text[0].last, 0xfffffffffeffffffull);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(every_map_is_consistent),
		CHECK_TEST(x86_64_reach),
		CHECK_TEST(arm64_windows),
		CHECK_TEST(powerpc32_windows),
		CHECK_TEST(kaslr_offset),
	};
	const struct check_suite cs = { .suite = "core_maps", .tcase = "maps" };
	return CHECK_RUN(&cs, tests);
}
