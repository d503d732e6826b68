/* The load pipeline (see loader.h): everything that can fail runs on private
 * staging memory; only the commit touches the lookup tree and the space. */
#include "arch/arch.h"
#include "arch/reloc.h" /* before core headers: both name a few ELF constants */
#include "arch/map.h"
#include "core/layout.h"
#include "harness/load/ksymtab.h"
#include "harness/load/loader_priv.h"
#include "harness/elf/modinfo.h"
#include "harness/load/space.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACKED_CHUNKS 4096
#define INITIAL_MODULES 64


static uint64_t trap_area_size(const struct mb_map *map)
{
	/* The upper half of the kernel image: the emulator's stub owns the
	 * image when there is one; without it nothing else lives there. */
	return map->kernel_size / 2;
}

int mb_loader_init(struct mb_loader *l, const struct mb_loader_config *cfg, struct mb_space *space,
		   struct mb_err *err)
{
	memset(l, 0, sizeof(*l));
	const struct mb_arch *arch = cfg->arch;
	if (!arch)
		return mb_fail(err, NULL, NULL, "loader: no arch given");
	const struct mb_map *map = cfg->map ? cfg->map : mb_arch_map(arch, NULL);
	if (!map)
		return mb_fail(err, NULL, NULL, "loader: arch %s has no memory map", arch->name);
	int policy = cfg->policy ? mb_policy_parse(cfg->policy) : MB_POLICY_KERNEL;
	if (policy < 0)
		return mb_fail(err, NULL, NULL, "unknown placement policy '%s' (kernel, packed, builtin)", cfg->policy);
	int bounds = cfg->bounds ? mb_bounds_parse(cfg->bounds) : MB_BOUNDS_KERNEL;
	if (bounds < 0)
		return mb_fail(err, NULL, NULL, "unknown bounds policy '%s' (kernel, split, pertype)", cfg->bounds);
	int tree = cfg->tree ? mb_tree_parse(cfg->tree) : MB_TREE_FAST;
	if (tree < 0)
		return mb_fail(err, NULL, NULL, "unknown lookup tree '%s' (fast, rbtree)", cfg->tree);
	struct mb_place_config pc;
	if (mb_map_place_config(map, cfg->seeded, cfg->seed, &pc) != 0)
		return mb_fail(err, NULL, NULL, "map %s does not fit this host's unsigned long", map->name);

	struct mb_loader_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return mb_fail(err, NULL, NULL, "loader: out of memory");
	p->nchunks = policy == MB_POLICY_PACKED ? PACKED_CHUNKS : 0;
	p->chunks = p->nchunks ? calloc(p->nchunks, sizeof(*p->chunks)) : NULL;
	p->nslots = MB_LOOKUP_SLOTS(INITIAL_MODULES * MOD_MEM_NUM_TYPES);
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	struct mb_place_err perr;
	if ((p->nchunks && !p->chunks) || !p->slots) {
		free(p->chunks);
		free(p->slots);
		free(p);
		return mb_fail(err, NULL, NULL, "loader: out of memory");
	}
	if (mb_place_init(&l->place, (enum mb_policy)policy, &pc, p->chunks, p->nchunks, &perr) != 0) {
		char msg[256];
		mb_place_strerror(&perr, msg, sizeof(msg));
		free(p->chunks);
		free(p->slots);
		free(p);
		return mb_fail(err, NULL, NULL, "map %s: %s", map->name, msg);
	}
	mb_lookup_init(&l->lookup, (enum mb_bounds)bounds, (enum mb_tree_kind)tree, map->data_in_vmalloc,
		       p->slots, p->nslots);
	l->arch = arch;
	l->map = map;
	l->space = space;
	l->strict_symbols = cfg->strict_symbols;
	l->kallsyms = cfg->kallsyms;
	l->kernel = cfg->kernel;
	l->priv = p;
	if (!l->kernel) {
		uint64_t half = trap_area_size(map);
		mb_list_provider_init(&p->fallback, NULL, NULL, 0, map->kernel_base + half, half, 16);
		l->kernel = &p->fallback.ops;
	}
	return 0;
}

