/* The loader: relocatable object -> placed, relocated, lookup-able module.
 *
 * harness/load/: the loader (this header; loader.c runs the pipeline, its
 * steps in load_stage.c, reloc_apply.c, lifetime.c, fingerprint.c, symbols.c,
 * ksymtab.c; loader_priv.h is private to the folder), the guest address
 * space (space.h) and --modpath (modpath.h). Depends on elf/, util/, core/
 * and arch/; no emulator: bytes are written into host buffers that the
 * machine, a layer up, maps.
 *
 * Pipeline of one load (DESIGN.md, data flow):
 *   ELF read + validate -> kernel section rewrites + arch PLT sizing
 *   -> core layout -> core placement -> host staging of every placed byte
 *   (NOBITS zeroed) -> symbol resolution -> relocation -> commit:
 *   arenas into the space (observers: the emulator maps them) + tree insert.
 * Everything that can fail runs before the commit, on private staging memory;
 * the commit itself is undone in reverse if an observer refuses an arena.
 * So a failed mb_load_* leaves allocator, lookup tree, space (and through its
 * observers, the emulator) exactly as before. (Trap addresses a symbol
 * provider handed out stay handed out: they are the provider's, per name.)
 *
 * What happens after a load (permissions, init, ro_after_init, free init,
 * exit) is the emulator's: it reads the record below, calls
 * mb_module_protect() and mb_module_free_init() / mb_unload_module().
 * Per-cpu symbols get the provider's __per_cpu_start (else a quarter into
 * the kernel image) + value, as simplify_symbols() gives them mod_percpu();
 * no per-cpu memory backs them.
 *
 * Symbol resolution order for an undefined symbol: the object itself (a weak
 * undefined symbol found nowhere becomes 0), then exports of loaded modules
 * (__ksymtab / __ksymtab_gpl read from their placed bytes), then the kernel
 * symbol provider; a name found nowhere gets the provider's per-symbol trap
 * address (an error naming every missing symbol with strict_symbols). */
#ifndef MODBED_HARNESS_LOADER_H
#define MODBED_HARNESS_LOADER_H

#include "core/lookup.h"
#include "core/place.h"
#include "harness/util/diag.h"
#include "harness/util/strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_arch;
struct mb_map;
struct mb_space;
struct mb_elf;
struct mb_space_arena;

/* The kernel's symbols (implemented by the emulator's kernel stub; the
 * loader has a plain-list fallback, mb_list_provider below). */
struct mb_symbol_provider {
	const char *name;     /* shown as the provider in summaries: "kernel" */
	void *ctx;
	/* 0 and *addr if the kernel has `sym`, 1 if not. */
	int (*lookup)(void *ctx, const char *sym, uint64_t *addr);
	/* The per-symbol trap address for a name found nowhere (same name, same
	 * address every time): 0, or -1 with err set if none can be given. */
	int (*trap)(void *ctx, const char *sym, uint64_t *addr, struct mb_err *err);
};

/* A placed allocated section. */
struct mb_placed_section {
	const char *name;
	uint32_t shndx;       /* index in the object */
	int type;             /* enum mod_mem_type */
	uint64_t addr;
	uint64_t size;
	uint64_t addralign;   /* as laid out (after the arch's PLT sizing) */
	bool nobits;
};

struct mb_module_symbol {
	const char *name;
	uint64_t addr;        /* final address (value for SHN_ABS) */
	uint64_t size;
	int section;          /* index into mod->sections, -1 for absolute */
	uint8_t bind, type;   /* STB_*, STT_* */
};

struct mb_module_export {
	const char *name;
	const char *ns;       /* namespace, "" if none */
	uint64_t addr;
	bool gpl;
	struct mb_loaded_module *owner;  /* set when the module is committed */
};

enum mb_undef_kind { MB_UNDEF_MODULE, MB_UNDEF_KERNEL, MB_UNDEF_TRAP, MB_UNDEF_WEAK };

struct mb_module_undef {
	const char *name;
	uint64_t addr;
	enum mb_undef_kind kind;
	const char *provider; /* module name, the provider's name, "trap" or "weak" */
	struct mb_loaded_module *from; /* providing module, else NULL */
};

struct mb_reloc_count {
	uint32_t type;
	const char *name;     /* R_* name, or NULL if the arch has none */
	uint32_t count;
};

/* One loaded module. The core records are embedded (the core allocates
 * nothing): `core` is what the lookup tree indexes (core.mem[t].base/size are
 * the placed types), `alloc` what the placement holds. */
struct mb_loaded_module {
	char name[64];        /* .gnu.linkonce.this_module's name, else the file's base name */
	const char *path;
	bool init_freed;

