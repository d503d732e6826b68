/* A module's exports from __ksymtab / __ksymtab_gpl. The reader knows the
 * kernel_symbol layout and nothing of the loader: it gets the object, where
 * each section was placed, and a callback that returns the relocated (staged)
 * bytes at a guest address, so the loader calls it and never the reverse. */
#ifndef MODBED_HARNESS_LOAD_KSYMTAB_H
#define MODBED_HARNESS_LOAD_KSYMTAB_H

#include "harness/elf/elf.h"
#include "harness/load/loader.h"

struct mb_export_source {
	const struct mb_elf *obj;
	const uint64_t *secaddr;     /* per section: guest address */
	const int *sectype;          /* per section: mod_mem type or MOD_INVALID */
	/* Host pointer to the relocated bytes [addr, addr+len), or NULL. */
	const uint8_t *(*read)(void *ctx, uint64_t addr, uint64_t len);
	void *ctx;
};

/* Appends the exports to mod->exports; -1 with err on a malformed table or
 * a name exported twice. */
int mb_read_exports(const struct mb_export_source *src, struct mb_loaded_module *mod, struct mb_err *err);

#endif
