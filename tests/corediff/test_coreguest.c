/* The guest core on one emulated CPU (argv[1]: x86_64, arm64, powerpc32):
 * the hand-computed streams give the hand-computed results there too (on
 * powerpc32: 32-bit big-endian unsigned long at the top of the space), and
 * a corrupted guest result buffer is caught and reported with its
 * operation. */
#include "harness/corediff/coreops.h"
#include "harness/machine/emu.h"
#include "tests/check_main.h"
#include "tests/corediff/hand_streams.h"

#include "arch/arch.h"
#include "arch/map.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mb_arch *arch;
static struct ops ops_buf;

static struct mb_coreguest *open_guest(void)
{
	char path[4096];
	struct mb_err err;
	struct mb_coreguest *g;
	mb_coreguest_default_path(arch, path, sizeof(path));
	ck_assert_msg(mb_coreguest_open(&g, arch, arch->maps[0], path, &err) == 0, "%s", err.msg);
	return g;
}

static struct mb_opfmt target_format(void)
{
	struct mb_opfmt f = { arch->ptr_bytes, arch->big_endian };
	return f;
}

/* Runs a hand-written stream on the guest; the guest's results must also
 * equal the host core's, record for record. */
static void run_hand(void (*build)(struct ops *, struct mb_opfmt),
		     void (*check)(struct mb_opfmt, const uint8_t *, size_t))
{
	struct mb_opfmt f = target_format();
	build(&ops_buf, f);
	struct mb_corestream s;
	struct mb_err err;
	ck_assert_msg(mb_corestream_from_buffer(ops_buf.buf, ops_buf.w.len, &s, &err) == 0, "%s", err.msg);
	struct mb_coreguest *g = open_guest();
	uint8_t *res;
	size_t len;
	struct mb_coreguest_stats st;
	ck_assert_msg(mb_coreguest_run(g, &s, &res, &len, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_gt(st.insns, 0);
	check(f, res, len);
	struct mb_corediff d;
	mb_coreops_compare(&s, res, len, &d);
	ck_assert_uint_eq(d.ndiff, 0);
	free(res);
	mb_coreguest_close(g);
	mb_corestream_free(&s);
}

START_TEST(basic_stream_on_the_guest)
{
	run_hand(basic_stream, check_basic);
}
END_TEST

START_TEST(top_of_the_address_space_on_the_guest)
{
	run_hand(edge_stream, check_edge);
}
END_TEST

/* The kernel-faithful red-black tree (the CLI runs the default fast index):
 * every bounds policy, a 10,000-operation stream on the default map. */
START_TEST(rbtree_streams_agree)
{
	static const char *const bounds[] = { "kernel", "split", "pertype" };
	struct mb_coreguest *g = open_guest();
	for (int b = 0; b < 3; b++) {
		struct mb_corescenario sc;
		struct mb_err err;
		ck_assert(mb_corescenario_from_map(&sc, arch, arch->maps[0], "kernel", bounds[b], "rbtree", &err) == 0);
		struct mb_corestream s;
		ck_assert(mb_coregen(&sc, 40 + (uint64_t)b, 10000, &s, &err) == 0);
		uint8_t *res;
		size_t len;
		struct mb_coreguest_stats st;
		ck_assert_msg(mb_coreguest_run(g, &s, &res, &len, &st, &err) == 0, "%s", err.msg);
		struct mb_corediff d;
		mb_coreops_compare(&s, res, len, &d);
		if (d.ndiff)
			mb_coreops_report(stderr, &s, res, len, &d, 5);
		ck_assert_msg(d.ndiff == 0, "rbtree, %s bounds: %zu differences", bounds[b], d.ndiff);
		ck_assert_uint_eq(d.nops, 10000);
		free(res);
		mb_corestream_free(&s);
	}
	mb_coreguest_close(g);
}
END_TEST

/* ---- a wrong guest is caught ---- */

struct tamper {
	const struct mb_corestream *s;
	size_t target;        /* operation whose guest result gets corrupted */
	int how;              /* 0: a value word, 1: the status byte */
	bool done;
};

/* Flips bits of operation `target`'s record in guest memory, between the
 * guest writing it and the host reading it back. */
static void corrupt(void *ctx, const struct mb_coreguest_batch *b)
{
	struct tamper *t = ctx;
	struct mb_machine *m = b->m;
	uint64_t res_addr = b->res_addr;
	size_t res_len = b->res_len, first_op = b->first_op;
	if (t->done || t->target < first_op)
		return;
	uint8_t *buf = malloc(res_len);
	struct mb_err err;
	ck_assert(mb_machine_read(m, res_addr, buf, res_len, &err) == 0);
	size_t avail;
	const uint8_t *rec = mb_coreops_result_at(t->s->fmt, buf, res_len, t->target - first_op, &avail);
	if (rec) {
		size_t w = t->s->fmt.width;
		/* the last byte of the first value (its low byte when big-endian),
		 * or a byte holding the status field of the header word */
		size_t at = t->how == 0 ? w + (t->s->fmt.big_endian ? w - 1 : 0)
					: (t->s->fmt.big_endian ? w - 3 : 2);
		uint8_t flipped = rec[at] ^ 0x01;
		ck_assert(mb_machine_write(m, res_addr + (uint64_t)(rec - buf) + at, &flipped, 1, &err) == 0);
		t->done = true;
	}
	free(buf);
}

static size_t find_op(const struct mb_corestream *s, unsigned op, size_t from)
{
	for (size_t i = from; i < s->nops; i++) {
		bool wide = false;
		struct mb_oprec h = mb_result_header(mb_opword_get(s->res + s->res_off[i], s->fmt, &wide));
		if (h.op == op && h.status == MB_OPS_OK && h.nwords > 0)
			return i;
	}
	ck_abort_msg("no successful %s in the stream", mb_op_name(op));
	return 0;
}

static void check_tamper_detected(unsigned op, int how)
{
	struct mb_corescenario sc;
	struct mb_err err;
	ck_assert(mb_corescenario_from_map(&sc, arch, arch->maps[0], "kernel", "split", NULL, &err) == 0);
	struct mb_corestream s;
	ck_assert(mb_coregen(&sc, 11, 3000, &s, &err) == 0);
	/* past the first batch, so the corruption lands in a later guest call */
	struct tamper t = { &s, find_op(&s, op, 2100), how, false };
	struct mb_coreguest *g = open_guest();
	mb_coreguest_set_observer(g, corrupt, &t);
	uint8_t *res;
	size_t len;
	struct mb_coreguest_stats st;
	ck_assert_msg(mb_coreguest_run(g, &s, &res, &len, &st, &err) == 0, "%s", err.msg);
	ck_assert(t.done);
	struct mb_corediff d;
	mb_coreops_compare(&s, res, len, &d);
	ck_assert_uint_eq(d.ndiff, 1);
	ck_assert_uint_eq(d.first, t.target);

	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	mb_coreops_report(f, &s, res, len, &d, 10);
	fclose(f);
	char want[600], opline[512];
	mb_coreops_format_op(&s, t.target, false, opline, sizeof(opline));
	snprintf(want, sizeof(want), "first difference: operation %zu: %s", t.target, opline);
	ck_assert_msg(strstr(text, want) != NULL, "report lacks '%s':\n%s", want, text);
	free(text);
	free(res);
	mb_coreguest_close(g);
	mb_corestream_free(&s);
}

START_TEST(corrupted_lookup_result_is_reported)
{
	check_tamper_detected(MB_OP_LOOKUP, 0);
}
END_TEST

START_TEST(corrupted_place_status_is_reported)
{
	check_tamper_detected(MB_OP_PLACE, 1);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc != 2 || !(arch = mb_arch_by_name(argv[1]))) {
		fprintf(stderr, "usage: %s x86_64|arm64|powerpc32\n", argv[0]);
		return 2;
	}
	const struct check_test tests[] = {
		CHECK_TEST(basic_stream_on_the_guest),
		CHECK_TEST(top_of_the_address_space_on_the_guest),
		CHECK_TEST(rbtree_streams_agree),
		CHECK_TEST(corrupted_lookup_result_is_reported),
		CHECK_TEST(corrupted_place_status_is_reported),
	};
	const struct check_suite cs = { .suite = "coreguest", .tcase = arch->name, .timeout = 120 };
	return CHECK_RUN(&cs, tests);
}
