/* printk and the s*printf family on the host: the kernel's vsnprintf subset
 * modules use, with variadic arguments fetched by the arch ABI (registers,
 * then the stack; 64-bit values in register pairs on 32-bit). */
#include "harness/kstub/kstub_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR (1u << 20)

/* ---- printk --------------------------------------------------------------- */

struct varg { struct mb_machine *m; unsigned slot; };

static uint64_t next_arg(struct varg *v, bool wide)
{
	const struct mb_cpu_ops *c = mb_machine_arch(v->m)->cpu;
	if (!wide || c->reg_bytes == 8)
		return mb_hc_word(v->m, v->slot++);
	v->slot += v->slot & 1u;
	uint64_t a = mb_hc_word(v->m, v->slot), b = mb_hc_word(v->m, v->slot + 1);
	v->slot += 2;
	return c->pair_hi_first ? (a << 32 | b) : (b << 32 | a);
}

struct outbuf { char *p; size_t len, cap; };

static void put(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *np = realloc(o->p, cap);
		if (!np)
			return;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

/* The kernel's vsnprintf subset modules use: flags, width, precision, h/l/ll/z
 * lengths, d i u x X o c s p (%pS/%ps symbolized, other %p extensions as a raw
 * pointer) and %%. Returns -1 if a guest read faulted. */
static int format(struct mb_machine *m, uint64_t fmt_addr, unsigned first_slot, struct outbuf *o)
{
	long flen = mb_guest_strnlen(m, fmt_addr, 4096);
	if (flen < 0)
		return -1;
	char *fmt = malloc((size_t)flen + 1);
	if (!fmt)
		return -1;
	mb_guest_read(m, fmt_addr, fmt, (size_t)flen);
	fmt[flen] = 0;
	struct varg v = { m, first_slot };
	unsigned wb = mb_machine_arch(m)->cpu->reg_bytes;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(o, p, 1);
			continue;
		}
		char spec[32] = "%";
		size_t sl = 1;
		p++;
		while (*p && strchr("-+ #0", *p) && sl < 8)
			spec[sl++] = *p++;
		while (*p >= '0' && *p <= '9' && sl < 16)
			spec[sl++] = *p++;
		if (*p == '.') {
			spec[sl++] = *p++;
			while (*p >= '0' && *p <= '9' && sl < 24)
				spec[sl++] = *p++;
		}
		int lng = 0;
		while (*p == 'l' || *p == 'z' || *p == 'h' || *p == 't') {
			if (*p == 'l' || *p == 'z' || *p == 't')
				lng++;
			p++;
		}
		char conv = *p;
		char tmp[MB_SYM_LEN + 32];
		bool wide = (lng >= 2) || (lng == 1 && wb == 8);
		switch (conv) {
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
			uint64_t raw = next_arg(&v, wide);
			bool is_signed = conv == 'd' || conv == 'i';
			if (!wide)
				raw = is_signed ? (uint64_t)(int64_t)(int32_t)raw : (uint32_t)raw;
			memcpy(spec + sl, "ll", 2);
			spec[sl + 2] = conv == 'i' ? 'd' : conv;
			spec[sl + 3] = 0;
			if (is_signed)
				snprintf(tmp, sizeof(tmp), spec, (long long)raw);
			else
				snprintf(tmp, sizeof(tmp), spec, (unsigned long long)raw);
			put(o, tmp, strlen(tmp));
			break;
		}
		case 'c': {
			char ch = (char)next_arg(&v, false);
			put(o, &ch, 1);
			break;
		}
		case 's': {
			uint64_t s = next_arg(&v, wb == 8);
			if (!s) {
				put(o, "(null)", 6);
				break;
			}
			long n = mb_guest_strnlen(m, s, 4096);
			if (n < 0) {
				free(fmt);
				return -1;
			}
			char *str = malloc((size_t)n + 1);
			if (!str)
				break;
			mb_guest_read(m, s, str, (size_t)n);
			str[n] = 0;
			spec[sl] = 's';
			spec[sl + 1] = 0;
			char *out = NULL;
			int w = snprintf(NULL, 0, spec, str);
			if (w > 0 && (out = malloc((size_t)w + 1))) {
				snprintf(out, (size_t)w + 1, spec, str);
				put(o, out, (size_t)w);
			}
			free(out);
			free(str);
			break;
		}
		case 'p': {
			uint64_t ptr = next_arg(&v, wb == 8);
			if (p[1] == 'S' || p[1] == 's')
				mb_machine_symbolize(m, ptr, tmp, sizeof(tmp));
			else
				snprintf(tmp, sizeof(tmp), "%0*" PRIx64, (int)(2 * wb), ptr);
			while ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'))
				p++;
			put(o, tmp, strlen(tmp));
			break;
		}
		case '%':
			put(o, "%", 1);
			break;
		case 0:
			p--;
			break;
		default:
			put(o, "%", 1);
			put(o, &conv, 1);
			break;
		}
	}
	free(fmt);
	return 0;
}

/* _printk(fmt, ...): the KERN_<level> prefix (SOH + digit) becomes "<N>". */
void mb_hc_printk(struct mb_machine *m)
{
	struct outbuf o = { 0 };
	uint64_t fmt = mb_hc_word(m, 0);
	if (format(m, fmt, 1, &o) != 0) {
		free(o.p);
		return;
	}
	const char *s = o.p ? o.p : "";
	size_t n = o.len;
	char lvl[4] = "";
	if (n >= 2 && s[0] == '\001') {
		snprintf(lvl, sizeof(lvl), "<%c>", s[1]);
		s += 2;
		n -= 2;
	}
	mb_log_append(m, lvl, strlen(lvl));
	mb_log_append(m, s, n);
	if (n == 0 || s[n - 1] != '\n')
		mb_log_append(m, "\n", 1);
	mb_hc_ret(m, n);
	free(o.p);
}

/* snprintf(buf, size, fmt, ...) and scnprintf: the full length, or what was
 * written without the NUL. sprintf(buf, fmt, ...). */
static void sprint(struct mb_machine *m, uint64_t buf, uint64_t size, unsigned fmt_slot, bool scn)
{
	struct outbuf o = { 0 };
	if (format(m, mb_hc_word(m, fmt_slot), fmt_slot + 1, &o) != 0) {
		free(o.p);
		return;
	}
	size_t n = size ? (o.len < size - 1 ? o.len : (size_t)size - 1) : 0;
	if (size) {
		uint8_t nul = 0;
		if ((n && mb_guest_write(m, buf, o.p, n) != 0) || mb_guest_write(m, buf + n, &nul, 1) != 0) {
			free(o.p);
			return;
		}
	}
	mb_hc_ret(m, scn ? n : o.len);
	free(o.p);
}

void mb_hc_snprintf(struct mb_machine *m)
{
	sprint(m, mb_hc_word(m, 0), mb_hc_word(m, 1), 2, false);
}

void mb_hc_scnprintf(struct mb_machine *m)
{
	sprint(m, mb_hc_word(m, 0), mb_hc_word(m, 1), 2, true);
}

void mb_hc_sprintf(struct mb_machine *m)
{
	sprint(m, mb_hc_word(m, 0), MAX_STR, 1, false);
}

