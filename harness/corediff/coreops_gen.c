/* The seeded stream generator. It runs the host core in lockstep (one
 * mb_ops_step per operation it emits), so it knows where the host placed
 * every module and can aim lookups inside modules, at their edges, into
 * guard pages and freed init memory, the way a kernel's own lookups land.
 * Module shapes follow the kmod corpus (coreops_shape.c). */
#include "harness/corediff/coreops_gen_priv.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(unsigned long) == 8, "the host side of core-diff needs a 64-bit unsigned long");

/* ---- buffers ---- */

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return true;
	size_t n = *cap ? *cap : 1 << 16;
	while (n < need)
		n *= 2;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

void mb_corestream_free(struct mb_corestream *s)
{
	free(s->ops);
	free(s->res);
	free(s->op_off);
	free(s->res_off);
	memset(s, 0, sizeof(*s));
}

/* ---- emitting one operation and running it on the host core ---- */

struct emit {
	struct mb_opwriter w;
};

static void begin(struct gen *g, struct emit *e, unsigned op)
{
	struct mb_corestream *s = g->s;
	size_t need = s->ops_len + (size_t)MB_OPS_MAX_OP_WORDS * s->fmt.width;
	if (!grow(&s->ops, &s->ops_cap, need))
		g->failed = true;
	e->w.buf = s->ops;
	e->w.cap = s->ops_cap;
	e->w.len = s->ops_len;
	e->w.fmt = s->fmt;
	e->w.overflow = g->failed;
	mb_opw_begin(&e->w, op);
}

static void word(struct emit *e, unsigned long v)
{
	mb_opw_word(&e->w, v);
}

/* Closes the record, runs it on the host core and keeps its result. */
static void finish(struct gen *g, struct emit *e)
{
	struct mb_corestream *s = g->s;
	mb_opw_end(&e->w);
	if (g->failed || e->w.overflow) {
		if (!g->failed)
			mb_fail(g->err, NULL, "core-diff", "operation %zu does not fit the stream (value wider than %u bytes?)",
				s->nops, s->fmt.width);
		g->failed = true;
		return;
	}
	if (s->nops == s->off_cap) {
		size_t n = s->off_cap ? s->off_cap * 2 : 1024;
		size_t *a = realloc(s->op_off, n * sizeof(*a)), *b = a ? realloc(s->res_off, n * sizeof(*b)) : NULL;
		if (a)
			s->op_off = a;
		if (!a || !b) {
			g->failed = true;
			mb_fail(g->err, NULL, "core-diff", "out of memory");
			return;
		}
		s->res_off = b;
		s->off_cap = n;
	}
	size_t op_at = s->ops_len;
	s->ops_len = e->w.len;
	if (!grow(&s->res, &s->res_cap, s->res_len + (size_t)MB_OPS_MAX_RESULT_WORDS * s->fmt.width)) {
		g->failed = true;
		mb_fail(g->err, NULL, "core-diff", "out of memory");
		return;
	}
	unsigned long used, written;
	int status = mb_ops_step(g->st, s->fmt, s->ops + op_at, s->ops_len - op_at, s->res + s->res_len,
				 s->res_cap - s->res_len, &used, &written);
	s->op_off[s->nops] = op_at;
	s->res_off[s->nops] = s->res_len;
	s->nops++;
	bool wide = false;
	struct mb_oprec h = mb_result_header(mb_opword_get(s->res + s->res_len, s->fmt, &wide));
	for (unsigned i = 0; i < h.nwords; i++)
		g->vals[i] = mb_opword_get(s->res + s->res_len + (1 + i) * s->fmt.width, s->fmt, &wide);
	g->nvals = h.nwords;
	g->status = (unsigned)status;
	s->res_len += written;
	if (status == MB_OPS_BAD_ARGS && !g->failed) {
		g->failed = true;
		mb_fail(g->err, NULL, "core-diff", "operation %zu (%s): the generator wrote a malformed record",
			s->nops - 1, mb_op_name(h.op) ? mb_op_name(h.op) : "?");
	}
}

static unsigned run_simple(struct gen *g, unsigned op, unsigned long slot)
{
	struct emit e;
	begin(g, &e, op);
	word(&e, slot);
	finish(g, &e);
	return g->status;
}

