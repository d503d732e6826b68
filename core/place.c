#include "core/place.h"
#include "core/place_priv.h"

#include "core/fmt.h"
#include "core/util.h"

static const char *const policy_names[MB_NPOLICIES] = { "kernel", "packed", "builtin" };

const char *mb_policy_name(enum mb_policy p)
{
	return (unsigned)p < MB_NPOLICIES ? policy_names[p] : NULL;
}

int mb_policy_parse(const char *s)
{
	for (int i = 0; i < MB_NPOLICIES; i++)
		if (s && mb_streq(s, policy_names[i]))
			return i;
	return -1;
}

enum mb_pclass mb_pclass_of(int t)
{
	switch (t) {
	case MOD_TEXT:
	case MOD_INIT_TEXT:
		return MB_PCLASS_RX;
	case MOD_RODATA:
	case MOD_INIT_RODATA:
		return MB_PCLASS_RO;
	case MOD_RO_AFTER_INIT:
		return MB_PCLASS_RO_AFTER_INIT;
	default:
		return MB_PCLASS_RW;
	}
}

/* ---- the address-sorted range list: lowest fit, as find_vmap_lowest_match ----
 *
 * Besides the list of all ranges, the ranges that have a hole right below
 * them form a second list (the "gap list"). Allocations that climb a window
 * leave no hole between them (the guard page is part of each span), so a
 * search visits the few holes, not the thousands of ranges. */

static unsigned long range_last(const struct mb_range *r)
{
	return r->base + (r->span - 1);
}

static bool hole_below(const struct mb_range *r)
{
	return r->prev ? r->base - range_last(r->prev) > 1 : r->base > 0;
}

static void gap_unlink(struct mb_place *pl, struct mb_range *r)
{
	if (r->gprev)
		r->gprev->gnext = r->gnext;
	else
		pl->gaps = r->gnext;
	if (r->gnext)
		r->gnext->gprev = r->gprev;
	r->gprev = r->gnext = NULL;
}

static void gap_sync(struct mb_place *pl, struct mb_range *r)
{
	bool want = hole_below(r);
	if (want == r->in_gaps)
		return;
	if (want) {
		struct mb_range *after = NULL;
		for (struct mb_range *g = pl->gaps; g && g->base < r->base; g = g->gnext)
			after = g;
		r->gprev = after;
		r->gnext = after ? after->gnext : pl->gaps;
		if (r->gnext)
			r->gnext->gprev = r;
		if (after)
			after->gnext = r;
		else
			pl->gaps = r;
	} else {
		gap_unlink(pl, r);
	}
	r->in_gaps = want;
}

/* Lowest aligned address a in [lo, hi] with [a, a + span - 1] inside it. */
static bool fit_in(unsigned long lo, unsigned long hi, unsigned long span, unsigned long align,
		   unsigned long *addr)
{
	unsigned long cand;
	if (lo > hi || !mb_align_up(lo, align, &cand) || cand > hi || span - 1 > hi - cand)
		return false;
	*addr = cand;
	return true;
}

/* Lowest address in w, aligned to align, with [a, a + span - 1] clear of
 * every range. On success *before gets the range that will follow it (NULL:
 * it becomes the highest). */
static bool lowest_fit(const struct mb_place *pl, const struct mb_window *w, unsigned long span,
		       unsigned long align, unsigned long *addr, struct mb_range **before)
{
	if (span == 0)
		return false;
	for (struct mb_range *g = pl->gaps; g; g = g->gnext) {
		unsigned long lo = g->prev ? range_last(g->prev) + 1 : 0, hi = g->base - 1;
		if (lo > w->last)
			return false; /* holes are in address order: none further can be in w */
		if (fit_in(lo > w->start ? lo : w->start, hi < w->last ? hi : w->last, span, align, addr)) {
			*before = g;
			return true;
		}
	}
	/* above the highest range */
	unsigned long lo = 0;
	if (pl->last) {
		if (range_last(pl->last) == ~0UL)
			return false;
		lo = range_last(pl->last) + 1;
	}
	if (!fit_in(lo > w->start ? lo : w->start, w->last, span, align, addr))
		return false;
	*before = NULL;
	return true;
}

