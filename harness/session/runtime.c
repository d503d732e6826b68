/* Module lifecycle on the machine (see runtime.h). */
#include "harness/session/runtime.h"

#include "arch/map.h"
#include "core/modmem.h"
#include "arch/debug.h"
#include "harness/debug/backtrace.h"
#include "harness/kstub/kstub.h"
#include "harness/util/diag.h"
#include "harness/load/modpath.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the kernel symbol provider, backed by the kernel stub ---------------- */

static int ksym_lookup(void *ctx, const char *sym, uint64_t *addr)
{
	struct mb_runtime *rt = ctx;
	struct mb_err err;
	return mb_kstub_lookup(rt->m, sym, addr, &err) == 0 ? 0 : 1;
}

static int ksym_trap(void *ctx, const char *sym, uint64_t *addr, struct mb_err *err)
{
	struct mb_runtime *rt = ctx;
	return mb_kstub_resolve(rt->m, sym, addr, NULL, err);
}

/* "module:symbol+0xoff" through the core lookup (so lookups are counted as
 * the kernel's would be), "module:type+0xoff" between symbols. */
/* Freed init memory is out of the lookup tree (as in the kernel), but a
 * fault report should still say what used to be there. */
static bool symbolize_freed_init(struct mb_runtime *rt, uint64_t addr, char *buf, size_t len)
{
	for (const struct mb_loaded_module *mod = rt->s.loader.modules; mod; mod = mod->next) {
		if (!mod->init_freed)
			continue;
		for (size_t i = 0; i < mod->nsections; i++) {
			const struct mb_placed_section *sec = &mod->sections[i];
			if (!mod_mem_type_is_init(sec->type) || addr - sec->addr >= sec->size)
				continue;
			const struct mb_module_symbol *best = mb_module_symbol_at(mod, addr);
			if (best)
				snprintf(buf, len, "%s:%s+0x%" PRIx64 " (freed init)", mod->name, best->name, addr - best->addr);
			else
				snprintf(buf, len, "%s:%s+0x%" PRIx64 " (freed init)", mod->name, sec->name, addr - sec->addr);
			return true;
		}
	}
	return false;
}

static bool symbolize(void *ctx, uint64_t addr, char *buf, size_t len)
{
	struct mb_runtime *rt = ctx;
	struct mb_where w;
	if (!mb_loader_where(&rt->s.loader, addr, &w))
		return symbolize_freed_init(rt, addr, buf, len);
	if (w.sym)
		snprintf(buf, len, "%s:%s+0x%" PRIx64, w.mod->name, w.sym->name, w.offset);
	else
		snprintf(buf, len, "%s:%s+0x%" PRIx64, w.mod->name, mod_mem_type_name(w.type), w.offset);
	return true;
}

/* WARN(): the kernel's report_bug() prints the warning and steps over the
 * trap; BUG() and traps without a __bug_table entry stay faults. Every hit
 * is reported (the BUGFLAG_ONCE/DONE bookkeeping is not modelled). */
