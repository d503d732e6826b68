/* Staging and commit for one load (loader.c runs the pipeline): the core
 * layout of the sections, the private staging buffers everything is written
 * into first, the section records, and the commit, the only step that
 * touches the lookup tree and the space. */
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

/* ---- layout and placement ----------------------------------------------- */

/* layout_symtab()'s inputs: which symbols kallsyms keeps for the core
 * (is_core_symbol(), on the flags after the kernel's rewrites) and their
 * names' bytes. The null symbol always counts. */
static bool kallsyms_input(const struct mb_load *ld, const struct mb_sec *secs, size_t percpu,
			   struct mb_kallsyms_in *k)
{
	const struct mb_elf *obj = ld->obj;
	if (ld->l->kallsyms == MB_KALLSYMS_OFF || !obj->symtab)
		return false;
	bool all = ld->l->kallsyms == MB_KALLSYMS_ALL;
	*k = (struct mb_kallsyms_in){ .symtab_index = obj->symtab, .strtab_index = obj->secs[obj->symtab].link,
				      .sym_size = obj->is64 ? 24 : 16, .ptr_bytes = ld->l->arch->ptr_bytes };
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *y = &obj->syms[i];
		bool keep = i == 0;
		if (!keep && y->shndx != MB_SHN_UNDEF && y->shndx < obj->nsecs && y->name[0]) {
			const struct mb_sec *s = &secs[y->shndx];
			if (all && y->shndx == percpu)
				keep = true;
			else
				keep = (s->flags & MB_SHF_ALLOC) && (all || (s->flags & MB_SHF_EXECINSTR)) &&
				       !mb_layout_is_init_name(s->name, true);
		}
		if (keep) {
			k->ndst++;
			k->core_strtab_size += (unsigned long)strlen(y->name) + 1;
		}
	}
	return true;
}

int mb_load_layout(struct mb_load *ld, struct mb_object *view, struct mb_layout *lay, struct mb_err *err)
{
	const struct mb_elf *obj = ld->obj;
	struct mb_sec *secs = calloc(view->nsections, sizeof(*secs));
	if (!secs)
		return mb_fail(err, obj->path, NULL, "out of memory");
	for (size_t i = 0; i < view->nsections; i++) {
		const struct mb_obj_section *s = &view->sections[i];
		unsigned long size = (unsigned long)s->size, align = (unsigned long)s->addralign;
		if (size != s->size || align != s->addralign) {
			free(secs);
			return mb_fail(err, obj->path, s->name, "size 0x%" PRIx64 " does not fit this host", s->size);
		}
		secs[i] = (struct mb_sec){ .name = s->name, .type = s->type, .flags = s->flags, .size = size,
					   .addralign = align, .mem_type = MOD_INVALID };
	}
	struct mb_layout_opts opts = { .module_unload = true, .strict_rwx = ld->l->kconfig.strict_module_rwx,
				       .static_call_inline = ld->l->map->static_call_inline, .kver = ld->l->kver,
				       .data_in_vmalloc = ld->l->map->data_in_vmalloc,
				       .page_size = (unsigned long)ld->l->map->page_size };
	struct mb_rewrite_info info;
	mb_layout_rewrite(secs, view->nsections, &opts, &info);
	struct mb_kallsyms_in kin;
	bool with_kallsyms = kallsyms_input(ld, secs, info.percpu_index, &kin);
	struct mb_layout_err lerr;
	if (mb_layout_sections(secs, view->nsections, &opts, with_kallsyms ? &kin : NULL, lay, &lerr) != 0) {
		char msg[256];
		mb_layout_strerror(&lerr, msg, sizeof(msg));
		free(secs);
		return mb_fail(err, obj->path, NULL, "%s", msg);
	}
	for (size_t i = 0; i < view->nsections; i++) {
		ld->sectype[i] = secs[i].mem_type;
		ld->secoff[i] = secs[i].offset;
		/* The rewrites decide what is loaded; keep the view in step so
		 * relocation sees the same flags the layout did. */
		view->sections[i].flags = secs[i].flags;
	}
	free(secs);
	return 0;
}

int mb_load_stage(struct mb_load *ld, const struct mb_object *view, struct mb_err *err)
{
	struct mb_loaded_module *mod = ld->mod;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!mod->alloc[t].size)
			continue;
		ld->stage[t] = calloc(1, mod->alloc[t].size);
		if (!ld->stage[t])
			return mb_fail(err, ld->obj->path, NULL, "out of memory staging %s (0x%lx bytes)",
				       mod_mem_type_name(t), mod->alloc[t].size);
	}
	for (size_t i = 0; i < view->nsections; i++) {
		int t = ld->sectype[i];
		if (t == MOD_INVALID)
			continue;
		ld->secaddr[i] = mod->alloc[t].base + ld->secoff[i];
		const struct mb_elf_section *s = &ld->obj->secs[i];
		/* The view's type and size: PLT sizing may resize a section or
		 * turn a placeholder into NOBITS; never copy past its slot. */
		uint64_t n = s->size < view->sections[i].size ? s->size : view->sections[i].size;
		if (view->sections[i].type != MB_SHT_NOBITS && s->data && n)
			memcpy(ld->stage[t] + ld->secoff[i], s->data, (size_t)n);
	}
	return 0;
}