/* ---- the scenario's address space ---- */

static unsigned long top_address(const struct gen *g)
{
	return g->sc->fmt.width >= 8 ? ~0UL : 0xffffffffUL;
}

static void emit_reset(struct gen *g)
{
	const struct mb_corescenario *sc = g->sc;
	struct emit e;
	begin(g, &e, MB_OP_RESET);
	word(&e, sc->policy);
	word(&e, sc->bounds);
	word(&e, sc->tree);
	word(&e, sc->data_in_vmalloc);
	word(&e, sc->layout_flags);
	word(&e, sc->page_size);
	word(&e, sc->large_page_size);
	word(&e, sc->guard_size);
	word(&e, sc->ntext);
	for (size_t i = 0; i < sc->ntext; i++) {
		word(&e, sc->text[i][0]);
		word(&e, sc->text[i][1]);
	}
	word(&e, sc->ndata);
	for (size_t i = 0; i < sc->ndata; i++) {
		word(&e, sc->data[i][0]);
		word(&e, sc->data[i][1]);
	}
	finish(g, &e);
	if (!g->failed && g->status != MB_OPS_OK) {
		g->failed = true;
		mb_fail(g->err, NULL, sc->name, "the host core refused the scenario's placement windows (status %u)",
			g->status);
	}
}

static unsigned emit_layout(struct gen *g, unsigned long slot)
{
	struct gen_sec secs[MB_OPS_MAX_SECS];
	bool kallsyms;
	size_t n = mb_coregen_shape_module(g, secs, &kallsyms);
	unsigned long ndst = mb_rng_range(&g->rng, 5, 400);
	struct emit e;
	begin(g, &e, MB_OP_LAYOUT);
	word(&e, slot);
	word(&e, kallsyms);
	word(&e, ndst);
	word(&e, ndst * mb_rng_range(&g->rng, 8, 30));
	word(&e, n);
	for (size_t i = 0; i < n; i++) {
		word(&e, secs[i].type);
		word(&e, secs[i].flags);
		word(&e, secs[i].size);
		word(&e, secs[i].align);
		mb_opw_name(&e.w, secs[i].name);
	}
	finish(g, &e);
	return g->status;
}

/* Type sizes given directly: drawn from the corpus, or (huge) one of them
 * near the top of a 32-bit space, which no section list could reach. */
static unsigned emit_sizes(struct gen *g, unsigned long slot, bool huge)
{
	static const unsigned long tops[] = { 0x7ffff000UL, 0x80000000UL, 0x80001000UL, 0xc0000000UL,
					      0xfffe0000UL, 0xffffe000UL, 0xfffff000UL, 0xffffffffUL };
	struct emit e;
	int big = huge ? (int)mb_rng_below(&g->rng, MOD_MEM_NUM_TYPES) : -1;
	begin(g, &e, MB_OP_SIZES);
	word(&e, slot);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		unsigned long size = 0;
		if (t == big) {
			size = tops[mb_rng_below(&g->rng, sizeof(tops) / sizeof(tops[0]))];
			if (mb_rng_percent(&g->rng, 30))
				size -= mb_rng_range(&g->rng, 0, 0xfff);
		} else if (mb_rng_below(&g->rng, CORPUS_MODULES) < mb_coregen_corpus[t].nonempty) {
			size = (unsigned long)mb_rng_quantile_size(&g->rng, &mb_coregen_corpus[t].q);
		}
		word(&e, size);
	}
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		word(&e, mb_coregen_pick_align(g, 256));
	finish(g, &e);
	return g->status;
}

/* ---- module lifecycle ---- */

static long free_slot(struct gen *g)
{
	unsigned long start = mb_rng_below(&g->rng, MB_OPS_MAX_MODULES);
	for (unsigned long i = 0; i < MB_OPS_MAX_MODULES; i++) {
		unsigned long s = (start + i) % MB_OPS_MAX_MODULES;
		if (!g->mods[s].placed)
			return (long)s;
	}
	return -1;
}

