/* The few string and memory helpers the core needs, since it has no libc.
 * Named mb_* so they never collide with the host's or the kernel stub's
 * memcpy/strcmp. */
#ifndef MODBED_CORE_UTIL_H
#define MODBED_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

bool mb_streq(const char *a, const char *b);
bool mb_strstarts(const char *s, const char *prefix);
size_t mb_strlen(const char *s);

static inline unsigned long mb_umax(unsigned long a, unsigned long b) { return a > b ? a : b; }

/* Power-of-two helpers; a must be a power of two. */
static inline bool mb_is_pow2(unsigned long a) { return a != 0 && (a & (a - 1)) == 0; }
static inline unsigned long mb_align_down(unsigned long v, unsigned long a) { return v & ~(a - 1); }
/* Rounds v up to a; false (and *out untouched) if that wraps. */
static inline bool mb_align_up(unsigned long v, unsigned long a, unsigned long *out)
{
	unsigned long r = (v + (a - 1)) & ~(a - 1);
	if (r < v)
		return false;
	*out = r;
	return true;
}

#endif