static void unload(struct mb_loader *l, struct mb_loaded_module *mod);

void mb_loader_fini(struct mb_loader *l)
{
	struct mb_loader_priv *p = l->priv;
	if (!p)
		return;
	/* Newest first, so no module outlives one it uses. */
	while (l->modules) {
		struct mb_loaded_module *last = l->modules;
		while (last->next)
			last = last->next;
		unload(l, last);
	}
	mb_list_provider_fini(&p->fallback);
	free(p->chunks);
	free(p->slots);
	free(p);
	l->priv = NULL;
}

/* ---- helpers ------------------------------------------------------------ */

uint8_t *mb_load_stage_ptr(const struct mb_load *ld, uint64_t addr, uint64_t len)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		const struct mb_alloc *a = &ld->mod->alloc[t];
		if (!ld->stage[t] || addr - a->base >= a->size)
			continue;
		uint64_t off = addr - a->base;
		if (len > a->size - off)
			return NULL;
		return ld->stage[t] + off;
	}
	return NULL;
}

static const uint8_t *stage_reader(void *ctx, uint64_t addr, uint64_t len)
{
	return mb_load_stage_ptr(ctx, addr, len);
}

/* The exports from the relocated, staged bytes (ksymtab.h). */
static int read_exports(struct mb_load *ld, struct mb_err *err)
{
	const struct mb_export_source src = { ld->obj, ld->secaddr, ld->sectype, stage_reader, ld };
	return mb_read_exports(&src, ld->mod, err);
}

static unsigned final_perm(int type)
{
	if (mod_mem_type_is_text(type))
		return MB_PERM_RX;
	if (type == MOD_RODATA || type == MOD_INIT_RODATA)
		return MB_PERM_R;
	if (type == MOD_RO_AFTER_INIT)
		return MB_PERM_R; /* after init; writable until then */
	return MB_PERM_RW;
}

/* The module's name: .modinfo "name=", else the file's base name without
 * its extension (what modpost/Kbuild derive it from). */
static void module_name(const struct mb_elf *obj, char *buf, size_t n)
{
	uint32_t mi = mb_elf_find_section(obj, ".modinfo");
	if (mi && obj->secs[mi].data) {
		struct mb_modinfo info;
		struct mb_err ignored;
		if (mb_modinfo_parse(&info, obj->secs[mi].data, obj->secs[mi].size, obj->path, &ignored) == 0) {
			const char *v = mb_modinfo_get(&info, "name", 0);
			if (v && *v) {
				snprintf(buf, n, "%s", v);
				mb_modinfo_free(&info);
				return;
			}
			mb_modinfo_free(&info);
		}
	}
	const char *base = strrchr(obj->path, '/');
	base = base ? base + 1 : obj->path;
	snprintf(buf, n, "%s", base);
	char *dot = strchr(buf, '.');
	if (dot && dot != buf)
		*dot = '\0';
	/* Kbuild turns '-' into '_' in module names. */
	for (char *c = buf; *c; c++)
		if (*c == '-')
			*c = '_';
}

static void free_module(struct mb_loaded_module *mod)
{
	if (!mod)
		return;
	struct mb_module_priv *mp = mod->priv;
	if (mp) {
		mb_elf_close(&mp->obj);
		free(mp->secaddr);
		free(mp);
	}
	free(mod->sections);
	free(mod->symbols);
	free(mod->exports);
	free(mod->undefs);
	free(mod->relocs);
	free(mod);
}

/* ---- relocation --------------------------------------------------------- */

/* The entry's index in the file (the sizing pass may have sorted the view). */
static size_t file_entry_index(const struct mb_elf *obj, uint32_t relsec, const struct mb_obj_rela *r)
{
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		const struct mb_elf_relsec *rs = &obj->relsecs[i];
		if (rs->index != relsec)
			continue;
		for (size_t k = 0; k < rs->count; k++)
			if (rs->entries[k].offset == r->offset && rs->entries[k].type == r->type &&
			    rs->entries[k].sym == r->sym && rs->entries[k].addend == r->addend)
				return k;
	}
	return 0;
}

