/* A loaded module's life after the load: permissions per phase, freeing
 * its init memory, unloading (refused while another module uses one of its
 * exports). */
#include "arch/arch.h"
#include "arch/reloc.h" /* before core headers: both name a few ELF constants */
#include "arch/map.h"
#include "core/layout.h"
#include "harness/load/loader_priv.h"
#include "harness/load/space.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- after the load ----------------------------------------------------- */

int mb_module_protect(struct mb_loader *l, struct mb_loaded_module *mod, enum mb_perm_phase phase,
		      struct mb_err *err)
{
	/* Text types in the second round: a page they share with the class
	 * before or after them is executable (module_enable_x works on whole
	 * pages); with STRICT_MODULE_RWX no page is shared. */
	for (int i = 0; i < 2 * MOD_MEM_NUM_TYPES; i++) {
		int t = i % MOD_MEM_NUM_TYPES;
		const struct mb_module_mem *m = &mod->core.mem[t];
		if (!m->size || mod_mem_type_is_text(t) != (i >= MOD_MEM_NUM_TYPES))
			continue;
		unsigned perm;
		if (phase == MB_PERMS_AFTER_INIT) {
			if (t != MOD_RO_AFTER_INIT)
				continue;
			perm = mod->perm[t]; /* read-only with STRICT_MODULE_RWX, else unchanged */
		} else {
			/* writable until init returns (strict), else as allocated */
			perm = t == MOD_RO_AFTER_INIT && l->kconfig.strict_module_rwx ? MB_PERM_RW : mod->perm[t];
		}
		if (mb_space_protect(l->space, m->base, m->size, perm, err) != 0)
			return -1;
	}
	return 0;
}

/* Frees one type's placement; the arena goes when the placement says so,
 * otherwise (a pool chunk others still use) its bytes are cleared. */
static void free_type(struct mb_loader *l, struct mb_loaded_module *mod, int t)
{
	struct mb_alloc *a = &mod->alloc[t];
	if (!a->live)
		return;
	uint64_t base = a->base, size = a->size;
	if (mb_place_free(&l->place, a)) {
		for (int u = 0; u < MOD_MEM_NUM_TYPES; u++)
			if (u != t && mod->arena[u] == mod->arena[t])
				mod->arena[u] = NULL;
		if (mod->arena[t])
			mb_space_release(l->space, mod->arena[t]);
	} else {
		void *host = mb_space_host(l->space, base, size);
		if (host)
			memset(host, 0, (size_t)size);
	}
	mod->arena[t] = NULL;
}

void mb_module_free_init(struct mb_loader *l, struct mb_loaded_module *mod)
{
	if (mod->init_freed)
		return;
	mb_lookup_remove_init(&l->lookup, &mod->core);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (mod_mem_type_is_init(t))
			free_type(l, mod, t);
	mod->init_freed = true;
}

void mb_load_unload(struct mb_loader *l, struct mb_loaded_module *mod)
{
	mb_lookup_remove(&l->lookup, &mod->core);
	for (size_t i = 0; i < mod->nundefs; i++) {
		struct mb_loaded_module *from = mod->undefs[i].from;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = mod->undefs[k].from == from;
		if (from && !seen && from->refcount)
			from->refcount--;
	}
	/* MOD_DATA last: it holds struct module (free_mod_mem). */
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (t != MOD_DATA)
			free_type(l, mod, t);
	free_type(l, mod, MOD_DATA);
	struct mb_loader_priv *lp = l->priv;
	for (size_t i = 0; i < mod->nexports; i++)
		if (mb_strmap_get(&lp->exports, mod->exports[i].name) == &mod->exports[i])
			mb_strmap_del(&lp->exports, mod->exports[i].name);
	if (mb_strmap_get(&lp->modules, mod->name) == mod)
		mb_strmap_del(&lp->modules, mod->name);
	struct mb_loaded_module *prev = NULL;
	for (struct mb_loaded_module **p = &l->modules; *p; prev = *p, p = &(*p)->next) {
		if (*p == mod) {
			*p = mod->next;
			if (lp->last == mod)
				lp->last = prev;
			l->nmodules--;
			break;
		}
	}
	mb_load_free_module(mod);
}

int mb_unload_module(struct mb_loader *l, struct mb_loaded_module *mod, struct mb_err *err)
{
	if (mod->refcount) {
		for (struct mb_loaded_module *m = l->modules; m; m = m->next)
			for (size_t i = 0; i < m->nundefs; i++)
				if (m->undefs[i].from == mod)
					return mb_fail(err, NULL, NULL, "module %s is in use by %s (uses %s)", mod->name,
						       m->name, m->undefs[i].name);
		return mb_fail(err, NULL, NULL, "module %s is in use", mod->name);
	}
	mb_load_unload(l, mod);
	return 0;
}
