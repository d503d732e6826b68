#include "core/lookup.h"

#include "core/fmt.h"
#include "core/lookup_tree.h"
#include "core/util.h"

static const char *const bounds_names[MB_NBOUNDS] = { "kernel", "split", "pertype" };
static const char *const tree_names[MB_NTREES] = { "fast", "rbtree" };

const char *mb_bounds_name(enum mb_bounds b)
{
	return (unsigned)b < MB_NBOUNDS ? bounds_names[b] : NULL;
}

const char *mb_tree_name(enum mb_tree_kind t)
{
	return (unsigned)t < MB_NTREES ? tree_names[t] : NULL;
}

int mb_bounds_parse(const char *s)
{
	for (int i = 0; i < MB_NBOUNDS; i++)
		if (s && mb_streq(s, bounds_names[i]))
			return i;
	return -1;
}

int mb_tree_parse(const char *s)
{
	for (int i = 0; i < MB_NTREES; i++)
		if (s && mb_streq(s, tree_names[i]))
			return i;
	return -1;
}

/* ---- bounds ---- */

static void pairs_empty(struct mb_lookup *lk)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		lk->pair[t].min = ~0UL;
		lk->pair[t].last = 0;
	}
}

/* Which exact pair a type widens: SPLIT has text [0] and data [1]. */
static int pair_of(const struct mb_lookup *lk, int t)
{
	if (lk->bounds == MB_BOUNDS_PERTYPE)
		return t;
	return mod_mem_type_is_text(t) ? 0 : 1;
}

static void widen(struct mb_bound *b, unsigned long base, unsigned long last)
{
	if (base < b->min)
		b->min = base;
	if (last > b->last)
		b->last = last;
}

/* __mod_update_bounds(), one type. */
static void update_bounds(struct mb_lookup *lk, unsigned long base, unsigned long size, int t)
{
	unsigned long last = base + (size - 1);
	if (lk->bounds != MB_BOUNDS_KERNEL) {
		widen(&lk->pair[pair_of(lk, t)], base, last);
		return;
	}
	/* the kernel's exclusive end, saturated instead of wrapping to 0 */
	unsigned long end = last == ~0UL ? ~0UL : last + 1;
	if (lk->data_in_vmalloc && mod_mem_type_is_core_data(t)) {
		if (base < lk->data_addr_min)
			lk->data_addr_min = base;
		if (end > lk->data_addr_max)
			lk->data_addr_max = end;
	} else {
		if (base < lk->addr_min)
			lk->addr_min = base;
		if (end > lk->addr_max)
			lk->addr_max = end;
	}
}

/* SPLIT and PERTYPE are exact: recompute from what is still inserted. */
static void recompute_bounds(struct mb_lookup *lk)
{
	if (lk->bounds == MB_BOUNDS_KERNEL)
		return; /* upstream never shrinks */
	pairs_empty(lk);
	for (struct mb_module *m = lk->modules; m; m = m->lk_next)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (m->mem[t].size)
				update_bounds(lk, m->mem[t].base, m->mem[t].size, t);
}

/* Which tree a kernel-bounds lookup searches: 0 the text tree (mod_tree),
 * 1 the data tree (or, with one tree, the data pair sends it to mod_tree
 * too), -1 a fast reject. The kernel compares with <= against an
 * exclusive max. */
static int kernel_tree_of(const struct mb_lookup *lk, unsigned long addr)
{
	if (addr >= lk->addr_min && addr <= lk->addr_max)
		return 0;
	if (lk->data_in_vmalloc && addr >= lk->data_addr_min && addr <= lk->data_addr_max)
		return 1;
	return -1;
}

bool mb_lookup_in_bounds(const struct mb_lookup *lk, unsigned long addr)
{
	switch (lk->bounds) {
	case MB_BOUNDS_KERNEL:
		return kernel_tree_of(lk, addr) >= 0;
	case MB_BOUNDS_SPLIT:
		return (addr >= lk->pair[0].min && addr <= lk->pair[0].last) ||
		       (addr >= lk->pair[1].min && addr <= lk->pair[1].last);
	default:
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (addr >= lk->pair[t].min && addr <= lk->pair[t].last)
				return true;
		return false;
	}
}

