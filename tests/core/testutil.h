/* Helpers shared by the core suites: a seeded generator and a snapshot of an
 * allocator's whole state for before/after comparisons. */
#ifndef MODBED_TESTS_CORE_TESTUTIL_H
#define MODBED_TESTS_CORE_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/place.h"

/* ck_assert* records a location through a pipe on every call, even when it
 * passes; checks inside loops of millions use this instead. */
#define REQUIRE(cond, ...)                                                                        \
	do {                                                                                      \
		if (!(cond))                                                                      \
			ck_abort_msg(__VA_ARGS__);                                                \
	} while (0)

/* xorshift64*: reproducible by seed, independent of the code under test. */
struct trng {
	uint64_t s;
};
static inline void trng_seed(struct trng *r, uint64_t seed) { r->s = seed * 0x9e3779b97f4a7c15ull + 1; }
static inline uint64_t trng_next(struct trng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}
/* uniform in [0, n) */
static inline uint64_t trng_below(struct trng *r, uint64_t n) { return n ? trng_next(r) % n : 0; }
static inline int trng_pct(struct trng *r, int pct) { return (int)trng_below(r, 100) < pct; }

/* Everything observable about an allocator, folded into a digest: its
 * ranges in order and the state of every chunk descriptor with the
 * allocations inside. Equal digests before and after = nothing changed. */
struct place_snap {
	size_t nranges;
	uint64_t digest;
};

static inline void snap_mix(uint64_t *h, uint64_t v)
{
	*h = (*h ^ v) * 0x100000001b3ull;
	*h ^= *h >> 29;
}

static inline void place_snap(const struct mb_place *pl, struct place_snap *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n = 0;
	for (const struct mb_range *r = mb_place_first(pl); r; r = r->next, n++) {
		snap_mix(&h, r->base);
		snap_mix(&h, r->span);
	}
	for (size_t i = 0; i < pl->nchunks; i++) {
		const struct mb_arena *c = &pl->chunks[i];
		snap_mix(&h, c->in_use);
		if (!c->in_use)
			continue;
		snap_mix(&h, c->base);
		snap_mix(&h, c->size);
		snap_mix(&h, c->users);
		snap_mix(&h, (uint64_t)(c->next_chunk ? c->next_chunk - pl->chunks + 1 : 0));
		for (const struct mb_alloc *a = c->first; a; a = a->next) {
			snap_mix(&h, a->base);
			snap_mix(&h, a->size);
		}
	}
	for (int c = 0; c < MB_NPCLASS; c++)
		snap_mix(&h, (uint64_t)(pl->pool[c] ? pl->pool[c] - pl->chunks + 1 : 0));
	s->nranges = n;
	s->digest = h;
}

static inline int place_snap_eq(const struct place_snap *a, const struct place_snap *b)
{
	return a->nranges == b->nranges && a->digest == b->digest;
}

#endif