static void range_insert(struct mb_place *pl, struct mb_range *r, struct mb_range *before)
{
	r->next = before;
	r->prev = before ? before->prev : pl->last;
	if (before)
		before->prev = r;
	else
		pl->last = r;
	if (r->prev)
		r->prev->next = r;
	else
		pl->ranges = r;
	pl->nranges++;
	r->in_gaps = false;
	r->gprev = r->gnext = NULL;
	gap_sync(pl, r);
	if (r->next)
		gap_sync(pl, r->next);
}

void mb_place_range_remove(struct mb_place *pl, struct mb_range *r)
{
	if (r->in_gaps) {
		/* force the unlink: hole_below(r) may still be true */
		gap_unlink(pl, r);
		r->in_gaps = false;
	}
	struct mb_range *next = r->next;
	if (r->prev)
		r->prev->next = r->next;
	else
		pl->ranges = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		pl->last = r->prev;
	r->prev = r->next = NULL;
	pl->nranges--;
	if (next)
		gap_sync(pl, next);
}

static const struct mb_window *windows_of_class(const struct mb_place *pl, enum mb_wclass wc, size_t *n)
{
	if (wc == MB_WIN_TEXT) {
		*n = pl->cfg.ntext;
		return pl->cfg.text;
	}
	*n = pl->cfg.ndata;
	return pl->cfg.data;
}

/* The rule set says which window a type uses (execmem: text types the
 * text range, data types the data range; before it, init data too came
 * from module_alloc()). */
const struct mb_window *mb_place_windows_of(const struct mb_place *pl, int type, size_t *n)
{
	return windows_of_class(pl, mb_kver_type_window(pl->kver, type), n);
}

/* Rounds a size up to a; false if the result is not a size the target's
 * unsigned long can hold (cfg.addr_last), as the rounding wraps there. */
bool mb_place_round_size(const struct mb_place *pl, unsigned long size, unsigned long a, unsigned long *out)
{
	return mb_align_up(size, a, out) && *out <= pl->cfg.addr_last;
}

/* Reserves size bytes (+ guard) at align in windows w[0..n), primary
 * first, as execmem_alloc's retry on the fallback range. */
bool mb_place_reserve_in(struct mb_place *pl, const struct mb_window *w, size_t n, unsigned long size,
		       unsigned long align, unsigned long guard, struct mb_range *r)
{
	unsigned long span = size + guard;
	if (span < size)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned long addr;
		struct mb_range *before;
		if (lowest_fit(pl, &w[i], span, align, &addr, &before)) {
			r->base = addr;
			r->span = span;
			range_insert(pl, r, before);
			return true;
		}
	}
	return false;
}

int mb_place_fail(struct mb_place_err *err, const struct mb_place *pl, enum mb_place_status st,
		int type, unsigned long size, unsigned long align)
{
	err->status = st;
	err->type = type;
	err->size = size;
	err->align = align;
	err->windows = NULL;
	err->nwindows = 0;
	if (pl && type >= 0 && type < MOD_MEM_NUM_TYPES)
		err->windows = mb_place_windows_of(pl, type, &err->nwindows);
	return -1;
}

static void copy_window(struct mb_window *d, const struct mb_window *s)
{
	d->name = s->name;
	d->start = s->start;
	d->last = s->last;
}

int mb_place_init(struct mb_place *pl, enum mb_policy policy, const struct mb_place_config *cfg,
		  struct mb_arena *chunks, size_t nchunks, struct mb_place_err *err)
{
	return mb_place_init_kver(pl, policy, cfg, NULL, chunks, nchunks, err);
}