static bool warn_trap(void *ctx, struct mb_machine *m, uint64_t pc, uint64_t *resume)
{
	struct mb_runtime *rt = ctx;
	const struct mb_debug_ops *d = mb_machine_arch(m)->debug;
	char file[256];
	unsigned line, flags;
	if (d == NULL || d->bug_insn_size == 0 ||
	    !mb_bug_find(m, &rt->s.loader, pc, file, sizeof(file), &line, &flags) ||
	    !(flags & BUGFLAG_WARNING))
		return false;
	char where[256], msg[640];
	mb_machine_symbolize(m, pc, where, sizeof(where));
	int n = snprintf(msg, sizeof(msg), "WARNING: at %s:%u %s\n", file, line, where);
	if (n > 0)
		mb_machine_log_write(m, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	*resume = pc + d->bug_insn_size;
	return true;
}

int mb_runtime_open(struct mb_runtime *rt, const struct mb_cli *cli)
{
	memset(rt, 0, sizeof(*rt));
	rt->kernel = (struct mb_symbol_provider){ "kernel", rt, ksym_lookup, ksym_trap };
	int rc = mb_session_open(&rt->s, cli, &rt->kernel);
	if (rc != MB_EXIT_OK)
		return rc;
	struct mb_machine_config cfg;
	mb_machine_config_from_map(&cfg, rt->s.arch, rt->s.map);
	struct mb_err err;
	if (mb_machine_create(&rt->m, &cfg, &rt->s.space, &err) != 0 || mb_kstub_attach(rt->m, &err) != 0) {
		mb_report(&err);
		mb_machine_destroy(rt->m);
		rt->m = NULL;
		mb_session_close(&rt->s);
		return MB_EXIT_ERROR;
	}
	mb_machine_set_symbolizer(rt->m, symbolize, rt);
	mb_machine_set_trap_handler(rt->m, warn_trap, rt);
	/* --skip-init wins over --no-init: init memory goes as after a good init */
	rt->run_init = !cli->no_init || cli->skip_init;
	rt->skip_init = cli->skip_init;
	rt->lim = (struct mb_call_limits){ cli->budget, cli->timeout_ms };
	return MB_EXIT_OK;
}

void mb_runtime_close(struct mb_runtime *rt)
{
	if (!rt->s.ready)
		return;
	mb_loader_fini(&rt->s.loader);
	mb_runtime_boot_free(rt); /* after: relinked modules' paths are in it */
	if (rt->modpath) {
		mb_modpath_close(rt->modpath);
		free(rt->modpath);
		rt->modpath = NULL;
	}
	mb_machine_destroy(rt->m);
	rt->m = NULL;
	mb_space_fini(&rt->s.space);
	rt->s.ready = false;
}

static int run(struct mb_runtime *rt, uint64_t fn, struct mb_run_report *rep, struct mb_err *err)
{
	struct mb_call_result res;
	if (mb_machine_call(rt->m, fn, NULL, 0, &rt->lim, &res, err) != 0)
		return -1;
	rep->ran = true;
	rep->ret = res.ret;
	rep->insns = res.insns;
	rep->faulted = res.faulted;
	rep->fault = res.fault;
	return 0;
}

/* Back out of a load whose init failed: free_module() without exit. */
static void discard(struct mb_runtime *rt, struct mb_loaded_module *mod)
{
	struct mb_err ignored;
	if (rt->keep_failed)
		return; /* the boot expunges it (runtime_boot.c) */
	mb_unload_module(&rt->s.loader, mod, &ignored);
}

static void free_init(struct mb_runtime *rt, struct mb_loaded_module *mod)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (mod_mem_type_is_init(t) && mod->arena[t])
			mb_machine_mark_freed_init(rt->m, mod->arena[t]->base, mod->arena[t]->size);
	mb_module_free_init(&rt->s.loader, mod);
}

int mb_runtime_init_module(struct mb_runtime *rt, struct mb_loaded_module *mod, struct mb_run_report *rep,
			   struct mb_err *err)
{
	struct mb_run_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	const char *path = mod->path;
	/* --skip-init: init is not called, but its memory is freed as after a
	 * successful init (what later modules' placement depends on). */
	if (!rt->skip_init && mod->init_addr) {
		if (run(rt, mod->init_addr, rep, err) != 0) {
			discard(rt, mod);
			return -1;
		}
		if (rep->faulted) {
			mb_fail(err, path, "init_module", "guest fault (%s) at %s; module unloaded",
				mb_fault_kind_name(rep->fault.kind), rep->fault.pc_sym);
			discard(rt, mod);
			return -1;
		}
		int32_t ret = (int32_t)(uint32_t)rep->ret;
		if (ret != 0) {
			mb_fail(err, path, "init_module", "%s's init returned %" PRId32 "; module unloaded",
				mod->name, ret);
			discard(rt, mod);
			return -1;
		}
	}
	if (mb_module_protect(&rt->s.loader, mod, MB_PERMS_AFTER_INIT, err) != 0) {
		discard(rt, mod);
		return -1;
	}
	free_init(rt, mod);
	return 0;
}

int mb_runtime_load(struct mb_runtime *rt, const char *path, struct mb_loaded_module **out,
		    struct mb_run_report *rep, struct mb_err *err)
{
	struct mb_run_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	if (out)
		*out = NULL;
	struct mb_loaded_module *mod;
	if (mb_load_file(&rt->s.loader, path, &mod, err) != 0)
		return -1;
	if (mb_module_protect(&rt->s.loader, mod, MB_PERMS_FORMED, err) != 0) {
		discard(rt, mod);
		return -1;
	}
	/* --no-init stops before init: the module stays as the kernel has it
	 * while init would run (ro_after_init writable, init memory mapped), so
	 * init code and data can still be called, read or traced. So does the
	 * one module whose init the caller runs later (defer_init). */
	bool deferred = rt->defer_all || (rt->defer_init && strcmp(rt->defer_init, path) == 0);
	if (rt->run_init && !deferred && mb_runtime_init_module(rt, mod, rep, err) != 0)
		return -1;
	if (out)
		*out = mod;
	return 0;
}

struct modpath_ctx {
	struct mb_runtime *rt;
	struct mb_run_report rep;   /* of the last load: an init fault is exit 3 */
};

static int modpath_load_one(void *ctx, const char *path, struct mb_loaded_module **out, struct mb_err *err)
{
	struct modpath_ctx *mc = ctx;
	return mb_runtime_load(mc->rt, path, out, &mc->rep, err);
}