static long live_slot(struct gen *g, bool want_init)
{
	if (g->nlive == 0)
		return -1;
	unsigned long start = mb_rng_below(&g->rng, MB_OPS_MAX_MODULES);
	for (unsigned long i = 0; i < MB_OPS_MAX_MODULES; i++) {
		unsigned long s = (start + i) % MB_OPS_MAX_MODULES;
		if (g->mods[s].placed && (!want_init || !g->mods[s].init_gone))
			return (long)s;
	}
	return -1;
}

/* layout (or sizes), place, insert: 3 operations. */
static void load(struct gen *g)
{
	long slot = free_slot(g);
	if (slot < 0)
		return;
	unsigned st;
	if (g->sc->huge_sizes && mb_rng_percent(&g->rng, 15))
		st = emit_sizes(g, (unsigned long)slot, true);
	else if (mb_rng_percent(&g->rng, 5))
		st = emit_sizes(g, (unsigned long)slot, false);
	else
		st = emit_layout(g, (unsigned long)slot);
	if (st != MB_OPS_OK || g->failed)
		return;
	if (run_simple(g, MB_OP_PLACE, (unsigned long)slot) != MB_OPS_OK || g->failed)
		return;
	struct gen_mod *m = &g->mods[slot];
	memset(m, 0, sizeof(*m));
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		m->base[t] = g->vals[5 * t];
		m->size[t] = g->vals[5 * t + 1];
	}
	m->placed = true;
	g->nlive++;
	if (run_simple(g, MB_OP_INSERT, (unsigned long)slot) == MB_OPS_OK)
		m->inserted = true;
}

/* What do_init_module does after a successful init. */
static void finish_init(struct gen *g, long slot)
{
	run_simple(g, MB_OP_REMOVE_INIT, (unsigned long)slot);
	run_simple(g, MB_OP_FREE_INIT, (unsigned long)slot);
	g->mods[slot].init_gone = true;
}

static void unload(struct gen *g, long slot)
{
	struct gen_mod *m = &g->mods[slot];
	run_simple(g, MB_OP_REMOVE, (unsigned long)slot);
	run_simple(g, MB_OP_FREE, (unsigned long)slot);
	m->placed = m->inserted = false;
	g->nlive--;
}

static void set_state(struct gen *g, long slot, unsigned state)
{
	struct emit e;
	begin(g, &e, MB_OP_STATE);
	word(&e, (unsigned long)slot);
	word(&e, state);
	finish(g, &e);
	g->mods[slot].unformed = state == MB_MODULE_UNFORMED;
}

/* Operations the core must refuse, identically everywhere. */
static void misuse(struct gen *g)
{
	long slot = live_slot(g, false);
	switch (mb_rng_below(&g->rng, 5)) {
	case 0:
		if (slot >= 0)
			run_simple(g, MB_OP_FREE, (unsigned long)slot);      /* still inserted: busy */
		break;
	case 1:
		if (slot >= 0)
			run_simple(g, MB_OP_INSERT, (unsigned long)slot);    /* already inserted */
		break;
	case 2:
		if (slot >= 0)
			run_simple(g, MB_OP_PLACE, (unsigned long)slot);     /* already placed */
		break;
	case 3:
		run_simple(g, MB_OP_PLACE, MB_OPS_MAX_MODULES + mb_rng_below(&g->rng, 100)); /* bad slot */
		break;
	default: {
		long f = free_slot(g);
		if (f >= 0)
			run_simple(g, MB_OP_INSERT, (unsigned long)f);       /* not placed */
		break;
	}
	}
}

/* ---- lookups ---- */

static bool fits(const struct gen *g, uint64_t v)
{
	return v <= top_address(g);
}

