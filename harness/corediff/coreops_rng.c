#include "harness/corediff/coreops_rng.h"

/* splitmix64: one 64-bit state, full period, good enough for test streams. */
void mb_rng_seed(struct mb_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t mb_rng_next(struct mb_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t mb_rng_below(struct mb_rng *r, uint64_t n)
{
	/* Rejection keeps it unbiased for any n. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = mb_rng_next(r);
	while (x >= limit);
	return x % n;
}

uint64_t mb_rng_range(struct mb_rng *r, uint64_t lo, uint64_t hi)
{
	if (lo == 0 && hi == UINT64_MAX)
		return mb_rng_next(r);
	return lo + mb_rng_below(r, hi - lo + 1);
}

int mb_rng_percent(struct mb_rng *r, unsigned percent)
{
	return mb_rng_below(r, 100) < percent;
}

/* Sizes are interpolated geometrically, lo * (hi/lo)^t, through log2 and
 * exp2 in fixed point (16 fractional bits): integer-only, so a seed gives the
 * same stream whatever libm the machine has. */
static uint64_t log2_fixed(uint64_t x) /* x >= 1; 16 fractional bits */
{
	unsigned ip = 63u - (unsigned)__builtin_clzll(x);
	/* Mantissa in [1, 2) with 32 fractional bits. */
	uint64_t m = ip >= 32 ? x >> (ip - 32) : x << (32 - ip);
	uint64_t frac = 0;
	for (int bit = 15; bit >= 0; bit--) {
		/* m = m^2, renormalised to [1, 2). */
		m = (m >> 16) * (m >> 16);
		if (m >= (2ull << 32)) {
			m >>= 1;
			frac |= 1ull << bit;
		}
	}
	return ((uint64_t)ip << 16) | frac;
}

static uint64_t exp2_fixed(uint64_t y) /* y with 16 fractional bits */
{
	unsigned ip = (unsigned)(y >> 16);
	uint64_t frac = y & 0xffff;
	/* 2^frac = e^t, t = frac*ln2 < 0.7: Taylor to t^4 in 32-bit fixed point;
	 * error below 0.2 %, far below the corpus table's precision. */
	uint64_t t = (frac << 16) * 2977044472ull >> 32;   /* frac * ln2, 32 frac bits */
	uint64_t t2 = (t * t) >> 32;
	uint64_t t3 = (t2 * t) >> 32;
	uint64_t t4 = (t3 * t) >> 32;
	uint64_t m = (1ull << 32) + t + t2 / 2 + t3 / 6 + t4 / 24;
	return ip >= 32 ? m << (ip - 32) : m >> (32 - ip);
}

static uint64_t geometric_between(uint64_t lo, uint64_t hi, uint64_t num, uint64_t den)
{
	if (lo < 1)
		lo = 1;
	if (hi <= lo)
		return lo;
	uint64_t a = log2_fixed(lo), b = log2_fixed(hi);
	uint64_t v = exp2_fixed(a + (b - a) * num / den);
	return v < lo ? lo : v > hi ? hi : v;
}

uint64_t mb_rng_quantile_size(struct mb_rng *r, const struct mb_quantiles *q)
{
	const uint64_t den = 1u << 20;
	uint64_t u = mb_rng_below(r, den);
	if (u < den / 2)
		return geometric_between(q->min, q->median, u, den / 2);
	if (u < den / 10 * 9)
		return geometric_between(q->median, q->p90, u - den / 2, den / 10 * 4);
	return geometric_between(q->p90, q->max, u - den / 10 * 9, den - den / 10 * 9);
}
