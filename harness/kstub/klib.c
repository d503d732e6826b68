/* Built-in lib/ functions the kernel's own KUnit suites call (lib/sort.c,
 * lib/list_sort.c, lib/cmdline.c, fs/namei.c's name hashes, lib/string.c's
 * strlcat/strncat/memchr_inv, kernel/time/timeconv.c, the root device of
 * drivers/base/core.c), written on the host from their documented
 * behaviour. sort() and list_sort() are in klib_sort.c, lib/linear_ranges.c
 * in klib_ranges.c. */
#include "harness/kstub/klib_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lib/cmdline.c --------------------------------------------------------- */

static int read_byte(struct mb_machine *m, uint64_t at, uint8_t *c)
{
	return mb_guest_read(m, at, c, 1);
}

static int digit_of(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return (c | 0x20) - 'a' + 10;
	return 99;
}

/* simple_strtoull(s, &end, 0): "0x" + hex digit -> base 16, a leading 0 ->
 * base 8, else 10; no sign, no blanks; wraps on overflow. */
static int strtoull_0(struct mb_machine *m, uint64_t s, uint64_t *end, uint64_t *val)
{
	uint8_t c0, c1, c2;
	unsigned base = 10;
	if (read_byte(m, s, &c0))
		return -1;
	if (c0 == '0') {
		base = 8;
		if (read_byte(m, s + 1, &c1))
			return -1;
		if ((c1 | 0x20) == 'x') {
			if (read_byte(m, s + 2, &c2))
				return -1;
			if (digit_of(c2) < 16) {
				base = 16;
				s += 2;
			}
		}
	}
	uint64_t v = 0;
	for (;; s++) {
		uint8_t c;
		if (read_byte(m, s, &c))
			return -1;
		int d = digit_of(c);
		if (d >= (int)base)
			break;
		v = v * base + (unsigned)d;
	}
	*end = s;
	*val = v;
	return 0;
}

/* get_option's core on a host cursor: 0 none, 1 last, 2 comma, 3 range. */
static int option_at(struct mb_machine *m, uint64_t *str, int32_t *value)
{
	uint64_t cur = *str;
	uint8_t c;
	if (!cur || read_byte(m, cur, &c) || !c)
		return 0;
	bool neg = c == '-';
	if (neg)
		cur++;
	uint64_t v, end;
	if (strtoull_0(m, cur, &end, &v))
		return -1;
	*value = (int32_t)(uint32_t)(neg ? (uint64_t)0 - v : v);
	*str = end;
	if (end == cur)
		return 0;
	if (read_byte(m, end, &c))
		return -1;
	if (c == ',') {
		(*str)++;
		return 2;
	}
	return c == '-' ? 3 : 1;
}

/* get_option(char **str, int *pint): the value is stored even when nothing
 * was parsed (the kernel does). */
static void hc_get_option(struct mb_machine *m)
{
	uint64_t a[2], str;
	mb_hc_args(m, "ww", a);
	if (word_read(m, a[0], &str))
		return;
	uint64_t s = str;
	int32_t v = 0;
	uint8_t c;
	bool empty = !s || read_byte(m, s, &c) || !c;
	int r = option_at(m, &s, &v);
	if (r < 0)
		return;
	if (!empty && a[1] && int_write(m, a[1], v))
		return;
	if (word_write(m, a[0], s))
		return;
	mb_hc_ret(m, (uint64_t)(int64_t)r);
}

/* get_options(str, nints, ints): ints[0] = count, values after it; a range
 * "a-b" expands (while room is left); nints 0 only counts. Returns where
 * parsing stopped. */
static void hc_get_options(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	uint64_t s = a[0], ints = a[2];
	int64_t nints = (int32_t)(uint32_t)a[1];
	bool validate = nints == 0;
	int64_t i = 1;
	while (i < nints || validate) {
		uint64_t pint = validate ? ints : ints + 4 * (uint64_t)i;
		int32_t v = 0;
		uint8_t c;
		bool empty = !s || read_byte(m, s, &c) || !c;
		int res = option_at(m, &s, &v);
		if (res < 0)
			return;
		if (!empty && int_write(m, pint, v))
			return;
		if (res == 0)
			break;
		if (res == 3) {
			/* get_range: from v up to (excluding) the upper bound. */
			int64_t room = validate ? 0 : nints - i;
			s++;
			uint8_t sc;
			if (read_byte(m, s, &sc))
				return;
			uint64_t uv, end;
			bool uneg = sc == '-';
			if (strtoull_0(m, s + (uneg ? 1 : 0), &end, &uv))
				return;
			int32_t upper = (int32_t)(uint32_t)(uneg ? (uint64_t)0 - uv : uv);
			int32_t x = v;
			for (uint64_t p = pint; room && x < upper; x++, room--, p += 4)
				if (int_write(m, p, x))
					return;
			int64_t range_nums = (int64_t)upper - v;
			if (range_nums < 0)
				break;
			i += range_nums - 1;
		}
		i++;
		if (res == 1)
			break;
	}
	if (int_write(m, ints, i - 1) == 0)
		mb_hc_ret(m, s);
}

