/* Loader internals shared by its files (loader.c pipeline, load_stage.c,
 * reloc_apply.c, lifetime.c, fingerprint.c, symbols.c resolution). Not for use outside harness/load/; ksymtab.c does not need
 * them (ksymtab.h). */
#ifndef MODBED_HARNESS_LOADER_PRIV_H
#define MODBED_HARNESS_LOADER_PRIV_H

#include "harness/elf/elf.h"
#include "harness/load/loader.h"

/* Storage the core needs from its caller. */
struct mb_loader_priv {
	struct mb_arena *chunks;     /* packed pool chunk descriptors */
	size_t nchunks;
	struct mb_slot *slots;       /* fast lookup tree storage */
	size_t nslots;
	struct mb_list_provider fallback; /* kernel symbols when no provider was given */
	/* Indexes over the loaded modules (commit adds, unload removes):
	 * export name -> struct mb_module_export * (names are unique across
	 * modules: a load exporting a taken name is refused), module name ->
	 * struct mb_loaded_module *. */
	struct mb_strmap exports;
	struct mb_strmap modules;
	struct mb_loaded_module *last;   /* the tail of l->modules */
};

/* Per-module private state: the object stays open because names point into it. */
struct mb_module_priv {
	struct mb_elf obj;
	uint64_t *secaddr;           /* final address per ELF section (0: not placed) */
};

/* One load in progress: everything here is private until the commit. */
struct mb_load {
	struct mb_loader *l;
	struct mb_loaded_module *mod;
	struct mb_elf *obj;
	uint8_t *stage[MOD_MEM_NUM_TYPES];  /* host bytes of each placed type */
	uint64_t *secaddr;           /* per section */
	int *sectype;                /* per section: mod_mem type or MOD_INVALID */
	uint64_t *secoff;            /* per section: offset in its type */
	uint64_t *symval;            /* per symbol: resolved value (S) */
	uint32_t plt_shndx[2];       /* core and init PLT sections (NOBITS, written by relocation) */
};

/* Host pointer into staged bytes of [addr, addr+len), or NULL. */
uint8_t *mb_load_stage_ptr(const struct mb_load *ld, uint64_t addr, uint64_t len);

/* symbols.c: S for every symbol (ld->symval) and the module's undefined
 * symbol list; missing names bound to traps, or an error with strict. */
int mb_resolve_symbols(struct mb_load *ld, struct mb_err *err);
/* symbols.c: the module's named symbols with final addresses, sorted by address. */
int mb_collect_symbols(struct mb_load *ld, struct mb_err *err);
/* A loaded module's export of `name`, or NULL. */
const struct mb_module_export *mb_find_export(const struct mb_loader *l, const char *name,
					      struct mb_loaded_module **owner);

struct mb_object;
struct mb_layout;
struct mb_plt_plan;
/* load_stage.c: the pipeline's steps, in the order loader.c runs them. */
int mb_load_layout(struct mb_load *ld, struct mb_object *view, struct mb_layout *lay, struct mb_err *err);
int mb_load_stage(struct mb_load *ld, const struct mb_object *view, struct mb_err *err);
int mb_load_record_sections(struct mb_load *ld, const struct mb_object *view, struct mb_err *err);
/* The only step that touches the lookup tree and the space. */
int mb_load_commit(struct mb_load *ld, struct mb_err *err);
/* reloc_apply.c: every relocation section into the staged bytes. */
int mb_load_apply_relocations(struct mb_load *ld, const struct mb_object *view,
			      const struct mb_plt_plan *plan, struct mb_err *err);
/* lifetime.c: releases a committed module (its arenas, tree nodes, record). */
void mb_load_unload(struct mb_loader *l, struct mb_loaded_module *mod);
/* loader.c: frees a module record and its open object. */
void mb_load_free_module(struct mb_loaded_module *mod);

#endif
