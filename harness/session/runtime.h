/* Modules on the machine: the kernel's lifecycle around the loader
 * (kernel/module/main.c: complete_formation, do_init_module, free_module).
 *
 *   load:   place + relocate (loader) -> permissions (text RX, rodata R, data
 *           RW NX, ro_after_init RW) -> init_module() on the CPU
 *           -> init returned 0: ro_after_init read-only, init types unmapped
 *              (touches become `freed-init`) and removed from the lookup tree;
 *              (--no-init: init is not run and the module stays as it is
 *              while init would run: ro_after_init writable, init mapped);
 *           -> init returned non-zero or faulted: the module is unloaded and
 *              allocator, tree, space and machine are as before the load.
 *   unload: refused while another module uses an export; cleanup_module()
 *           on the CPU, then everything released.
 *
 * A runtime is a load session (harness/session/load_cli.h) plus the machine, which
 * mirrors the session's space and provides its kernel symbols. */
#ifndef MODBED_HARNESS_RUNTIME_H
#define MODBED_HARNESS_RUNTIME_H

#include "harness/util/cli.h"
#include "harness/machine/emu.h"
#include "harness/session/load_cli.h"
#include "harness/load/loader.h"

#include <stdio.h>

struct mb_modpath;
struct mb_boot_stats;

struct mb_runtime {
	struct mb_load_session s;
	struct mb_machine *m;
	struct mb_symbol_provider kernel;   /* backed by the kernel stub */
	bool run_init;                      /* false with --no-init */
	bool skip_init;                     /* --skip-init: init not called, but the module
					       goes on as after a successful init */
	struct mb_call_limits lim;          /* --budget, --timeout */
	struct mb_modpath *modpath;         /* --modpath index; loaded modules' paths point into it */
	const char *defer_init;             /* the module (path) whose init mb_runtime_load leaves to the caller */
	bool defer_all;                     /* boot: every init left to the caller */
	bool keep_failed;                   /* boot: a failed init leaves the module for the caller */
	struct mb_boot_stats *boot;         /* what mb_runtime_load_all's boot did (runtime_boot.c), or NULL */
};

/* What running init (or exit) gave. */
struct mb_run_report {
	bool ran;
	uint64_t ret;
	uint64_t insns;
	bool faulted;
	struct mb_fault fault;
};

/* Opens the session from the options (arch, map, policy, bounds, seed,
 * strict symbols, no-init, budget, timeout) and creates the machine.
 * Returns an exit status, after printing on failure. */
int mb_runtime_open(struct mb_runtime *rt, const struct mb_cli *cli);
/* Loader first (modules released), then the machine, then the space. */
void mb_runtime_close(struct mb_runtime *rt);

/* Loads one module and runs its lifecycle up to "live". 0 on success; -1
 * with err on a load error, a non-zero init return or an init fault (then
 * rep->faulted and nothing of the module is left). rep may be NULL. */
int mb_runtime_load(struct mb_runtime *rt, const char *path, struct mb_loaded_module **out,
		    struct mb_run_report *rep, struct mb_err *err);
/* Indexes dirs as --modpath does (no-op when already open or ndirs 0). */
int mb_runtime_open_modpath(struct mb_runtime *rt, const char *const *dirs, size_t ndirs, struct mb_err *err);
/* mb_runtime_load, with the providers of missing exports loaded first from
 * the modpath index when one is open. */
int mb_runtime_load_path(struct mb_runtime *rt, const char *path, struct mb_loaded_module **out,
			 struct mb_run_report *rep, struct mb_err *err);
/* The rest of a load left at "coming" (defer_init): init_module on the CPU,
 * then the after-init permissions and freed init memory; on a failure the
 * module is unloaded, as mb_runtime_load does. */
int mb_runtime_init_module(struct mb_runtime *rt, struct mb_loaded_module *mod, struct mb_run_report *rep,
			   struct mb_err *err);
/* Loads cli->paths in order; an exit status after printing (3 when an init
 * faulted). Under builtin with a pack mode, or with --fail, --fail-rate,
 * --compact or --then, as a boot (harness/session/boot.h; rt->boot). */
int mb_runtime_load_all(struct mb_runtime *rt, const struct mb_cli *cli);
/* runtime_boot.c: true if the options ask for a boot */
bool mb_runtime_wants_boot(const struct mb_runtime *rt, const struct mb_cli *cli);
int mb_runtime_boot(struct mb_runtime *rt, const struct mb_cli *cli);
void mb_runtime_boot_free(struct mb_runtime *rt);

/* Runs exit and releases the module. -1 (nothing done) while another module
 * uses one of its exports. */
int mb_runtime_unload(struct mb_runtime *rt, struct mb_loaded_module *mod, struct mb_run_report *rep,
		      struct mb_err *err);

/* Any symbol of a loaded module ("FUNC" or "MODULE:FUNC"), or a kernel stub
 * function. */
int mb_runtime_resolve(struct mb_runtime *rt, const char *name, uint64_t *addr, struct mb_err *err);

/* Prints a fault for people, on one line plus the recent-pc history:
 * "modbed: guest fault: KIND at PC_SYM (0xPC): detail". */
void mb_fault_print(FILE *f, const struct mb_fault *fault);

#endif
