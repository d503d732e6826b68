/* Loader internals shared by its files (loader.c pipeline, symbols.c
 * resolution). Not for use outside harness/load/; ksymtab.c does not need
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

#endif
