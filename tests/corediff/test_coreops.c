/* Host side of core-diff: word encoding against hand-written bytes, the
 * interpreter against hand-computed results, the generator's determinism
 * and realism (against the kmod corpus table), and the comparison. */
#include "harness/corediff/coreops.h"
#include "harness/corediff/coreops_rng.h"
#include "arch/arch.h"
#include "tests/check_main.h"
#include "tests/corediff/hand_streams.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mb_opfmt be4 = { 4, true }, le4 = { 4, false }, be8 = { 8, true }, le8 = { 8, false };

START_TEST(words_have_explicit_width_and_order)
{
	uint8_t b[8];
	ck_assert(mb_opword_put(b, be4, 0x12345678));
	ck_assert_mem_eq(b, "\x12\x34\x56\x78", 4);
	ck_assert(mb_opword_put(b, le4, 0x12345678));
	ck_assert_mem_eq(b, "\x78\x56\x34\x12", 4);
	ck_assert(mb_opword_put(b, le8, 0x1122334455667788UL));
	ck_assert_mem_eq(b, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
	ck_assert(mb_opword_put(b, be8, 0x1122334455667788UL));
	ck_assert_mem_eq(b, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	bool wide = false;
	ck_assert_uint_eq(mb_opword_get((const uint8_t *)"\xde\xad\xbe\xef", be4, &wide), 0xdeadbeef);
	ck_assert_uint_eq(mb_opword_get((const uint8_t *)"\xde\xad\xbe\xef", le4, &wide), 0xefbeadde);
	ck_assert(!wide);
	/* a 64-bit value does not fit a 32-bit stream; all ones (-1UL) does */
	ck_assert(!mb_opword_put(b, be4, 0x100000000UL));
	ck_assert_mem_eq(b, "\x00\x00\x00\x00", 4);
	ck_assert(mb_opword_put(b, be4, ~0UL));
	ck_assert_mem_eq(b, "\xff\xff\xff\xff", 4);
	ck_assert(!mb_opword_fits(le4, 0xfffffffffffffffeUL));
}
END_TEST

START_TEST(header_names_the_format)
{
	uint8_t h[8];
	struct mb_opfmt f;
	mb_ophdr_put(h, be4);
	ck_assert_mem_eq(h, "MBOS\x01\x04\x01\x00", 8);
	ck_assert(mb_ophdr_get(h, &f));
	ck_assert_uint_eq(f.width, 4);
	ck_assert(f.big_endian);
	mb_ophdr_put(h, le8);
	ck_assert_mem_eq(h, "MBOS\x01\x08\x00\x00", 8);
	h[5] = 3;
	ck_assert(!mb_ophdr_get(h, &f));
	mb_ophdr_put(h, le8);
	h[0] = 'X';
	ck_assert(!mb_ophdr_get(h, &f));
}
END_TEST

static struct ops ops_buf;
static uint8_t res_buf[1 << 18];
static struct mb_ops_state state;

static long run_host(const struct ops *o)
{
	memset(&state, 0, sizeof(state));
	return mb_ops_run(&state, o->buf, o->w.len, res_buf, sizeof(res_buf));
}

START_TEST(basic_stream_gives_hand_computed_results)
{
	/* every format runs on the host core, the 32-bit big-endian one too */
	const struct mb_opfmt fmts[] = { be4, le4, be8, le8 };
	for (size_t i = 0; i < 4; i++) {
		basic_stream(&ops_buf, fmts[i]);
		long n = run_host(&ops_buf);
		ck_assert_int_gt(n, 0);
		check_basic(fmts[i], res_buf, (size_t)n);
	}
}
END_TEST

START_TEST(edge_stream_gives_hand_computed_results)
{
	const struct mb_opfmt fmts[] = { be4, le8 };
	for (size_t i = 0; i < 2; i++) {
		edge_stream(&ops_buf, fmts[i]);
		long n = run_host(&ops_buf);
		ck_assert_int_gt(n, 0);
		check_edge(fmts[i], res_buf, (size_t)n);
	}
}
END_TEST

START_TEST(malformed_input_is_refused)
{
	ops_start(&ops_buf, be4);
	OPS(&ops_buf, MB_OP_LOOKUP, 0x1000);          /* before any reset */
	OPS(&ops_buf, 200, 1, 2);                     /* unknown opcode: refused, the run goes on */
	OPS(&ops_buf, MB_OP_STATS, 9);                /* no reset yet */
	size_t ok_len = ops_buf.w.len;
	/* a record claiming more arguments than the buffer holds */
	mb_opword_put(ops_buf.buf + ok_len, be4, MB_OP_LOOKUP | 5u << 8);
	ops_buf.w.len = ok_len + 8;
	long n = run_host(&ops_buf);
	ck_assert_int_eq(n, MB_OPS_RUN_BAD_RECORD);
	struct result r[8];
	ck_assert_uint_eq(results_decode(be4, res_buf, sizeof(res_buf), r, 4), 4);
	ck_assert_uint_eq(r[0].status, MB_OPS_NOT_READY);
	ck_assert_uint_eq(r[1].status, MB_OPS_BAD_ARGS);
	ck_assert_uint_eq(r[2].status, MB_OPS_NOT_READY);
	ck_assert_uint_eq(r[3].status, MB_OPS_BAD_ARGS);
	/* not a stream at all */
	memcpy(ops_buf.buf, "NOTASTRM", 8);
	ck_assert_int_eq(mb_ops_run(&state, ops_buf.buf, 8, res_buf, sizeof(res_buf)), MB_OPS_RUN_BAD_HEADER);
	/* result buffer too small for one record */
	basic_stream(&ops_buf, le8);
	ck_assert_int_eq(mb_ops_run(&state, ops_buf.buf, ops_buf.w.len, res_buf, 64), MB_OPS_RUN_RESULTS_FULL);
}
END_TEST

/* ---- the generator ---- */

static void scenario(struct mb_corescenario *sc, const char *archname, const char *bounds)
{
	struct mb_err err;
	const struct mb_arch *arch = mb_arch_by_name(archname);
	ck_assert_ptr_nonnull(arch);
	ck_assert_msg(mb_corescenario_from_map(sc, arch, arch->maps[0], NULL, bounds, NULL, &err) == 0, "%s", err.msg);
}

START_TEST(generator_is_deterministic_per_seed)
{
	struct mb_corescenario sc;
	scenario(&sc, "powerpc32", "split");
	struct mb_corestream a, b, c;
	struct mb_err err;
	ck_assert(mb_coregen(&sc, 7, 3000, &a, &err) == 0);
	ck_assert(mb_coregen(&sc, 7, 3000, &b, &err) == 0);
	ck_assert(mb_coregen(&sc, 8, 3000, &c, &err) == 0);
	ck_assert_uint_eq(a.nops, 3000);
	ck_assert_uint_eq(a.ops_len, b.ops_len);
	ck_assert_mem_eq(a.ops, b.ops, a.ops_len);
	ck_assert_mem_eq(a.res, b.res, a.res_len);
	ck_assert(a.ops_len != c.ops_len || memcmp(a.ops, c.ops, a.ops_len) != 0);
	/* a ppc32 stream is 32-bit big-endian */
	ck_assert_mem_eq(a.ops, "MBOS\x01\x04\x01\x00", 8);
	mb_corestream_free(&a);
	mb_corestream_free(&b);
	mb_corestream_free(&c);
}
END_TEST

START_TEST(generator_covers_every_operation_and_outcome)
{
	struct mb_corescenario sc;
	scenario(&sc, "x86_64", "kernel");
	struct mb_corestream s;
	struct mb_err err;
	ck_assert(mb_coregen(&sc, 3, 10000, &s, &err) == 0);
	static struct result r[10000];
	ck_assert_uint_eq(results_decode(s.fmt, s.res, s.res_len, r, 10000), 10000);
	size_t count[MB_OP_NCODES] = { 0 }, hits = 0, misses = 0, rejects = 0, text_hits = 0, errors = 0;
	for (size_t i = 0; i < 10000; i++) {
		count[r[i].op]++;
		if (r[i].status != MB_OPS_OK)
			errors++;
		if (r[i].op != MB_OP_LOOKUP)
			continue;
		if (r[i].v[0] != ~0UL)
			hits++;
		else if (r[i].v[3] & MB_OPS_IN_BOUNDS)
			misses++;
		else
			rejects++;
		if (r[i].v[2] != ~0UL)
			text_hits++;
	}
	ck_assert_uint_eq(r[0].op, MB_OP_RESET);
	ck_assert_uint_eq(r[9999].op, MB_OP_STATS);
	for (unsigned op = 1; op < MB_OP_NCODES; op++)
		ck_assert_msg(count[op] > 0, "no %s in 10000 operations", mb_op_name(op));
	/* lookups land inside modules, in bounds but between them, and outside */
	ck_assert_uint_gt(hits, 1000);
	ck_assert_uint_gt(text_hits, 200);
	ck_assert_uint_gt(misses, 100);
	ck_assert_uint_gt(rejects, 100);
	/* refusals happen, but are not the stream */
	ck_assert_uint_gt(errors, 10);
	ck_assert_uint_lt(errors, 1000);
	mb_corestream_free(&s);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

START_TEST(sizes_follow_the_corpus_quantiles)
{
	/* kmod-corpus.md 2.1, MOD_TEXT: min 5, median 2,183, p90 29,971, max 1,011,043 */
	const struct mb_quantiles q = { 5, 2183, 29971, 1011043 };
	enum { N = 40000 };
	static uint64_t v[N];
	struct mb_rng rng;
	mb_rng_seed(&rng, 99);
	for (int i = 0; i < N; i++)
		v[i] = mb_rng_quantile_size(&rng, &q);
	qsort(v, N, sizeof(v[0]), cmp_u64);
	ck_assert_uint_ge(v[0], 5);
	ck_assert_uint_le(v[N - 1], 1011043);
	ck_assert_msg(v[N / 2] > 2183 * 90 / 100 && v[N / 2] < 2183 * 110 / 100, "median %lu", (unsigned long)v[N / 2]);
	ck_assert_msg(v[N / 10 * 9] > 29971 * 90 / 100 && v[N / 10 * 9] < 29971 * 110 / 100, "p90 %lu",
		      (unsigned long)v[N / 10 * 9]);
}
END_TEST

/* ---- the comparison ---- */

START_TEST(comparison_finds_a_changed_result)
{
	struct mb_corescenario sc;
	scenario(&sc, "arm64", "pertype");
	struct mb_corestream s;
	struct mb_err err;
	ck_assert(mb_coregen(&sc, 5, 2000, &s, &err) == 0);
	uint8_t *copy = malloc(s.res_len);
	memcpy(copy, s.res, s.res_len);
	struct mb_corediff d;
	mb_coreops_compare(&s, copy, s.res_len, &d);
	ck_assert_uint_eq(d.nops, 2000);
	ck_assert_uint_eq(d.ndiff, 0);

	/* one flipped bit in the last word of record 1234 */
	size_t end = s.res_off[1235];
	copy[end - 1] ^= 1;
	mb_coreops_compare(&s, copy, s.res_len, &d);
	ck_assert_uint_eq(d.ndiff, 1);
	ck_assert_uint_eq(d.first, 1234);
	ck_assert(!d.truncated);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	mb_coreops_report(f, &s, copy, s.res_len, &d, 10);
	fclose(f);
	char op[512];
	mb_coreops_format_op(&s, 1234, false, op, sizeof(op));
	ck_assert_msg(strstr(text, "first difference: operation 1234: ") != NULL, "%s", text);
	ck_assert_msg(strstr(text, op) != NULL, "report lacks '%s':\n%s", op, text);
	ck_assert(strstr(text, "host:") && strstr(text, "guest:"));
	free(text);

	/* results that stop early */
	copy[end - 1] ^= 1;
	mb_coreops_compare(&s, copy, s.res_off[1500], &d);
	ck_assert(d.truncated);
	ck_assert_uint_eq(d.first, 1500);
	ck_assert_uint_eq(d.ndiff, 500);
	free(copy);
	mb_corestream_free(&s);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(words_have_explicit_width_and_order),
		CHECK_TEST(header_names_the_format),
		CHECK_TEST(basic_stream_gives_hand_computed_results),
		CHECK_TEST(edge_stream_gives_hand_computed_results),
		CHECK_TEST(malformed_input_is_refused),
		CHECK_TEST(generator_is_deterministic_per_seed),
		CHECK_TEST(generator_covers_every_operation_and_outcome),
		CHECK_TEST(sizes_follow_the_corpus_quantiles),
		CHECK_TEST(comparison_finds_a_changed_result),
	};
	const struct check_suite cs = { .suite = "coreops", .tcase = "host", .timeout = 60 };
	return CHECK_RUN(&cs, tests);
}