int mb_place_init_kver(struct mb_place *pl, enum mb_policy policy, const struct mb_place_config *cfg,
		       const struct mb_kver *kver, struct mb_arena *chunks, size_t nchunks,
		       struct mb_place_err *err)
{
	bool ok = mb_is_pow2(cfg->page_size) && mb_is_pow2(cfg->large_page_size) &&
		  cfg->large_page_size >= cfg->page_size && cfg->ntext >= 1 && cfg->ndata >= 1 &&
		  cfg->ntext <= MB_MAX_WINDOWS && cfg->ndata <= MB_MAX_WINDOWS &&
		  cfg->nboot <= MB_MAX_BOOT && (unsigned)policy < MB_NPOLICIES;
	for (size_t i = 0; ok && i < cfg->ntext; i++)
		ok = cfg->text[i].start <= cfg->text[i].last;
	for (size_t i = 0; ok && i < cfg->ndata; i++)
		ok = cfg->data[i].start <= cfg->data[i].last;
	if (!ok)
		return mb_place_fail(err, NULL, MB_PLACE_BAD_CONFIG, MOD_INVALID, 0, 0);
	pl->policy = policy;
	pl->kver = kver ? kver : mb_kver_latest();
	/* field by field: a struct copy would be a memcpy call the
	 * freestanding core has no library for */
	pl->cfg.page_size = cfg->page_size;
	pl->cfg.large_page_size = cfg->large_page_size;
	pl->cfg.guard_size = cfg->guard_size;
	pl->cfg.addr_last = cfg->addr_last ? cfg->addr_last : ~0UL;
	pl->cfg.cacheline_size = cfg->cacheline_size;
	pl->pack = MB_PACK_NONE;
	pl->sealed = pl->relink = false;
	for (int c = 0; c < MB_NPCLASS; c++) {
		pl->cursor[c] = 0;
		pl->bump[c] = NULL;
	}
	pl->cfg.ntext = cfg->ntext;
	pl->cfg.ndata = cfg->ndata;
	for (size_t i = 0; i < cfg->ntext; i++)
		copy_window(&pl->cfg.text[i], &cfg->text[i]);
	for (size_t i = 0; i < cfg->ndata; i++)
		copy_window(&pl->cfg.data[i], &cfg->data[i]);
	pl->ranges = NULL;
	pl->nranges = 0;
	pl->last = NULL;
	pl->gaps = NULL;
	pl->chunks = chunks;
	pl->nchunks = chunks ? nchunks : 0;
	for (size_t i = 0; i < pl->nchunks; i++) {
		chunks[i].in_use = false;
		chunks[i].users = 0;
		chunks[i].first = NULL;
		chunks[i].next_chunk = NULL;
	}
	for (int c = 0; c < MB_NPCLASS; c++)
		pl->pool[c] = NULL;
	/* what the kernel put in the module area at boot, before any module */
	pl->cfg.nboot = cfg->nboot;
	for (size_t i = 0; i < cfg->nboot; i++) {
		unsigned long psize;
		pl->cfg.boot_size[i] = cfg->boot_size[i];
		pl->cfg.boot_name[i] = cfg->boot_name[i];
		if (!mb_place_round_size(pl, cfg->boot_size[i], pl->cfg.page_size, &psize) || psize == 0 ||
		    !mb_place_reserve_in(pl, pl->cfg.text, pl->cfg.ntext, psize, pl->cfg.page_size, pl->cfg.guard_size,
				&pl->boot[i]))
			return mb_place_fail(err, NULL, MB_PLACE_BAD_CONFIG, MOD_INVALID, cfg->boot_size[i], 0);
	}
	return 0;
}

/* ---- MB_POLICY_KERNEL: one vmalloc area per type ---- */

/* One own allocation of PAGE_ALIGN(size) + guard, lowest fit in w[0..n):
 * the kernel policy's, and builtin's normal module area after boot. */
