#include "core/fmt.h"

void mb_fmt_init(struct mb_fmtbuf *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = len;
	b->pos = 0;
	if (len)
		buf[0] = '\0';
}

static void put(struct mb_fmtbuf *b, char c)
{
	if (b->pos + 1 < b->len) {
		b->buf[b->pos++] = c;
		b->buf[b->pos] = '\0';
	}
}

void mb_fmt_str(struct mb_fmtbuf *b, const char *s)
{
	while (s && *s)
		put(b, *s++);
}

/* Digits are produced by shifts and a subtract-based division by 10, so a
 * 32-bit target needs no 64-bit division helper from a libc. */
static uint64_t div10(uint64_t v, unsigned *rem)
{
	uint64_t q = (v >> 1) + (v >> 2);
	q += q >> 4;
	q += q >> 8;
	q += q >> 16;
	q += q >> 32;
	q >>= 3;
	uint64_t r = v - q * 10;
	while (r >= 10) {
		q++;
		r -= 10;
	}
	*rem = (unsigned)r;
	return q;
}

void mb_fmt_dec(struct mb_fmtbuf *b, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		unsigned r;
		v = div10(v, &r);
		tmp[n++] = (char)('0' + r);
	} while (v);
	while (n)
		put(b, tmp[--n]);
}

void mb_fmt_hex(struct mb_fmtbuf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	put(b, '0');
	put(b, 'x');
	while (n)
		put(b, tmp[--n]);
}
