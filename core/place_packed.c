/* MB_POLICY_PACKED: large-page pools per permission class. Each class
 * (text, data, read-only...) has a pool of large-page chunks; a type goes at
 * the first fit inside the class's chunks, and a new chunk is made (lowest
 * fit in the type's windows) when none has room. A chunk goes when its last
 * type goes. The chunk helpers are shared with place_builtin.c. */
#include "core/place_priv.h"

#include "core/util.h"

/* Types whose pages change independently of their neighbours (init memory
 * is freed after init, ro_after_init turns read-only after init) get whole
 * pages inside the pool so the change can be applied to them alone. */
static unsigned long granule_of(const struct mb_place *pl, int type)
{
	if (mod_mem_type_is_init(type) || type == MOD_RO_AFTER_INIT)
		return pl->cfg.page_size;
	return 1;
}

/* First fit inside one chunk; *after gets the allocation to link after. */
bool mb_chunk_fit(const struct mb_arena *c, unsigned long size, unsigned long align,
		      unsigned long *addr, struct mb_alloc **after)
{
	unsigned long cand = c->base, last = c->base + (c->size - 1);
	struct mb_alloc *prev = NULL;
	for (struct mb_alloc *x = c->first;; prev = x, x = x->next) {
		if (!mb_align_up(cand, align, &cand) || cand > last || size - 1 > last - cand)
			return false;
		if (x == NULL || cand + (size - 1) < x->base) {
			*addr = cand;
			*after = prev;
			return true;
		}
		unsigned long x_last = x->base + (x->size - 1);
		if (x_last == ~0UL)
			return false;
		if (x_last >= cand)
			cand = x_last + 1;
	}
}

void mb_chunk_link(struct mb_arena *c, struct mb_alloc *a, struct mb_alloc *after)
{
	a->prev = after;
	a->next = after ? after->next : c->first;
	if (a->next)
		a->next->prev = a;
	if (after)
		after->next = a;
	else
		c->first = a;
	c->users++;
}

struct mb_arena *mb_place_new_chunk(struct mb_place *pl, int type, const struct mb_window *w, size_t n,
				    unsigned long size, unsigned long align, unsigned long guard,
				    struct mb_place_err *err)
{
	struct mb_arena *c = NULL;
	for (size_t i = 0; i < pl->nchunks && !c; i++)
		if (!pl->chunks[i].in_use)
			c = &pl->chunks[i];
	if (!c) {
		mb_place_fail(err, pl, MB_PLACE_NOCHUNK, type, size, align);
		return NULL;
	}
	/* execmem_cache_populate: round_up(size, PMD_SIZE), PMD aligned */
	unsigned long csize, cal = mb_umax(pl->cfg.large_page_size, align);
	if (!mb_place_round_size(pl, size, pl->cfg.large_page_size, &csize)) {
		mb_place_fail(err, pl, MB_PLACE_TOO_BIG, type, size, align);
		return NULL;
	}
	if (!mb_place_reserve_in(pl, w, n, csize, cal, guard, &c->range)) {
		mb_place_fail(err, pl, MB_PLACE_NOSPACE, type, size, align);
		err->windows = w;
		err->nwindows = n;
		return NULL;
	}
	enum mb_pclass pc = mb_pclass_of(type);
	c->base = c->range.base;
	c->size = csize;
	c->pclass = pc;
	c->users = 0;
	c->first = NULL;
	c->in_use = true;
	/* keep the class's chunks in address order: first fit is lowest fit */
	struct mb_arena **pp = &pl->pool[pc];
	while (*pp && (*pp)->base < c->base)
		pp = &(*pp)->next_chunk;
	c->next_chunk = *pp;
	*pp = c;
	return c;
}

void mb_place_drop_chunk(struct mb_place *pl, struct mb_arena *c)
{
	struct mb_arena **pp = &pl->pool[c->pclass];
	while (*pp != c)
		pp = &(*pp)->next_chunk;
	*pp = c->next_chunk;
	c->next_chunk = NULL;
	mb_place_range_remove(pl, &c->range);
	c->in_use = false;
}

int mb_packed_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
		    struct mb_alloc *a, struct mb_place_err *err)
{
	unsigned long g = granule_of(pl, type), al = mb_umax(align, g), rsize;
	if (!mb_place_round_size(pl, size, g, &rsize))
		return mb_place_fail(err, pl, MB_PLACE_TOO_BIG, type, size, al);
	struct mb_arena *c;
	unsigned long addr = 0;
	struct mb_alloc *after = NULL;
	for (c = pl->pool[mb_pclass_of(type)]; c; c = c->next_chunk)
		if (mb_chunk_fit(c, rsize, al, &addr, &after))
			break;
	a->arena_created = c == NULL;
	if (!c) {
		size_t n;
		const struct mb_window *w = mb_place_windows_of(pl, type, &n);
		c = mb_place_new_chunk(pl, type, w, n, rsize, al, pl->cfg.guard_size, err);
		if (!c)
			return -1;
		if (!mb_chunk_fit(c, rsize, al, &addr, &after)) { /* cannot happen: fresh chunk */
			mb_place_drop_chunk(pl, c);
			return mb_place_fail(err, pl, MB_PLACE_NOSPACE, type, size, al);
		}
	}
	a->base = addr;
	a->size = rsize;
	a->arena = c;
	mb_chunk_link(c, a, after);
	return 0;
}

void mb_chunk_unlink(struct mb_arena *c, struct mb_alloc *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		c->first = a->next;
	if (a->next)
		a->next->prev = a->prev;
	a->prev = a->next = NULL;
}

bool mb_packed_free(struct mb_place *pl, struct mb_alloc *a)
{
	struct mb_arena *c = a->arena;
	mb_chunk_unlink(c, a);
	if (--c->users)
		return false;
	mb_place_drop_chunk(pl, c);
	return true;
}
