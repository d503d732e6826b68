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

/* v / 10 by long division over 16-bit pieces, so that only 32-bit divisions
 * occur: a 32-bit target then needs no 64-bit division helper (__udivdi3)
 * from a compiler runtime the freestanding core does not have. */
static uint64_t div10(uint64_t v, unsigned *rem)
{
	uint64_t q = 0;
	uint32_t r = 0;
	for (int shift = 48; shift >= 0; shift -= 16) {
		uint32_t cur = (r << 16) | (uint32_t)((v >> shift) & 0xffff);
		q |= (uint64_t)(cur / 10) << shift;
		r = cur % 10;
	}
	*rem = r;
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