	struct mb_module core;                     /* lookup record; core.owner == this */
	struct mb_alloc alloc[MOD_MEM_NUM_TYPES];  /* placement of each type */
	struct mb_space_arena *arena[MOD_MEM_NUM_TYPES]; /* guest memory backing each type */
	unsigned long used[MOD_MEM_NUM_TYPES];     /* layout bytes (unpadded) per type */
	unsigned perm[MOD_MEM_NUM_TYPES];          /* the kernel's final permission (MB_PERM_*) */

	struct mb_placed_section *sections;
	size_t nsections;
	struct mb_module_symbol *symbols; /* named symbols of the object, final addresses */
	size_t nsymbols;
	struct mb_module_export *exports;
	size_t nexports;
	struct mb_module_undef *undefs;
	size_t nundefs;
	struct mb_reloc_count *relocs;   /* per type, in type order */
	size_t nreloc_types;
	size_t nrelocs_applied;
	size_t nrelocs_skipped;          /* against non-allocated sections */
	uint32_t plt_used[2];            /* core, init PLT entries */
	uint32_t plt_capacity[2];

	uint64_t init_addr;   /* init_module, 0 if none */
	uint64_t exit_addr;   /* cleanup_module, 0 if none */

	unsigned refcount;    /* modules using this one's exports */
	void *emu;            /* the emulator's per-module state */

	struct mb_loaded_module *next;   /* load order */
	void *priv;                      /* loader-private */
};

/* Kernel configuration options that change how modules are laid out and
 * protected (session/kernel_pick.c reads them from the kernel's .config). */
struct mb_kconfig {
	/* CONFIG_STRICT_MODULE_RWX (Debian's amd64/arm64 configs; not
	 * pmac32_defconfig, whose HIBERNATION keeps powerpc from selecting
	 * ARCH_HAS_STRICT_KERNEL_RWX). With it: W|X sections refused, every
	 * class page-aligned in its 6.1 block, and the final permissions of
	 * mb_module_protect. Without it: none of that; each page keeps what
	 * its allocation mapped it with (struct mb_map
	 * text_alloc_exec_unless_strict), text pages made executable
	 * (module_enable_x, which runs either way). */
	bool strict_module_rwx;
};
/* Debian's configs: STRICT_MODULE_RWX=y. */
extern const struct mb_kconfig mb_kconfig_default;

struct mb_loader_config {
	const struct mb_arch *arch;
	const struct mb_map *map;        /* NULL: the arch's default */
	const char *policy;              /* placement policy name, NULL: "kernel" */
	const char *pack;                /* builtin pack mode name, NULL: one block per module */
	const char *bounds;              /* lookup bounds policy name, NULL: "kernel" */
	const char *tree;                /* lookup tree name, NULL: "fast" */
	/* layout_symtab()'s kallsyms copies, for sizes as the kernel allocates
	 * them: off (default), core symbols = text symbols, or every symbol in
	 * an allocated core section (CONFIG_KALLSYMS_ALL, as amd64 distros). */
	enum mb_kallsyms { MB_KALLSYMS_OFF = 0, MB_KALLSYMS_TEXT, MB_KALLSYMS_ALL } kallsyms;
	bool seeded;                     /* --seed given: KASLR-style maps randomise */
	uint64_t seed;
	bool strict_symbols;
	const struct mb_symbol_provider *kernel; /* NULL: no kernel symbols, traps from a list provider */
	/* The kernel-version rule set (core/kver.h) the layout, placement and
	 * lookup follow; NULL: the latest. */
	const struct mb_kver *kver;
	/* The kernel's configuration; NULL: mb_kconfig_default. */
	const struct mb_kconfig *kconfig;
};

struct mb_loader {
	const struct mb_arch *arch;
	const struct mb_map *map;
	struct mb_space *space;
	const struct mb_symbol_provider *kernel;
	bool strict_symbols;
	enum mb_kallsyms kallsyms;
	const struct mb_kver *kver;         /* never NULL after init */
	struct mb_kconfig kconfig;
	struct mb_loaded_module *modules;   /* load order */
	size_t nmodules;
	struct mb_place place;
	struct mb_lookup lookup;
	/* Called after each successful load, after relocation and before any
	 * of the module's code can run (e.g. --dump). Cannot fail the load. */
	void (*loaded_hook)(void *ctx, struct mb_loader *l, struct mb_loaded_module *mod);
	void *loaded_ctx;
	void *priv;                  /* storage behind place/lookup, providers */
};

/* Errors name unknown policy/bounds names and list the valid ones. */
int mb_loader_init(struct mb_loader *l, const struct mb_loader_config *cfg, struct mb_space *space,
		   struct mb_err *err);
