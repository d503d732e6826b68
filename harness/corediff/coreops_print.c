/* Operation and result records for people, and the record-by-record
 * comparison of two result buffers. */
#include "harness/corediff/coreops.h"

#include "core/lookup.h"
#include "core/modmem.h"
#include "core/opstream.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, pos;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	if (o->pos >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n < o->len - o->pos ? (size_t)n : o->len - o->pos - 1;
}

/* Words of one record, decoded. */
struct rec {
	struct mb_oprec h;
	unsigned long w[MB_OPS_MAX_OP_WORDS];
	const uint8_t *raw;        /* first argument's bytes */
	bool complete;
};

static void decode(struct mb_opfmt f, const uint8_t *p, size_t avail, bool result, struct rec *r)
{
	bool wide = false;
	memset(&r->h, 0, sizeof(r->h));
	r->complete = false;
	if (avail < f.width)
		return;
	unsigned long hw = mb_opword_get(p, f, &wide);
	r->h = result ? mb_result_header(hw) : mb_op_header(hw);
	r->raw = p + f.width;
	size_t n = r->h.nwords;
	if (n > MB_OPS_MAX_OP_WORDS || (n + 1) * f.width > avail)
		return;
	for (size_t i = 0; i < n; i++)
		r->w[i] = mb_opword_get(p + (i + 1) * f.width, f, &wide);
	r->complete = true;
}

static const char *type_name(unsigned long t)
{
	return t < MOD_MEM_NUM_TYPES ? mod_mem_type_name((int)t) : "none";
}

static const char *state_names[] = { "live", "coming", "going", "unformed" };

static void slot_str(struct out *o, unsigned long s)
{
	if (s == ~0UL || s == 0xffffffffUL)
		outf(o, "none");
	else
		outf(o, "m%lu", s);
}

/* ---- operations ---- */

static void format_layout(struct out *o, struct mb_opfmt f, const struct rec *r, bool full)
{
	const unsigned long *w = r->w;
	outf(o, "m%lu kallsyms=%lu ndst=%lu core_strtab=%lu, %lu sections", w[0], w[1], w[2], w[3], w[4]);
	if (!full)
		return;
	size_t i = 5;
	for (unsigned long s = 0; s < w[4] && i + 5 <= r->h.nwords; s++) {
		unsigned long words = w[i + 4];
		const char *name = (const char *)(r->raw + (i + 5) * f.width);
		int nlen = (int)strnlen(name, words * f.width);
		outf(o, "\n    [%lu] %-26.*s type=%lu flags=0x%lx size=0x%lx align=%lu", s, nlen, name, w[i], w[i + 1],
		     w[i + 2], w[i + 3]);
		i += 5 + words;
	}
}

void mb_coreops_format_op(const struct mb_corestream *s, size_t i, bool full, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	buf[0] = '\0';
	static struct rec r;
	decode(s->fmt, s->ops + s->op_off[i], s->ops_len - s->op_off[i], false, &r);
	const char *name = mb_op_name(r.h.op);
	outf(&o, "%s ", name ? name : "?");
	if (!r.complete) {
		outf(&o, "(malformed record)");
		return;
	}
	const unsigned long *w = r.w;
	switch (r.h.op) {
	case MB_OP_RESET: {
		outf(&o, "policy=%lu bounds=%s tree=%s data_in_vmalloc=%lu layout_flags=0x%lx page=0x%lx large=0x%lx guard=0x%lx",
		     w[0], mb_bounds_name((enum mb_bounds)w[1]) ? mb_bounds_name((enum mb_bounds)w[1]) : "?",
		     mb_tree_name((enum mb_tree_kind)w[2]) ? mb_tree_name((enum mb_tree_kind)w[2]) : "?", w[3], w[4],
		     w[5], w[6], w[7]);
		size_t k = 8;
		for (int pass = 0; pass < 2 && k < r.h.nwords; pass++) {
			unsigned long n = w[k++];
			outf(&o, " %s=", pass ? "data" : "text");
			for (unsigned long j = 0; j < n && k + 1 < r.h.nwords; j++, k += 2)
				outf(&o, "%s[0x%lx-0x%lx]", j ? "," : "", w[k], w[k + 1]);
		}
		break;
	}
	case MB_OP_LAYOUT:
		format_layout(&o, s->fmt, &r, full);
		break;
	case MB_OP_SIZES:
		outf(&o, "m%lu", w[0]);
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (w[1 + t])
				outf(&o, " %s=0x%lx/%lu", mod_mem_type_name(t), w[1 + t], w[8 + t]);
		break;
	case MB_OP_STATE:
		outf(&o, "m%lu %s", w[0], w[1] < 4 ? state_names[w[1]] : "?");
		break;
	case MB_OP_LOOKUP:
		outf(&o, "0x%lx", w[0]);
		break;
	case MB_OP_STATS:
		break;
	default:
		if (r.h.nwords)
			outf(&o, "m%lu", w[0]);
		break;
	}
}

