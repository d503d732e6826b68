/* The load pipeline (see loader.h): everything that can fail runs on private
 * staging memory; only the commit touches the lookup tree and the space.
 * Here: the loader's lifetime, the pipeline's order and its helpers; the
 * steps live in load_stage.c (layout, staging, commit), reloc_apply.c
 * (relocations), lifetime.c (protection, free init, unload) and
 * fingerprint.c. */
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
	int pack = cfg->pack ? mb_pack_parse(cfg->pack) : MB_PACK_NONE;
	if (pack < 0)
		return mb_fail(err, NULL, NULL, "unknown pack mode '%s' (page, cacheline, section)", cfg->pack);
	if (pack != MB_PACK_NONE && policy != MB_POLICY_BUILTIN)
		return mb_fail(err, NULL, NULL, "unknown combination: --pack needs --policy builtin");
	int bounds = cfg->bounds ? mb_bounds_parse(cfg->bounds) : MB_BOUNDS_KERNEL;
	if (bounds < 0)
		return mb_fail(err, NULL, NULL, "unknown bounds policy '%s' (kernel, split, pertype)", cfg->bounds);
	int tree = cfg->tree ? mb_tree_parse(cfg->tree) : MB_TREE_FAST;
	if (tree < 0)
		return mb_fail(err, NULL, NULL, "unknown lookup tree '%s' (fast, rbtree)", cfg->tree);
	struct mb_place_config pc;
	const struct mb_kver *kver = cfg->kver ? cfg->kver : mb_kver_latest();
	/* what the kernel put in the module area before any module (e.g. x86's
	 * bpf_prog_pack) is part of the map */
	if (mb_map_place_config(map, cfg->seeded, cfg->seed, &pc) != 0 || mb_map_boot_config(map, &pc) != 0)
		return mb_fail(err, NULL, NULL, "map %s does not fit this host's unsigned long", map->name);

	struct mb_loader_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return mb_fail(err, NULL, NULL, "loader: out of memory");
	p->nchunks = policy == MB_POLICY_PACKED || policy == MB_POLICY_BUILTIN ? PACKED_CHUNKS : 0;
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
	if (mb_place_init_kver(&l->place, (enum mb_policy)policy, &pc, kver, p->chunks, p->nchunks, &perr) != 0) {
		char msg[256];
		mb_place_strerror(&perr, msg, sizeof(msg));
		free(p->chunks);
		free(p->slots);
		free(p);
		return mb_fail(err, NULL, NULL, "map %s: %s", map->name, msg);
	}
	if (pack != MB_PACK_NONE && mb_place_set_pack(&l->place, (enum mb_pack)pack) != 0) {
		free(p->chunks);
		free(p->slots);
		free(p);
		return mb_fail(err, NULL, NULL, "map %s: module area too small for one large page per class", map->name);
	}
	mb_lookup_init_kver(&l->lookup, (enum mb_bounds)bounds, (enum mb_tree_kind)tree, map->data_in_vmalloc, kver,
			    p->slots, p->nslots);
	l->kver = kver;
	l->kconfig = cfg->kconfig ? *cfg->kconfig : mb_kconfig_default;
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

void mb_loader_fini(struct mb_loader *l)
{
	struct mb_loader_priv *p = l->priv;
	if (!p)
		return;
	/* Newest first, so no module outlives one it uses. */
	while (p->last)
		mb_load_unload(l, p->last);
	mb_list_provider_fini(&p->fallback);
	mb_strmap_fini(&p->exports);
	mb_strmap_fini(&p->modules);
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

const struct mb_kconfig mb_kconfig_default = { .strict_module_rwx = true };

/* The permission the kernel leaves on a type's pages once the module is
 * live. With STRICT_MODULE_RWX: module_enable_ro/nx/x. Without: what the
 * allocation mapped (the map's module_alloc() protection for the text
 * windows, PAGE_KERNEL for the data window) plus exec on text, which
 * module_enable_x() sets either way. */
static unsigned final_perm(const struct mb_loader *l, int type)
{
	if (!l->kconfig.strict_module_rwx) {
		bool text_window = mb_kver_window_of(l->kver, type, l->map->data_in_vmalloc) == MB_WIN_TEXT;
		unsigned p = text_window && l->map->text_alloc_exec_unless_strict ? MB_PERM_RW | MB_PERM_X : MB_PERM_RW;
		return mod_mem_type_is_text(type) ? p | MB_PERM_X : p;
	}
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

void mb_load_free_module(struct mb_loaded_module *mod)
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
		struct mb_reloc_config rcfg = { .ftrace_regs_trampoline = l->kver->ftrace_regs_trampoline };
		enum mb_reloc_status st = ops->size_plts(&view, &rcfg, &plan);
		if (st == MB_RELOC_NO_PLT_SECTION) {
			/* Every module of such an arch has them (the kernel's
			 * module.lds): most likely the header names the wrong arch. */
			mb_fail(err, ld.obj->path, NULL,
				"%s: every %s kernel module has them (from the kernel's module.lds); "
				"is the ELF header's machine field (%s) right for this object?",
				mb_reloc_status_str(st), l->arch->name, l->arch->name);
			goto out;
		}
		if (st != MB_RELOC_OK) {
			mb_fail(err, ld.obj->path, NULL, "%s", mb_reloc_status_str(st));
			goto out;
		}
	}
	ld.plt_shndx[0] = plan.core_shndx;
	ld.plt_shndx[1] = plan.init_shndx;
	struct mb_layout lay;
	if (mb_load_layout(&ld, &view, &lay, err) != 0)
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
		mod->perm[t] = final_perm(l, t);
	if (mb_load_stage(&ld, &view, err) != 0 || mb_resolve_symbols(&ld, err) != 0 ||
	    mb_load_apply_relocations(&ld, &view, &plan, err) != 0 || read_exports(&ld, err) != 0 ||
	    check_exports_unique(&ld, err) != 0 || mb_load_record_sections(&ld, &view, err) != 0 ||
	    mb_collect_symbols(&ld, err) != 0)
		goto out;
	mb_loader_find_symbol(l, mod, "init_module", &mod->init_addr);
	mb_loader_find_symbol(l, mod, "cleanup_module", &mod->exit_addr);
	if (mb_load_commit(&ld, err) != 0)
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
		mb_load_free_module(mod);
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

struct mb_loaded_module *mb_loader_find_module(const struct mb_loader *l, const char *name)
{
	const struct mb_loader_priv *p = l->priv;
	return mb_strmap_get(&p->modules, name);
}

void mb_loader_counters(const struct mb_loader *l, struct mb_lookup_counters *out)
{
	out->lookups = l->lookup.stats.lookups;
	out->fast_rejects = l->lookup.stats.fast_rejects;
	out->tree_searches = l->lookup.stats.tree_searches;
	out->empty_searches = l->lookup.stats.tree_misses;
}
