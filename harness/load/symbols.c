/* Symbols of loaded modules: resolution of undefined symbols (the object,
 * then loaded modules' exports, then the kernel provider, else a trap), the
 * per-module symbol records, and address -> symbol. */
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/load/loader_priv.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct mb_module_export *mb_find_export(const struct mb_loader *l, const char *name,
					      struct mb_loaded_module **owner)
{
	const struct mb_loader_priv *p = l->priv;
	const struct mb_module_export *ex = mb_strmap_get(&p->exports, name);
	if (ex && owner)
		*owner = ex->owner;
	return ex;
}

/* Appends "name" to a ", "-separated list in buf, or "..." once full. */
static void list_add(char *buf, size_t n, const char *name, size_t *count)
{
	size_t used = strlen(buf);
	if (used + strlen(name) + 6 >= n) {
		if (used + 4 < n && (used < 3 || strcmp(buf + used - 3, "...") != 0))
			strcat(buf, used ? ", ..." : "...");
	} else {
		if (used)
			strcat(buf, ", ");
		strcat(buf, name);
	}
	(*count)++;
}

int mb_resolve_symbols(struct mb_load *ld, struct mb_err *err)
{
	const struct mb_elf *obj = ld->obj;
	struct mb_loader *l = ld->l;
	struct mb_loaded_module *mod = ld->mod;
	size_t nundef = 0;
	for (size_t i = 1; i < obj->nsyms; i++)
		nundef += obj->syms[i].shndx == SHN_UNDEF && obj->syms[i].name[0];
	mod->undefs = calloc(nundef ? nundef : 1, sizeof(*mod->undefs));
	if (!mod->undefs)
		return mb_fail(err, obj->path, NULL, "out of memory");
	char missing[360] = "";
	size_t nmissing = 0;
	/* Per-cpu symbols are addresses in the kernel's per-cpu area
	 * (simplify_symbols: mod_percpu(mod) + st_value), which lies in the
	 * kernel image's reach; the kernel provider says where, if it knows. */
	uint32_t pcpu = mb_elf_find_section(obj, ".data..percpu");
	uint64_t pcpu_base = 0;
	if (pcpu && l->kernel->lookup(l->kernel->ctx, "__per_cpu_start", &pcpu_base) != 0)
		/* A provider without one: a quarter into the kernel image, where
		 * the per-cpu template would be (addresses only, no memory). */
		pcpu_base = l->map->kernel_base + l->map->kernel_size / 4;
	for (size_t i = 1; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *y = &obj->syms[i];
		if (y->shndx == SHN_ABS) {
			ld->symval[i] = y->value;
			continue;
		}
		if (y->shndx != SHN_UNDEF) {
			/* Sections the kernel does not load (.modinfo, per-cpu)
			 * keep their section-relative value. */
			ld->symval[i] = y->shndx == pcpu ? pcpu_base + y->value
					: ld->sectype[y->shndx] == MOD_INVALID ? y->value
									       : ld->secaddr[y->shndx] + y->value;
			continue;
		}
		if (!y->name[0])
			continue;
		struct mb_module_undef u = { .name = y->name };
		struct mb_loaded_module *owner;
		const struct mb_module_export *ex = mb_find_export(l, y->name, &owner);
		if (ex) {
			u.addr = ex->addr;
			u.kind = MB_UNDEF_MODULE;
			u.provider = owner->name;
			u.from = owner;
		} else if (l->kernel->lookup(l->kernel->ctx, y->name, &u.addr) == 0) {
			u.kind = MB_UNDEF_KERNEL;
			u.provider = l->kernel->name;
		} else if (y->bind == STB_WEAK) {
			u.addr = 0;
			u.kind = MB_UNDEF_WEAK;
			u.provider = "weak";
		} else if (l->strict_symbols) {
			list_add(missing, sizeof(missing), y->name, &nmissing);
			continue;
		} else {
			if (l->kernel->trap(l->kernel->ctx, y->name, &u.addr, err) != 0)
				return -1;
			u.kind = MB_UNDEF_TRAP;
			u.provider = "trap";
		}
		ld->symval[i] = u.addr;
		mod->undefs[mod->nundefs++] = u;
	}
	if (nmissing)
		return mb_fail(err, obj->path, NULL, "%zu undefined symbol%s found nowhere (--strict-symbols): %s",
			       nmissing, nmissing == 1 ? "" : "s", missing);
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct mb_module_symbol *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Globals before locals, then by name: a stable order for output. */
	if (x->bind != y->bind)
		return x->bind == STB_GLOBAL ? -1 : y->bind == STB_GLOBAL ? 1 : 0;
	return strcmp(x->name, y->name);
}

