/* The default index: range starts kept sorted in the caller's words, and
 * copied into Eytzinger (breadth-first) order for searching. A search is a
 * branch-free descent over a dense array of starts whose top levels stay in
 * cache, instead of pointer chasing through tree nodes scattered over the
 * module records.
 *
 * Words of the caller's storage (cap ranges):
 *   [0, cap)              sorted starts: nsorted (removed ones stay as
 *                         tombstones with node 0), then nadded unsorted
 *   [cap, 2cap)           the node of each of those
 *   [2cap, 3cap+1)        Eytzinger starts, 1-based (also the merge buffer)
 *   [3cap+1, 4cap+2)      Eytzinger nodes
 * Nodes are kept as uintptr_t values in unsigned long words (the same width
 * on every target modbed builds for).
 * Changes only mark the index dirty; the next search rebuilds it in
 * O(n + k log k), so loading many modules costs one rebuild, not one each. */
#include "core/lookup_tree.h"

struct view {
	unsigned long *skey, *snode, *ekey, *enode;
};

static struct view view_of(struct mb_slot *slots, size_t cap)
{
	/* one array of struct mb_slot, addressed through its words */
	struct view v = { &slots[0].w, &slots[cap].w, &slots[2 * cap].w, &slots[3 * cap + 1].w };
	return v;
}

static unsigned long node_word(struct mb_mem_node *n) { return (unsigned long)(uintptr_t)n; }
static struct mb_mem_node *word_node(unsigned long w) { return (struct mb_mem_node *)(uintptr_t)w; }

bool mb_fast_room(struct mb_lookup *lk, size_t n)
{
	if (lk->nsorted + lk->nadded + n <= lk->cap)
		return true;
	if (lk->nnodes + n > lk->cap)
		return false;
	mb_fast_rebuild(lk); /* drops tombstones */
	return true;
}

void mb_fast_insert(struct mb_lookup *lk, struct mb_mem_node *n)
{
	struct view v = view_of(lk->slots, lk->cap);
	size_t i = lk->nsorted + lk->nadded++;
	v.skey[i] = mb_node_mem(n)->base;
	v.snode[i] = node_word(n);
	lk->dirty = true;
}

void mb_fast_erase(struct mb_lookup *lk, struct mb_mem_node *n)
{
	struct view v = view_of(lk->slots, lk->cap);
	unsigned long key = mb_node_mem(n)->base, w = node_word(n);
	/* binary search of the sorted part (tombstones keep their key) */
	size_t lo = 0, hi = lk->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v.skey[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < lk->nsorted && v.skey[i] == key; i++)
		if (v.snode[i] == w) {
			v.snode[i] = 0;
			lk->nfree++;
			lk->dirty = true;
			return;
		}
	/* not sorted yet: it is in the tail; move the tail's last entry here */
	for (size_t i = lk->nsorted; i < lk->nsorted + lk->nadded; i++)
		if (v.snode[i] == w) {
			size_t last = lk->nsorted + --lk->nadded;
			v.skey[i] = v.skey[last];
			v.snode[i] = v.snode[last];
			lk->dirty = true;
			return;
		}
}

static void swap(unsigned long *k, unsigned long *n, size_t a, size_t b)
{
	unsigned long t = k[a];
	k[a] = k[b];
	k[b] = t;
	t = n[a];
	n[a] = n[b];
	n[b] = t;
}

static void sift(unsigned long *k, unsigned long *n, size_t root, size_t end)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= end)
			return;
		if (child + 1 < end && k[child + 1] > k[child])
			child++;
		if (k[root] >= k[child])
			return;
		swap(k, n, root, child);
		root = child;
	}
}

/* The tail holds the ranges added since the last search: a few after one
 * module load (insertion sort), many after a batch (heap sort). */
static void sort_tail(unsigned long *k, unsigned long *n, size_t cnt)
{
	if (cnt <= 32) {
		for (size_t i = 1; i < cnt; i++)
			for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--)
				swap(k, n, j - 1, j);
		return;
	}
	for (size_t start = cnt / 2; start-- > 0;)
		sift(k, n, start, cnt);
	for (size_t end = cnt; end-- > 1;) {
		swap(k, n, 0, end);
		sift(k, n, 0, end);
	}
}

/* In-order walk of the implicit tree rooted at k, filling it from the
 * sorted arrays at *i. */
static void fill(const struct view *v, size_t total, size_t k, size_t *i)
{
	while (k <= total) {
		fill(v, total, 2 * k, i);
		v->ekey[k] = v->skey[*i];
		v->enode[k] = v->snode[*i];
		(*i)++;
		k = 2 * k + 1;
	}
}

void mb_fast_rebuild(struct mb_lookup *lk)
{
	struct view v = view_of(lk->slots, lk->cap);
	size_t n = 0;
	for (size_t i = 0; i < lk->nsorted; i++)
		if (v.snode[i]) {
			v.skey[n] = v.skey[i];
			v.snode[n] = v.snode[i];
			n++;
		}
	size_t t0 = lk->nsorted, nt = lk->nadded;
	sort_tail(v.skey + t0, v.snode + t0, nt);
	/* merge the compacted sorted part and the tail through the search arrays */
	size_t a = 0, b = 0, o = 0;
	while (a < n || b < nt) {
		bool from_a = b == nt || (a < n && v.skey[a] < v.skey[t0 + b]);
		size_t src = from_a ? a++ : t0 + b++;
		v.ekey[o] = v.skey[src];
		v.enode[o] = v.snode[src];
		o++;
	}
	for (size_t i = 0; i < o; i++) {
		v.skey[i] = v.ekey[i];
		v.snode[i] = v.enode[i];
	}
	size_t idx = 0;
	fill(&v, o, 1, &idx);
	lk->nsorted = o;
	lk->nadded = 0;
	lk->nfree = 0;
	lk->dirty = false;
}

void mb_fast_move(struct mb_lookup *lk, struct mb_slot *slots, size_t cap)
{
	struct view from = view_of(lk->slots, lk->cap), to = view_of(slots, cap);
	/* the node array may move within the same storage when only the
	 * capacity changes: copy in the direction that never overwrites a
	 * word not yet copied (keys stay in place then) */
	if (to.skey != from.skey)
		for (size_t i = 0; i < lk->nsorted; i++)
			to.skey[i] = from.skey[i];
	if (to.snode > from.snode)
		for (size_t i = lk->nsorted; i-- > 0;)
			to.snode[i] = from.snode[i];
	else
		for (size_t i = 0; i < lk->nsorted; i++)
			to.snode[i] = from.snode[i];
	lk->slots = slots;
	lk->cap = cap;
	lk->dirty = true;
}

struct mb_mem_node *mb_fast_find(struct mb_lookup *lk, unsigned long addr)
{
	if (lk->dirty)
		mb_fast_rebuild(lk);
	const unsigned long *key = &lk->slots[2 * lk->cap].w;
	size_t n = lk->nsorted, k = 1, cand = 0;
	/* the last start <= addr is the only range that can hold addr */
	while (k <= n) {
#if defined(__GNUC__)
		/* the 8 keys four levels down share a cache line or two */
		__builtin_prefetch(key + 16 * k);
#endif
		size_t ge = key[k] <= addr;
		cand = ge ? k : cand;
		k = 2 * k + ge;
	}
	if (cand == 0)
		return NULL;
	struct mb_mem_node *node = word_node(lk->slots[3 * lk->cap + 1 + cand].w);
	const struct mb_module_mem *m = mb_node_mem(node);
	return addr - m->base < m->size ? node : NULL;
}
