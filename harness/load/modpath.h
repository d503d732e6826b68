/* --modpath DIR: find the module that exports a symbol and load it first,
 * as depmod + modprobe do.
 *
 * The index is built once per directory tree: every *.ko under it is read
 * (harness/elf/elf.h) and its exports are the `__ksymtab_NAME` symbols that
 * EXPORT_SYMBOL*() places in `__ksymtab` / `__ksymtab_gpl` (the names depmod
 * records in modules.symbols). Directories are searched in the order given;
 * inside one, files in sorted path order, so the first exporter of a name
 * wins deterministically. Only names are indexed; an object is opened again
 * when it is loaded.
 *
 * Loading resolves depth-first: before a module is loaded, every symbol the
 * loader cannot give (mb_loader_missing: no loaded module exports it and the
 * kernel provider does not have it) is looked up here and its provider
 * loaded first. A provider already on the load stack is a cycle, refused
 * with every module of the cycle named; nothing of the failed chain stays
 * loaded. */
#ifndef MODBED_HARNESS_MODPATH_H
#define MODBED_HARNESS_MODPATH_H

#include "harness/util/diag.h"
#include "harness/util/strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_arch;
struct mb_elf;
struct mb_loader;
struct mb_loaded_module;

struct mb_modpath_module {
	char *path;
	char *name;            /* base name without .ko, '-' kept as in the file */
	size_t first_export;   /* exports of this module: names[first_export ..] */
	size_t nexports;
	/* The file as the index read it (with keep_images): loading from the
	 * tree copies these bytes instead of reading the file again (a corpus
	 * pass over a whole tree read every file once more per pass). */
	uint8_t *image;
	size_t image_size;
};

struct mb_modpath {
	const struct mb_arch *arch;   /* objects of another arch are skipped */
	struct mb_modpath_module *mods;
	size_t nmods;
	char **names;                  /* every export name, grouped by module */
	uint32_t *owner;               /* names[i] is exported by mods[owner[i]] */
	size_t nnames;
	struct mb_strmap index;        /* name -> index + 1 into names */
	struct mb_strmap paths;        /* path -> index + 1 into mods */
	size_t nskipped;               /* files not for `arch`, or unreadable */
};

/* Indexes every module under dirs[0..ndirs) built for `arch` (NULL: the
 * arch most of the files are built for, then in mp->arch); files of another
 * arch or that do not read as a valid object are skipped (counted in
 * nskipped). A directory that cannot be read is an error naming it.
 * keep_images: keep each file's bytes (mods[].image) for the plain loader
 * to load from; a caller whose loads read the files (a mb_modpath_loader)
 * passes false, as a whole distribution tree is ~90 MB. */
int mb_modpath_open(struct mb_modpath *mp, const char *const *dirs, size_t ndirs,
		    const struct mb_arch *arch, bool keep_images, struct mb_err *err);
void mb_modpath_close(struct mb_modpath *mp);

/* The module exporting `sym`, or NULL. */
const struct mb_modpath_module *mb_modpath_provider(const struct mb_modpath *mp, const char *sym);

/* Exports of one object, as the index reads them: calls fn for each name.
 * (Shared with the corpus report.) */
void mb_modpath_exports_of(const struct mb_elf *obj, void (*fn)(void *ctx, const char *name), void *ctx);

/* How one module is loaded. The plain loader (NULL) only places and
 * relocates; the emulator's runtime passes its own, so that every provider
 * also gets permissions and runs its init before the module that needs it,
 * as modprobe does. `unload` undoes `load` when a later step fails. */
struct mb_modpath_loader {
	void *ctx;
	int (*load)(void *ctx, const char *path, struct mb_loaded_module **out, struct mb_err *err);
	void (*unload)(void *ctx, struct mb_loaded_module *mod);
};

/* Loads `path` into l, its providers from mp (may be NULL: no modpath)
 * first. *out (may be NULL) is the module of `path`. On failure every module
 * this call loaded is unloaded again, so l is as before, and the message
 * names the chain (which module needed which symbol from which provider).
 * *nloaded (may be NULL) counts the modules this call loaded, `path`'s own
 * included. */
int mb_modpath_load(struct mb_modpath *mp, struct mb_loader *l, const char *path,
		    const struct mb_modpath_loader *how, struct mb_loaded_module **out, size_t *nloaded,
		    struct mb_err *err);

#endif