int mb_place_own(struct mb_place *pl, const struct mb_window *w, size_t n, int type, unsigned long size,
		 unsigned long align, struct mb_alloc *a, struct mb_place_err *err)
{
	unsigned long psize;
	/* execmem aligns to MODULE_ALIGN (a page); a section asking for more
	 * is honoured rather than silently misplaced */
	unsigned long al = mb_umax(pl->cfg.page_size, align);
	if (!mb_place_round_size(pl, size, pl->cfg.page_size, &psize))
		return mb_place_fail(err, pl, MB_PLACE_TOO_BIG, type, size, al);
	if (!mb_place_reserve_in(pl, w, n, psize, al, pl->cfg.guard_size, &a->own.range)) {
		mb_place_fail(err, pl, MB_PLACE_NOSPACE, type, size, al);
		err->windows = w;
		err->nwindows = n;
		return -1;
	}
	a->own.base = a->own.range.base;
	a->own.size = psize;
	a->own.pclass = mb_pclass_of(type);
	a->own.users = 1;
	a->own.first = a;
	a->own.next_chunk = NULL;
	a->own.in_use = true;
	a->base = a->own.base;
	a->size = psize;
	a->arena = &a->own;
	a->arena_created = true;
	return 0;
}

void mb_place_own_free(struct mb_place *pl, struct mb_alloc *a)
{
	mb_place_range_remove(pl, &a->own.range);
	a->own.in_use = false;
	a->own.users = 0;
}

static int kernel_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
			struct mb_alloc *a, struct mb_place_err *err)
{
	size_t n;
	const struct mb_window *w = mb_place_windows_of(pl, type, &n);
	return mb_place_own(pl, w, n, type, size, align, a, err);
}

/* ---- blocks: several types in one allocation ---- */

/* Places one block of total bytes (+ guard) at page alignment in windows
 * w[0..n); type t (sz[t] != 0) gets base + off[t] and sz[t] bytes. The
 * first present type's alloc holds the block's arena; the block goes when
 * its last type is freed. */
static int place_block(struct mb_place *pl, const struct mb_window *w, size_t n, unsigned long total,
		       unsigned long guard, const unsigned long *off, const unsigned long *sz,
		       struct mb_alloc *allocs[], struct mb_place_err *err)
{
	struct mb_alloc *owner = NULL;
	int owner_type = MOD_INVALID;
	for (int t = 0; t < MOD_MEM_NUM_TYPES && !owner; t++)
		if (sz[t]) {
			owner = allocs[t];
			owner_type = t;
		}
	if (!owner)
		return 0;
	if (!mb_place_reserve_in(pl, w, n, total, pl->cfg.page_size, guard, &owner->own.range)) {
		err->status = MB_PLACE_NOSPACE;
		err->type = owner_type;
		err->size = total;
		err->align = pl->cfg.page_size;
		err->windows = w;
		err->nwindows = n;
		return -1;
	}
	struct mb_arena *ar = &owner->own;
	ar->base = ar->range.base;
	ar->size = total;
	ar->pclass = mb_pclass_of(owner_type);
	ar->users = 0;
	ar->first = NULL;
	ar->next_chunk = NULL;
	ar->in_use = true;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!sz[t])
			continue;
		struct mb_alloc *a = allocs[t];
		a->base = ar->base + off[t];
		a->size = sz[t];
		a->type = t;
		a->arena = ar;
		a->arena_created = a == owner;
		a->arena_released = false;
		a->live = true;
		a->in_block = true;
		ar->users++;
	}
	return 0;
}

static bool block_free(struct mb_place *pl, struct mb_alloc *a)
{
	struct mb_arena *ar = a->arena;
	if (--ar->users)
		return false;
	mb_place_range_remove(pl, &ar->range);
	ar->in_use = false;
	return true;
}

/* MB_POLICY_BUILTIN: one block per module in the text windows, its types
 * back to back in type order, each page-rounded, no guard pages. */
