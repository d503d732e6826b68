/* Seeded randomness for operation streams: the same seed gives the same
 * stream on every machine (integer-only generator, no libc rand). */
#ifndef MODBED_HARNESS_COREOPS_RNG_H
#define MODBED_HARNESS_COREOPS_RNG_H

#include <stdint.h>

struct mb_rng {
	uint64_t state;
};

void mb_rng_seed(struct mb_rng *r, uint64_t seed);
uint64_t mb_rng_next(struct mb_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t mb_rng_below(struct mb_rng *r, uint64_t n);
/* Uniform in [lo, hi], inclusive; lo <= hi. */
uint64_t mb_rng_range(struct mb_rng *r, uint64_t lo, uint64_t hi);
/* True with probability percent/100. */
int mb_rng_percent(struct mb_rng *r, unsigned percent);

/* A size drawn from a distribution known by its quantiles (the kmod corpus
 * tables: min, median, p90, max): log-linear between the quantile points,
 * so the median and p90 of many draws match the table. */
struct mb_quantiles {
	uint64_t min, median, p90, max;
};
uint64_t mb_rng_quantile_size(struct mb_rng *r, const struct mb_quantiles *q);

#endif
