/* Boot of a module set as the 2012 "pre-linked modules" proposal has it
 * (issue 13), for every policy:
 *
 *   link   under builtin with a pack mode the whole boot set is placed and
 *          relocated (in link order, providers first) before any init
 *          runs: relocations are applied once, at fixed addresses; under the
 *          other policies each module is linked and its init run before the
 *          next, as insmod does.
 *   inits  in link order. An init fails for real (the driver says so) or by
 *          injection: the module is named in --fail, or is one of the
 *          round(P % of the boot files) picked by a seeded shuffle
 *          (--fail-rate P --seed S). A failing module is expunged: out of
 *          the lookup tree, unmapped, its placement freed (the ranges become
 *          holes), and with it every module that imports from it.
 *   seal   builtin: later types take holes of their class first
 *          (core/place.h, mb_place_seal).
 *   compact (--compact, builtin with a pack mode): the survivors are
 *          released and re-linked from their objects into a hole-free layout
 *          in link order (relocations applied again at the new addresses;
 *          their inits do not run again; their writable data restarts from
 *          the object: what the inits wrote is not carried over).
 *   then   (--then FILE...) loaded one by one with their inits; bytes they
 *          take inside the holes are counted as reused.
 *
 * What runs the modules is the driver's: the emulator's runtime runs real
 * inits; `modbed study` runs none (an init that is not injected succeeds). */
#ifndef MODBED_HARNESS_BOOT_H
#define MODBED_HARNESS_BOOT_H

#include "harness/load/loader.h"
#include "harness/session/account.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_boot_driver {
	void *ctx;
	struct mb_loader *l;
	/* places and relocates path (and any provider it needs); no init. 0 or -1 */
	int (*link)(void *ctx, const char *path, struct mb_err *err);
	/* mod's init (run: call it; else as --skip-init), then the after-init
	 * steps: 0; 1 if init failed (mod left for the caller to expunge); -1 */
	int (*init)(void *ctx, struct mb_loaded_module *mod, bool run, struct mb_err *err);
	/* releases mod without its exit (free_module) */
	void (*drop)(void *ctx, struct mb_loaded_module *mod);
};

struct mb_boot_plan {
	const char *const *paths;      /* the boot set, link order */
	size_t npaths;
	const char *const *then;       /* loaded after boot */
	size_t nthen;
	const char *fail;              /* "MOD,MOD" or NULL */
	bool rate_set;
	uint64_t rate;                 /* percent of npaths */
	uint64_t seed;
	bool compact;
	bool keep_going;               /* a file that does not link is counted, not an error */
	bool then_picked;              /* then: the files picked by the rate, again (modbed study) */
};

struct mb_boot_stats {
	bool prelinked;                /* builtin with a pack mode: all linked before the inits */
	size_t linked, link_failed;    /* boot modules linked (providers included) */
	size_t injected, init_failed, cascaded, survivors;
	size_t gone;                   /* distinct modules expunged */
	char (*gone_names)[64];
	bool booted;                   /* the boot is over (--then runs) */
	uint64_t expunged_bytes;       /* bytes the expunged types had reserved */
	struct mb_account_range *holes; /* those ranges (cleared by a compaction) */
	size_t nholes, holes_cap;
	struct mb_account after_expunge; /* the accounting right after the inits */
	bool compacted;
	size_t compact_modules;
	uint64_t compact_relocs, compact_ns, compact_hole_bytes; /* holes the compaction closed */
	char **compact_paths;          /* private: the relinked modules' paths */
	size_t ncompact_paths;
	size_t then_loaded, then_failed;
	uint64_t then_bytes, then_reused; /* reserved by --then types; of that, inside holes */
};

/* 0, or -1 with err (a boot file that does not link without keep_going;
 * out of memory). st is filled in either case; free it with
 * mb_boot_stats_free after the loader (after a compaction the modules'
 * paths point into it). */
int mb_boot_run(const struct mb_boot_driver *d, const struct mb_boot_plan *p, struct mb_boot_stats *st,
		struct mb_err *err);
void mb_boot_stats_free(struct mb_boot_stats *st);
void mb_boot_json(struct mb_json *j, const struct mb_boot_stats *st);
void mb_boot_text(FILE *f, const struct mb_boot_stats *st);

/* true if a module of that name was expunged: a driver may refuse to link
 * it again while booting (modprobe fails a module whose provider failed) */
bool mb_boot_gone(const struct mb_boot_stats *st, const char *name);

/* The module name Kbuild gives a file: base name without ".ko", '-' as '_'. */
void mb_boot_modname(const char *path, char *out, size_t len);

#endif