/* ---- lib/string.c ---------------------------------------------------------- */

/* memchr_inv(start, c, bytes): the first byte that is not c, or NULL. */
static void hc_memchr_inv(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	for (uint64_t i = 0; i < a[2]; i++) {
		uint8_t b;
		if (read_byte(m, a[0] + i, &b))
			return;
		if (b != (uint8_t)a[1]) {
			mb_hc_ret(m, a[0] + i);
			return;
		}
	}
	mb_hc_ret(m, 0);
}

static int guest_copy(struct mb_machine *m, uint64_t d, uint64_t s, uint64_t n)
{
	if (!n)
		return 0;
	uint8_t *b = malloc(n);
	int rc = !b || mb_guest_read(m, s, b, n) || mb_guest_write(m, d, b, n) ? -1 : 0;
	free(b);
	return rc;
}

static int guest_fill(struct mb_machine *m, uint64_t d, uint8_t c, uint64_t n)
{
	if (!n)
		return 0;
	uint8_t *b = malloc(n);
	if (b)
		memset(b, c, n);
	int rc = !b || mb_guest_write(m, d, b, n) ? -1 : 0;
	free(b);
	return rc;
}

/* memcpy_and_pad(dest, dest_len, src, count, pad) */
static void hc_memcpy_and_pad(struct mb_machine *m)
{
	uint64_t a[5];
	mb_hc_args(m, "wwwww", a);
	if (a[1] > (64u << 20))
		return mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "memcpy_and_pad of %" PRIu64 " bytes", a[1]);
	if (a[1] > a[3]) {
		if (guest_copy(m, a[0], a[2], a[3]) == 0)
			guest_fill(m, a[0] + a[3], (uint8_t)a[4], a[1] - a[3]);
	} else {
		guest_copy(m, a[0], a[2], a[1]);
	}
}

/* strlcat(dest, src, count): the length it tried to make. */
static void hc_strlcat(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	long dl = mb_guest_strnlen(m, a[0], 1u << 20), sl = mb_guest_strnlen(m, a[1], 1u << 20);
	if (dl < 0 || sl < 0)
		return;
	if ((uint64_t)dl >= a[2]) {
		mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), false, 0, NULL,
			     "kernel BUG in strlcat: destination (%ld) does not fit its size %" PRIu64, dl, a[2]);
		return;
	}
	uint64_t room = a[2] - (uint64_t)dl, n = (uint64_t)sl >= room ? room - 1 : (uint64_t)sl;
	uint8_t nul = 0;
	if (guest_copy(m, a[0] + (uint64_t)dl, a[1], n) == 0 && mb_guest_write(m, a[0] + (uint64_t)dl + n, &nul, 1) == 0)
		mb_hc_ret(m, (uint64_t)(dl + sl));
}

/* strncat(dest, src, count): at most count bytes of src, then NUL. */
static void hc_strncat(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	long dl = mb_guest_strnlen(m, a[0], 1u << 20);
	long sl = mb_guest_strnlen(m, a[1], a[2] < (1u << 20) ? a[2] : (1u << 20));
	if (dl < 0 || sl < 0)
		return;
	uint8_t nul = 0;
	if (guest_copy(m, a[0] + (uint64_t)dl, a[1], (uint64_t)sl) == 0 &&
	    mb_guest_write(m, a[0] + (uint64_t)dl + (uint64_t)sl, &nul, 1) == 0)
		mb_hc_ret(m, a[0]);
}

/* ---- fs/namei.c name hashes (the byte-at-a-time definition) ------------------ */

/* include/linux/stringhash.h: partial_name_hash on an unsigned long, then
 * hash_long(hash, 32) (golden-ratio multiply at the word width). */
static uint64_t name_hash_step(uint64_t hash, uint8_t c, unsigned wb)
{
	uint64_t h = (hash + ((uint64_t)c << 4) + (c >> 4)) * 11;
	return wb == 8 ? h : (uint32_t)h;
}