static const char *sym_label(const struct mb_elf *obj, uint32_t sym, char *buf, size_t n)
{
	const struct mb_elf_symbol *y = &obj->syms[sym];
	if (y->name[0])
		return y->name;
	if (y->type == 3 /* STT_SECTION */ && y->shndx < obj->nsecs)
		return obj->secs[y->shndx].name;
	snprintf(buf, n, "symbol %u", sym);
	return buf;
}

static void fmt_signed(char *buf, size_t n, int64_t v, bool is_signed)
{
	if (is_signed && v < 0)
		snprintf(buf, n, "-0x%" PRIx64, (uint64_t)0 - (uint64_t)v);
	else
		snprintf(buf, n, "0x%" PRIx64, (uint64_t)v);
}

static int reloc_error(const struct mb_load *ld, const struct mb_obj_relsec *rs, const struct mb_obj_rela *r,
		       const struct mb_reloc_result *res, const struct mb_reloc_site *site, struct mb_err *err)
{
	const struct mb_elf *obj = ld->obj;
	const char *sec = obj->secs[rs->index].name;
	const char *tname = mb_elf_reloc_name(obj, r->type);
	char tbuf[32], sbuf[32], v[32], lo[32], hi[32];
	if (!tname) {
		snprintf(tbuf, sizeof(tbuf), "type %u", r->type);
		tname = tbuf;
	}
	size_t entry = file_entry_index(obj, rs->index, r);
	const char *sym = sym_label(obj, r->sym, sbuf, sizeof(sbuf));
	const char *target = obj->secs[rs->target].name;
	uint64_t P = site->sec_addr + site->offset;
	switch (res->status) {
	case MB_RELOC_UNSUPPORTED:
		if (mb_elf_reloc_name(obj, r->type))
			return mb_fail(err, obj->path, sec, "entry %zu: unsupported relocation type %u (%s)", entry,
				       r->type, tname);
		return mb_fail(err, obj->path, sec, "entry %zu: unsupported relocation type %u", entry, r->type);
	case MB_RELOC_OVERFLOW:
		fmt_signed(v, sizeof(v), res->value, res->range_signed);
		fmt_signed(lo, sizeof(lo), res->lo, res->range_signed);
		fmt_signed(hi, sizeof(hi), res->hi, res->range_signed);
		return mb_fail(err, obj->path, sec, "entry %zu: %s against '%s': value %s out of range [%s, %s]",
			       entry, tname, sym, v, lo, hi);
	case MB_RELOC_NONZERO:
		return mb_fail(err, obj->path, sec,
			       "entry %zu: %s against '%s': location %s+0x%" PRIx64 " is not zero (0x%" PRIx64
			       ") before relocation",
			       entry, tname, sym, target, r->offset, res->existing);
	case MB_RELOC_LOC_RANGE:
		return mb_fail(err, obj->path, sec, "entry %zu: %s at offset 0x%" PRIx64 " runs past end of %s (0x%" PRIx64 ")",
			       entry, tname, r->offset, target, site->sec_size);
	case MB_RELOC_PLT_FULL:
		return mb_fail(err, obj->path, sec, "entry %zu: %s against '%s': PLT full (%u entries reserved)", entry,
			       tname, sym, site->in_init ? ld->mod->plt_capacity[1] : ld->mod->plt_capacity[0]);
	case MB_RELOC_MISALIGNED:
		return mb_fail(err, obj->path, sec,
			       "entry %zu: %s against '%s': location 0x%" PRIx64 " (%s+0x%" PRIx64 ") is not 4-byte aligned",
			       entry, tname, sym, P, target, r->offset);
	default:
		return mb_fail(err, obj->path, sec, "entry %zu: %s against '%s': %s", entry, tname, sym,
			       mb_reloc_status_str(res->status));
	}
}

static void plt_from_plan(struct mb_load *ld, uint32_t shndx, uint32_t max, struct mb_plt *plt,
			  const struct mb_object *view)
{
	memset(plt, 0, sizeof(*plt));
	if (!shndx || ld->sectype[shndx] == MOD_INVALID)
		return;
	plt->addr = ld->secaddr[shndx];
	plt->size = view->sections[shndx].size;
	plt->bytes = mb_load_stage_ptr(ld, plt->addr, plt->size);
	plt->max = max;
}