/* ---- setup ---- */

void mb_lookup_init(struct mb_lookup *lk, enum mb_bounds bounds, enum mb_tree_kind tree,
		    bool data_in_vmalloc, struct mb_slot *slots, size_t nslots)
{
	mb_lookup_init_kver(lk, bounds, tree, data_in_vmalloc, NULL, slots, nslots);
}

void mb_lookup_init_kver(struct mb_lookup *lk, enum mb_bounds bounds, enum mb_tree_kind tree,
			 bool data_in_vmalloc, const struct mb_kver *kver, struct mb_slot *slots,
			 size_t nslots)
{
	lk->bounds = bounds;
	lk->tree = tree;
	lk->data_in_vmalloc = data_in_vmalloc;
	lk->kver = kver ? kver : mb_kver_latest();
	lk->addr_min = ~0UL;   /* mod_tree's initialiser */
	lk->addr_max = 0;
	/* mod_data_tree's { .addr_min = -1UL } (5.18-6.3); since v6.4
	 * data_addr_min is not initialised, so 0 */
	lk->data_addr_min = lk->kver->data_min_initialised ? ~0UL : 0;
	lk->data_addr_max = 0;
	pairs_empty(lk);
	mb_lookup_reset_stats(lk);
	lk->modules = NULL;
	lk->nnodes = 0;
	lk->rb_root = NULL;
	lk->slots = slots;
	lk->cap = slots && nslots >= 2 ? (nslots - 2) / 4 : 0;
	lk->nsorted = lk->nfree = lk->nadded = 0;
	lk->dirty = false;
}

int mb_lookup_set_slots(struct mb_lookup *lk, struct mb_slot *slots, size_t nslots)
{
	size_t cap = slots && nslots >= 2 ? (nslots - 2) / 4 : 0;
	if (lk->tree != MB_TREE_FAST) {
		lk->slots = slots;
		lk->cap = cap;
		return 0;
	}
	if (cap < lk->nnodes)
		return -1;
	mb_fast_rebuild(lk); /* compacts into the sorted prefix */
	mb_fast_move(lk, slots, cap);
	mb_fast_rebuild(lk); /* the Eytzinger copy in the new storage */
	return 0;
}

void mb_lookup_reset_stats(struct mb_lookup *lk)
{
	lk->stats.lookups = lk->stats.fast_rejects = 0;
	lk->stats.tree_searches = lk->stats.tree_misses = 0;
}

/* ---- insert / remove ---- */

static bool overlaps(const struct mb_module_mem *a, const struct mb_module_mem *b)
{
	/* both non-empty and non-wrapping: [a.base, a.last] meets [b.base, b.last] */
	return a->base - b->base < b->size || b->base - a->base < a->size;
}

static int fail(struct mb_lookup_err *err, enum mb_lookup_status st, const struct mb_module *mod, int t,
		const struct mb_module *other, int ot)
{
	err->status = st;
	err->mod = mod;
	err->type = t;
	err->other = other;
	err->other_type = ot;
	return -1;
}

/* Whether any range of mod (none wrapping) meets a range of an inserted
 * module. One pass over the inserted ranges, each first tested against the
 * span of mod's ranges, which most lie outside: loading a tree of a
 * thousand modules costs one test per range, not one per pair of types. */
static bool meets_inserted(const struct mb_lookup *lk, const struct mb_module *mod)
{
	unsigned long lo = ~0UL, hi = 0;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		const struct mb_module_mem *m = &mod->mem[t];
		if (!m->size)
			continue;
		lo = m->base < lo ? m->base : lo;
		hi = m->base + (m->size - 1) > hi ? m->base + (m->size - 1) : hi;
	}
	for (const struct mb_module *o = lk->modules; o; o = o->lk_next)
		for (int u = 0; u < MOD_MEM_NUM_TYPES; u++) {
			const struct mb_module_mem *r = &o->mem[u];
			if (!r->size || r->base > hi || r->base + (r->size - 1) < lo)
				continue;
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
				if (mod->mem[t].size && overlaps(&mod->mem[t], r))
					return true;
		}
	return false;
}

