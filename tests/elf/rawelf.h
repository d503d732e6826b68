/* A raw ELF editor for tests: reads and writes header, section, symbol and
 * RELA fields at their fixed offsets in either class and byte order. It
 * deliberately shares nothing with harness/elf/elf.c, so corruptions are made
 * (and expected values computed) independently of the reader under test. */
#ifndef MODBED_TESTS_RAWELF_H
#define MODBED_TESTS_RAWELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct raw {
	uint8_t *b;
	size_t n;
	bool is64, be;
};

static inline void raw_init(struct raw *r, uint8_t *b, size_t n)
{
	r->b = b;
	r->n = n;
	r->is64 = b[4] == 2;
	r->be = b[5] == 2;
}

static inline uint64_t raw_rd(const struct raw *r, size_t off, int size)
{
	uint64_t v = 0;
	for (int i = 0; i < size; i++) {
		int k = r->be ? i : size - 1 - i;
		v = v << 8 | r->b[off + (size_t)k];
	}
	return v;
}

static inline void raw_wr(struct raw *r, size_t off, int size, uint64_t v)
{
	for (int i = 0; i < size; i++) {
		int k = r->be ? size - 1 - i : i;
		r->b[off + (size_t)k] = (uint8_t)(v >> (8 * i));
	}
}

/* ELF header fields: offset and width differ by class. */
enum raw_eh { EH_TYPE, EH_MACHINE, EH_SHOFF, EH_EHSIZE, EH_SHENTSIZE, EH_SHNUM, EH_SHSTRNDX };
static inline void raw_eh_loc(const struct raw *r, enum raw_eh f, size_t *off, int *size)
{
	static const size_t o64[] = { 16, 18, 40, 52, 58, 60, 62 }, o32[] = { 16, 18, 32, 40, 46, 48, 50 };
	static const int s64[] = { 2, 2, 8, 2, 2, 2, 2 }, s32[] = { 2, 2, 4, 2, 2, 2, 2 };
	*off = r->is64 ? o64[f] : o32[f];
	*size = r->is64 ? s64[f] : s32[f];
}
static inline uint64_t raw_eh(const struct raw *r, enum raw_eh f)
{
	size_t o;
	int s;
	raw_eh_loc(r, f, &o, &s);
	return raw_rd(r, o, s);
}
static inline void raw_set_eh(struct raw *r, enum raw_eh f, uint64_t v)
{
	size_t o;
	int s;
	raw_eh_loc(r, f, &o, &s);
	raw_wr(r, o, s, v);
}

/* Section header fields. */
enum raw_sh { SH_NAME, SH_TYPE, SH_FLAGS, SH_OFFSET, SH_SIZE, SH_LINK, SH_INFO, SH_ALIGN, SH_ENTSIZE };
static inline size_t raw_shentsize(const struct raw *r) { return r->is64 ? 64 : 40; }
static inline void raw_sh_loc(const struct raw *r, size_t idx, enum raw_sh f, size_t *off, int *size)
{
	static const size_t o64[] = { 0, 4, 8, 24, 32, 40, 44, 48, 56 }, o32[] = { 0, 4, 8, 16, 20, 24, 28, 32, 36 };
	static const int s64[] = { 4, 4, 8, 8, 8, 4, 4, 8, 8 }, s32[] = { 4, 4, 4, 4, 4, 4, 4, 4, 4 };
	*off = (size_t)raw_eh(r, EH_SHOFF) + idx * raw_shentsize(r) + (r->is64 ? o64[f] : o32[f]);
	*size = r->is64 ? s64[f] : s32[f];
}
static inline uint64_t raw_sh(const struct raw *r, size_t idx, enum raw_sh f)
{
	size_t o;
	int s;
	raw_sh_loc(r, idx, f, &o, &s);
	return raw_rd(r, o, s);
}
static inline void raw_set_sh(struct raw *r, size_t idx, enum raw_sh f, uint64_t v)
{
	size_t o;
	int s;
	raw_sh_loc(r, idx, f, &o, &s);
	raw_wr(r, o, s, v);
}

static inline const char *raw_secname(const struct raw *r, size_t idx)
{
	size_t str = (size_t)raw_eh(r, EH_SHSTRNDX);
	return (const char *)r->b + raw_sh(r, str, SH_OFFSET) + raw_sh(r, idx, SH_NAME);
}

/* Section index by name, 0 if none. */
static inline size_t raw_find(const struct raw *r, const char *name)
{
	size_t n = (size_t)raw_eh(r, EH_SHNUM);
	for (size_t i = 1; i < n; i++)
		if (strcmp(raw_secname(r, i), name) == 0)
			return i;
	return 0;
}