static int builtin_block(struct mb_place *pl, const unsigned long *sizes, struct mb_alloc *allocs[],
			 struct mb_place_err *err)
{
	unsigned long total = 0, psize[MOD_MEM_NUM_TYPES], off[MOD_MEM_NUM_TYPES];
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		psize[t] = off[t] = 0;
		if (!sizes[t])
			continue;
		if (!mb_place_round_size(pl, sizes[t], pl->cfg.page_size, &psize[t]) || psize[t] > pl->cfg.addr_last - total)
			return mb_place_fail(err, pl, MB_PLACE_TOO_BIG, t, sizes[t], pl->cfg.page_size);
		off[t] = total;
		total += psize[t];
	}
	/* the block lives where built-in code lives: the text windows */
	return place_block(pl, pl->cfg.text, pl->cfg.ntext, total, 0, off, psize, allocs, err);
}

/* MB_POLICY_KERNEL under the block shape: module_alloc()/vzalloc() of each
 * module_layout, core first, then init, then data (move_module). */
static int kernel_blocks(struct mb_place *pl, const struct mb_layout *lay, struct mb_alloc allocs[],
			 struct mb_place_err *err)
{
	for (int b = 0; b < MB_NBLOCKS; b++) {
		unsigned long off[MOD_MEM_NUM_TYPES], sz[MOD_MEM_NUM_TYPES], psize;
		struct mb_alloc *ptrs[MOD_MEM_NUM_TYPES];
		int first = MOD_INVALID;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			bool mine = lay->block[t] == b;
			off[t] = mine ? lay->start[t] : 0;
			sz[t] = mine ? lay->extent[t] : 0;
			ptrs[t] = &allocs[t];
			if (sz[t] && first == MOD_INVALID)
				first = t;
		}
		if (!lay->block_size[b] || first == MOD_INVALID)
			continue;
		if (!mb_place_round_size(pl, lay->block_size[b], pl->cfg.page_size, &psize))
			return mb_place_fail(err, pl, MB_PLACE_TOO_BIG, first, lay->block_size[b], pl->cfg.page_size);
		size_t n;
		const struct mb_window *w = windows_of_class(pl, pl->kver->block_window[b], &n);
		/* the arena is what vmalloc maps: the whole page-rounded block */
		if (place_block(pl, w, n, psize, pl->cfg.guard_size, off, sz, ptrs, err) != 0) {
			err->size = lay->block_size[b];
			return -1;
		}
	}
	return 0;
}

/* ---- the policy-neutral entry points ---- */

int mb_place_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
		   struct mb_alloc *a, struct mb_place_err *err)
{
	if (type < 0 || type >= MOD_MEM_NUM_TYPES || size == 0 || (align && !mb_is_pow2(align)))
		return mb_place_fail(err, pl, MB_PLACE_BAD_CONFIG, type, size, align);
	if (align == 0)
		align = 1;
	a->live = false;
	a->in_block = false;
	a->arena_released = false;
	a->type = type;
	if (pl->policy == MB_POLICY_BUILTIN && pl->pack != MB_PACK_NONE) {
		int rc = mb_builtin_pack_alloc(pl, type, size, align, a, err);
		a->live = rc == 0;
		return rc;
	}
	if (pl->policy == MB_POLICY_BUILTIN) {
		unsigned long sizes[MOD_MEM_NUM_TYPES] = { 0 };
		struct mb_alloc *allocs[MOD_MEM_NUM_TYPES] = { NULL };
		sizes[type] = size;
		allocs[type] = a;
		return builtin_block(pl, sizes, allocs, err);
	}
	int rc = pl->policy == MB_POLICY_KERNEL ? kernel_alloc(pl, type, size, align, a, err)
						: mb_packed_alloc(pl, type, size, align, a, err);
	if (rc == 0)
		a->live = true;
	return rc;
}

bool mb_place_free(struct mb_place *pl, struct mb_alloc *a)
{
	if (!a->live)
		return false;
	a->live = false;
	if (pl->policy == MB_POLICY_BUILTIN && pl->pack != MB_PACK_NONE) {
		a->arena_released = mb_builtin_pack_free(pl, a);
	} else if (a->in_block || pl->policy == MB_POLICY_BUILTIN) {
		a->arena_released = block_free(pl, a);
	} else if (pl->policy == MB_POLICY_KERNEL) {
		mb_place_own_free(pl, a);
		a->arena_released = true;
	} else {
		a->arena_released = mb_packed_free(pl, a);
	}
	return a->arena_released;
}