int mb_lookup_insert(struct mb_lookup *lk, struct mb_module *mod, struct mb_lookup_err *err)
{
	if (mod->lk_inserted)
		return fail(err, MB_LOOKUP_STATE, mod, MOD_INVALID, NULL, MOD_INVALID);
	/* The full walk below names the first problem (by mod's type, then
	 * module, then type); without any it need not visit other modules. */
	bool wraps = false;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		wraps |= mod->mem[t].size && mod->mem[t].size - 1 > ~0UL - mod->mem[t].base;
	bool walk = wraps || meets_inserted(lk, mod);
	size_t n = 0;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		const struct mb_module_mem *m = &mod->mem[t];
		if (!m->size)
			continue;
		n++;
		if (m->size - 1 > ~0UL - m->base)
			return fail(err, MB_LOOKUP_WRAP, mod, t, NULL, MOD_INVALID);
		for (int u = 0; u < t; u++)
			if (mod->mem[u].size && overlaps(m, &mod->mem[u]))
				return fail(err, MB_LOOKUP_OVERLAP, mod, t, mod, u);
		for (const struct mb_module *o = walk ? lk->modules : NULL; o; o = o->lk_next)
			for (int u = 0; u < MOD_MEM_NUM_TYPES; u++)
				if (o->mem[u].size && overlaps(m, &o->mem[u]))
					return fail(err, MB_LOOKUP_OVERLAP, mod, t, o, u);
	}
	if (lk->tree == MB_TREE_FAST && !mb_fast_room(lk, n))
		return fail(err, MB_LOOKUP_FULL, mod, MOD_INVALID, NULL, MOD_INVALID);

	/* mod_update_bounds() comes before mod_tree_insert() upstream */
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (mod->mem[t].size)
			update_bounds(lk, mod->mem[t].base, mod->mem[t].size, t);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		struct mb_mem_node *node = &mod->mem[t].node;
		node->mod = mod;
		node->type = t;
		node->linked = false;
		if (!mod->mem[t].size)
			continue;
		if (lk->tree == MB_TREE_FAST)
			mb_fast_insert(lk, node);
		else
			mb_rbt_insert(lk, node);
		node->linked = true;
		lk->nnodes++;
	}
	mod->lk_prev = NULL;
	mod->lk_next = lk->modules;
	if (lk->modules)
		lk->modules->lk_prev = mod;
	lk->modules = mod;
	mod->lk_inserted = true;
	return 0;
}

static void unlink_node(struct mb_lookup *lk, struct mb_mem_node *node)
{
	if (!node->linked)
		return;
	if (lk->tree == MB_TREE_FAST)
		mb_fast_erase(lk, node);
	else
		mb_rbt_erase(lk, node);
	node->linked = false;
	lk->nnodes--;
}

void mb_lookup_remove(struct mb_lookup *lk, struct mb_module *mod)
{
	if (!mod->lk_inserted)
		return;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		unlink_node(lk, &mod->mem[t].node);
	if (mod->lk_prev)
		mod->lk_prev->lk_next = mod->lk_next;
	else
		lk->modules = mod->lk_next;
	if (mod->lk_next)
		mod->lk_next->lk_prev = mod->lk_prev;
	mod->lk_prev = mod->lk_next = NULL;
	mod->lk_inserted = false;
	recompute_bounds(lk);
}

void mb_lookup_remove_init(struct mb_lookup *lk, struct mb_module *mod)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!mod_mem_type_is_init(t))
			continue;
		if (mod->lk_inserted)
			unlink_node(lk, &mod->mem[t].node);
		mod->mem[t].base = 0;
		mod->mem[t].size = 0;
	}
	if (mod->lk_inserted)
		recompute_bounds(lk);
}

/* ---- lookups ---- */