int mb_collect_symbols(struct mb_load *ld, struct mb_err *err)
{
	const struct mb_elf *obj = ld->obj;
	struct mb_loaded_module *mod = ld->mod;
	/* ELF section index -> index in mod->sections. */
	int *where = malloc(obj->nsecs * sizeof(*where));
	mod->symbols = calloc(obj->nsyms ? obj->nsyms : 1, sizeof(*mod->symbols));
	if (!where || !mod->symbols) {
		free(where);
		return mb_fail(err, obj->path, NULL, "out of memory");
	}
	for (size_t i = 0; i < obj->nsecs; i++)
		where[i] = -1;
	for (size_t i = 0; i < mod->nsections; i++)
		where[mod->sections[i].shndx] = (int)i;
	for (size_t i = 1; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *y = &obj->syms[i];
		if (!y->name[0] || y->type == STT_FILE || y->type == STT_SECTION || y->shndx == SHN_UNDEF)
			continue;
		/* ARM mapping symbols ($x, $d, $x.3) mark code/data runs and
		 * name no object: symbolizing with them hides the function. */
		if (y->name[0] == '$')
			continue;
		int sec = y->shndx == SHN_ABS ? -1 : where[y->shndx];
		if (y->shndx != SHN_ABS && sec < 0)
			continue; /* in a section that is not loaded */
		mod->symbols[mod->nsymbols++] = (struct mb_module_symbol){
			.name = y->name, .addr = ld->symval[i], .size = y->size, .section = sec,
			.bind = y->bind, .type = y->type };
	}
	free(where);
	qsort(mod->symbols, mod->nsymbols, sizeof(*mod->symbols), by_addr);
	return 0;
}

int mb_loader_find_symbol(const struct mb_loader *l, const struct mb_loaded_module *mod, const char *name,
			  uint64_t *addr)
{
	for (const struct mb_loaded_module *m = mod ? mod : l->modules; m; m = mod ? NULL : m->next) {
		const struct mb_module_symbol *local = NULL;
		for (size_t i = 0; i < m->nsymbols; i++) {
			if (strcmp(m->symbols[i].name, name) != 0)
				continue;
			if (m->symbols[i].bind != STB_LOCAL) {
				*addr = m->symbols[i].addr;
				return 0;
			}
			if (!local)
				local = &m->symbols[i];
		}
		if (local) {
			*addr = local->addr;
			return 0;
		}
	}
	return -1;
}

/* The symbol addr falls in: the nearest one at or below addr in the same
 * section, preferring one whose size covers addr. */
