/* The default index: range starts kept sorted in the caller's slots, and
 * copied into Eytzinger (breadth-first) order for searching. A search is a
 * branch-free descent over a compact array whose top levels stay in cache,
 * instead of pointer chasing through tree nodes scattered over the module
 * records.
 *
 * slots[0 .. cap):       sorted starts (nsorted, removed ones as tombstones
 *                        with node NULL), then nadded unsorted new ones
 * slots[cap .. 2cap+1):  the Eytzinger array, 1-based (slot cap+0 unused);
 *                        also the merge buffer during a rebuild
 * Changes only mark the index dirty; the next search rebuilds it in
 * O(n + k log k), so loading many modules costs one rebuild, not one each. */
#include "core/lookup_tree.h"

static struct mb_slot *eytz(struct mb_lookup *lk) { return lk->slots + lk->cap; }

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
	struct mb_slot *s = &lk->slots[lk->nsorted + lk->nadded++];
	s->key = mb_node_mem(n)->base;
	s->node = n;
	lk->dirty = true;
}

void mb_fast_erase(struct mb_lookup *lk, struct mb_mem_node *n)
{
	unsigned long key = mb_node_mem(n)->base;
	/* binary search of the sorted part (tombstones keep their key) */
	size_t lo = 0, hi = lk->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lk->slots[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < lk->nsorted && lk->slots[i].key == key; i++)
		if (lk->slots[i].node == n) {
			lk->slots[i].node = NULL;
			lk->nfree++;
			lk->dirty = true;
			return;
		}
	/* not sorted yet: it is in the tail; move the tail's last entry here */
	struct mb_slot *tail = lk->slots + lk->nsorted;
	for (size_t i = 0; i < lk->nadded; i++)
		if (tail[i].node == n) {
			tail[i] = tail[--lk->nadded];
			lk->dirty = true;
			return;
		}
}

static void sort_tail(struct mb_slot *a, size_t n)
{
	/* the tail holds the few ranges added since the last search: insertion
	 * sort; a batch load adds many, so fall back to a heap sort */
	if (n <= 32) {
		for (size_t i = 1; i < n; i++) {
			struct mb_slot v = a[i];
			size_t j = i;
			while (j > 0 && a[j - 1].key > v.key) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = v;
		}
		return;
	}
	for (size_t start = n / 2; start-- > 0;) {
		for (size_t root = start;;) {
			size_t child = 2 * root + 1;
			if (child >= n)
				break;
			if (child + 1 < n && a[child + 1].key > a[child].key)
				child++;
			if (a[root].key >= a[child].key)
				break;
			struct mb_slot t = a[root];
			a[root] = a[child];
			a[child] = t;
			root = child;
		}
	}
	for (size_t end = n; end-- > 1;) {
		struct mb_slot t = a[0];
		a[0] = a[end];
		a[end] = t;
		for (size_t root = 0;;) {
			size_t child = 2 * root + 1;
			if (child >= end)
				break;
			if (child + 1 < end && a[child + 1].key > a[child].key)
				child++;
			if (a[root].key >= a[child].key)
				break;
			struct mb_slot s = a[root];
			a[root] = a[child];
			a[child] = s;
			root = child;
		}
	}
}

/* In-order walk of the implicit tree k, filling it from sorted[*i...]. */
static void fill(struct mb_slot *e, size_t n, size_t k, const struct mb_slot *sorted, size_t *i)
{
	while (k <= n) {
		fill(e, n, 2 * k, sorted, i);
		e[k] = sorted[(*i)++];
		k = 2 * k + 1;
	}
}

void mb_fast_rebuild(struct mb_lookup *lk)
{
	struct mb_slot *s = lk->slots, *e = eytz(lk);
	size_t n = 0;
	for (size_t i = 0; i < lk->nsorted; i++)
		if (s[i].node)
			s[n++] = s[i];
	struct mb_slot *tail = s + lk->nsorted;
	sort_tail(tail, lk->nadded);
	/* merge the compacted sorted part and the tail through e[1..] */
	size_t a = 0, b = 0, o = 1;
	while (a < n || b < lk->nadded) {
		if (b == lk->nadded || (a < n && s[a].key < tail[b].key))
			e[o++] = s[a++];
		else
			e[o++] = tail[b++];
	}
	size_t total = o - 1;
	for (size_t i = 0; i < total; i++)
		s[i] = e[i + 1];
	size_t idx = 0;
	fill(e, total, 1, s, &idx);
	lk->nsorted = total;
	lk->nadded = 0;
	lk->nfree = 0;
	lk->dirty = false;
}

struct mb_mem_node *mb_fast_find(struct mb_lookup *lk, unsigned long addr)
{
	if (lk->dirty)
		mb_fast_rebuild(lk);
	const struct mb_slot *e = eytz(lk);
	size_t n = lk->nsorted, k = 1, cand = 0;
	/* the last start <= addr is the only range that can hold addr */
	while (k <= n) {
#if defined(__GNUC__)
		__builtin_prefetch(&e[16 * k]);
#endif
		size_t ge = e[k].key <= addr;
		cand = ge ? k : cand;
		k = 2 * k + ge;
	}
	if (cand == 0)
		return NULL;
	const struct mb_module_mem *m = mb_node_mem(e[cand].node);
	return addr - m->base < m->size ? e[cand].node : NULL;
}