/* An address the kernel would plausibly look up, or an edge case. */
static unsigned long pick_address(struct gen *g)
{
	const struct mb_corescenario *sc = g->sc;
	for (;;) {
		uint64_t a;
		unsigned k = (unsigned)mb_rng_below(&g->rng, 100);
		long slot = live_slot(g, false);
		if (k < 45 && slot >= 0) {
			/* inside a module, first and last byte included; the init
			 * ranges stay in gen_mod after FREE_INIT, so this also
			 * touches freed init memory */
			const struct gen_mod *m = &g->mods[slot];
			int t = (int)mb_rng_below(&g->rng, MOD_MEM_NUM_TYPES);
			if (!m->size[t])
				continue;
			unsigned e = (unsigned)mb_rng_below(&g->rng, 4);
			a = e == 0 ? m->base[t] : e == 1 ? m->base[t] + m->size[t] - 1
						: m->base[t] + mb_rng_below(&g->rng, m->size[t]);
		} else if (k < 55 && slot >= 0) {
			/* just outside a module range: guard page, the byte before */
			const struct gen_mod *m = &g->mods[slot];
			int t = (int)mb_rng_below(&g->rng, MOD_MEM_NUM_TYPES);
			if (!m->size[t])
				continue;
			a = mb_rng_percent(&g->rng, 50) ? m->base[t] + m->size[t] + mb_rng_below(&g->rng, sc->page_size)
							: m->base[t] - 1;
		} else if (k < 65) {
			/* kernel text */
			a = sc->kernel_base + mb_rng_below(&g->rng, sc->kernel_size ? sc->kernel_size : 1);
		} else if (k < 80) {
			/* window edges */
			bool text = mb_rng_percent(&g->rng, 50);
			size_t nw = text ? sc->ntext : sc->ndata;
			const uint64_t *w = text ? sc->text[mb_rng_below(&g->rng, nw)] : sc->data[mb_rng_below(&g->rng, nw)];
			static const int64_t delta[] = { -1, 0, 1 };
			a = w[mb_rng_below(&g->rng, 2)] + (uint64_t)delta[mb_rng_below(&g->rng, 3)];
		} else if (k < 92) {
			/* anywhere in a window: gaps between modules, the gap between
			 * text and data windows when they are apart */
			uint64_t lo = sc->text[0][0], hi = sc->text[0][1];
			for (size_t i = 0; i < sc->ntext; i++) {
				lo = sc->text[i][0] < lo ? sc->text[i][0] : lo;
				hi = sc->text[i][1] > hi ? sc->text[i][1] : hi;
			}
			for (size_t i = 0; i < sc->ndata; i++) {
				lo = sc->data[i][0] < lo ? sc->data[i][0] : lo;
				hi = sc->data[i][1] > hi ? sc->data[i][1] : hi;
			}
			a = mb_rng_range(&g->rng, lo, hi);
		} else {
			/* anywhere, the top and bottom of the space included */
			unsigned e = (unsigned)mb_rng_below(&g->rng, 4);
			a = e == 0 ? 0 : e == 1 ? top_address(g) : mb_rng_range(&g->rng, 0, top_address(g));
		}
		if (fits(g, a))
			return (unsigned long)a;
	}
}

static void lookup(struct gen *g)
{
	struct emit e;
	begin(g, &e, MB_OP_LOOKUP);
	word(&e, pick_address(g));
	finish(g, &e);
}

static void stats(struct gen *g)
{
	struct emit e;
	begin(g, &e, MB_OP_STATS);
	finish(g, &e);
}

/* ---- the stream ---- */

/* How many modules a stream keeps loaded drifts between 4 and this: a real
 * machine has tens of modules (kmod-corpus.md, 2.5), and placement, insert
 * and the index rebuild walk all of them, so more mostly costs guest time. */
#define MAX_TARGET_LIVE 64

/* One step: about 12 % loads (layout or sizes, place, insert), 5 % init
 * frees, 5 % unloads, 1 % state changes, 1 % misuse, 2 % stats, the rest
 * lookups; `left` keeps multi-operation steps inside the budget. */
