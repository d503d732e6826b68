/* Relocation application for one load: every relocation section of the
 * object, through the arch's relocation ops (arch/reloc.h), into the staged
 * bytes (and the module's PLTs); errors name the entry, its symbol and the
 * value that did not fit. Part of the pipeline in loader.c. */
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

int mb_load_apply_relocations(struct mb_load *ld, const struct mb_object *view, const struct mb_plt_plan *plan,
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
			 * mb_load_apply_relocations() skips it the same way. */
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
