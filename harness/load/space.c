#include "harness/load/space.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void mb_space_init(struct mb_space *s, uint64_t page_size)
{
	memset(s, 0, sizeof(*s));
	s->page_size = page_size ? page_size : 4096;
}

/* Anonymous mappings: page-aligned, zero-filled, and untouched pages cost
 * nothing, which matters for large .bss and pool chunks. */
static void free_arena(struct mb_space_arena *a)
{
	if (a->host)
		munmap(a->host, (size_t)a->size);
	free(a->page_perm);
	free(a);
}

void mb_space_fini(struct mb_space *s)
{
	while (s->arenas)
		mb_space_release(s, s->arenas);
	free(s->index);
	s->index = NULL;
	s->index_cap = 0;
	s->nobs = 0;
}

int mb_space_observe(struct mb_space *s, const struct mb_space_observer *o, struct mb_err *err)
{
	if (s->nobs == MB_SPACE_MAX_OBSERVERS)
		return mb_fail(err, NULL, NULL, "guest space: more than %d observers", MB_SPACE_MAX_OBSERVERS);
	s->obs[s->nobs++] = *o;
	return 0;
}

int mb_space_replay(const struct mb_space *s, const struct mb_space_observer *o, struct mb_err *err)
{
	for (const struct mb_space_arena *a = s->arenas; a; a = a->next) {
		if (o->created && o->created(o->ctx, a, err) != 0)
			return -1;
		/* Pages whose permission changed since creation. */
		uint64_t np = a->size / s->page_size;
		for (uint64_t p = 0; p < np; p++) {
			if (a->page_perm[p] == a->perm || !o->protected_)
				continue;
			if (o->protected_(o->ctx, a, a->base + p * s->page_size, s->page_size,
					  a->page_perm[p], err) != 0)
				return -1;
		}
	}
	return 0;
}