/* ---- results ---- */

static const char *status_name(unsigned op, unsigned st)
{
	static const char *const ops_st[] = { "bad slot", "no reset", "busy", "not laid out", "not placed",
					      "malformed record", "too many sections/windows" };
	static const char *const layout_st[] = { "ok", "WRITE|EXEC section", "bad alignment", "too big",
						 "bad kallsyms indices" };
	static const char *const place_st[] = { "ok", "no space", "no pool chunk", "bad config", "too big" };
	static const char *const lookup_st[] = { "ok", "overlap", "lookup slots full", "wraps", "bad state" };
	if (st >= MB_OPS_BAD_SLOT && st <= MB_OPS_TOO_MANY)
		return ops_st[st - MB_OPS_BAD_SLOT];
	switch (op) {
	case MB_OP_LAYOUT:
		return st < 5 ? layout_st[st] : "?";
	case MB_OP_RESET:
	case MB_OP_PLACE:
		return st < 5 ? place_st[st] : "?";
	case MB_OP_INSERT:
		return st < 5 ? lookup_st[st] : "?";
	default:
		return st == 0 ? "ok" : "?";
	}
}

void mb_coreops_format_result(struct mb_opfmt f, const uint8_t *rec, size_t avail, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	buf[0] = '\0';
	static struct rec r;
	decode(f, rec, avail, true, &r);
	if (!r.complete) {
		outf(&o, "(missing or truncated)");
		return;
	}
	outf(&o, "%s", status_name(r.h.op, r.h.status));
	if (r.h.flags & MB_OPS_FLAG_TOO_WIDE)
		outf(&o, " [a value did not fit %u bytes]", f.width);
	const unsigned long *w = r.w;
	unsigned n = r.h.nwords;
	if (r.h.status != MB_OPS_OK) {
		for (unsigned i = 0; i < n; i++)
			outf(&o, "%s0x%lx", i ? " " : ": ", w[i]);
		return;
	}
	switch (r.h.op) {
	case MB_OP_LAYOUT:
		if (n < 2 * MOD_MEM_NUM_TYPES)
			break;
		outf(&o, ":");
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (w[t])
				outf(&o, " %s=0x%lx/%lu", mod_mem_type_name(t), w[t], w[MOD_MEM_NUM_TYPES + t]);
		outf(&o, "; sections");
		for (unsigned i = 2 * MOD_MEM_NUM_TYPES; i + 1 < n; i += 2)
			outf(&o, " %s+0x%lx", type_name(w[i]), w[i + 1]);
		break;
	case MB_OP_PLACE:
		for (int t = 0; t < MOD_MEM_NUM_TYPES && 5u * t + 4 < n; t++)
			if (w[5 * t + 1])
				outf(&o, " %s=[0x%lx +0x%lx] arena [0x%lx +0x%lx]%s", mod_mem_type_name(t), w[5 * t],
				     w[5 * t + 1], w[5 * t + 2], w[5 * t + 3], w[5 * t + 4] ? " new" : "");
		break;
	case MB_OP_FREE:
	case MB_OP_FREE_INIT:
		outf(&o, ": arenas released");
		for (unsigned i = 0; i < n; i++)
			outf(&o, " %lu", w[i]);
		break;
	case MB_OP_LOOKUP:
		if (n < 4)
			break;
		outf(&o, ": ");
		slot_str(&o, w[0]);
		outf(&o, " %s, text ", type_name(w[1]));
		slot_str(&o, w[2]);
		outf(&o, "%s%s%s", w[3] & MB_OPS_IN_CORE ? ", in core" : "", w[3] & MB_OPS_IN_INIT ? ", in init" : "",
		     w[3] & MB_OPS_IN_BOUNDS ? ", in bounds" : ", fast reject");
		break;
	case MB_OP_STATS:
		if (n < 8 + 2 * MOD_MEM_NUM_TYPES + 1)
			break;
		outf(&o, ": lookups=%lu fast_rejects=%lu tree_searches=%lu tree_misses=%lu addr=[0x%lx,0x%lx) "
			 "data=[0x%lx,0x%lx) pairs",
		     w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			outf(&o, " [0x%lx,0x%lx]", w[8 + 2 * t], w[9 + 2 * t]);
		outf(&o, " nodes=%lu", w[8 + 2 * MOD_MEM_NUM_TYPES]);
		break;
	default:
		for (unsigned i = 0; i < n; i++)
			outf(&o, "%s0x%lx", i ? " " : ": ", w[i]);
		break;
	}
}

/* ---- walking and comparing result buffers ---- */

static size_t record_bytes(struct mb_opfmt f, const uint8_t *p, size_t avail)
{
	if (avail < f.width)
		return 0;
	bool wide = false;
	struct mb_oprec h = mb_result_header(mb_opword_get(p, f, &wide));
	size_t n = (1 + (size_t)h.nwords) * f.width;
	return n <= avail ? n : 0;
}

const uint8_t *mb_coreops_result_at(struct mb_opfmt f, const uint8_t *res, size_t len, size_t i, size_t *avail)
{
	size_t at = MB_OPSTREAM_HDR_BYTES;
	if (len < at)
		return NULL;
	for (size_t k = 0;; k++) {
		size_t n = record_bytes(f, res + at, len - at);
		if (n == 0)
			return NULL;
		if (k == i) {
			*avail = len - at;
			return res + at;
		}
		at += n;
	}
}

void mb_coreops_compare(const struct mb_corestream *s, const uint8_t *res, size_t len, struct mb_corediff *d)
{
	memset(d, 0, sizeof(*d));
	size_t at = MB_OPSTREAM_HDR_BYTES;
	bool header_ok = len >= at && memcmp(res, s->res, MB_OPSTREAM_HDR_BYTES) == 0;
	for (size_t i = 0; i < s->nops; i++) {
		size_t hn = record_bytes(s->fmt, s->res + s->res_off[i], s->res_len - s->res_off[i]);
		size_t gn = header_ok && at <= len ? record_bytes(s->fmt, res + at, len - at) : 0;
		if (gn == 0) {
			/* every remaining operation has no guest result */
			d->truncated = true;
			if (d->ndiff == 0)
				d->first = i;
			d->ndiff += s->nops - i;
			d->nops = s->nops;
			return;
		}
		if (gn != hn || memcmp(res + at, s->res + s->res_off[i], hn) != 0) {
			if (d->ndiff == 0)
				d->first = i;
			d->ndiff++;
		}
		at += gn;
		d->nops++;
	}
}

void mb_coreops_format_first(const struct mb_corestream *s, const uint8_t *res, size_t len,
			     const struct mb_corediff *d, struct mb_coreops_first *out)
{
	size_t av = 0;
	mb_coreops_format_op(s, d->first, true, out->op, sizeof(out->op));
	mb_coreops_format_result(s->fmt, s->res + s->res_off[d->first], s->res_len - s->res_off[d->first],
				 out->host, sizeof(out->host));
	const uint8_t *g = mb_coreops_result_at(s->fmt, res, len, d->first, &av);
	out->has_guest = g != NULL;
	if (g)
		mb_coreops_format_result(s->fmt, g, av, out->guest, sizeof(out->guest));
	else
		out->guest[0] = '\0';
}

void mb_coreops_report(FILE *f, const struct mb_corestream *s, const uint8_t *res, size_t len,
		       const struct mb_corediff *d, size_t max_listed)
{
	if (d->ndiff == 0)
		return;
	static struct mb_coreops_first first;
	mb_coreops_format_first(s, res, len, d, &first);
	fprintf(f, "  first difference: operation %zu: %s\n    host:  %s\n    guest: %s\n", d->first, first.op,
		first.host,
		first.has_guest ? first.guest : "(no result: the guest's results end before this operation)");
	if (d->truncated)
		fprintf(f, "  the guest's results stop there: %zu operation(s) have none\n", d->ndiff);
	size_t listed = 0;
	size_t at = MB_OPSTREAM_HDR_BYTES;
	for (size_t i = 0; i < s->nops && listed < max_listed && !d->truncated; i++) {
		size_t hn = record_bytes(s->fmt, s->res + s->res_off[i], s->res_len - s->res_off[i]);
		size_t gn = at <= len ? record_bytes(s->fmt, res + at, len - at) : 0;
		if (gn == 0)
			break;
		if (i > d->first && (gn != hn || memcmp(res + at, s->res + s->res_off[i], hn) != 0)) {
			/* the later differences reuse the first one's buffers */
			mb_coreops_format_op(s, i, false, first.op, sizeof(first.op));
			mb_coreops_format_result(s->fmt, s->res + s->res_off[i], hn, first.host, sizeof(first.host));
			mb_coreops_format_result(s->fmt, res + at, gn, first.guest, sizeof(first.guest));
			fprintf(f, "  operation %zu: %s\n    host:  %s\n    guest: %s\n", i, first.op, first.host,
				first.guest);
			listed++;
		}
		at += gn;
	}
	if (d->ndiff > 1 + listed && !d->truncated)
		fprintf(f, "  ... %zu more differing operation(s)\n", d->ndiff - 1 - listed);
}
