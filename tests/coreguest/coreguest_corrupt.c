/* A deliberately wrong guest core, for the test that proves core-diff can
 * fail: the real driver, except that after each batch it sets the "value
 * too wide" flag of the result record of operation CORRUPT_OP (counted from
 * the start of the stream), in the guest's own result buffer. */
#include "modbed_module.h"

#include "core/opstream.h"

#define CORRUPT_OP 1000

static struct mb_ops_state coreguest_state;
static unsigned long ops_before;   /* operations run in earlier batches */

long coreguest_run(const unsigned char *ops, unsigned long len, unsigned char *res, unsigned long cap);
long coreguest_run(const unsigned char *ops, unsigned long len, unsigned char *res, unsigned long cap)
{
	long n = mb_ops_run(&coreguest_state, ops, len, res, cap);
	struct mb_opfmt f;
	if (n < 0 || !mb_ophdr_get(res, &f))
		return n;
	unsigned long at = MB_OPSTREAM_HDR_BYTES;
	for (; at + f.width <= (unsigned long)n; ops_before++) {
		bool wide = false;
		unsigned long word = mb_opword_get(res + at, f, &wide);
		if (ops_before == CORRUPT_OP)
			mb_opword_put(res + at, f, word | (unsigned long)MB_OPS_FLAG_TOO_WIDE << 24);
		at += (1 + mb_result_header(word).nwords) * f.width;
	}
	return n;
}

MODULE_LICENSE("GPL");
