/* Helpers shared by the per-arch relocation and PLT code (arch/<arch>/
 * reloc_*.c, plt_*.c). Freestanding: no libc. Not part of the public API. */
#ifndef MODBED_ARCH_COMMON_RELOC_UTIL_H
#define MODBED_ARCH_COMMON_RELOC_UTIL_H

#include "arch/reloc.h"
#include "core/byteorder.h"
#include "core/layout.h"
#include "core/util.h"

/* ---- Type names ---------------------------------------------------------- */

struct mb_reloc_name {
	uint32_t type;
	const char *name;
};

const char *mb_reloc_name_find(const struct mb_reloc_name *t, size_t n, uint32_t type);

const char *mb_reloc_type_name_x86_64(uint32_t type);
const char *mb_reloc_type_name_arm64(uint32_t type);
const char *mb_reloc_type_name_powerpc32(uint32_t type);

/* ---- Arithmetic without implementation-defined behaviour ----------------- */

/* Two's-complement reinterpretation (a plain cast is implementation-defined
 * for values above INT64_MAX). */
static inline int64_t mb_s64(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

/* Arithmetic shift right, as the kernel's `s64 >> n`. */
static inline int64_t mb_asr(int64_t v, unsigned n)
{
	return v < 0 ? ~(~v >> n) : v >> n;
}

/* ---- Sites and results ------------------------------------------------- */

static inline uint64_t mb_site_place(const struct mb_reloc_site *s)
{
	return s->sec_addr + s->offset;
}

/* True when [offset, offset + bytes) lies inside the section. */
static inline bool mb_site_fits(const struct mb_reloc_site *s, uint64_t offset, unsigned bytes)
{
	return offset <= s->sec_size && bytes <= s->sec_size - offset;
}

void mb_result_reset(struct mb_reloc_result *res);
void mb_result_set(struct mb_reloc_result *res, enum mb_reloc_status st);
void mb_result_overflow(struct mb_reloc_result *res, int64_t value, int64_t lo, int64_t hi,
			bool range_signed);

/* ---- Object helpers for the sizing passes ------------------------------ */

/* strstr(s, needle) != NULL (core/util.h has the equality and prefix tests). */
bool mb_str_contains(const char *s, const char *needle);

/* Index of the first section named `name`, 0 if none. */
uint32_t mb_obj_find_section(const struct mb_object *obj, const char *name);

/* MB_RELOC_OK, or BAD_SYMBOL when a relocation names a symbol past the table. */
enum mb_reloc_status mb_obj_check_symbols(const struct mb_object *obj);

/* Heapsort (the kernel's lib/sort.c is a heapsort too): the sizing passes
 * reorder relocations in place, and equal keys may end in any order. */
typedef int (*mb_rela_cmp)(const struct mb_obj_rela *a, const struct mb_obj_rela *b);
void mb_rela_sort(struct mb_obj_rela *r, size_t n, mb_rela_cmp cmp);

/* The kernel's module_init_layout_section() with CONFIG_MODULE_UNLOAD=y,
 * the configuration modbed models (.exit* stays in core). */
static inline bool mb_init_layout_section(const char *name)
{
	return mb_layout_is_init_name(name, true);
}

#endif