struct mb_module *mb_module_address(struct mb_lookup *lk, unsigned long addr, int *type)
{
	lk->stats.lookups++;
	int which = lk->bounds == MB_BOUNDS_KERNEL ? kernel_tree_of(lk, addr) : mb_lookup_in_bounds(lk, addr) ? 0 : -1;
	if (which < 0) {
		lk->stats.fast_rejects++;
		return NULL;
	}
	lk->stats.tree_searches++;
	struct mb_mem_node *n = lk->tree == MB_TREE_FAST ? mb_fast_find(lk, addr) : mb_rbt_find(lk, addr);
	/* two trees (before v6.4): one index holds both, so a range of the
	 * other tree is what that tree's search would have found: nothing */
	if (n && lk->bounds == MB_BOUNDS_KERNEL && lk->kver->data_tree && lk->data_in_vmalloc &&
	    mod_mem_type_is_core_data(n->type) != (which == 1))
		n = NULL;
	if (!n) {
		lk->stats.tree_misses++;
		return NULL;
	}
	if (n->mod->state == MB_MODULE_UNFORMED)
		return NULL;
	if (type)
		*type = n->type;
	return n->mod;
}

struct mb_module *mb_module_text_address(struct mb_lookup *lk, unsigned long addr)
{
	int t;
	struct mb_module *m = mb_module_address(lk, addr, &t);
	return m && mod_mem_type_is_text(t) ? m : NULL;
}

bool mb_is_module_address(struct mb_lookup *lk, unsigned long addr)
{
	return mb_module_address(lk, addr, NULL) != NULL;
}

bool mb_is_module_text_address(struct mb_lookup *lk, unsigned long addr)
{
	return mb_module_text_address(lk, addr) != NULL;
}

bool mb_within_module_mem_type(unsigned long addr, const struct mb_module *mod, int type)
{
	return addr - mod->mem[type].base < mod->mem[type].size;
}

bool mb_within_module_core(unsigned long addr, const struct mb_module *mod)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (mod_mem_type_is_core(t) && mb_within_module_mem_type(addr, mod, t))
			return true;
	return false;
}

bool mb_within_module_init(unsigned long addr, const struct mb_module *mod)
{
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		if (mod_mem_type_is_init(t) && mb_within_module_mem_type(addr, mod, t))
			return true;
	return false;
}

bool mb_within_module(unsigned long addr, const struct mb_module *mod)
{
	return mb_within_module_core(addr, mod) || mb_within_module_init(addr, mod);
}

void mb_lookup_strerror(const struct mb_lookup_err *err, char *buf, size_t len)
{
	struct mb_fmtbuf b;
	mb_fmt_init(&b, buf, len);
	const char *name = err->mod && err->mod->name ? err->mod->name : "module";
	mb_fmt_str(&b, name);
	mb_fmt_str(&b, ": ");
	switch (err->status) {
	case MB_LOOKUP_OK:
		mb_fmt_str(&b, "no error");
		return;
	case MB_LOOKUP_STATE:
		mb_fmt_str(&b, "already in the lookup tree");
		return;
	case MB_LOOKUP_FULL:
		mb_fmt_str(&b, "lookup slots full");
		return;
	case MB_LOOKUP_WRAP:
	case MB_LOOKUP_OVERLAP:
		break;
	}
	const struct mb_module_mem *m = &err->mod->mem[err->type];
	mb_fmt_str(&b, mod_mem_type_name(err->type));
	mb_fmt_str(&b, " [");
	mb_fmt_hex(&b, m->base);
	mb_fmt_str(&b, " +");
	mb_fmt_hex(&b, m->size);
	mb_fmt_str(&b, "]");
	if (err->status == MB_LOOKUP_WRAP) {
		mb_fmt_str(&b, " wraps past the top of the address space");
		return;
	}
	const struct mb_module_mem *o = &err->other->mem[err->other_type];
	mb_fmt_str(&b, " overlaps ");
	mb_fmt_str(&b, err->other->name ? err->other->name : "module");
	mb_fmt_str(&b, " ");
	mb_fmt_str(&b, mod_mem_type_name(err->other_type));
	mb_fmt_str(&b, " [");
	mb_fmt_hex(&b, o->base);
	mb_fmt_str(&b, " +");
	mb_fmt_hex(&b, o->size);
	mb_fmt_str(&b, "]");
}