static void step(struct gen *g, size_t left)
{
	if (mb_rng_below(&g->rng, 400) == 0)
		g->target_live = 4 + (size_t)mb_rng_below(&g->rng, MAX_TARGET_LIVE - 3);
	unsigned k = (unsigned)mb_rng_below(&g->rng, 100);
	long slot;
	if (k < 12 && left >= 3 && g->nlive < g->target_live) {
		load(g);
	} else if (k < 17 && left >= 2 && (slot = live_slot(g, true)) >= 0) {
		finish_init(g, slot);
	} else if (k < 22 && left >= 2 && g->nlive > g->target_live / 2 && (slot = live_slot(g, false)) >= 0) {
		unload(g, slot);
	} else if (k < 23 && (slot = live_slot(g, false)) >= 0) {
		static const unsigned states[] = { MB_MODULE_UNFORMED, MB_MODULE_COMING, MB_MODULE_GOING };
		set_state(g, slot, g->mods[slot].unformed ? MB_MODULE_LIVE : states[mb_rng_below(&g->rng, 3)]);
	} else if (k < 24) {
		misuse(g);
	} else if (k < 26) {
		stats(g);
	} else {
		lookup(g);
	}
}

int mb_coregen(const struct mb_corescenario *sc, uint64_t seed, size_t nops, struct mb_corestream *out,
	       struct mb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (nops < 2)
		nops = 2;
	struct gen *g = calloc(1, sizeof(*g));
	struct mb_ops_state *st = calloc(1, sizeof(*st));
	if (!g || !st) {
		free(g);
		free(st);
		return mb_fail(err, NULL, "core-diff", "out of memory");
	}
	g->sc = sc;
	g->s = out;
	g->st = st;
	g->err = err;
	g->target_live = 40;
	mb_rng_seed(&g->rng, seed);
	out->fmt = sc->fmt;
	if (!grow(&out->ops, &out->ops_cap, 1 << 16) || !grow(&out->res, &out->res_cap, 1 << 16)) {
		g->failed = true;
		mb_fail(err, NULL, "core-diff", "out of memory");
	} else {
		mb_ophdr_put(out->ops, sc->fmt);
		mb_ophdr_put(out->res, sc->fmt);
		out->ops_len = out->res_len = MB_OPSTREAM_HDR_BYTES;
		emit_reset(g);
	}
	while (!g->failed && out->nops < nops - 1)
		step(g, nops - 1 - out->nops);
	if (!g->failed)
		stats(g);
	bool failed = g->failed;
	free(g);
	free(st);
	if (failed) {
		mb_corestream_free(out);
		return -1;
	}
	return 0;
}

int mb_corestream_from_buffer(const uint8_t *ops, size_t len, struct mb_corestream *out, struct mb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len < MB_OPSTREAM_HDR_BYTES || !mb_ophdr_get(ops, &out->fmt) || !mb_opfmt_usable(out->fmt))
		return mb_fail(err, NULL, "core-diff", "not an operation buffer");
	struct mb_ops_state *st = calloc(1, sizeof(*st));
	size_t n = 0;
	for (size_t at = MB_OPSTREAM_HDR_BYTES; at + out->fmt.width <= len; n++) {
		bool wide = false;
		struct mb_oprec h = mb_op_header(mb_opword_get(ops + at, out->fmt, &wide));
		at += (1 + (size_t)h.nwords) * out->fmt.width;
	}
	out->ops = malloc(len);
	out->op_off = calloc(n + 1, sizeof(size_t));
	out->res_off = calloc(n + 1, sizeof(size_t));
	out->res_cap = MB_OPSTREAM_HDR_BYTES + (n + 1) * (size_t)MB_OPS_MAX_RESULT_WORDS * out->fmt.width;
	out->res = malloc(out->res_cap);
	if (!st || !out->ops || !out->op_off || !out->res_off || !out->res) {
		free(st);
		mb_corestream_free(out);
		return mb_fail(err, NULL, "core-diff", "out of memory");
	}
	memcpy(out->ops, ops, len);
	out->ops_len = out->ops_cap = len;
	out->off_cap = n + 1;
	mb_ophdr_put(out->res, out->fmt);
	size_t in = MB_OPSTREAM_HDR_BYTES, res = MB_OPSTREAM_HDR_BYTES;
	for (size_t i = 0; i < n; i++) {
		unsigned long used, written;
		mb_ops_step(st, out->fmt, out->ops + in, len - in, out->res + res, out->res_cap - res, &used, &written);
		out->op_off[i] = in;
		out->res_off[i] = res;
		res += written;
		out->nops++;
		if (used == 0)
			break;
		in += used;
	}
	out->res_len = res;
	free(st);
	return 0;
}