static void clear(struct mb_alloc *a, int type)
{
	a->base = 0;
	a->size = 0;
	a->type = type;
	a->arena = NULL;
	a->arena_created = false;
	a->arena_released = false;
	a->live = false;
	a->in_block = false;
	a->prev = a->next = NULL;
}

int mb_place_module(struct mb_place *pl, const struct mb_layout *lay,
		    struct mb_alloc allocs[MOD_MEM_NUM_TYPES], struct mb_place_err *err)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		clear(&allocs[t], t);
	if (pl->policy == MB_POLICY_BUILTIN && pl->pack == MB_PACK_NONE) {
		struct mb_alloc *ptrs[MOD_MEM_NUM_TYPES];
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			ptrs[t] = &allocs[t];
		return builtin_block(pl, lay->size, ptrs, err);
	}
	/* the rule set decides the shape (a layout made under the same set
	 * carries the block fields) */
	if (pl->policy == MB_POLICY_KERNEL && pl->kver->shape == MB_SHAPE_BLOCKS) {
		if (kernel_blocks(pl, lay, allocs, err) == 0)
			return 0;
		/* as move_module's error path: free what was allocated */
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (allocs[t].live)
				mb_place_free(pl, &allocs[t]);
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			clear(&allocs[t], t);
		return -1;
	}
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (lay->size[t] == 0)
			continue;
		if (mb_place_alloc(pl, t, lay->size[t], lay->align[t], &allocs[t], err) != 0) {
			/* as move_module's error path: release what was placed, in reverse */
			while (t-- > 0)
				if (allocs[t].live) {
					mb_place_free(pl, &allocs[t]);
					clear(&allocs[t], t);
				}
			return -1;
		}
	}
	return 0;
}

void mb_place_free_module(struct mb_place *pl, struct mb_alloc allocs[MOD_MEM_NUM_TYPES])
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (t != MOD_DATA)
			mb_place_free(pl, &allocs[t]);
	mb_place_free(pl, &allocs[MOD_DATA]);
}

void mb_place_strerror(const struct mb_place_err *err, char *buf, size_t len)
{
	struct mb_fmtbuf b;
	mb_fmt_init(&b, buf, len);
	switch (err->status) {
	case MB_PLACE_OK:
		mb_fmt_str(&b, "no error");
		return;
	case MB_PLACE_BAD_CONFIG:
		mb_fmt_str(&b, "invalid placement request or configuration");
		return;
	case MB_PLACE_NOSPACE:
		mb_fmt_str(&b, "out of module space: no room for ");
		break;
	case MB_PLACE_NOCHUNK:
		mb_fmt_str(&b, "out of pool chunk descriptors: cannot open a chunk for ");
		break;
	case MB_PLACE_TOO_BIG:
		mb_fmt_str(&b, "size overflows the address space: ");
		break;
	}
	mb_fmt_str(&b, mod_mem_type_name(err->type));
	mb_fmt_str(&b, " (");
	mb_fmt_dec(&b, err->size);
	mb_fmt_str(&b, " bytes, align ");
	mb_fmt_hex(&b, err->align);
	mb_fmt_str(&b, ")");
	for (size_t i = 0; i < err->nwindows; i++) {
		mb_fmt_str(&b, i ? ", fallback " : " in ");
		mb_fmt_str(&b, err->windows[i].name ? err->windows[i].name : "window");
		mb_fmt_str(&b, " [");
		mb_fmt_hex(&b, err->windows[i].start);
		mb_fmt_str(&b, "-");
		mb_fmt_hex(&b, err->windows[i].last);
		mb_fmt_str(&b, "]");
	}
}
