/* Per-ISA relocation and PLT code, shared by the loader and the tests.
 *
 * Freestanding (stdint/stddef/stdbool only), so the same code can run on the
 * emulated CPUs. Three pieces, in the order the kernel uses them:
 *
 *   1. struct mb_object: a neutral view of one relocatable object. The ELF
 *      reader (harness/elf.*) fills it; this code reads it, and the sizing
 *      pass rewrites the PLT section headers and reorders relocations in it,
 *      exactly as module_frob_arch_sections() rewrites the kernel's copy of
 *      the ELF headers.
 *   2. ops->size_plts(): the sizing pass, run before layout. Afterwards the
 *      PLT sections in obj->sections have their final type, flags, size and
 *      alignment; layout must use those, not the file's.
 *   3. ops->apply(): one relocation, with its symbol value already resolved.
 *      Computes first and writes last: on any error the location bytes (and
 *      the PLT) are left exactly as they were.
 *
 * Faithfulness notes (the kernel's loaders as of v6.1..v6.10):
 *   x86_64   PC32/PLT32 are NOT range checked, as upstream: the value is
 *            silently truncated to 32 bits. 32/32S are checked. A location
 *            that is not zero before applying is refused (double apply).
 *            REX_GOTPCRELX (only accepted upstream for __stack_chk_guard with
 *            old clang) is refused as unsupported.
 *   arm64    every type module.c handles; CALL26/JUMP26 out of +-128 MiB go
 *            through a PLT entry (adrp x16 / add x16 / br x16), deduplicated
 *            against the previous entry only, in the order the sizing pass
 *            left the relocations (partitioned and sorted as the kernel's
 *            partition_branch_plt_relas + sort). Erratum 843419 handling is
 *            modelled but off by default (mb_reloc_config).
 *   powerpc32  ADDR32, ADDR16_LO/HI/HA (patch_location_16: the low halfword of
 *            the 4-byte word containing the location), REL24 (trampoline in
 *            .plt/.init.plt when out of +-32 MiB, opcode/AA/LK kept), REL32.
 *            Trampolines are found by a linear scan of used entries.
 *
 * Deviations, all refusing something the kernel would silently corrupt:
 *   - a location whose bytes run past the end of its section is refused;
 *   - an instruction relocation at an address that is not 4-byte aligned is
 *     refused (MISALIGNED);
 *   - a PLT that would need more entries than the sizing pass reserved is
 *     refused (ppc32 has no bounds check upstream);
 *   - a ppc32 REL24 whose trampoline is itself out of range is refused
 *     (upstream truncates it).
 */
#ifndef MODBED_ARCH_RELOC_H
#define MODBED_ARCH_RELOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ELF constants (no <elf.h>: freestanding). The section flags and types the
 * core's layout also uses come from core/layout.h; the rest are here. */
#include "core/layout.h"
#ifndef MB_SHT_PROGBITS
#define MB_SHT_PROGBITS 1u
#endif
#ifndef MB_SHT_RELA
#define MB_SHT_RELA 4u
#endif
#ifndef MB_SHN_UNDEF
#define MB_SHN_UNDEF 0u
#endif
#ifndef MB_SHN_ABS
#define MB_SHN_ABS 0xfff1u
#endif
#ifndef MB_SHN_COMMON
#define MB_SHN_COMMON 0xfff2u
#endif

/* ---- 1. The neutral object view ---------------------------------------- */

struct mb_obj_section {
	const char *name;
	uint32_t type;      /* sh_type */
	uint64_t flags;     /* sh_flags */
	uint64_t size;      /* sh_size */
	uint64_t addralign; /* sh_addralign */
	uint32_t link;      /* sh_link */
	uint32_t info;      /* sh_info */
};

struct mb_obj_symbol {
	const char *name;
	uint64_t value;     /* st_value (section-relative in ET_REL) */
	uint64_t size;
	uint32_t shndx;     /* st_shndx, extended indices already resolved */
	uint8_t bind;       /* STB_* */
	uint8_t type;       /* STT_* */
};

struct mb_obj_rela {
	uint64_t offset;    /* r_offset, inside the target section */
	uint32_t type;      /* ELF*_R_TYPE */
	uint32_t sym;       /* ELF*_R_SYM: index into mb_object.symbols */
	int64_t addend;     /* r_addend, sign-extended on 32-bit objects */
};

/* One SHT_RELA section. The sizing pass may reorder `relas` in place (the
 * kernel sorts its copy too); apply them in the order found afterwards. */
struct mb_obj_relsec {
	uint32_t index;     /* section index of the SHT_RELA section itself */
	uint32_t target;    /* sh_info: the section it patches */
	struct mb_obj_rela *relas;
	size_t nrelas;
};

/* Every section of the file, indexed by ELF section index (sections[0] is the
 * null section); every symbol, indexed by symbol index (symbols[0] is the
 * null symbol); nsymbols == 0 means the file has no symbol table. */
struct mb_object {
	struct mb_obj_section *sections;
	size_t nsections;
	const struct mb_obj_symbol *symbols;
	size_t nsymbols;
	struct mb_obj_relsec *relsecs;
	size_t nrelsecs;
};

/* ---- Options --------------------------------------------------------- */

