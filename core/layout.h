/* Section layout of one module, as the kernel's layout_and_allocate() does it
 * (kernel/module/main.c: rewrite_section_headers, module_enforce_rwx_sections,
 * module_mark_ro_after_init, layout_sections, layout_symtab).
 *
 * Order of calls for one object (the loader drives it):
 *   1. mb_layout_rewrite()   the kernel's flag rewrites (.modinfo, __versions,
 *                            .data..percpu lose SHF_ALLOC; the ro_after_init
 *                            names gain SHF_RO_AFTER_INIT)
 *   2. the arch's PLT sizing (arch/reloc.h) rewrites .plt/.init.plt in place
 *   3. mb_layout_sections()  strict-RWX refusal, then the 5 masks x (core, init)
 *                            walk; fills each section's (mem_type, offset) and
 *                            the per-type sizes.
 * Freestanding; the section array is owned by the caller. */
#ifndef MODBED_CORE_LAYOUT_H
#define MODBED_CORE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kver.h"
#include "core/modmem.h"

/* ELF values the layout needs (identical for ELF32 and ELF64). */
#define MB_SHF_WRITE         0x1u
#define MB_SHF_ALLOC         0x2u
#define MB_SHF_EXECINSTR     0x4u
#define MB_SHF_RO_AFTER_INIT 0x00200000u /* include/uapi/linux/elf.h */
#define MB_SHT_NULL   0u
#define MB_SHT_SYMTAB 2u
#define MB_SHT_NOBITS 8u

/* One ELF section as the layout sees it. secs[i] is ELF section i: pass the
 * whole section header table, index 0 (SHT_NULL) included, so that indices in
 * errors are the ELF indices. */
struct mb_sec {
	const char *name;        /* never NULL ("" if unnamed) */
	uint32_t type;           /* sh_type */
	uint64_t flags;          /* sh_flags; mb_layout_rewrite may change it */
	unsigned long size;      /* sh_size */
	unsigned long addralign; /* sh_addralign: 0 or a power of two */

	/* Outputs of mb_layout_sections(): the mod_mem type the section went to
	 * (MOD_INVALID if it is not loaded) and its offset inside that type. */
	int mem_type;
	unsigned long offset;
};

/* Kernel configuration that changes the layout. */
struct mb_layout_opts {
	/* CONFIG_MODULE_UNLOAD: .exit* sections are core. false: they are init,
	 * as module_init_layout_section() does without unload support. */
	bool module_unload;
	/* CONFIG_STRICT_MODULE_RWX: refuse any section flagged WRITE|EXEC. */
	bool strict_rwx;
	/* CONFIG_HAVE_STATIC_CALL_INLINE: .static_call_sites is ro_after_init
	 * where the rule set says so (x86_64 only among our arches; see
	 * struct mb_map). */
	bool static_call_inline;
	/* The kernel-version rule set (core/kver.h); NULL: the latest. */
	const struct mb_kver *kver;
	/* ARCH_WANTS_MODULES_DATA_IN_VMALLOC: under the block shape the core
	 * data types form their own block (data_layout). */
	bool data_in_vmalloc;
	/* Page size for the rule set's class alignment; 0: 4096. */
	unsigned long page_size;
};

/* The kallsyms copies layout_symtab() appends (optional). The caller decides
 * which symbols are "core" (is_core_symbol() needs symbol data), and gives
 * the counts; the layout gives the sizes and offsets. */
struct mb_kallsyms_in {
	size_t symtab_index;      /* .symtab section index (its size/align are read from secs) */
	size_t strtab_index;      /* .strtab section index */
	unsigned long sym_size;   /* sizeof(Elf_Sym): 24 on ELF64, 16 on ELF32 */
	unsigned long ptr_bytes;  /* target pointer size: sizes struct mod_kallsyms */
	unsigned long ndst;       /* number of core symbols kept (incl. the null symbol) */
	unsigned long core_strtab_size; /* bytes of their names, NULs included */
};
struct mb_kallsyms_out {
	unsigned long symoffs;    /* in MOD_DATA: core symbol table */
	unsigned long stroffs;    /* in MOD_DATA: core string table */
	unsigned long core_typeoffs; /* in MOD_DATA: core type chars */
	unsigned long init_kallsyms_off; /* in MOD_INIT_DATA: struct mod_kallsyms */
	unsigned long init_typeoffs;     /* in MOD_INIT_DATA: type chars of all symbols */
};