static void modpath_unload_one(void *ctx, struct mb_loaded_module *mod)
{
	struct modpath_ctx *mc = ctx;
	struct mb_err ignored;
	mb_runtime_unload(mc->rt, mod, NULL, &ignored);
}

int mb_runtime_open_modpath(struct mb_runtime *rt, const char *const *dirs, size_t ndirs, struct mb_err *err)
{
	if (rt->modpath || ndirs == 0)
		return 0;
	rt->modpath = malloc(sizeof(*rt->modpath));
	if (rt->modpath == NULL)
		return mb_fail(err, NULL, NULL, "out of memory");
	if (mb_modpath_open(rt->modpath, dirs, ndirs, rt->s.arch, false, err) != 0) {
		free(rt->modpath);
		rt->modpath = NULL;
		return -1;
	}
	return 0;
}

int mb_runtime_load_path(struct mb_runtime *rt, const char *path, struct mb_loaded_module **out,
			 struct mb_run_report *rep, struct mb_err *err)
{
	if (!rt->modpath)
		return mb_runtime_load(rt, path, out, rep, err);
	/* --modpath: providers of missing exports are loaded first, each
	 * through the whole lifecycle (harness/load/modpath.h). */
	struct modpath_ctx mc = { .rt = rt };
	const struct mb_modpath_loader how = { &mc, modpath_load_one, modpath_unload_one };
	int rc = mb_modpath_load(rt->modpath, &rt->s.loader, path, &how, out, NULL, err);
	if (rep)
		*rep = mc.rep;
	return rc;
}

int mb_runtime_load_all(struct mb_runtime *rt, const struct mb_cli *cli)
{
	struct mb_err err = { "" };
	if (mb_runtime_open_modpath(rt, cli->modpath, cli->nmodpath, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	if (mb_runtime_wants_boot(rt, cli))
		return mb_runtime_boot(rt, cli);
	for (size_t i = 0; i < cli->npaths; i++) {
		struct mb_run_report rep;
		if (mb_runtime_load_path(rt, cli->paths[i], NULL, &rep, &err) != 0) {
			mb_report(&err);
			if (rep.faulted) {
				mb_fault_print(stderr, &rep.fault);
				return MB_EXIT_FAULT;
			}
			return MB_EXIT_ERROR;
		}
	}
	return MB_EXIT_OK;
}

int mb_runtime_unload(struct mb_runtime *rt, struct mb_loaded_module *mod, struct mb_run_report *rep,
		      struct mb_err *err)
{
	struct mb_run_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	if (mod->refcount)
		return mb_fail(err, mod->path, NULL, "cannot unload %s: in use by %u module(s) importing its exports",
			       mod->name, mod->refcount);
	if (mod->exit_addr && run(rt, mod->exit_addr, rep, err) != 0)
		return -1;
	/* The kernel frees the module even if exit misbehaved. */
	return mb_unload_module(&rt->s.loader, mod, err);
}

int mb_runtime_resolve(struct mb_runtime *rt, const char *name, uint64_t *addr, struct mb_err *err)
{
	const char *colon = strchr(name, ':');
	if (colon) {
		char modname[64];
		size_t n = (size_t)(colon - name);
		if (n >= sizeof(modname))
			n = sizeof(modname) - 1;
		memcpy(modname, name, n);
		modname[n] = 0;
		struct mb_loaded_module *mod = mb_loader_find_module(&rt->s.loader, modname);
		if (!mod)
			return mb_fail(err, NULL, NULL, "no loaded module named %s", modname);
		if (mb_loader_find_symbol(&rt->s.loader, mod, colon + 1, addr) != 0)
			return mb_fail(err, mod->path, NULL, "module %s has no symbol %s", modname, colon + 1);
		return 0;
	}
	if (mb_loader_find_symbol(&rt->s.loader, NULL, name, addr) == 0)
		return 0;
	struct mb_err ignored;
	if (mb_kstub_lookup(rt->m, name, addr, &ignored) == 0)
		return 0;
	return mb_fail(err, NULL, NULL, "no symbol %s in the loaded modules or the kernel stub", name);
}

void mb_fault_print(FILE *f, const struct mb_fault *fault)
{
	fprintf(f, "modbed: guest fault: %s at %s (0x%" PRIx64 ")", mb_fault_kind_name(fault->kind), fault->pc_sym,
		fault->pc);
	if (fault->has_addr)
		fprintf(f, ", %s address %s (0x%" PRIx64 ")", fault->access[0] ? fault->access : "access",
			fault->addr_sym, fault->addr);
	fprintf(f, ": %s\n", fault->detail);
}