const struct mb_module_symbol *mb_module_symbol_at(const struct mb_loaded_module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nsymbols;
	while (lo < hi) { /* first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (m->symbols[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct mb_module_symbol *best = NULL;
	for (size_t i = lo; i-- > 0;) {
		const struct mb_module_symbol *s = &m->symbols[i];
		if (s->section < 0)
			continue;
		const struct mb_placed_section *sec = &m->sections[s->section];
		if (addr - sec->addr >= (sec->size ? sec->size : 1))
			continue;
		if (best && s->addr != best->addr)
			break;
		if (!best || (addr - s->addr < s->size && !(addr - best->addr < best->size)))
			best = s;
	}
	return best;
}

bool mb_loader_where(struct mb_loader *l, uint64_t addr, struct mb_where *out)
{
	memset(out, 0, sizeof(*out));
	out->type = MOD_INVALID;
	if ((unsigned long)addr != addr)
		return false;
	int type;
	struct mb_module *core = mb_module_address(&l->lookup, (unsigned long)addr, &type);
	if (!core)
		return false;
	out->mod = core->owner;
	out->type = type;
	out->sym = mb_module_symbol_at(out->mod, addr);
	out->offset = out->sym ? addr - out->sym->addr : addr - core->mem[type].base;
	return true;
}

void mb_loader_missing(const struct mb_loader *l, const struct mb_elf *obj,
		       void (*fn)(void *ctx, const char *sym), void *ctx)
{
	for (size_t i = 1; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *y = &obj->syms[i];
		uint64_t addr;
		if (y->shndx != SHN_UNDEF || !y->name[0] || y->bind == STB_WEAK)
			continue;
		if (mb_find_export(l, y->name, NULL) || l->kernel->lookup(l->kernel->ctx, y->name, &addr) == 0)
			continue;
		fn(ctx, y->name);
	}
}

/* ---- the plain-list kernel provider ------------------------------------- */

static int list_lookup(void *ctx, const char *sym, uint64_t *addr)
{
	const struct mb_list_provider *p = ctx;
	if (p->indexed) {
		void *v = mb_strmap_get(&p->name_index, sym);
		if (!v)
			return 1;
		*addr = p->addrs[(uintptr_t)v - 1];
		return 0;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->names[i], sym) == 0) {
			*addr = p->addrs[i];
			return 0;
		}
	return 1;
}

static int list_trap(void *ctx, const char *sym, uint64_t *addr, struct mb_err *err)
{
	struct mb_list_provider *p = ctx;
	void *known = mb_strmap_get(&p->trap_index, sym);
	size_t i = known ? (uintptr_t)known - 1 : p->ntraps;
	if (i == p->ntraps) {
		if (p->trap_stride == 0 || (uint64_t)i >= p->trap_size / p->trap_stride)
			return mb_fail(err, NULL, NULL, "kernel symbols: no trap address left for '%s' (%zu in use)", sym,
				       p->ntraps);
		if (p->ntraps == p->trap_cap) {
			size_t cap = p->trap_cap ? p->trap_cap * 2 : 64;
			char **n = realloc(p->trap_names, cap * sizeof(*n));
			if (!n)
				return mb_fail(err, NULL, NULL, "kernel symbols: out of memory");
			p->trap_names = n;
			p->trap_cap = cap;
		}
		p->trap_names[i] = strdup(sym);
		if (!p->trap_names[i] || mb_strmap_put(&p->trap_index, p->trap_names[i], (void *)(uintptr_t)(i + 1)) != 0) {
			free(p->trap_names[i]);
			return mb_fail(err, NULL, NULL, "kernel symbols: out of memory");
		}
		p->ntraps++;
	}
	*addr = p->trap_base + (uint64_t)i * p->trap_stride;
	return 0;
}

void mb_list_provider_init(struct mb_list_provider *p, const char *const *names, const uint64_t *addrs,
			   size_t n, uint64_t trap_base, uint64_t trap_size, uint64_t trap_stride)
{
	memset(p, 0, sizeof(*p));
	p->ops = (struct mb_symbol_provider){ .name = "kernel", .ctx = p, .lookup = list_lookup, .trap = list_trap };
	p->names = names;
	p->addrs = addrs;
	p->n = n;
	p->trap_base = trap_base;
	p->trap_size = trap_size;
	p->trap_stride = trap_stride;
	/* The first of equal names wins, as the scan it replaces; without
	 * memory for the index, lookups scan the list. */
	p->indexed = mb_strmap_reserve(&p->name_index, n) == 0;
	for (size_t i = n; p->indexed && i-- > 0;)
		mb_strmap_put(&p->name_index, names[i], (void *)(uintptr_t)(i + 1));
}

void mb_list_provider_fini(struct mb_list_provider *p)
{
	for (size_t i = 0; i < p->ntraps; i++)
		free(p->trap_names[i]);
	free(p->trap_names);
	mb_strmap_fini(&p->name_index);
	mb_strmap_fini(&p->trap_index);
	memset(p, 0, sizeof(*p));
}