static int count_type(struct mb_loaded_module *mod, const struct mb_elf *obj, uint32_t type)
{
	size_t i = 0;
	while (i < mod->nreloc_types && mod->relocs[i].type < type)
		i++;
	if (i < mod->nreloc_types && mod->relocs[i].type == type) {
		mod->relocs[i].count++;
		return 0;
	}
	struct mb_reloc_count *n = realloc(mod->relocs, (mod->nreloc_types + 1) * sizeof(*n));
	if (!n)
		return -1;
	memmove(n + i + 1, n + i, (mod->nreloc_types - i) * sizeof(*n));
	n[i] = (struct mb_reloc_count){ .type = type, .name = mb_elf_reloc_name(obj, type), .count = 1 };
	mod->relocs = n;
	mod->nreloc_types++;
	return 0;
}

static int apply_relocations(struct mb_load *ld, const struct mb_object *view, const struct mb_plt_plan *plan,
			     struct mb_err *err)
{
	const struct mb_reloc_ops *ops = ld->l->arch->reloc;
	struct mb_loaded_module *mod = ld->mod;
	struct mb_plt_state plts;
	plt_from_plan(ld, plan->core_shndx, plan->core_max, &plts.core, view);
	plt_from_plan(ld, plan->init_shndx, plan->init_max, &plts.init, view);
	mod->plt_capacity[0] = plts.core.max;
	mod->plt_capacity[1] = plts.init.max;
	for (size_t i = 0; i < ld->obj->nrelsecs; i++)
		if (ld->obj->relsecs[i].skipped)
			mod->nrelocs_skipped += ld->obj->relsecs[i].count;
	for (size_t i = 0; i < view->nrelsecs; i++) {
		const struct mb_obj_relsec *rs = &view->relsecs[i];
		int t = ld->sectype[rs->target];
		if (t == MOD_INVALID) {
			/* Not loaded (e.g. lost SHF_ALLOC in the kernel's rewrites):
			 * apply_relocations() skips it the same way. */
			mod->nrelocs_skipped += rs->nrelas;
			continue;
		}
		if (!ops || !ops->apply)
			return mb_fail(err, ld->obj->path, ld->obj->secs[rs->index].name,
				       "no relocation support for %s yet", ld->l->arch->name);
		struct mb_reloc_site site = {
			.sec_bytes = ld->stage[t] + ld->secoff[rs->target],
			.sec_addr = ld->secaddr[rs->target],
			.sec_size = view->sections[rs->target].size,
			.in_init = mod_mem_type_is_init(t),
		};
		for (size_t k = 0; k < rs->nrelas; k++) {
			const struct mb_obj_rela *r = &rs->relas[k];
			struct mb_reloc_result res;
			memset(&res, 0, sizeof(res));
			site.type = r->type;
			site.S = ld->symval[r->sym];
			site.A = r->addend;
			site.offset = r->offset;
			ops->apply(&site, &plts, &res);
			if (res.status != MB_RELOC_OK)
				return reloc_error(ld, rs, r, &res, &site, err);
			if (count_type(mod, ld->obj, r->type) != 0)
				return mb_fail(err, ld->obj->path, NULL, "out of memory");
			mod->nrelocs_applied++;
		}
	}
	mod->plt_used[0] = plts.core.used;
	mod->plt_used[1] = plts.init.used;
	return 0;
}

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

static int layout(struct mb_load *ld, struct mb_object *view, struct mb_layout *lay, struct mb_err *err)
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
	struct mb_layout_opts opts = { .module_unload = true, .strict_rwx = true,
				       .static_call_inline = ld->l->map->static_call_inline };
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

static int stage(struct mb_load *ld, const struct mb_object *view, struct mb_err *err)
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

static int record_sections(struct mb_load *ld, const struct mb_object *view, struct mb_err *err)
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

static int commit(struct mb_load *ld, struct mb_err *err)
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
	struct mb_loaded_module **tail = &l->modules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = mod;
	l->nmodules++;
	return 0;
}

