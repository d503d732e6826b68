/* The guest heap: first fit over the scratch heap range, bookkeeping on the
 * host so a guest scribble cannot corrupt the allocator. */
#include "harness/machine/heap.h"

#include <stdlib.h>
#include <string.h>

/* Keeps the list as it was before the first change of a journalled call;
 * -1 when it cannot (the caller then gives up the call's fast path). */
/* *dst (capacity *cap) becomes a copy of n blocks of src, grown if needed. */
static int copy_blocks(struct mb_heap_block **dst, size_t *cap,
		       const struct mb_heap_block *src, size_t n)
{
	if (n > *cap) {
		struct mb_heap_block *g = realloc(*dst, n * sizeof(*g));
		if (!g)
			return -1;
		*dst = g;
		*cap = n;
	}
	if (n)
		memcpy(*dst, src, n * sizeof(*src));
	return 0;
}

static int journal(struct mb_heap *h)
{
	if (!h->journal || h->saved)
		return 0;
	if (copy_blocks(&h->sblocks, &h->scap, h->blocks, h->n) != 0)
		return -1;
	h->sn = h->n;
	h->saved = true;
	return 0;
}

void mb_heap_journal_begin(struct mb_heap *h)
{
	h->journal = true;
	h->saved = false;
}

void mb_heap_journal_end(struct mb_heap *h)
{
	h->journal = false;
	h->saved = false;
}

int mb_heap_rollback(struct mb_heap *h)
{
	if (!h->saved)
		return 0;
	if (copy_blocks(&h->blocks, &h->cap, h->sblocks, h->sn) != 0)
		return -1;
	h->n = h->sn;
	h->saved = false;
	return 0;
}

int mb_heap_alloc(struct mb_heap *h, uint64_t size, uint64_t align, uint64_t *addr)
{
	*addr = 0;
	if (journal(h) != 0)
		return -1;
	if (size == 0)
		size = 1;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct mb_heap_block *n = realloc(h->blocks, cap * sizeof(*n));
		if (!n)
			return -1;
		h->blocks = n;
		h->cap = cap;
	}
	uint64_t end = h->base + h->size;
	uint64_t cur = h->base;
	for (size_t i = 0; i <= h->n; i++) {
		uint64_t start = (cur + align - 1) & ~(align - 1);
		uint64_t limit = i < h->n ? h->blocks[i].addr : end;
		if (start <= limit && limit - start >= size) {
			memmove(&h->blocks[i + 1], &h->blocks[i], (h->n - i) * sizeof(h->blocks[0]));
			h->blocks[i] = (struct mb_heap_block){ start, size };
			h->n++;
			*addr = start;
			return 0;
		}
		if (i < h->n)
			cur = h->blocks[i].addr + h->blocks[i].size;
	}
	return 0;
}

uint64_t mb_heap_free(struct mb_heap *h, uint64_t addr)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (h->blocks[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->n || h->blocks[lo].addr != addr)
		return 0;
	if (journal(h) != 0)
		return 0;
	uint64_t size = h->blocks[lo].size;
	memmove(&h->blocks[lo], &h->blocks[lo + 1], (h->n - lo - 1) * sizeof(h->blocks[0]));
	h->n--;
	return size;
}

void mb_heap_fini(struct mb_heap *h)
{
	free(h->blocks);
	free(h->sblocks);
	h->blocks = h->sblocks = NULL;
	h->n = h->cap = h->sn = h->scap = 0;
}