struct mb_layout {
	/* Bytes used per type, unpadded (the kernel page-aligns at allocation). */
	unsigned long size[MOD_MEM_NUM_TYPES];
	/* Largest sh_addralign placed in each type (1 if none): placement
	 * policies that pack below page granularity need it. */
	unsigned long align[MOD_MEM_NUM_TYPES];
	bool has_kallsyms;
	struct mb_kallsyms_out kallsyms;

	/* Allocation shape, from the rule set. MB_SHAPE_PER_TYPE: each type is
	 * its own allocation; block[t] is -1, start[t] 0, extent[t] = size[t],
	 * block_size[] 0. MB_SHAPE_BLOCKS: type t lives in block[t] (enum
	 * mb_block) at offset start[t] and owns extent[t] bytes of it; the
	 * types of a block tile it in type order (padding between classes
	 * belongs to the type before it), so the union of their ranges is the
	 * kernel's module_layout node. Section offsets stay relative to their
	 * type's start. block_size[b] is the block's size (0: not allocated). */
	enum mb_shape shape;
	int block[MOD_MEM_NUM_TYPES];
	unsigned long start[MOD_MEM_NUM_TYPES];
	unsigned long extent[MOD_MEM_NUM_TYPES];
	unsigned long block_size[MB_NBLOCKS];
};

enum mb_layout_status {
	MB_LAYOUT_OK = 0,
	MB_LAYOUT_WX,          /* section has WRITE|EXEC under strict RWX */
	MB_LAYOUT_BAD_ALIGN,   /* sh_addralign not 0 and not a power of two */
	MB_LAYOUT_TOO_BIG,     /* a type's size would overflow unsigned long */
	MB_LAYOUT_BAD_KALLSYMS,/* symtab/strtab index out of range */
};

/* What went wrong, for the caller's message ("section %s (index %zu) has
 * invalid WRITE|EXEC flags", as the kernel logs it). */
struct mb_layout_err {
	enum mb_layout_status status;
	size_t index;          /* ELF section index */
	const char *name;      /* section name */
	uint64_t flags;
	unsigned long value;   /* the bad alignment, or the size that overflowed */
};

/* Results of the kernel's rewrite pass: the per-cpu section is taken out of
 * module memory (the kernel allocates it separately); the loader needs it. */
struct mb_rewrite_info {
	size_t percpu_index;   /* 0 if none */
};

/* Step 1. Never fails. */
void mb_layout_rewrite(struct mb_sec *secs, size_t nsecs, const struct mb_layout_opts *opts,
		       struct mb_rewrite_info *info);

/* Step 3. kallsyms may be NULL (no kallsyms tail). On success returns 0 and
 * fills out and every secs[i].mem_type/offset. On failure returns -1, fills
 * err, and leaves secs and out untouched. With kallsyms, .symtab and .strtab
 * gain SHF_ALLOC and are placed at the end of MOD_INIT_DATA, as the kernel
 * does. */
int mb_layout_sections(struct mb_sec *secs, size_t nsecs, const struct mb_layout_opts *opts,
		       const struct mb_kallsyms_in *kallsyms, struct mb_layout *out,
		       struct mb_layout_err *err);

/* The shape fields of a layout given as per-type sizes alone (no section
 * list), under rule set k (NULL: the latest): per type, extents = sizes;
 * under the block shape each type page-rounded (strict_align) and stacked in
 * its block in the kernel's order. false if a block would pass addr_last,
 * the target's largest unsigned long (0: this host's; a 32-bit target's
 * 0xffffffff on a 64-bit host), and the shape fields are then unspecified. */
bool mb_layout_shape_from_sizes(struct mb_layout *lay, const struct mb_kver *k, bool data_in_vmalloc,
				unsigned long page_size, unsigned long addr_last);

/* module_init_layout_section(): does a section of this name go to init? */
bool mb_layout_is_init_name(const char *name, bool module_unload);

/* Formats err as one line into buf (always NUL-terminated). */
void mb_layout_strerror(const struct mb_layout_err *err, char *buf, size_t len);

#endif