/* How many arenas start at or below addr (index order is base order). */
static size_t at_or_below(const struct mb_space *s, uint64_t addr)
{
	size_t lo = 0, hi = s->narenas;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->index[mid]->base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Overlap test written so that a range ending at the top of the address
 * space (base + size == 2^64 or 2^32) does not wrap. */
static bool overlaps(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2)
{
	return b1 - b2 < s2 || b2 - b1 < s1;
}

int mb_space_create(struct mb_space *s, uint64_t base, uint64_t size, unsigned perm,
		    const void *owner, const char *name, struct mb_space_arena **out, struct mb_err *err)
{
	const uint64_t pg = s->page_size;
	const char *what = name ? name : "arena";
	if (size == 0)
		return mb_fail(err, NULL, NULL, "guest space: %s at 0x%" PRIx64 " has size 0", what, base);
	uint64_t start = base & ~(pg - 1);
	uint64_t last = base + (size - 1);
	if (last < base)
		return mb_fail(err, NULL, NULL, "guest space: %s 0x%" PRIx64 "+0x%" PRIx64 " wraps around",
			       what, base, size);
	last |= pg - 1;
	uint64_t len = last - start + 1;
	if (len == 0 || len > (uint64_t)SIZE_MAX)
		return mb_fail(err, NULL, NULL, "guest space: %s 0x%" PRIx64 "+0x%" PRIx64 " too large",
			       what, base, size);
	/* Arenas never overlap one another, so only the neighbours by base
	 * can overlap the new one; the lower one is named first, as a walk in
	 * base order would. */
	size_t k = at_or_below(s, start);
	for (size_t i = k ? k - 1 : k; i < s->narenas && i <= k; i++) {
		const struct mb_space_arena *a = s->index[i];
		if (overlaps(start, len, a->base, a->size))
			return mb_fail(err, NULL, NULL,
				       "guest space: %s [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps %s [0x%" PRIx64
				       ", 0x%" PRIx64 "]",
				       what, start, last, a->name, a->base, a->base + (a->size - 1));
	}
	if (s->narenas == s->index_cap) {
		size_t cap = s->index_cap ? 2 * s->index_cap : 64;
		struct mb_space_arena **n = realloc(s->index, cap * sizeof(*n));
		if (!n)
			return mb_fail(err, NULL, NULL, "guest space: out of host memory for %s", what);
		s->index = n;
		s->index_cap = cap;
	}
	struct mb_space_arena **pos = k ? &s->index[k - 1]->next : &s->arenas;
	struct mb_space_arena *a = calloc(1, sizeof(*a));
	uint8_t *pp = a ? malloc((size_t)(len / pg)) : NULL;
	void *host = pp ? mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			: MAP_FAILED;
	if (host == MAP_FAILED) {
		free(pp);
		free(a);
		return mb_fail(err, NULL, NULL, "guest space: out of host memory for %s of 0x%" PRIx64 " bytes",
			       what, len);
	}
	memset(pp, (int)perm, (size_t)(len / pg));
	a->base = start;
	a->size = len;
	a->host = host;
	a->perm = perm;
	a->page_perm = pp;
	a->owner = owner;
	snprintf(a->name, sizeof(a->name), "%s", what);
	for (size_t i = 0; i < s->nobs; i++) {
		if (!s->obs[i].created || s->obs[i].created(s->obs[i].ctx, a, err) == 0)
			continue;
		/* Undo in the observers that accepted it. */
		while (i-- > 0)
			if (s->obs[i].released)
				s->obs[i].released(s->obs[i].ctx, a);
		free_arena(a);
		return -1;
	}
	a->next = *pos;
	*pos = a;
	memmove(s->index + k + 1, s->index + k, (s->narenas - k) * sizeof(*s->index));
	s->index[k] = a;
	s->narenas++;
	if (out)
		*out = a;
	return 0;
}

void mb_space_release(struct mb_space *s, struct mb_space_arena *a)
{
	size_t k = at_or_below(s, a->base);
	if (k == 0 || s->index[k - 1] != a)
		return;  /* not one of this space's arenas */
	k--;
	*(k ? &s->index[k - 1]->next : &s->arenas) = a->next;
	memmove(s->index + k, s->index + k + 1, (s->narenas - k - 1) * sizeof(*s->index));
	s->narenas--;
	if (s->hint == a)
		s->hint = NULL;
	for (size_t i = s->nobs; i-- > 0;)
		if (s->obs[i].released)
			s->obs[i].released(s->obs[i].ctx, a);
	free_arena(a);
}

struct mb_space_arena *mb_space_find(const struct mb_space *s, uint64_t addr)
{
	struct mb_space_arena *a = s->hint;
	if (a && addr - a->base < a->size)
		return a;
	size_t k = at_or_below(s, addr);
	if (k == 0)
		return NULL;
	a = s->index[k - 1];
	if (addr - a->base >= a->size)
		return NULL;
	((struct mb_space *)s)->hint = a;  /* a cache: no space is defined const */
	return a;
}

void *mb_space_host(const struct mb_space *s, uint64_t addr, uint64_t len)
{
	struct mb_space_arena *a = mb_space_find(s, addr);
	if (!a)
		return NULL;
	uint64_t off = addr - a->base;
	if (len > a->size - off)
		return NULL;
	return a->host + off;
}

unsigned mb_space_perm(const struct mb_space *s, uint64_t addr)
{
	struct mb_space_arena *a = mb_space_find(s, addr);
	if (!a)
		return MB_PERM_NONE;
	return a->page_perm[(addr - a->base) / s->page_size];
}

int mb_space_protect(struct mb_space *s, uint64_t base, uint64_t size, unsigned perm, struct mb_err *err)
{
	if (size == 0)
		return 0;
	const uint64_t pg = s->page_size;
	struct mb_space_arena *a = mb_space_find(s, base);
	uint64_t start = base & ~(pg - 1);
	uint64_t last = (base + (size - 1)) | (pg - 1);
	if (!a || last < start || last - a->base >= a->size)
		return mb_fail(err, NULL, NULL,
			       "guest space: protect [0x%" PRIx64 ", +0x%" PRIx64 ") is not inside one arena",
			       base, size);
	uint64_t len = last - start + 1;
	for (size_t i = 0; i < s->nobs; i++) {
		if (!s->obs[i].protected_)
			continue;
		if (s->obs[i].protected_(s->obs[i].ctx, a, start, len, perm, err) == 0)
			continue;
		/* Put the observers that changed back to the pages' old permissions. */
		while (i-- > 0) {
			if (!s->obs[i].protected_)
				continue;
			for (uint64_t p = 0; p < len / pg; p++) {
				uint64_t pa = start + p * pg;
				struct mb_err ignored;
				s->obs[i].protected_(s->obs[i].ctx, a, pa, pg,
						     a->page_perm[(pa - a->base) / pg], &ignored);
			}
		}
		return -1;
	}
	memset(a->page_perm + (start - a->base) / pg, (int)perm, (size_t)(len / pg));
	return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

uint64_t mb_space_fingerprint(const struct mb_space *s)
{
	uint64_t h = mix(0, s->narenas);
	for (const struct mb_space_arena *a = s->arenas; a; a = a->next) {
		h = mix(h, a->base);
		h = mix(h, a->size);
		h = mix(h, a->perm);
		h = mix(h, (uint64_t)(uintptr_t)a->owner);
		for (uint64_t p = 0; p < a->size / s->page_size; p++)
			h = mix(h, a->page_perm[p]);
	}
	return h;
}
