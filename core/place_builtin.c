/* MB_POLICY_BUILTIN with a pack mode: the 2012 "pre-linked modules" region
 * reserved right after the kernel image, one sub-region per permission
 * class, modules packed next to each other inside each class.
 *
 * Each class is a bump allocator over its sub-region: a type goes at the
 * cursor rounded up to max(granule, ELF alignment) and takes its size
 * rounded up to the granule. The sub-region grows by large-page chunks (the
 * host's arenas), each a whole number of large pages, adjacent to the
 * previous one (lowest fit, no guard pages). A type does not straddle two
 * chunks: one that does not fit the rest of the current chunk opens the
 * next chunk, and the bytes left in the previous one stay unused. Space is
 * never handed back to the cursor (the set is linked once, at build time);
 * freed types leave holes, and a chunk goes only when its last type goes.
 *
 * Each chunk keeps its allocations in address order (as the packed pools
 * do), so the holes are the free runs between them. After boot
 * (mb_place_seal) the region no longer grows: a type takes the lowest hole
 * of its class that fits, else a kernel-style allocation in the class's
 * normal module area, the upper half of its sub-region. */
#include "core/place_priv.h"

#include "core/util.h"

static const char *const pack_names[MB_NPACKS] = { "none", "page", "cacheline", "section" };

const char *mb_pack_name(enum mb_pack p)
{
	return (unsigned)p < MB_NPACKS ? pack_names[p] : NULL;
}

int mb_pack_parse(const char *s)
{
	for (int i = MB_PACK_PAGE; i < MB_NPACKS; i++)
		if (s && mb_streq(s, pack_names[i]))
			return i;
	return -1;
}

int mb_place_set_pack(struct mb_place *pl, enum mb_pack pack)
{
	if (pl->policy != MB_POLICY_BUILTIN || (unsigned)pack >= MB_NPACKS || pl->nranges != pl->cfg.nboot)
		return -1;
	pl->pack = pack;
	if (pack == MB_PACK_NONE)
		return 0;
	/* the reserved region: the first text window, split into one
	 * large-page-aligned sub-region per class */
	unsigned long lp = pl->cfg.large_page_size, start;
	const struct mb_window *w = &pl->cfg.text[0];
	if (!mb_align_up(w->start, lp, &start) || start > w->last)
		return -1;
	unsigned long part = ((w->last - start) / MB_NPCLASS) & ~(lp - 1);
	if (part == 0)
		return -1;
	static const char *const names[MB_NPCLASS] = { "builtin rx", "builtin r", "builtin rw",
							 "builtin ro_after_init" };
	static const char *const normal_names[MB_NPCLASS] = { "normal rx", "normal r", "normal rw",
								"normal ro_after_init" };
	/* the upper half, large-page aligned; when the sub-region holds a
	 * single large page, the rest of the window above the four
	 * sub-regions (shared by the classes), else the map's windows */
	unsigned long half = (part / 2) & ~(lp - 1), rest = start + (unsigned long)MB_NPCLASS * part;
	for (int c = 0; c < MB_NPCLASS; c++) {
		pl->sub[c].name = names[c];
		pl->sub[c].start = start + (unsigned long)c * part;
		pl->sub[c].last = pl->sub[c].start + (part - 1);
		pl->normal[c].name = half ? normal_names[c] : rest && rest - 1 < w->last ? "normal" : NULL;
		pl->normal[c].start = half ? pl->sub[c].start + half : rest;
		pl->normal[c].last = half ? pl->sub[c].last : w->last;
		pl->cursor[c] = 0;
		pl->bump[c] = NULL;
	}
	pl->sealed = pl->relink = false;
	return 0;
}

int mb_place_seal(struct mb_place *pl)
{
	if (pl->policy != MB_POLICY_BUILTIN || pl->pack == MB_PACK_NONE)
		return -1;
	pl->sealed = true;
	pl->relink = false;
	return 0;
}

int mb_place_compact_begin(struct mb_place *pl)
{
	if (pl->policy != MB_POLICY_BUILTIN || pl->pack == MB_PACK_NONE || pl->nranges != pl->cfg.nboot)
		return -1;
	for (int c = 0; c < MB_NPCLASS; c++) {
		pl->cursor[c] = 0;
		pl->bump[c] = NULL;
	}
	pl->sealed = false;
	pl->relink = true;
	return 0;
}

static unsigned long granule(const struct mb_place *pl)
{
	switch (pl->pack) {
	case MB_PACK_CACHELINE:
		return pl->cfg.cacheline_size ? pl->cfg.cacheline_size : pl->cfg.page_size;
	case MB_PACK_SECTION:
		return 1;
	default:
		return pl->cfg.page_size;
	}
}

/* where a type goes outside the reserved region */
static int normal_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align, struct mb_alloc *a,
			struct mb_place_err *err)
{
	enum mb_pclass pc = mb_pclass_of(type);
	if (pl->normal[pc].name)
		return mb_place_own(pl, &pl->normal[pc], 1, type, size, align, a, err);
	size_t n;
	const struct mb_window *w = mb_place_windows_of(pl, type, &n);
	return mb_place_own(pl, w, n, type, size, align, a, err);
}

static struct mb_alloc *last_in(const struct mb_arena *c)
{
	struct mb_alloc *x = c->first;
	while (x && x->next)
		x = x->next;
	return x;
}

int mb_builtin_pack_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
			  struct mb_alloc *a, struct mb_place_err *err)
{
	unsigned long g = granule(pl), al = align > g ? align : g, rsize, addr = 0;
	enum mb_pclass pc = mb_pclass_of(type);
	if (!mb_place_round_size(pl, size, g, &rsize))
		return mb_place_fail(err, pl, MB_PLACE_TOO_BIG, type, size, al);
	if (pl->relink && mod_mem_type_is_init(type))
		return normal_alloc(pl, type, size, align, a, err);
	if (pl->sealed) {
		/* holes first, lowest address first */
		struct mb_alloc *after = NULL;
		for (struct mb_arena *h = pl->pool[pc]; h; h = h->next_chunk)
			if (mb_chunk_fit(h, rsize, al, &addr, &after)) {
				a->base = addr;
				a->size = rsize;
				a->arena = h;
				a->arena_created = false;
				mb_chunk_link(h, a, after);
				return 0;
			}
		return normal_alloc(pl, type, size, align, a, err);
	}
	struct mb_arena *c = pl->bump[pc];
	bool fits = c && mb_align_up(pl->cursor[pc], al, &addr) && addr >= c->base &&
		    addr - c->base <= c->size && rsize <= c->size - (addr - c->base);
	a->arena_created = !fits;
	if (!fits) {
		c = mb_place_new_chunk(pl, type, &pl->sub[pc], 1, rsize, al, 0, err);
		if (!c)
			return -1;
		addr = c->base;
		pl->bump[pc] = c;
	}
	pl->cursor[pc] = addr + rsize;
	a->base = addr;
	a->size = rsize;
	a->arena = c;
	mb_chunk_link(c, a, last_in(c));
	return 0;
}

bool mb_builtin_pack_free(struct mb_place *pl, struct mb_alloc *a)
{
	if (a->arena == &a->own) { /* the normal module area */
		mb_place_own_free(pl, a);
		return true;
	}
	struct mb_arena *c = a->arena;
	mb_chunk_unlink(c, a);
	if (--c->users)
		return false;
	mb_place_drop_chunk(pl, c);
	if (pl->bump[c->pclass] == c)
		pl->bump[c->pclass] = NULL; /* the next type opens a new chunk */
	return true;
}