/* ---- the pipeline ------------------------------------------------------- */

static int check_exports_unique(const struct mb_load *ld, struct mb_err *err)
{
	const struct mb_loaded_module *mod = ld->mod;
	for (size_t i = 0; i < mod->nexports; i++) {
		struct mb_loaded_module *owner;
		if (mb_find_export(ld->l, mod->exports[i].name, &owner))
			return mb_fail(err, ld->obj->path, NULL, "exports duplicate symbol %s (owned by %s)",
				       mod->exports[i].name, owner->name);
	}
	return 0;
}

int mb_load_object(struct mb_loader *l, struct mb_elf *obj_in, struct mb_loaded_module **out, struct mb_err *err)
{
	struct mb_load ld = { .l = l };
	struct mb_object view = { 0 };
	struct mb_loaded_module *mod = calloc(1, sizeof(*mod));
	struct mb_module_priv *mp = calloc(1, sizeof(*mp));
	bool placed = false;
	int rc = -1;
	if (!mod || !mp) {
		mb_fail(err, obj_in->path, NULL, "out of memory");
		free(mod);
		free(mp);
		mb_elf_close(obj_in);
		return -1;
	}
	mp->obj = *obj_in; /* the module owns the object from here on */
	memset(obj_in, 0, sizeof(*obj_in));
	mod->priv = mp;
	ld.mod = mod;
	ld.obj = &mp->obj;
	mod->path = ld.obj->path;
	size_t ns = ld.obj->nsecs;
	ld.secaddr = calloc(ns, sizeof(*ld.secaddr));
	ld.sectype = calloc(ns, sizeof(*ld.sectype));
	ld.secoff = calloc(ns, sizeof(*ld.secoff));
	ld.symval = calloc(ld.obj->nsyms ? ld.obj->nsyms : 1, sizeof(*ld.symval));
	if (!ld.secaddr || !ld.sectype || !ld.secoff || !ld.symval) {
		mb_fail(err, ld.obj->path, NULL, "out of memory");
		goto out;
	}
	if (ld.obj->arch != l->arch) {
		mb_fail(err, ld.obj->path, NULL, "%s object, but the loader is for %s", ld.obj->arch->name,
			l->arch->name);
		goto out;
	}
	module_name(ld.obj, mod->name, sizeof(mod->name));
	if (mb_loader_find_module(l, mod->name)) {
		mb_fail(err, ld.obj->path, NULL, "module %s is already loaded", mod->name);
		goto out;
	}
	if (mb_elf_view(ld.obj, &view, err) != 0)
		goto out;
	struct mb_plt_plan plan = { 0 };
	const struct mb_reloc_ops *ops = l->arch->reloc;
	if (ops && ops->size_plts) {
		struct mb_reloc_config rcfg = { 0 };
		enum mb_reloc_status st = ops->size_plts(&view, &rcfg, &plan);
		if (st != MB_RELOC_OK) {
			mb_fail(err, ld.obj->path, NULL, "%s", mb_reloc_status_str(st));
			goto out;
		}
	}
	ld.plt_shndx[0] = plan.core_shndx;
	ld.plt_shndx[1] = plan.init_shndx;
	struct mb_layout lay;
	if (layout(&ld, &view, &lay, err) != 0)
		goto out;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		mod->used[t] = lay.size[t];
	struct mb_place_err perr;
	if (mb_place_module(&l->place, &lay, mod->alloc, &perr) != 0) {
		char msg[256];
		mb_place_strerror(&perr, msg, sizeof(msg));
		mb_fail(err, ld.obj->path, NULL, "%s", msg);
		goto out;
	}
	placed = true;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		mod->perm[t] = final_perm(t);
	if (stage(&ld, &view, err) != 0 || mb_resolve_symbols(&ld, err) != 0 ||
	    apply_relocations(&ld, &view, &plan, err) != 0 || read_exports(&ld, err) != 0 ||
	    check_exports_unique(&ld, err) != 0 || record_sections(&ld, &view, err) != 0 ||
	    mb_collect_symbols(&ld, err) != 0)
		goto out;
	mb_loader_find_symbol(l, mod, "init_module", &mod->init_addr);
	mb_loader_find_symbol(l, mod, "cleanup_module", &mod->exit_addr);
	if (commit(&ld, err) != 0)
		goto out;
	mp->secaddr = ld.secaddr;
	ld.secaddr = NULL;
	rc = 0;
	if (out)
		*out = mod;
	if (l->loaded_hook)
		l->loaded_hook(l->loaded_ctx, l, mod);
out:
	if (rc != 0) {
		if (placed)
			mb_place_free_module(&l->place, mod->alloc);
		free_module(mod);
	}
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		free(ld.stage[t]);
	free(ld.secaddr);
	free(ld.sectype);
	free(ld.secoff);
	free(ld.symval);
	mb_elf_view_free(&view);
	return rc;
}