static uint32_t name_hash_end(uint64_t hash, unsigned wb)
{
	if (wb == 8)
		return (uint32_t)((hash * 0x61C8864680B583EBull) >> 32);
	return (uint32_t)hash * 0x61C88647u;
}

/* Hashes len guest bytes at addr into *h a page-sized piece at a time;
 * -1 on a fault (at the first unreadable byte, as reading byte by byte). */
static int name_hash_bytes(struct mb_machine *m, uint64_t addr, uint64_t len, unsigned wb, uint64_t *h)
{
	uint8_t buf[4096];
	for (uint64_t done = 0, n; done < len; done += n) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if (mb_guest_read_each(m, addr + done, buf, (size_t)n))
			return -1;
		for (uint64_t i = 0; i < n; i++)
			*h = name_hash_step(*h, buf[i], wb);
	}
	return 0;
}

static void hc_full_name_hash(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	unsigned wb = wb_of(m);
	uint64_t h = wb == 8 ? a[0] : (uint32_t)a[0];
	if (name_hash_bytes(m, a[1], (uint32_t)a[2], wb, &h))
		return;
	mb_hc_ret(m, name_hash_end(h, wb));
}

/* hashlen_string(salt, name): length << 32 | hash (a u64: a register pair
 * on 32-bit). */
static void hc_hashlen_string(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	unsigned wb = wb_of(m);
	uint64_t h = wb == 8 ? a[0] : (uint32_t)a[0];
	long len = mb_guest_strnlen(m, a[1], SIZE_MAX / 2);
	if (len < 0 || name_hash_bytes(m, a[1], (uint64_t)len, wb, &h))
		return;
	mb_hc_ret64(m, (uint64_t)len << 32 | name_hash_end(h, wb));
}

/* ---- kernel/time/timeconv.c ------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* time64_to_tm(totalsecs, offset, struct tm *): days to a civil date by
 * 400-year eras (the proleptic Gregorian calendar). struct tm is five ints,
 * a long tm_year, then tm_wday and tm_yday. */
static void hc_time64_to_tm(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "qww", a);
	int64_t t = (int64_t)a[0] + (int32_t)(uint32_t)a[1];
	int64_t days = floor_div(t, 86400), rem = t - days * 86400;
	int64_t z = days + 719468, era = floor_div(z, 146097), doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t mday = doy - (153 * mp + 2) / 5 + 1, mon = mp < 10 ? mp + 2 : mp - 10;
	int64_t year = yoe + era * 400 + (mon < 2);
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	int64_t yday = before[mon] + mday - 1 + (mon >= 2 && leap(year));
	int64_t wday = floor_div(days + 4, 7) * -7 + days + 4;
	unsigned wb = wb_of(m);
	uint64_t tm = a[2], ywb = wb == 8 ? 24 : 20;
	int64_t head[5] = { rem % 60, rem / 60 % 60, rem / 3600, mday, mon };
	for (int i = 0; i < 5; i++)
		if (int_write(m, tm + 4u * (unsigned)i, head[i]))
			return;
	uint8_t b[8];
	mb_store(b, wb, (uint64_t)(year - 1900), be_of(m));
	if (mb_guest_write(m, tm + ywb, b, wb) == 0 && int_write(m, tm + ywb + wb, wday) == 0)
		int_write(m, tm + ywb + wb + 4, yday);
}

/* div_s64_rem(dividend, divisor, *remainder) (32-bit arches). */
static void hc_div_s64_rem(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "qww", a);
	int64_t n = (int64_t)a[0];
	int32_t d = (int32_t)(uint32_t)a[1];
	if (d == 0) {
		mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), false, 0, NULL, "division by zero in div_s64_rem");
		return;
	}
	int64_t q = (n == INT64_MIN && d == -1) ? n : n / d;
	if (int_write(m, a[2], (n == INT64_MIN && d == -1) ? 0 : n % d) == 0)
		mb_hc_ret64(m, (uint64_t)q);
}

/* strstr(haystack, needle) */
static void hc_strstr(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	long hl = mb_guest_strnlen(m, a[0], 1u << 20), nl = mb_guest_strnlen(m, a[1], 1u << 20);
	if (hl < 0 || nl < 0)
		return;
	char *h = malloc((size_t)hl + 1), *n = malloc((size_t)nl + 1);
	if (h && n && mb_guest_read(m, a[0], h, (size_t)hl) == 0 && mb_guest_read(m, a[1], n, (size_t)nl) == 0) {
		h[hl] = n[nl] = 0;
		char *f = strstr(h, n);
		mb_hc_ret(m, f ? a[0] + (uint64_t)(f - h) : 0);
	}
	free(h);
	free(n);
}

