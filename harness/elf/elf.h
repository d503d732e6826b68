/* The ELF reader: one relocatable object (ET_REL), validated before use.
 *
 * harness/elf/: reading files, nothing more: the object (elf.h, elf_view.c:
 * the view the arch relocation code sees), .modinfo, __versions and the
 * signature trailer (modinfo.h; the PKCS#7 blob in pkcs7.c). Depends on
 * util/ and arch/; knows nothing of placement or the emulator.
 *
 * libelf/gelf does the decoding (both byte orders, ELF32 and ELF64); this
 * layer checks everything a later stage would otherwise trust: every offset,
 * size, index and string stays inside the file, link/info indices point at
 * the right kind of section, entry sizes match the class, relocation offsets
 * lie inside their target section, alignments are powers of two, SHN_COMMON
 * is refused as the kernel refuses it. Each problem is one message
 * `FILE: SECTION: what` in a struct mb_err; an object that opened is safe to
 * read without further checks.
 *
 * The object owns a private copy of the file image; every pointer below
 * (names, section bytes) points into it and lives until mb_elf_close(). */
#ifndef MODBED_HARNESS_ELF_H
#define MODBED_HARNESS_ELF_H

#include "harness/util/diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_arch;

struct mb_elf_section {
	const char *name;      /* from .shstrtab; "" for section 0 */
	uint32_t type;         /* SHT_* */
	uint64_t flags;        /* SHF_* as in the file */
	uint64_t offset;       /* file offset (meaningless for SHT_NOBITS) */
	uint64_t size;
	uint64_t addralign;    /* 0 or a power of two (validated) */
	uint64_t entsize;
	uint32_t link, info;
	const uint8_t *data;   /* file bytes; NULL for SHT_NOBITS and empty sections */
};

struct mb_elf_symbol {
	const char *name;      /* "" when unnamed */
	uint64_t value;
	uint64_t size;
	uint32_t shndx;        /* SHN_UNDEF, SHN_ABS, or a valid section index */
	uint8_t bind;          /* STB_* */
	uint8_t type;          /* STT_* */
	uint8_t other;
};

struct mb_elf_rela {
	uint64_t offset;       /* inside the target section (validated < its size) */
	uint32_t type;         /* R_* number of the object's machine */
	uint32_t sym;          /* index into syms (validated) */
	int64_t addend;
};

/* One SHT_RELA section. Relocations whose target is not SHF_ALLOC are kept
 * here with `skipped` set: the kernel ignores them and so does the loader. */
struct mb_elf_relsec {
	uint32_t index;        /* the RELA section's own index */
	uint32_t target;       /* sh_info: the section it patches */
	bool skipped;
	const struct mb_elf_rela *entries;
	size_t count;
};

struct mb_elf {
	const char *path;      /* as given, for messages */
	const struct mb_arch *arch;
	bool is64;
	bool big_endian;
	uint16_t machine;

	struct mb_elf_section *secs;
	size_t nsecs;
	uint32_t symtab;       /* index of the SHT_SYMTAB section */
	struct mb_elf_symbol *syms;  /* syms[0] is the null symbol */
	size_t nsyms;
	struct mb_elf_relsec *relsecs;
	size_t nrelsecs;
	size_t nrelas;         /* total over relsecs, skipped ones included */

	/* private */
	uint8_t *image;        /* the file's bytes (libelf reads them too): section bytes point here */
	size_t image_size;
	struct mb_elf_rela *rela_store;
	void *elf;             /* Elf * */
};

/* Reads and validates `path`. `want` (may be NULL) is the arch the caller
 * expects: a different machine/class/byte order is then an error naming both. */
int mb_elf_open_path(struct mb_elf *obj, const char *path, const struct mb_arch *want,
		     struct mb_err *err);
/* Same from a memory buffer (copied); `name` is used in messages. */
int mb_elf_open_mem(struct mb_elf *obj, const char *name, const void *buf, size_t len,
		    const struct mb_arch *want, struct mb_err *err);
/* Frees everything; safe on a zeroed or failed object. */
void mb_elf_close(struct mb_elf *obj);

/* Only the header: which registered arch a file is for (for --arch inference). */
int mb_elf_probe_arch(const char *path, const struct mb_arch **arch, struct mb_err *err);

/* The neutral object view of arch/reloc.h, for the arch's PLT sizing and
 * relocation code. Sections and relocations are private copies (the sizing
 * pass rewrites them); symbols and names point into obj. Relocation sections
 * whose target is not allocated are left out, as the kernel skips them.
 * Free with mb_elf_view_free(). */
struct mb_object;
int mb_elf_view(const struct mb_elf *obj, struct mb_object *view, struct mb_err *err);
void mb_elf_view_free(struct mb_object *view);

/* Section index by exact name, or 0 if absent. */
uint32_t mb_elf_find_section(const struct mb_elf *obj, const char *name);
/* The relocation type's name from the arch tables, or NULL. */
const char *mb_elf_reloc_name(const struct mb_elf *obj, uint32_t type);

#endif
