#include "harness/debug/gdb/gdbstub_rsp.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void mb_rsp_init(struct mb_rsp *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

/* Next byte, blocking; -1 on EOF or error. */
static int getbyte(struct mb_rsp *r)
{
	if (r->rpos == r->rlen) {
		ssize_t n;
		do
			n = read(r->fd, r->rbuf, sizeof(r->rbuf));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		r->rpos = 0;
		r->rlen = (size_t)n;
	}
	return r->rbuf[r->rpos++];
}

static int put(struct mb_rsp *r, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(r->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mb_rsp_recv(struct mb_rsp *r)
{
	for (;;) {
		int c = getbyte(r);
		if (c < 0)
			return -1;
		if (c == 0x03) {
			r->interrupted = true;
			r->in[0] = 0x03;
			r->in[1] = '\0';
			r->inlen = 1;
			return 0;
		}
		if (c != '$')
			continue; /* acks for our packets, noise */
		size_t n = 0;
		uint8_t sum = 0;
		bool overflow = false;
		for (;;) {
			if ((c = getbyte(r)) < 0)
				return -1;
			if (c == '#')
				break;
			sum += (uint8_t)c;
			if (c == '}') {
				if ((c = getbyte(r)) < 0)
					return -1;
				sum += (uint8_t)c;
				c ^= 0x20;
			}
			if (n < MB_RSP_MAX)
				r->in[n++] = (char)c;
			else
				overflow = true;
		}
		int h = getbyte(r), l = getbyte(r);
		if (h < 0 || l < 0)
			return -1;
		/* A checksum that is not two hex digits is a bad checksum. */
		int hv = hexval(h), lv = hexval(l);
		if (!r->no_ack) {
			bool ok = hv >= 0 && lv >= 0 && (hv << 4 | lv) == sum && !overflow;
			if (put(r, ok ? "+" : "-", 1) != 0)
				return -1;
			if (!ok)
				continue;
		}
		r->in[n] = '\0';
		r->inlen = n;
		return 0;
	}
}

int mb_rsp_send(struct mb_rsp *r, const char *payload, size_t len)
{
	static char out[2 * MB_RSP_MAX + 8];
	size_t o = 0;
	uint8_t sum = 0;
	out[o++] = '$';
	for (size_t i = 0; i < len && o < sizeof(out) - 4; i++) {
		char c = payload[i];
		if (c == '$' || c == '#' || c == '}' || c == '*') {
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[o++] = c;
		sum += (uint8_t)c;
	}
	static const char hx[] = "0123456789abcdef";
	out[o++] = '#';
	out[o++] = hx[sum >> 4];
	out[o++] = hx[sum & 15];
	for (int tries = 0; tries < 8; tries++) {
		if (put(r, out, o) != 0)
			return -1;
		if (r->no_ack)
			return 0;
		for (;;) {
			int c = getbyte(r);
			if (c < 0)
				return -1;
			if (c == '+')
				return 0;
			if (c == '-')
				break;
			if (c == 0x03)
				r->interrupted = true;
		}
	}
	return -1;
}

int mb_rsp_send_str(struct mb_rsp *r, const char *payload)
{
	return mb_rsp_send(r, payload, strlen(payload));
}

bool mb_rsp_poll_interrupt(struct mb_rsp *r)
{
	if (r->rpos == r->rlen) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			return false;
		ssize_t n = read(r->fd, r->rbuf, sizeof(r->rbuf));
		if (n <= 0)
			return false;
		r->rpos = 0;
		r->rlen = (size_t)n;
	}
	if (r->rbuf[r->rpos] == 0x03) {
		r->rpos++;
		r->interrupted = true;
		return true;
	}
	return false;
}

void mb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

bool mb_hex_decode(const char *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int h = hexval((unsigned char)in[2 * i]);
		int l = h < 0 ? -1 : hexval((unsigned char)in[2 * i + 1]);
		if (l < 0)
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

bool mb_hex_u64(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;
	int d;
	while ((d = hexval((unsigned char)*p)) >= 0) {
		/* More than 64 bits of significant digits: not a number we can
		 * hold (leading zeros are fine). */
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
		p++;
	}
	if (end)
		*end = p;
	*v = x;
	return p != s;
}
