/* The loader's placement state as a sorted list of spans (picture.h). */
#include "harness/picture/picture.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "harness/load/loader.h"

#include <stdlib.h>
#include <string.h>

struct spans {
	struct mb_pic_span *v;
	size_t n, cap;
	bool oom;
};

static void add(struct spans *s, struct mb_pic_span sp)
{
	if (sp.size == 0 || s->oom)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct mb_pic_span *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->oom = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = sp;
}

static int cmp_span(const void *x, const void *y)
{
	const struct mb_pic_span *a = x, *b = y;
	return (a->base > b->base) - (a->base < b->base);
}

static int cmp_arena(const void *x, const void *y)
{
	const struct mb_arena *a = *(const struct mb_arena *const *)x, *b = *(const struct mb_arena *const *)y;
	return (a->base > b->base) - (a->base < b->base);
}

/* The gaps of [lo, hi) between the live types (sorted types[0..n)), as
 * spans of kind k. */
static void gaps(struct spans *s, const struct mb_pic_span *types, size_t n, uint64_t lo, uint64_t hi,
		 enum mb_pic_kind k)
{
	/* first type ending above lo (types do not overlap: ends are sorted too) */
	size_t a = 0, b = n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (types[mid].base + types[mid].size <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	uint64_t at = lo;
	for (size_t i = a; i < n && types[i].base < hi && at < hi; i++) {
		if (types[i].base > at)
			add(s, (struct mb_pic_span){ .base = at, .size = types[i].base - at, .kind = k });
		if (types[i].base + types[i].size > at)
			at = types[i].base + types[i].size;
	}
	if (at < hi)
		add(s, (struct mb_pic_span){ .base = at, .size = hi - at, .kind = k });
}

static void region(struct mb_picture *p, const char *name, uint64_t start, uint64_t last, enum mb_pic_region_kind k)
{
	for (size_t i = 0; i < p->nregions; i++)
		if (p->regions[i].start == start && p->regions[i].last == last && strcmp(p->regions[i].name, name) == 0) {
			/* the x86 "modules" region is also the window: drawn as one */
			if (k > p->regions[i].kind)
				p->regions[i].kind = k;
			return;
		}
	if (p->nregions < sizeof(p->regions) / sizeof(p->regions[0]))
		p->regions[p->nregions++] = (struct mb_pic_region){ name, start, last, k };
}

static void regions(struct mb_picture *p, const struct mb_loader *l)
{
	const struct mb_map *m = l->map;
	const struct mb_place *pl = &l->place;
	for (size_t i = 0; i < m->nregions; i++)
		region(p, m->regions[i].name, m->regions[i].start, m->regions[i].last, MB_PIC_REG_MAP);
	if (m->kernel_size)
		region(p, "kernel image", m->kernel_base, m->kernel_base + m->kernel_size - 1, MB_PIC_REG_KERNEL);
	for (size_t i = 0; i < pl->cfg.ntext; i++)
		region(p, pl->cfg.text[i].name, pl->cfg.text[i].start, pl->cfg.text[i].last, MB_PIC_REG_WINDOW);
	for (size_t i = 0; i < pl->cfg.ndata; i++)
		region(p, pl->cfg.data[i].name, pl->cfg.data[i].start, pl->cfg.data[i].last, MB_PIC_REG_WINDOW);
	if (pl->pack != MB_PACK_NONE)
		for (int c = 0; c < MB_NPCLASS; c++)
			region(p, pl->sub[c].name, pl->sub[c].start, pl->sub[c].last, MB_PIC_REG_SUB);
}

/* The builtin sub-region class an address is in, or -1. */
static int sub_of(const struct mb_place *pl, uint64_t addr)
{
	if (pl->pack == MB_PACK_NONE)
		return -1;
	for (int c = 0; c < MB_NPCLASS; c++)
		if (addr >= pl->sub[c].start && addr <= pl->sub[c].last)
			return c;
	return -1;
}

/* The end of the last live type that starts in [lo, hi), or lo. */
static uint64_t live_end(const struct mb_pic_span *types, size_t n, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (types[mid].base < hi)
			a = mid + 1;
		else
			b = mid;
	}
	return a && types[a - 1].base >= lo ? types[a - 1].base + types[a - 1].size : lo;
}

/* Free bytes of the arenas and the sub-regions (see picture.h), and the
 * guard after each arena. */
