/* The kernel-faithful index: a red-black tree of mod_mem ranges, ordered and
 * searched as kernel/module/tree_lookup.c orders and searches mod_tree:
 *   insert: go left while base(new) < base(parent), else right (__mod_tree_less)
 *   find:   left if addr < base, right if addr >= base + size (mod_tree_comp)
 * The second test is written as addr - base >= size so that a range ending
 * at the top of the address space does not wrap. Rebalancing is the usual
 * red-black insert/delete fix-up (CLRS); the latch's second copy is not
 * modelled since modbed has no concurrent readers. */
#include "core/lookup_tree.h"

static void rotate_left(struct mb_lookup *lk, struct mb_mem_node *x)
{
	struct mb_mem_node *y = x->rb_right;
	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent = x;
	y->rb_parent = x->rb_parent;
	if (!x->rb_parent)
		lk->rb_root = y;
	else if (x == x->rb_parent->rb_left)
		x->rb_parent->rb_left = y;
	else
		x->rb_parent->rb_right = y;
	y->rb_left = x;
	x->rb_parent = y;
}

static void rotate_right(struct mb_lookup *lk, struct mb_mem_node *x)
{
	struct mb_mem_node *y = x->rb_left;
	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent = x;
	y->rb_parent = x->rb_parent;
	if (!x->rb_parent)
		lk->rb_root = y;
	else if (x == x->rb_parent->rb_right)
		x->rb_parent->rb_right = y;
	else
		x->rb_parent->rb_left = y;
	y->rb_right = x;
	x->rb_parent = y;
}

static bool red(const struct mb_mem_node *n) { return n && n->rb_red; }

void mb_rbt_insert(struct mb_lookup *lk, struct mb_mem_node *z)
{
	struct mb_mem_node *parent = NULL, **link = &lk->rb_root;
	unsigned long base = mb_node_mem(z)->base;
	while (*link) {
		parent = *link;
		link = base < mb_node_mem(parent)->base ? &parent->rb_left : &parent->rb_right;
	}
	z->rb_parent = parent;
	z->rb_left = z->rb_right = NULL;
	z->rb_red = true;
	*link = z;

	while (red(z->rb_parent)) {
		struct mb_mem_node *p = z->rb_parent, *g = p->rb_parent;
		if (p == g->rb_left) {
			struct mb_mem_node *u = g->rb_right;
			if (red(u)) {
				p->rb_red = u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				z = p;
				rotate_left(lk, z);
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_right(lk, g);
		} else {
			struct mb_mem_node *u = g->rb_left;
			if (red(u)) {
				p->rb_red = u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				z = p;
				rotate_right(lk, z);
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_left(lk, g);
		}
	}
	lk->rb_root->rb_red = false;
}

/* Puts v where u was (v may be NULL). */
static void transplant(struct mb_lookup *lk, struct mb_mem_node *u, struct mb_mem_node *v)
{
	if (!u->rb_parent)
		lk->rb_root = v;
	else if (u == u->rb_parent->rb_left)
		u->rb_parent->rb_left = v;
	else
		u->rb_parent->rb_right = v;
	if (v)
		v->rb_parent = u->rb_parent;
}

static void erase_fixup(struct mb_lookup *lk, struct mb_mem_node *x, struct mb_mem_node *xp)
{
	while (x != lk->rb_root && !red(x)) {
		if (x == xp->rb_left) {
			struct mb_mem_node *w = xp->rb_right;
			if (red(w)) {
				w->rb_red = false;
				xp->rb_red = true;
				rotate_left(lk, xp);
				w = xp->rb_right;
			}
			if (!red(w->rb_left) && !red(w->rb_right)) {
				w->rb_red = true;
				x = xp;
				xp = x->rb_parent;
				continue;
			}
			if (!red(w->rb_right)) {
				w->rb_left->rb_red = false;
				w->rb_red = true;
				rotate_right(lk, w);
				w = xp->rb_right;
			}
			w->rb_red = xp->rb_red;
			xp->rb_red = false;
			if (w->rb_right)
				w->rb_right->rb_red = false;
			rotate_left(lk, xp);
			x = lk->rb_root;
		} else {
			struct mb_mem_node *w = xp->rb_left;
			if (red(w)) {
				w->rb_red = false;
				xp->rb_red = true;
				rotate_right(lk, xp);
				w = xp->rb_left;
			}
			if (!red(w->rb_left) && !red(w->rb_right)) {
				w->rb_red = true;
				x = xp;
				xp = x->rb_parent;
				continue;
			}
			if (!red(w->rb_left)) {
				w->rb_right->rb_red = false;
				w->rb_red = true;
				rotate_left(lk, w);
				w = xp->rb_left;
			}
			w->rb_red = xp->rb_red;
			xp->rb_red = false;
			if (w->rb_left)
				w->rb_left->rb_red = false;
			rotate_right(lk, xp);
			x = lk->rb_root;
		}
	}
	if (x)
		x->rb_red = false;
}

void mb_rbt_erase(struct mb_lookup *lk, struct mb_mem_node *z)
{
	struct mb_mem_node *x, *xp;
	bool removed_red = z->rb_red;
	if (!z->rb_left) {
		x = z->rb_right;
		xp = z->rb_parent;
		transplant(lk, z, x);
	} else if (!z->rb_right) {
		x = z->rb_left;
		xp = z->rb_parent;
		transplant(lk, z, x);
	} else {
		struct mb_mem_node *y = z->rb_right;
		while (y->rb_left)
			y = y->rb_left;
		removed_red = y->rb_red;
		x = y->rb_right;
		if (y->rb_parent == z) {
			xp = y;
		} else {
			xp = y->rb_parent;
			transplant(lk, y, x);
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent = y;
		}
		transplant(lk, z, y);
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent = y;
		y->rb_red = z->rb_red;
	}
	if (!removed_red)
		erase_fixup(lk, x, xp);
	z->rb_parent = z->rb_left = z->rb_right = NULL;
}

struct mb_mem_node *mb_rbt_find(const struct mb_lookup *lk, unsigned long addr)
{
	struct mb_mem_node *n = lk->rb_root;
	while (n) {
		const struct mb_module_mem *m = mb_node_mem(n);
		if (addr < m->base)
			n = n->rb_left;
		else if (addr - m->base >= m->size)
			n = n->rb_right;
		else
			return n;
	}
	return NULL;
}