int mb_load_record_sections(struct mb_load *ld, const struct mb_object *view, struct mb_err *err)
{
	struct mb_loaded_module *mod = ld->mod;
	size_t n = 0;
	for (size_t i = 0; i < view->nsections; i++)
		n += ld->sectype[i] != MOD_INVALID;
	mod->sections = calloc(n ? n : 1, sizeof(*mod->sections));
	if (!mod->sections)
		return mb_fail(err, ld->obj->path, NULL, "out of memory");
	for (size_t i = 0; i < view->nsections; i++) {
		if (ld->sectype[i] == MOD_INVALID)
			continue;
		mod->sections[mod->nsections++] = (struct mb_placed_section){
			.name = view->sections[i].name, .shndx = (uint32_t)i, .type = ld->sectype[i],
			.addr = ld->secaddr[i], .size = view->sections[i].size,
			.addralign = view->sections[i].addralign,
			.nobits = view->sections[i].type == MB_SHT_NOBITS };
	}
	return 0;
}

/* ---- commit ------------------------------------------------------------- */

static int grow_slots(struct mb_loader *l, struct mb_err *err)
{
	struct mb_loader_priv *p = l->priv;
	size_t need = MB_LOOKUP_SLOTS(l->lookup.nnodes + MOD_MEM_NUM_TYPES);
	if (need <= p->nslots)
		return 0;
	size_t n = p->nslots * 2 > need ? p->nslots * 2 : need;
	struct mb_slot *s = calloc(n, sizeof(*s));
	if (!s)
		return mb_fail(err, NULL, NULL, "lookup: out of memory");
	if (mb_lookup_set_slots(&l->lookup, s, n) != 0) {
		free(s);
		return mb_fail(err, NULL, NULL, "lookup: cannot move the index");
	}
	free(p->slots);
	p->slots = s;
	p->nslots = n;
	return 0;
}

static const char *const pclass_names[] = { "rx", "ro", "rw", "ro_after_init" };

/* Undoes the arenas a failed commit created, newest first. */
static void release_created_arenas(struct mb_loader *l, struct mb_loaded_module *mod)
{
	for (int t = MOD_MEM_NUM_TYPES; t-- > 0;) {
		if (mod->arena[t] && mod->alloc[t].arena_created)
			mb_space_release(l->space, mod->arena[t]);
		mod->arena[t] = NULL;
	}
}

int mb_load_commit(struct mb_load *ld, struct mb_err *err)
{
	struct mb_loader *l = ld->l;
	struct mb_loaded_module *mod = ld->mod;
	if (grow_slots(l, err) != 0)
		return -1;
	mod->core.name = mod->name;
	mod->core.state = MB_MODULE_LIVE;
	mod->core.owner = mod;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		mod->core.mem[t].base = mod->alloc[t].size ? mod->alloc[t].base : 0;
		mod->core.mem[t].size = mod->alloc[t].size;
	}
	/* Room in the indexes first: after the arenas nothing may fail. */
	struct mb_loader_priv *lp = l->priv;
	if (mb_strmap_reserve(&lp->exports, mod->nexports) != 0 || mb_strmap_reserve(&lp->modules, 1) != 0)
		return mb_fail(err, ld->obj->path, NULL, "out of memory");
	struct mb_lookup_err lerr;
	if (mb_lookup_insert(&l->lookup, &mod->core, &lerr) != 0) {
		char msg[256];
		mb_lookup_strerror(&lerr, msg, sizeof(msg));
		return mb_fail(err, ld->obj->path, NULL, "%s", msg);
	}
	/* Arenas: a new one for each allocation that created its arena (all
	 * under the kernel policy, new pool chunks under packed). */
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		struct mb_alloc *a = &mod->alloc[t];
		if (!a->size)
			continue;
		if (a->arena_created) {
			char name[48];
			if (l->place.policy == MB_POLICY_PACKED)
				snprintf(name, sizeof(name), "pool %s", pclass_names[a->arena->pclass]);
			else
				snprintf(name, sizeof(name), "%.32s:%s", mod->name, mod_mem_type_name(t));
			if (mb_space_create(l->space, a->arena->base, a->arena->size, MB_PERM_RW, a->arena, name,
					    &mod->arena[t], err) != 0) {
				release_created_arenas(l, mod);
				mb_lookup_remove(&l->lookup, &mod->core);
				return -1;
			}
		} else {
			mod->arena[t] = mb_space_find(l->space, a->base);
		}
	}
	/* Nothing can fail from here on. The arenas' bytes are zero where no
	 * section has contents (new arenas are zero, freed pool space is
	 * cleared), so only sections with bytes are copied. */
	for (size_t i = 0; i < mod->nsections; i++) {
		const struct mb_placed_section *p = &mod->sections[i];
		bool plt = p->shndx == ld->plt_shndx[0] || p->shndx == ld->plt_shndx[1];
		if (!p->size || (p->nobits && !plt))
			continue;
		void *host = mb_space_host(l->space, p->addr, p->size);
		const uint8_t *src = mb_load_stage_ptr(ld, p->addr, p->size);
		if (host && src)
			memcpy(host, src, (size_t)p->size);
	}
	for (size_t i = 0; i < mod->nundefs; i++) {
		struct mb_loaded_module *from = mod->undefs[i].from;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = mod->undefs[k].from == from;
		if (from && !seen)
			from->refcount++;
	}
	for (size_t i = 0; i < mod->nexports; i++) {
		mod->exports[i].owner = mod;
		mb_strmap_put(&lp->exports, mod->exports[i].name, &mod->exports[i]);
	}
	mb_strmap_put(&lp->modules, mod->name, mod);
	*(lp->last ? &lp->last->next : &l->modules) = mod;
	lp->last = mod;
	l->nmodules++;
	return 0;
}