static void free_space(struct spans *s, const struct mb_place *pl, struct mb_arena *const *ar, size_t nar,
		       const struct mb_pic_span *types, size_t ntypes)
{
	for (size_t i = 0; i < nar; i++) {
		const struct mb_arena *a = ar[i];
		uint64_t lo = a->base, hi = a->base + a->size;
		/* in a builtin chunk, free runs below its last live type are
		 * holes; the run after it is the chunk's unused end */
		uint64_t cut = sub_of(pl, a->base) < 0 ? lo : live_end(types, ntypes, lo, hi);
		gaps(s, types, ntypes, lo, cut, MB_PIC_HOLE);
		gaps(s, types, ntypes, cut, hi, MB_PIC_MAPFREE);
		if (a->range.span > a->size)
			add(s, (struct mb_pic_span){ .base = hi, .size = a->range.span - a->size, .kind = MB_PIC_GUARD });
	}
	/* below each cursor, the address space no range holds any more:
	 * chunks whose every type went (unmapped). The class's region starts
	 * at its sub-region, after the boot allocations in it, at the next
	 * large page (where its first chunk went). */
	uint64_t lp = pl->cfg.large_page_size;
	for (int c = 0; pl->pack != MB_PACK_NONE && c < MB_NPCLASS; c++) {
		uint64_t at = pl->sub[c].start, cur = pl->cursor[c];
		for (size_t i = 0; i < pl->cfg.nboot; i++)
			if (sub_of(pl, pl->boot[i].base) == c)
				at = (pl->boot[i].base + pl->boot[i].span + lp - 1) / lp * lp;
		for (const struct mb_range *r = mb_place_first(pl); r && at < cur; r = r->next) {
			if (r->base + r->span <= at)
				continue;
			if (r->base > at)
				add(s, (struct mb_pic_span){ .base = at, .size = (r->base < cur ? r->base : cur) - at,
							     .kind = MB_PIC_HOLE });
			at = r->base + r->span;
		}
		if (at < cur)
			add(s, (struct mb_pic_span){ .base = at, .size = cur - at, .kind = MB_PIC_HOLE });
	}
}

int mb_picture_collect(const struct mb_loader *l, const char *policy, const char *pack, struct mb_picture *p)
{
	memset(p, 0, sizeof(*p));
	const struct mb_place *pl = &l->place;
	p->page_size = pl->cfg.page_size;
	p->large_page_size = pl->cfg.large_page_size;
	regions(p, l);
	struct spans s = { 0 };
	size_t nar = 0, idx = 0;
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next, idx++)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			const struct mb_alloc *a = &m->alloc[t];
			if (!a->live || !a->size)
				continue;
			enum mb_pclass pc = mb_pclass_of(t);
			add(&s, (struct mb_pic_span){ .base = a->base, .size = a->size, .kind = MB_PIC_TYPE,
						      .pclass = pc, .colour = mod_mem_type_is_init(t) ? MB_PIC_INIT : (int)pc,
						      .shade = (int)(idx & 1), .type = t, .owner = m->name });
			nar++;
		}
	p->nmodules = idx;
	size_t ntypes = s.n;
	if (ntypes)
		qsort(s.v, ntypes, sizeof(*s.v), cmp_span);
	/* the arenas of the live types, each once */
	struct mb_arena **ar = malloc((nar ? nar : 1) * sizeof(*ar));
	if (!ar || s.oom) {
		free(ar);
		free(s.v);
		return -1;
	}
	nar = 0;
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (m->alloc[t].live && m->alloc[t].size && m->alloc[t].arena)
				ar[nar++] = m->alloc[t].arena;
	if (nar)
		qsort(ar, nar, sizeof(*ar), cmp_arena);
	size_t u = 0;
	for (size_t i = 0; i < nar; i++)
		if (u == 0 || ar[u - 1] != ar[i])
			ar[u++] = ar[i];
	nar = u;
	/* gaps() reads the types while free_space appends: give it a copy */
	struct mb_pic_span *types = malloc((ntypes ? ntypes : 1) * sizeof(*types));
	if (!types) {
		free(ar);
		free(s.v);
		return -1;
	}
	if (ntypes)
		memcpy(types, s.v, ntypes * sizeof(*types));
	free_space(&s, pl, ar, nar, types, ntypes);
	free(types);
	free(ar);
	for (size_t i = 0; i < pl->cfg.nboot; i++) {
		uint64_t ps = pl->cfg.page_size, size = (pl->cfg.boot_size[i] + ps - 1) / ps * ps;
		const struct mb_range *r = &pl->boot[i];
		add(&s, (struct mb_pic_span){ .base = r->base, .size = size, .kind = MB_PIC_BOOT,
					      .owner = pl->cfg.boot_name[i] });
		if (r->span > size)
			add(&s, (struct mb_pic_span){ .base = r->base + size, .size = r->span - size, .kind = MB_PIC_GUARD });
	}
	if (s.oom) {
		free(s.v);
		return -1;
	}
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), cmp_span);
	p->spans = s.v;
	p->nspans = s.n;
	snprintf(p->title, sizeof(p->title), "%s, map %s, policy %s%s%s, %zu modules", l->arch->name, l->map->name,
		 policy ? policy : "kernel", pack ? " --pack " : "", pack ? pack : "", p->nmodules);
	return 0;
}

void mb_picture_free(struct mb_picture *p)
{
	free(p->spans);
	p->spans = NULL;
	p->nspans = 0;
}
