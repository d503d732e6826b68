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

/* Where the arguments come from: the host call's own (registers, then the
 * stack), or a guest va_list (vsnprintf, %pV) read through the arch. */
struct varg {
	struct mb_machine *m;
	unsigned slot;
	bool use_va;
	bool bad;                 /* a va_list read faulted */
	uint8_t va[64];           /* host copy of the va_list object */
};

static int va_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return mb_guest_read(ctx, addr, buf, len);
}

static int varg_from_valist(struct varg *v, struct mb_machine *m, uint64_t va_addr)
{
	const struct mb_cpu_ops *c = mb_machine_arch(m)->cpu;
	memset(v, 0, sizeof(*v));
	v->m = m;
	v->use_va = true;
	if (!c->va_next || c->va_list_bytes > sizeof(v->va)) {
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "no va_list reader for %s", mb_machine_arch(m)->name);
		return -1;
	}
	return mb_guest_read(m, va_addr, v->va, c->va_list_bytes);
}

static uint64_t next_arg(struct varg *v, bool wide)
{
	const struct mb_cpu_ops *c = mb_machine_arch(v->m)->cpu;
	if (v->use_va) {
		uint64_t out = 0;
		struct mb_cpu_va_mem mem = { va_read, v->m };
		if (!v->bad && c->va_next(&mem, v->va, wide && c->reg_bytes == 4, &out) != 0)
			v->bad = true;
		return out;
	}
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
static int format_v(struct mb_machine *m, uint64_t fmt_addr, struct varg *vp, struct outbuf *o, int depth);

static int format(struct mb_machine *m, uint64_t fmt_addr, unsigned first_slot, struct outbuf *o)
{
	struct varg v = { .m = m, .slot = first_slot };
	return format_v(m, fmt_addr, &v, o, 0);
}

/* %pV: a struct va_format { const char *fmt; va_list *va; } formatted in
 * place, as the kernel's vsnprintf does (KUnit's assertion messages). */
static int format_pV(struct mb_machine *m, uint64_t vaf, struct outbuf *o, int depth)
{
	unsigned wb = mb_machine_arch(m)->cpu->reg_bytes;
	bool be = mb_machine_arch(m)->big_endian;
	uint8_t b[16];
	if (depth > 4 || mb_guest_read(m, vaf, b, 2 * wb) != 0)
		return -1;
	struct varg v;
	if (varg_from_valist(&v, m, mb_load(b + wb, wb, be)) != 0)
		return -1;
	return format_v(m, mb_load(b, wb, be), &v, o, depth + 1);
}

static int format_v(struct mb_machine *m, uint64_t fmt_addr, struct varg *vp, struct outbuf *o, int depth)
{
	long flen = mb_guest_strnlen(m, fmt_addr, 4096);
	if (flen < 0)
		return -1;
	char *fmt = malloc((size_t)flen + 1);
	if (!fmt)
		return -1;
	mb_guest_read(m, fmt_addr, fmt, (size_t)flen);
	fmt[flen] = 0;
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
			uint64_t raw = next_arg(vp, wide);
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
			char ch = (char)next_arg(vp, false);
			put(o, &ch, 1);
			break;
		}
		case 's': {
			uint64_t s = next_arg(vp, wb == 8);
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
			uint64_t ptr = next_arg(vp, wb == 8);
			if (p[1] == 'V') {
				p++;
				if (format_pV(m, ptr, o, depth) != 0) {
					free(fmt);
					return -1;
				}
				break;
			}
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
	return vp->bad ? -1 : 0;
}

/* Appends one printk record to the log: the KERN_<level> prefix (SOH +
 * digit) becomes "<N>"; returns the length printed. */
static void emit(struct mb_machine *m, struct outbuf *o)
{
	const char *s = o->p ? o->p : "";
	size_t n = o->len;
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
}

/* _printk(fmt, ...) */
void mb_hc_printk(struct mb_machine *m)
{
	struct outbuf o = { 0 };
	if (format(m, mb_hc_word(m, 0), 1, &o) == 0)
		emit(m, &o);
	free(o.p);
}

/* vprintk(fmt, va_list) */
void mb_hc_vprintk(struct mb_machine *m)
{
	struct outbuf o = { 0 };
	struct varg v;
	if (varg_from_valist(&v, m, mb_hc_word(m, 1)) == 0 && format_v(m, mb_hc_word(m, 0), &v, &o, 0) == 0)
		emit(m, &o);
	free(o.p);
}

/* __warn_printk(fmt, ...): the WARN() message, at warning level. */
void mb_hc_warn_printk(struct mb_machine *m)
{
	struct outbuf o = { 0 };
	put(&o, "\0014", 2);
	if (format(m, mb_hc_word(m, 0), 1, &o) == 0)
		emit(m, &o);
	free(o.p);
}

/* snprintf(buf, size, fmt, ...) and scnprintf: the full length, or what was
 * written without the NUL. sprintf(buf, fmt, ...). */
static void sprint_v(struct mb_machine *m, uint64_t buf, uint64_t size, uint64_t fmt, struct varg *v, bool scn)
{
	struct outbuf o = { 0 };
	if (format_v(m, fmt, v, &o, 0) != 0) {
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

static void sprint(struct mb_machine *m, uint64_t buf, uint64_t size, unsigned fmt_slot, bool scn)
{
	struct varg v = { .m = m, .slot = fmt_slot + 1 };
	sprint_v(m, buf, size, mb_hc_word(m, fmt_slot), &v, scn);
}

/* vsnprintf(buf, size, fmt, va_list) and vscnprintf. */
static void vsprint(struct mb_machine *m, bool scn)
{
	uint64_t a[4];
	mb_hc_args(m, "wwww", a);
	struct varg v;
	if (varg_from_valist(&v, m, a[3]) == 0)
		sprint_v(m, a[0], a[1], a[2], &v, scn);
}

void mb_hc_vsnprintf(struct mb_machine *m)
{
	vsprint(m, false);
}

void mb_hc_vscnprintf(struct mb_machine *m)
{
	vsprint(m, true);
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

