/* Test helpers: hand-written operation streams and reading their results. */
#ifndef MODBED_TESTS_OPSBUILD_H
#define MODBED_TESTS_OPSBUILD_H

#include "core/opstream.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct ops {
	struct mb_opwriter w;
	uint8_t buf[1 << 16];
};

static inline void ops_start(struct ops *o, struct mb_opfmt f)
{
	mb_opw_init(&o->w, o->buf, sizeof(o->buf), f);
}

/* op followed by its arguments. */
static inline void ops_add(struct ops *o, unsigned op, size_t n, const unsigned long *args)
{
	mb_opw_begin(&o->w, op);
	for (size_t i = 0; i < n; i++)
		mb_opw_word(&o->w, args[i]);
	mb_opw_end(&o->w);
	ck_assert(!o->w.overflow);
}
#define OPS(o, op, ...)                                                                  \
	do {                                                                             \
		const unsigned long args_[] = { __VA_ARGS__ };                           \
		ops_add((o), (op), sizeof(args_) / sizeof(args_[0]), args_);             \
	} while (0)
#define OPS0(o, op) ops_add((o), (op), 0, NULL)

/* RESET with one or two windows each (last == 0: no second window). */
static inline void ops_reset(struct ops *o, unsigned long policy, unsigned long bounds, unsigned long div,
			     unsigned long guard, unsigned long t0, unsigned long t0l, unsigned long t1,
			     unsigned long t1l, unsigned long d0, unsigned long d0l)
{
	if (t1l)
		OPS(o, MB_OP_RESET, policy, bounds, MB_TREE_FAST, div, MB_OPS_LAYOUT_UNLOAD | MB_OPS_LAYOUT_STRICT_RWX,
		    0x1000, 0x200000, guard, 2, t0, t0l, t1, t1l, 1, d0, d0l);
	else
		OPS(o, MB_OP_RESET, policy, bounds, MB_TREE_FAST, div, MB_OPS_LAYOUT_UNLOAD | MB_OPS_LAYOUT_STRICT_RWX,
		    0x1000, 0x200000, guard, 1, t0, t0l, 1, d0, d0l);
}

/* A decoded result buffer. */
struct result {
	unsigned op, status, flags, n;
	unsigned long v[MB_OPS_MAX_RESULT_WORDS];
};

static inline size_t results_decode(struct mb_opfmt f, const uint8_t *res, size_t len, struct result *out,
				    size_t max)
{
	size_t at = MB_OPSTREAM_HDR_BYTES, n = 0;
	bool wide = false;
	while (at + f.width <= len && n < max) {
		struct mb_oprec h = mb_result_header(mb_opword_get(res + at, f, &wide));
		out[n].op = h.op;
		out[n].status = h.status;
		out[n].flags = h.flags;
		out[n].n = h.nwords;
		for (unsigned i = 0; i < h.nwords; i++)
			out[n].v[i] = mb_opword_get(res + at + (1 + i) * f.width, f, &wide);
		at += (1 + h.nwords) * f.width;
		n++;
	}
	return n;
}

#endif