int mb_load_buffer(struct mb_loader *l, const char *name, const void *buf, size_t len,
		   struct mb_loaded_module **out, struct mb_err *err)
{
	struct mb_elf obj;
	if (mb_elf_open_mem(&obj, name, buf, len, l->arch, err) != 0)
		return -1;
	return mb_load_object(l, &obj, out, err);
}

int mb_load_file(struct mb_loader *l, const char *path, struct mb_loaded_module **out, struct mb_err *err)
{
	struct mb_elf obj;
	if (mb_elf_open_path(&obj, path, l->arch, err) != 0)
		return -1;
	return mb_load_object(l, &obj, out, err);
}

/* ---- after the load ----------------------------------------------------- */

int mb_module_protect(struct mb_loader *l, struct mb_loaded_module *mod, enum mb_perm_phase phase,
		      struct mb_err *err)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		const struct mb_module_mem *m = &mod->core.mem[t];
		if (!m->size)
			continue;
		unsigned perm;
		if (phase == MB_PERMS_AFTER_INIT) {
			if (t != MOD_RO_AFTER_INIT)
				continue;
			perm = MB_PERM_R;
		} else {
			perm = t == MOD_RO_AFTER_INIT ? MB_PERM_RW : mod->perm[t];
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

static void unload(struct mb_loader *l, struct mb_loaded_module *mod)
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
	for (struct mb_loaded_module **p = &l->modules; *p; p = &(*p)->next) {
		if (*p == mod) {
			*p = mod->next;
			l->nmodules--;
			break;
		}
	}
	free_module(mod);
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
	unload(l, mod);
	return 0;
}

struct mb_loaded_module *mb_loader_find_module(const struct mb_loader *l, const char *name)
{
	for (struct mb_loaded_module *m = l->modules; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

void mb_loader_counters(const struct mb_loader *l, struct mb_lookup_counters *out)
{
	out->lookups = l->lookup.stats.lookups;
	out->fast_rejects = l->lookup.stats.fast_rejects;
	out->tree_searches = l->lookup.stats.tree_searches;
	out->empty_searches = l->lookup.stats.tree_misses;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

uint64_t mb_loader_fingerprint(const struct mb_loader *l)
{
	uint64_t h = mb_space_fingerprint(l->space);
	for (const struct mb_range *r = mb_place_first(&l->place); r; r = r->next) {
		h = mix(h, r->base);
		h = mix(h, r->span);
	}
	h = mix(h, l->place.nranges);
	for (int c = 0; c < MB_NPCLASS; c++)
		for (const struct mb_arena *a = l->place.pool[c]; a; a = a->next_chunk)
			h = mix(h, a->base ^ ((uint64_t)a->users << 48));
	const struct mb_lookup *lk = &l->lookup;
	h = mix(h, lk->addr_min);
	h = mix(h, lk->addr_max);
	h = mix(h, lk->data_addr_min);
	h = mix(h, lk->data_addr_max);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		h = mix(h, lk->pair[t].min);
		h = mix(h, lk->pair[t].last);
	}
	h = mix(h, lk->nnodes);
	for (const struct mb_module *m = lk->modules; m; m = m->lk_next)
		h = mix(h, (uint64_t)(uintptr_t)m);
	h = mix(h, l->nmodules);
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		h = mix(h, m->refcount);
	return h;
}