/* Unloads every module (reverse order) and frees the loader. */
void mb_loader_fini(struct mb_loader *l);

int mb_load_file(struct mb_loader *l, const char *path, struct mb_loaded_module **out, struct mb_err *err);
int mb_load_buffer(struct mb_loader *l, const char *name, const void *buf, size_t len,
		   struct mb_loaded_module **out, struct mb_err *err);
/* Loads an object already opened (and validated) with harness/elf/elf.h; the
 * loader takes ownership of obj on success and on failure. */
int mb_load_object(struct mb_loader *l, struct mb_elf *obj, struct mb_loaded_module **out, struct mb_err *err);

/* Refused (-1) while another module uses one of its exports. Releases its
 * placement, arenas and tree nodes; `mod` is freed. */
int mb_unload_module(struct mb_loader *l, struct mb_loaded_module *mod, struct mb_err *err);
/* Removes the init types from the tree, frees their placement and arenas. */
void mb_module_free_init(struct mb_loader *l, struct mb_loaded_module *mod);

/* The kernel's permission steps (kernel/module/strict_rwx.c) on the module's
 * pages, through mb_space_protect (so observers mirror them):
 *   MB_PERMS_FORMED      complete_formation: RODATA/INIT_RODATA read-only,
 *                        every data type NX (RO_AFTER_INIT stays writable),
 *                        TEXT/INIT_TEXT read-only + exec;
 *   MB_PERMS_AFTER_INIT  after init returned: RO_AFTER_INIT read-only.
 * Without STRICT_MODULE_RWX (struct mb_kconfig) module_enable_ro/nx do
 * nothing: every type keeps its allocation's mapping (mod->perm), text
 * types executable; text pages last, as module_enable_x makes whole
 * pages executable where a class boundary shares one. */
enum mb_perm_phase { MB_PERMS_FORMED, MB_PERMS_AFTER_INIT };
int mb_module_protect(struct mb_loader *l, struct mb_loaded_module *mod, enum mb_perm_phase phase,
		      struct mb_err *err);

struct mb_loaded_module *mb_loader_find_module(const struct mb_loader *l, const char *name);
/* A symbol of a loaded module by name (any symbol, not only exports):
 * mod NULL searches every module in load order. 0, or -1 if absent. */
int mb_loader_find_symbol(const struct mb_loader *l, const struct mb_loaded_module *mod, const char *name,
			  uint64_t *addr);

/* Address -> module, mod_mem type, symbol + offset, through the core lookup
 * (so the bounds policy's counters count it). Returns false if not in a module. */
struct mb_where {
	struct mb_loaded_module *mod;
	int type;
	const struct mb_module_symbol *sym;  /* NULL if no symbol covers addr */
	uint64_t offset;                     /* addr - sym->addr, or addr - base[type] */
};
bool mb_loader_where(struct mb_loader *l, uint64_t addr, struct mb_where *out);
/* The symbol of m that addr falls in (nearest at or below, in the same
 * section), or NULL. Works from the module's own records, so also for its
 * freed init memory, which the lookup no longer knows. */
const struct mb_module_symbol *mb_module_symbol_at(const struct mb_loaded_module *m, uint64_t addr);

struct mb_lookup_counters {
	uint64_t lookups, fast_rejects, tree_searches, empty_searches;
};
void mb_loader_counters(const struct mb_loader *l, struct mb_lookup_counters *out);

/* Calls fn for each undefined symbol of obj that neither a loaded module
 * nor the kernel provider gives (for --modpath: load providers first). */
void mb_loader_missing(const struct mb_loader *l, const struct mb_elf *obj,
		       void (*fn)(void *ctx, const char *sym), void *ctx);

/* A comparable fingerprint of allocator + tree + space state, for tests. */
uint64_t mb_loader_fingerprint(const struct mb_loader *l);

/* A plain-list kernel symbol provider: names with addresses, and trap
 * addresses handed out from [trap_base, trap_base + trap_size) in steps of
 * trap_stride, one per distinct name. */
struct mb_list_provider {
	struct mb_symbol_provider ops;
	const char *const *names;
	const uint64_t *addrs;
	size_t n;
	uint64_t trap_base, trap_size, trap_stride;
	char **trap_names;
	size_t ntraps, trap_cap;
	struct mb_strmap name_index;  /* name -> index + 1 into names */
	bool indexed;                 /* false: out of memory for name_index, scan names */
	struct mb_strmap trap_index;  /* name -> index + 1 into trap_names */
};
void mb_list_provider_init(struct mb_list_provider *p, const char *const *names, const uint64_t *addrs,
			   size_t n, uint64_t trap_base, uint64_t trap_size, uint64_t trap_stride);
void mb_list_provider_fini(struct mb_list_provider *p);

#endif