/* ---- lib/math/rational.c ------------------------------------------------------ */

/* rational_best_approximation(gn, gd, max_n, max_d, *best_n, *best_d): the
 * closest fraction with numerator <= max_n and denominator <= max_d, by the
 * continued fraction of gn/gd: the last convergent inside the bounds, or the
 * largest semiconvergent that fits when it is closer than that convergent
 * (the semiconvergent with term t beats the previous convergent when 2t > a,
 * and at 2t == a when the remaining tail favours it). unsigned long
 * arithmetic at the target's width. */
static void hc_rational_best_approximation(struct mb_machine *m)
{
	uint64_t a[6];
	mb_hc_args(m, "wwwwww", a);
	uint64_t mask = wb_of(m) == 8 ? UINT64_MAX : UINT32_MAX;
	uint64_t num = a[0], den = a[1], maxn = a[2], maxd = a[3];
	uint64_t p_prev = 0, q_prev = 1, p = 1, q = 0;   /* convergents k-2 and k-1 */
	while (den) {
		uint64_t term = num / den, rest = num % den, old_den = den;
		num = den;
		den = rest;
		uint64_t p_next = (p_prev + term * p) & mask, q_next = (q_prev + term * q) & mask;
		if (p_next > maxn || q_next > maxd) {
			uint64_t t = mask;
			if (q)
				t = (maxd - q_prev) / q;
			if (p && (maxn - p_prev) / p < t)
				t = (maxn - p_prev) / p;
			bool closer = !q || ((2 * t) & mask) > term ||
				      (((2 * t) & mask) == term && ((q_prev * old_den) & mask) > ((q * den) & mask));
			if (closer) {
				p = (p_prev + t * p) & mask;
				q = (q_prev + t * q) & mask;
			}
			break;
		}
		p_prev = p;
		q_prev = q;
		p = p_next;
		q = q_next;
	}
	if (word_write(m, a[4], p) == 0)
		word_write(m, a[5], q);
}

/* ---- debugfs: no file system behind it ------------------------------------------ */

#define DENTRY_BYTES 0x100u

/* debugfs_create_dir/file: a dentry nobody can open; KUnit (with
 * CONFIG_KUNIT_DEBUGFS) only keeps the pointer to remove it later. */
static void hc_debugfs_create(struct mb_machine *m)
{
	mb_hc_ret(m, mb_hc_alloc(m, DENTRY_BYTES, true));
}

static void hc_debugfs_remove(struct mb_machine *m)
{
	uint64_t d = mb_hc_word(m, 0);
	if (d > 4096 && d < (uint64_t)-4095)
		mb_heap_free(mb_machine_heap(m), d);
}

/* ---- the driver core's root devices ------------------------------------------ */

#define DEVICE_BYTES 0x1000u

/* __root_device_register(name, owner): a zeroed struct device (the tests only
 * hang devres allocations off it, which the stub frees with kfree). */
static void hc_root_device_register(struct mb_machine *m)
{
	mb_hc_ret(m, mb_hc_alloc(m, DEVICE_BYTES, true));
}

static void hc_device_unregister(struct mb_machine *m)
{
	uint64_t d = mb_hc_word(m, 0);
	if (d)
		mb_heap_free(mb_machine_heap(m), d);
}

const struct mb_hostcall mb_hostcalls_klib[] = {
	{ "get_option", hc_get_option }, { "get_options", hc_get_options },
	{ "memchr_inv", hc_memchr_inv }, { "memcpy_and_pad", hc_memcpy_and_pad },
	{ "strlcat", hc_strlcat }, { "strncat", hc_strncat },
	{ "full_name_hash", hc_full_name_hash }, { "hashlen_string", hc_hashlen_string },
	{ "time64_to_tm", hc_time64_to_tm }, { "div_s64_rem", hc_div_s64_rem },
	{ "__root_device_register", hc_root_device_register }, { "device_unregister", hc_device_unregister },
	{ "strstr", hc_strstr }, { "rational_best_approximation", hc_rational_best_approximation },
	{ "debugfs_create_dir", hc_debugfs_create }, { "debugfs_create_file", hc_debugfs_create },
	{ "debugfs_remove", hc_debugfs_remove },
	{ NULL, NULL },
};