/* First section of a type (SHT_SYMTAB = 2, SHT_RELA = 4), 0 if none. */
static inline size_t raw_find_type(const struct raw *r, uint32_t type)
{
	size_t n = (size_t)raw_eh(r, EH_SHNUM);
	for (size_t i = 1; i < n; i++)
		if (raw_sh(r, i, SH_TYPE) == type)
			return i;
	return 0;
}

/* Symbol fields (symbol i of the symtab section). */
enum raw_sym { SYM_NAME, SYM_INFO, SYM_SHNDX, SYM_VALUE };
static inline size_t raw_symsize(const struct raw *r) { return r->is64 ? 24 : 16; }
static inline void raw_sym_loc(const struct raw *r, size_t i, enum raw_sym f, size_t *off, int *size)
{
	static const size_t o64[] = { 0, 4, 6, 8 }, o32[] = { 0, 12, 14, 4 };
	static const int s64[] = { 4, 1, 2, 8 }, s32[] = { 4, 1, 2, 4 };
	size_t st = raw_find_type(r, 2);
	*off = (size_t)raw_sh(r, st, SH_OFFSET) + i * raw_symsize(r) + (r->is64 ? o64[f] : o32[f]);
	*size = r->is64 ? s64[f] : s32[f];
}
static inline uint64_t raw_sym(const struct raw *r, size_t i, enum raw_sym f)
{
	size_t o;
	int s;
	raw_sym_loc(r, i, f, &o, &s);
	return raw_rd(r, o, s);
}
static inline void raw_set_sym(struct raw *r, size_t i, enum raw_sym f, uint64_t v)
{
	size_t o;
	int s;
	raw_sym_loc(r, i, f, &o, &s);
	raw_wr(r, o, s, v);
}
static inline size_t raw_nsyms(const struct raw *r)
{
	size_t st = raw_find_type(r, 2);
	return (size_t)(raw_sh(r, st, SH_SIZE) / raw_symsize(r));
}
static inline const char *raw_symname(const struct raw *r, size_t i)
{
	size_t st = raw_find_type(r, 2);
	size_t str = (size_t)raw_sh(r, st, SH_LINK);
	return (const char *)r->b + raw_sh(r, str, SH_OFFSET) + raw_sym(r, i, SYM_NAME);
}

/* RELA entry k of RELA section s. */
static inline size_t raw_relasize(const struct raw *r) { return r->is64 ? 24 : 12; }
static inline size_t raw_rela_off(const struct raw *r, size_t s, size_t k)
{
	return (size_t)raw_sh(r, s, SH_OFFSET) + k * raw_relasize(r);
}
static inline uint64_t raw_rela_offset(const struct raw *r, size_t s, size_t k)
{
	return raw_rd(r, raw_rela_off(r, s, k), r->is64 ? 8 : 4);
}
static inline void raw_set_rela_offset(struct raw *r, size_t s, size_t k, uint64_t v)
{
	raw_wr(r, raw_rela_off(r, s, k), r->is64 ? 8 : 4, v);
}
static inline uint32_t raw_rela_type(const struct raw *r, size_t s, size_t k)
{
	uint64_t info = raw_rd(r, raw_rela_off(r, s, k) + (r->is64 ? 8 : 4), r->is64 ? 8 : 4);
	return r->is64 ? (uint32_t)info : (uint32_t)(info & 0xff);
}
static inline uint32_t raw_rela_sym(const struct raw *r, size_t s, size_t k)
{
	uint64_t info = raw_rd(r, raw_rela_off(r, s, k) + (r->is64 ? 8 : 4), r->is64 ? 8 : 4);
	return r->is64 ? (uint32_t)(info >> 32) : (uint32_t)(info >> 8);
}
static inline void raw_set_rela_info(struct raw *r, size_t s, size_t k, uint32_t sym, uint32_t type)
{
	uint64_t info = r->is64 ? (uint64_t)sym << 32 | type : (uint64_t)sym << 8 | (type & 0xff);
	raw_wr(r, raw_rela_off(r, s, k) + (r->is64 ? 8 : 4), r->is64 ? 8 : 4, info);
}
static inline void raw_set_rela_addend(struct raw *r, size_t s, size_t k, int64_t a)
{
	raw_wr(r, raw_rela_off(r, s, k) + (r->is64 ? 16 : 8), r->is64 ? 8 : 4, (uint64_t)a);
}
static inline size_t raw_nrelas(const struct raw *r, size_t s)
{
	return (size_t)(raw_sh(r, s, SH_SIZE) / raw_relasize(r));
}

#endif