/* What kernel configuration to mirror. Zero-initialised is the default. */
struct mb_reloc_config {
	/* ppc32: count one extra trampoline per RELA section, as
	 * CONFIG_DYNAMIC_FTRACE does for ftrace_caller. Off by default: modbed
	 * creates no ftrace trampolines, and sizes are then exact. */
	bool ppc32_ftrace_slot;
	/* arm64: leave the ftrace trampoline placeholders alone instead of
	 * sizing them (NR_FTRACE_PLTS entries) as CONFIG_DYNAMIC_FTRACE does. */
	bool arm64_no_ftrace;
	/* arm64 before v6.2 (DYNAMIC_FTRACE_WITH_REGS): a second ftrace
	 * trampoline, so .text.ftrace_trampoline holds 2 PLT entries. */
	bool ftrace_regs_trampoline;
	/* arm64: a CPU with Cortex-A53 erratum 843419 (ARM64_WORKAROUND_843419).
	 * Sizing raises the alignment of sections with ADRPs or reserves veneer
	 * slots; an ADRP at page offset 0xff8/0xffc becomes an ADR, or a branch
	 * to a veneer in the PLT; PLT entries skip such offsets. Off by
	 * default: the emulated CPUs do not have the erratum. Pass the same
	 * config to size_plts and (through mb_reloc_site.cfg) to apply. */
	bool arm64_erratum_843419;
};

/* ---- Status ------------------------------------------------------------ */

enum mb_reloc_status {
	MB_RELOC_OK = 0,
	MB_RELOC_UNSUPPORTED,     /* the arch's kernel loader refuses this type */
	MB_RELOC_OVERFLOW,        /* value outside [lo, hi] */
	MB_RELOC_NONZERO,         /* x86_64: location not zero before applying */
	MB_RELOC_LOC_RANGE,       /* the bytes patched run past the section */
	MB_RELOC_PLT_FULL,        /* more PLT entries than the sizing reserved */
	MB_RELOC_MISALIGNED,      /* instruction relocation not 4-byte aligned */
	MB_RELOC_NO_PLT_SECTION,  /* sizing: .plt/.init.plt missing */
	MB_RELOC_NO_SYMTAB,       /* sizing: no symbol table */
	MB_RELOC_BAD_SYMBOL,      /* sizing: relocation names a symbol index past the table */
};

/* A short fixed phrase for people, e.g. "module PLT section(s) missing". */
const char *mb_reloc_status_str(enum mb_reloc_status st);

/* ---- 2. PLT sizing ----------------------------------------------------- */

/* Where the PLTs are and how many entries each may hold. shndx 0 = none. */
struct mb_plt_plan {
	uint32_t core_shndx, init_shndx;
	uint32_t core_max, init_max;   /* entries the apply pass may emit */
};

/* ---- 3. Applying one relocation ------------------------------------------ */

/* One PLT section, as placed: the loader fills addr/bytes/max from the plan
 * and the placement, used = 0 at the start of a module. apply() bumps used
 * when it emits an entry. bytes must be zero-filled (SHT_NOBITS). */
struct mb_plt {
	uint64_t addr;          /* guest address of the section */
	uint8_t *bytes;         /* host copy of the section, target byte order */
	uint64_t size;          /* bytes available at `bytes` */
	uint32_t max;           /* from mb_plt_plan */
	uint32_t used;          /* entry slots consumed (arm64 may skip one) */
};

struct mb_plt_state {
	struct mb_plt core, init;
};

struct mb_reloc_site {
	uint32_t type;
	uint64_t S;             /* final symbol value (absolute guest address) */
	int64_t A;              /* addend */
	uint8_t *sec_bytes;     /* host copy of the target section */
	uint64_t sec_addr;      /* its final guest address */
	uint64_t sec_size;      /* its size */
	uint64_t offset;        /* r_offset; P = sec_addr + offset */
	bool in_init;           /* the location is in init memory (MOD_INIT_*) */
	const struct mb_reloc_config *cfg; /* NULL: the defaults */
};

struct mb_reloc_result {
	enum mb_reloc_status status;
	/* OVERFLOW: the value checked and the allowed range. Print value, lo
	 * and hi as signed numbers when range_signed, else as unsigned. For
	 * branches this is the displacement (target - P), for absolute types
	 * S + A, for page types the page delta. */
	int64_t value;
	int64_t lo, hi;
	bool range_signed;
	/* NONZERO: what was found at the location. */
	uint64_t existing;
	/* OK, x86_64 PC32/PLT32 only: the displacement did not fit 32 signed
	 * bits and was truncated, as upstream does without a word. Callers may
	 * warn; value holds the full displacement. */
	bool truncated;
	/* OK: whether the relocation was routed through a PLT entry (or an
	 * erratum 843419 veneer, also in the PLT), which one, and whether this
	 * call created it (false: shared). */
	bool via_plt;
	bool plt_new;
	uint64_t plt_addr;
};

struct mb_reloc_ops {
	/* "R_AARCH64_CALL26", ...; NULL for a number this ISA does not define
	 * (an unsupported-but-defined type still has a name). */
	const char *(*type_name)(uint32_t type);

	/* The sizing pass (module_frob_arch_sections). Rewrites the PLT section
	 * headers in obj->sections and may reorder obj->relsecs[*].relas. On
	 * error nothing in obj has been changed. NULL when the arch has no PLTs
	 * (the plan is then all zero). */
	enum mb_reloc_status (*size_plts)(struct mb_object *obj,
					  const struct mb_reloc_config *cfg,
					  struct mb_plt_plan *plan);

	/* Applies one relocation. plt may be NULL when the arch has no PLTs. */
	void (*apply)(const struct mb_reloc_site *site, struct mb_plt_state *plt,
		      struct mb_reloc_result *res);

	uint32_t plt_entry_size;   /* 0, 12 (arm64), 16 (powerpc32) */
};

extern const struct mb_reloc_ops mb_reloc_x86_64;
extern const struct mb_reloc_ops mb_reloc_arm64;
extern const struct mb_reloc_ops mb_reloc_powerpc32;

#endif
