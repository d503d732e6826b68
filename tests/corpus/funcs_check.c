/* Real exported functions of Debian's modules, run with `modbed call` on
 * the emulated x86_64 and arm64 CPUs, and of the kbuild sets built from
 * linux-source-6.1 (powerpc32 book3s/32 and 8xx, x86_64, arm64), checked
 * against host implementations
 * written here from the algorithms' specifications (RFC 7748 X25519,
 * RFC 8439 Poly1305, the GCM spec's GF(2^128) multiply, RFC 8452 POLYVAL,
 * the CRC definitions, the LZ4 block format), never from module code.
 * Inputs are pseudo-random, so each run checks the class, not one vector.
 *
 * usage: funcs_check MODBED CORPUS_DIR    (exit 77 when the corpus is absent)
 *        funcs_check MODBED --kbuild SET_DIR ARCH [MAP [KERNEL [KCONFIG]]]
 *                                         (SET_DIR/modules; exit 77 when absent)
 *        ... --opts "OPTIONS"            every modbed run also gets OPTIONS
 *                                         (e.g. the builtin packed layout) */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/check_main.h"
#include "tests/evidence.h"

static const char *modbed, *corpus;

/* Where the modules of each arch under test are: Debian's tree
 * (CORPUS/ARCH/kernel/...) or one kbuild set (SET/modules/...), and the
 * options that pick the map. */
struct target {
	const char *arch;
	char root[600];
	char opts[600]; /* --kernel-config takes a cache path */
};
static struct target targets[2];
static size_t ntargets;
static bool kbuild; /* a kbuild set: only what Debian's tree has is skipped */

/* ---- running modbed ------------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd8();
}

static char *hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

/* Runs `modbed ARGS --json`; returns stdout (malloc'ed). Asserts exit 0. */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
	static char cmd[1 << 16];
	int n = snprintf(cmd, sizeof(cmd), "%s ", modbed);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	size_t got;
	while ((got = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 4096)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	int st = pclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "modbed exited %d: %.300s\ncommand: %.400s",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1, out, cmd);
	return out;
}

/* The i-th call's return value; asserts that no call faulted. */
static uint64_t ret_of(const char *json, int i)
{
	ck_assert_msg(strstr(json, "\"fault\":{") == NULL, "a call faulted: %.400s", json);
	const char *p = json;
	for (int k = 0; k <= i; k++) {
		p = strstr(p, "\"ret\":\"");
		ck_assert_msg(p != NULL, "no return value %d in %.300s", i, json);
		p += 7;
	}
	return strtoull(p, NULL, 16);
}

static void buffer_of(const char *json, const char *name, uint8_t *dst, size_t n)
{
	char key[64];
	snprintf(key, sizeof(key), "\"%s\":\"", name);
	const char *b = strstr(json, "\"buffers\"");
	ck_assert_ptr_nonnull(b);
	const char *p = strstr(b, key);
	ck_assert_msg(p != NULL, "no buffer %s in %.300s", name, json);
	p += strlen(key);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_msg(sscanf(p + 2 * i, "%2x", &v) == 1, "buffer %s shorter than %zu", name, n);
		dst[i] = (uint8_t)v;
	}
}

/* "OPTIONS PATH" for the module rel of target a (goes where a file goes). */
static char *module(size_t a, const char *rel)
{
	static char path[4][1600];
	static int k;
	char *p = path[k++ & 3];
	snprintf(p, sizeof(path[0]), "%s %s/%s", targets[a].opts, targets[a].root, rel);
	return p;
}

/* ---- host references ------------------------------------------------------ */

/* CRC-16/ITU-T (CCITT): polynomial x^16 + x^12 + x^5 + 1, MSB first. */
static uint16_t ref_crc_itu_t(uint16_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

/* CRC-7 (x^7 + x^3 + 1), MSB first, kept in the top 7 bits of a byte as
 * crc7_be() documents. */
static uint8_t ref_crc7_be(uint8_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ (0x09 << 1) : crc << 1);
	}
	return crc;
}

/* GCM's multiply (NIST SP 800-38D, algorithm 1): bit 0 is the MSB of byte 0. */
static void ref_gf128_lle(uint8_t x[16], const uint8_t y[16])
{
	uint8_t z[16] = { 0 }, v[16];
	memcpy(v, y, 16);
	for (int i = 0; i < 128; i++) {
		if (x[i / 8] & (0x80 >> (i % 8)))
			for (int k = 0; k < 16; k++)
				z[k] ^= v[k];
		int lsb = v[15] & 1;
		for (int k = 15; k > 0; k--)
			v[k] = (uint8_t)((v[k] >> 1) | (v[k - 1] << 7));
		v[0] >>= 1;
		if (lsb)
			v[0] ^= 0xe1;
	}
	memcpy(x, z, 16);
}

/* POLYVAL's dot (RFC 8452): a * b * x^-128 modulo x^128 + x^127 + x^126 +
 * x^121 + 1, little-endian bit order (bit 0 of byte 0 is x^0). */
static void ref_polyval_dot(uint8_t out[16], const uint8_t a[16], const uint8_t b[16])
{
	uint64_t c[5] = { 0 };  /* 257 bits: product, then Montgomery reduction */
	for (int i = 0; i < 128; i++) {
		if (!(a[i / 8] >> (i % 8) & 1))
			continue;
		for (int j = 0; j < 128; j++)
			if (b[j / 8] >> (j % 8) & 1)
				c[(i + j) / 64] ^= 1ull << ((i + j) % 64);
	}
	for (int i = 0; i < 128; i++) {
		if (c[0] & 1) {  /* add P: bits 0, 121, 126, 127, 128 */
			c[0] ^= 1;
			c[1] ^= (1ull << 57) | (1ull << 62) | (1ull << 63);
			c[2] ^= 1;
		}
		for (int k = 0; k < 4; k++)
			c[k] = (c[k] >> 1) | (c[k + 1] << 63);
		c[4] >>= 1;
	}
	if (c[2] & 1) {  /* degree 128 left: one more reduction by P */
		c[0] ^= 1;
		c[1] ^= (1ull << 57) | (1ull << 62) | (1ull << 63);
		c[2] ^= 1;
	}
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(c[i / 8] >> (8 * (i % 8)));
}

/* Poly1305 (RFC 8439 section 2.5): 130-bit arithmetic in 26-bit limbs. */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void ref_poly1305(uint8_t tag[16], const uint8_t key[32], const uint8_t *m, size_t n)
{
	uint32_t r[5], h[5] = { 0 };
	r[0] = le32(key + 0) & 0x3ffffff;
	r[1] = (le32(key + 3) >> 2) & 0x3ffff03;
	r[2] = (le32(key + 6) >> 4) & 0x3ffc0ff;
	r[3] = (le32(key + 9) >> 6) & 0x3f03fff;
	r[4] = (le32(key + 12) >> 8) & 0x00fffff;
	while (n) {
		uint8_t blk[17] = { 0 };
		size_t k = n < 16 ? n : 16;
		memcpy(blk, m, k);
		blk[k] = 1;  /* the 2^(8k) bit */
		m += k;
		n -= k;
		uint32_t b[5] = { le32(blk) & 0x3ffffff, (le32(blk + 3) >> 2) & 0x3ffffff,
				  (le32(blk + 6) >> 4) & 0x3ffffff, (le32(blk + 9) >> 6) & 0x3ffffff,
				  (le32(blk + 12) >> 8) | (uint32_t)blk[16] << 24 };
		for (int i = 0; i < 5; i++)
			h[i] += b[i];
		uint64_t d[5];
		for (int i = 0; i < 5; i++) {
			d[i] = 0;
			for (int j = 0; j < 5; j++) {
				/* limb i of h*r: h_j * r_(i-j), wrapping with *5 (2^130 = 5) */
				int k2 = i - j;
				uint64_t rr = k2 >= 0 ? r[k2] : (uint64_t)r[k2 + 5] * 5;
				d[i] += (uint64_t)h[j] * rr;
			}
		}
		uint64_t c = 0;
		for (int i = 0; i < 5; i++) {
			d[i] += c;
			c = d[i] >> 26;
			h[i] = (uint32_t)d[i] & 0x3ffffff;
		}
		uint64_t t0 = h[0] + c * 5;
		h[0] = (uint32_t)t0 & 0x3ffffff;
		h[1] += (uint32_t)(t0 >> 26);
	}
	/* Fully carry, then subtract p if h >= p. */
	uint32_t c = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 5; i++) {
			h[i] += c;
			c = h[i] >> 26;
			h[i] &= 0x3ffffff;
		}
		h[0] += c * 5;
		c = 0;
	}
	uint32_t g[5];
	c = 5;
	for (int i = 0; i < 5; i++) {
		g[i] = h[i] + c;
		c = g[i] >> 26;
		g[i] &= 0x3ffffff;
	}
	if (c)  /* h + 5 overflowed 2^130: h >= p, so h - p = g */
		memcpy(h, g, sizeof(h));
	uint64_t acc = (uint64_t)h[0] | (uint64_t)h[1] << 26 | (uint64_t)h[2] << 52;
	uint64_t lo = acc, hi = (uint64_t)h[2] >> 12 | (uint64_t)h[3] << 14 | (uint64_t)h[4] << 40;
	uint64_t s0 = 0, s1 = 0;
	for (int i = 0; i < 8; i++) {
		s0 |= (uint64_t)key[16 + i] << (8 * i);
		s1 |= (uint64_t)key[24 + i] << (8 * i);
	}
	uint64_t o0 = lo + s0, o1 = hi + s1 + (o0 < lo);
	for (int i = 0; i < 8; i++) {
		tag[i] = (uint8_t)(o0 >> (8 * i));
		tag[8 + i] = (uint8_t)(o1 >> (8 * i));
	}
}

/* X25519 (RFC 7748 section 5): the Montgomery ladder over GF(2^255 - 19),
 * field elements as 16 signed limbs of 16 bits. */
typedef int64_t fe[16];

static void fe_carry(fe a)
{
	for (int i = 0; i < 16; i++) {
		int64_t c = a[i] >= 0 ? a[i] / 65536 : -((-a[i] + 65535) / 65536);
		a[i] -= c * 65536;
		if (i < 15)
			a[i + 1] += c;
		else
			a[0] += 38 * c;  /* 2^256 = 38 mod p */
	}
}

static void fe_add(fe o, const fe a, const fe b)
{
	for (int i = 0; i < 16; i++)
		o[i] = a[i] + b[i];
}

static void fe_sub(fe o, const fe a, const fe b)
{
	for (int i = 0; i < 16; i++)
		o[i] = a[i] - b[i];
}

static void fe_mul(fe o, const fe a, const fe b)
{
	int64_t t[31] = { 0 };
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			t[i + j] += a[i] * b[j];
	for (int i = 0; i < 15; i++)
		t[i] += 38 * t[i + 16];
	for (int i = 0; i < 16; i++)
		o[i] = t[i];
	fe_carry(o);
	fe_carry(o);
}

static void fe_inv(fe o, const fe a)
{
	fe c;
	memcpy(c, a, sizeof(fe));
	/* a^(p-2), p - 2 = 2^255 - 21: every bit set except bits 2 and 4. */
	for (int i = 253; i >= 0; i--) {
		fe_mul(c, c, c);
		if (i != 2 && i != 4)
			fe_mul(c, c, a);
	}
	memcpy(o, c, sizeof(fe));
}

static void fe_cswap(fe a, fe b, int swap)
{
	for (int i = 0; i < 16; i++) {
		int64_t t = swap ? a[i] ^ b[i] : 0;
		a[i] ^= t;
		b[i] ^= t;
	}
}

static void fe_pack(uint8_t out[32], const fe a)
{
	fe t;
	memcpy(t, a, sizeof(fe));
	fe_carry(t);
	fe_carry(t);
	/* Normalise every limb to 16 bits and the value below 2^255 + 2^16
	 * (2^255 = 19 mod p), then subtract p while t >= p. */
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < 15; i++) {
			int64_t c = t[i] >= 0 ? t[i] / 65536 : -((-t[i] + 65535) / 65536);
			t[i] -= c * 65536;
			t[i + 1] += c;
		}
		int64_t c = t[15] >= 0 ? t[15] / 32768 : -((-t[15] + 32767) / 32768);
		t[15] -= c * 32768;
		t[0] += 19 * c;
	}
	for (int pass = 0; pass < 2; pass++) {
		static const int64_t p[16] = { 0xffed, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
					       0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x7fff };
		fe m;
		int64_t borrow = 0;
		for (int i = 0; i < 16; i++) {
			m[i] = t[i] - p[i] - borrow;
			borrow = m[i] < 0;
			m[i] += borrow * 65536;
		}
		if (!borrow)
			memcpy(t, m, sizeof(fe));
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = (uint8_t)t[i];
		out[2 * i + 1] = (uint8_t)(t[i] >> 8);
	}
}

static void ref_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
	uint8_t k[32];
	memcpy(k, scalar, 32);
	k[0] &= 248;
	k[31] = (uint8_t)((k[31] & 127) | 64);
	fe x1, x2 = { 1 }, z2 = { 0 }, x3, z3 = { 1 }, a24 = { 0xdb41, 1 };  /* 121665 */
	for (int i = 0; i < 16; i++)
		x1[i] = point[2 * i] | (int64_t)point[2 * i + 1] << 8;
	x1[15] &= 0x7fff;
	memcpy(x3, x1, sizeof(fe));
	int swap = 0;
	for (int t = 254; t >= 0; t--) {
		int bit = (k[t / 8] >> (t % 8)) & 1;
		swap ^= bit;
		fe_cswap(x2, x3, swap);
		fe_cswap(z2, z3, swap);
		swap = bit;
		fe A, AA, B, BB, E, C, D, DA, CB, tmp;
		fe_add(A, x2, z2);
		fe_mul(AA, A, A);
		fe_sub(B, x2, z2);
		fe_mul(BB, B, B);
		fe_sub(E, AA, BB);
		fe_add(C, x3, z3);
		fe_sub(D, x3, z3);
		fe_mul(DA, D, A);
		fe_mul(CB, C, B);
		fe_add(tmp, DA, CB);
		fe_mul(x3, tmp, tmp);
		fe_sub(tmp, DA, CB);
		fe_mul(tmp, tmp, tmp);
		fe_mul(z3, x1, tmp);
		fe_mul(x2, AA, BB);
		fe_mul(tmp, a24, E);
		fe_add(tmp, AA, tmp);
		fe_mul(z2, E, tmp);
	}
	fe_cswap(x2, x3, swap);
	fe_cswap(z2, z3, swap);
	fe_inv(z2, z2);
	fe_mul(x2, x2, z2);
	fe_pack(out, x2);
}

/* CRC-8, MSB first, polynomial poly (x^8 implied), as a bit loop. */
static uint8_t ref_crc8_msb(uint8_t poly, uint8_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ poly : crc << 1);
	}
	return crc;
}

static uint32_t rotl32(uint32_t v, unsigned r)
{
	return v << r | v >> (32 - r);
}

/* XXH32 from the xxHash specification (little-endian lanes). */
static uint32_t ref_xxh32(const uint8_t *p, size_t n, uint32_t seed)
{
	const uint32_t P1 = 0x9E3779B1u, P2 = 0x85EBCA77u, P3 = 0xC2B2AE3Du, P4 = 0x27D4EB2Fu, P5 = 0x165667B1u;
	size_t i = 0;
	uint32_t h;
	if (n >= 16) {
		uint32_t v[4] = { seed + P1 + P2, seed + P2, seed, seed - P1 };
		for (; i + 16 <= n; i += 16)
			for (int k = 0; k < 4; k++)
				v[k] = rotl32(v[k] + le32(p + i + 4 * k) * P2, 13) * P1;
		h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
	} else {
		h = seed + P5;
	}
	h += (uint32_t)n;
	for (; i + 4 <= n; i += 4)
		h = rotl32(h + le32(p + i) * P3, 17) * P4;
	for (; i < n; i++)
		h = rotl32(h + p[i] * P5, 11) * P1;
	h ^= h >> 15;
	h *= P2;
	h ^= h >> 13;
	h *= P3;
	return h ^ (h >> 16);
}

/* RC4: key schedule, then the output generator XORed into the data. */
static void ref_rc4(const uint8_t *key, size_t klen, uint8_t *out, const uint8_t *in, size_t n)
{
	uint8_t S[256];
	for (int i = 0; i < 256; i++)
		S[i] = (uint8_t)i;
	for (int i = 0, j = 0; i < 256; i++) {
		j = (j + S[i] + key[i % klen]) & 255;
		uint8_t t = S[i]; S[i] = S[j]; S[j] = t;
	}
	for (size_t k = 0, i = 0, j = 0; k < n; k++) {
		i = (i + 1) & 255;
		j = (j + S[i]) & 255;
		uint8_t t = S[i]; S[i] = S[j]; S[j] = t;
		out[k] = in[k] ^ S[(S[i] + S[j]) & 255];
	}
}

/* LZ4 block format: sequences of (token, literals, offset, match). Returns
 * the decoded length, or -1 on a malformed block. */
static long ref_lz4_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t ip = 0, op = 0;
	while (ip < n) {
		unsigned token = in[ip++];
		size_t lit = token >> 4;
		if (lit == 15) {
			uint8_t b;
			do {
				if (ip >= n)
					return -1;
				b = in[ip++];
				lit += b;
			} while (b == 255);
		}
		if (ip + lit > n || op + lit > cap)
			return -1;
		memcpy(out + op, in + ip, lit);
		ip += lit;
		op += lit;
		if (ip == n)
			break;  /* the last sequence has literals only */
		if (ip + 2 > n)
			return -1;
		size_t off = in[ip] | (size_t)in[ip + 1] << 8;
		ip += 2;
		size_t ml = token & 15;
		if (ml == 15) {
			uint8_t b;
			do {
				if (ip >= n)
					return -1;
				b = in[ip++];
				ml += b;
			} while (b == 255);
		}
		ml += 4;
		if (off == 0 || off > op || op + ml > cap)
			return -1;
		for (size_t i = 0; i < ml; i++, op++)
			out[op] = out[op - off];
	}
	return (long)op;
}

/* ---- the checks ----------------------------------------------------------- */

START_TEST(reference_selftest)
{
	/* The references against the specs' own published vectors. */
	uint8_t out[32], k[32], u[32];
	const char *ks = "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4";
	const char *us = "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c";
	for (int i = 0; i < 32; i++) {
		unsigned a, b;
		sscanf(ks + 2 * i, "%2x", &a);
		sscanf(us + 2 * i, "%2x", &b);
		k[i] = (uint8_t)a;
		u[i] = (uint8_t)b;
	}
	ref_x25519(out, k, u);
	char *h = hex(out, 32);
	ck_assert_str_eq(h, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");  /* RFC 7748 5.2 */
	free(h);
	static const uint8_t pkey[32] = { 0x85, 0xd6, 0xbe, 0x78, 0x57, 0x55, 0x6d, 0x33, 0x7f, 0x44, 0x52,
					  0xfe, 0x42, 0xd5, 0x06, 0xa8, 0x01, 0x03, 0x80, 0x8a, 0xfb, 0x0d,
					  0xb2, 0xfd, 0x4a, 0xbf, 0xf6, 0xaf, 0x41, 0x49, 0xf5, 0x1b };
	const char *msg = "Cryptographic Forum Research Group";
	uint8_t tag[16];
	ref_poly1305(tag, pkey, (const uint8_t *)msg, strlen(msg));
	h = hex(tag, 16);
	ck_assert_str_eq(h, "a8061dc1305136c6c22b8baf0c0127a9");  /* RFC 8439 2.5.2 */
	free(h);
	ck_assert_uint_eq(ref_crc_itu_t(0, (const uint8_t *)"123456789", 9), 0x31c3);  /* CRC-16/XMODEM check */
	ck_assert_uint_eq(ref_crc7_be(0, (const uint8_t *)"123456789", 9) >> 1, 0x75);  /* CRC-7/MMC check */
	uint8_t x[16], y[16];
	static const char hx[] = "66e94bd4ef8a2c3b884cfa59ca342b2e", hy[] = "0388dace60b6a392f328c2b971b2fe78";
	for (int i = 0; i < 16; i++) {
		unsigned a, b;
		sscanf(&hx[2 * i], "%2x", &a);
		sscanf(&hy[2 * i], "%2x", &b);
		x[i] = (uint8_t)a;
		y[i] = (uint8_t)b;
	}
	ref_gf128_lle(x, y);
	h = hex(x, 16);
	ck_assert_str_eq(h, "5e2ec746917062882c85b0685353deb7");  /* GCM test case 2, X1 */
	free(h);
}
END_TEST

START_TEST(crc_itu_t_and_crc7)
{
	for (size_t a = 0; a < ntargets; a++) {
		for (int round = 0; round < 3; round++) {
			uint8_t data[300];
			size_t n = 1 + rnd8() + (size_t)round * 17;
			rnd_fill(data, n);
			uint16_t init16 = (uint16_t)(rnd8() << 8 | rnd8());
			uint8_t init7 = (uint8_t)(rnd8() & 0xfe);
			char *h = hex(data, n);
			char *out = run("call --json --no-init %s %s -- crc_itu_t %u d=hex:%s %zu -- crc7_be %u @d %zu",
					module(a, "lib/crc-itu-t.ko"), module(a, "lib/crc7.ko"), init16,
					h, n, init7, n);
			/* u16 / u8 returns: only the low bits of the register are defined. */
			ck_assert_uint_eq(ret_of(out, 0) & 0xffff, ref_crc_itu_t(init16, data, n));
			ck_assert_uint_eq(ret_of(out, 1) & 0xff, ref_crc7_be(init7, data, n));
			free(out);
			free(h);
		}
	}
}
END_TEST

/* Uses the stack canary on both arches (gf128mul_lle calls __stack_chk_fail). */
START_TEST(gf128mul_lle)
{
	for (size_t a = 0; a < ntargets; a++) {
		for (int round = 0; round < 4; round++) {
			uint8_t x[16], y[16];
			rnd_fill(x, 16);
			rnd_fill(y, 16);
			char *hx = hex(x, 16), *hy = hex(y, 16);
			char *out = run("call --json --no-init %s -- gf128mul_lle a=hex:%s hex:%s",
					module(a, "crypto/gf128mul.ko"), hx, hy);
			uint8_t got[16];
			buffer_of(out, "a", got, 16);
			ref_gf128_lle(x, y);
			ck_assert_msg(memcmp(got, x, 16) == 0, "%s: gf128mul_lle differs from GCM's multiply", targets[a].arch);
			free(out);
			free(hx);
			free(hy);
		}
	}
}
END_TEST

/* State crosses four calls: init, update, update (unaligned split), final. */
START_TEST(poly1305_init_update_final)
{
	for (size_t a = 0; a < ntargets; a++) {
		uint8_t key[32], msg[200], tag[16], got[16];
		rnd_fill(key, 32);
		size_t n = 40 + rnd8() % 150, first = 1 + rnd8() % 20;
		rnd_fill(msg, n);
		char *hk = hex(key, 32), *h1 = hex(msg, first), *h2 = hex(msg + first, n - first);
		char *out = run("call --json --no-init %s -- poly1305_init_generic d=out:512 hex:%s"
				" -- poly1305_update_generic @d hex:%s %zu -- poly1305_update_generic @d hex:%s %zu"
				" -- poly1305_final_generic @d t=out:16",
				module(a, "lib/crypto/libpoly1305.ko"), hk, h1, first, h2, n - first);
		ret_of(out, 3);
		buffer_of(out, "t", got, 16);
		ref_poly1305(tag, key, msg, n);
		ck_assert_msg(memcmp(got, tag, 16) == 0, "%s: Poly1305 tag differs (%zu bytes, split at %zu)",
			      targets[a].arch, n, first);
		free(out);
		free(hk);
		free(h1);
		free(h2);
	}
}
END_TEST

/* Uses the stack canary (curve25519_generic calls __stack_chk_fail). */
START_TEST(x25519_generic)
{
	for (size_t a = 0; a < ntargets; a++) {
		for (int round = 0; round < 2; round++) {
			uint8_t k[32], u[32], want[32], got[32];
			rnd_fill(k, 32);
			rnd_fill(u, 32);
			char *hk = hex(k, 32), *hu = hex(u, 32);
			char *out = run("call --json --no-init %s -- curve25519_generic o=out:32 hex:%s hex:%s",
					module(a, "lib/crypto/libcurve25519-generic.ko"), hk, hu);
			buffer_of(out, "o", got, 32);
			ref_x25519(want, k, u);
			ck_assert_msg(memcmp(got, want, 32) == 0, "%s: X25519 differs", targets[a].arch);
			free(out);
			free(hk);
			free(hu);
		}
	}
}
END_TEST

/* Needs a provider loaded through --modpath: curve25519_arch (x86_64's
 * curve25519-x86_64) falls back to libcurve25519-generic's code without
 * BMI2/ADX; polyval_mul_non4k (arm64's polyval-generic) multiplies with
 * gf128mul's gf128mul_lle. */
START_TEST(dependency_through_modpath)
{
	if (kbuild)
		return; /* Debian's arch modules; the kbuild fragment builds none */
	uint8_t k[32], u[32], want[32], got[32];
	rnd_fill(k, 32);
	rnd_fill(u, 32);
	char *hk = hex(k, 32), *hu = hex(u, 32);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/x86_64/kernel", corpus);
	char *out = run("call --json --no-init --modpath %s %s -- curve25519_arch o=out:32 hex:%s hex:%s", dir,
			module(0, "arch/x86/crypto/curve25519-x86_64.ko"), hk, hu);
	buffer_of(out, "o", got, 32);
	ref_x25519(want, k, u);
	ck_assert_msg(memcmp(got, want, 32) == 0, "x86_64: curve25519_arch differs");
	free(out);
	free(hk);
	free(hu);

	for (int round = 0; round < 3; round++) {
		uint8_t x[16], y[16], dot[16], gotp[16];
		rnd_fill(x, 16);
		rnd_fill(y, 16);
		char *hx = hex(x, 16), *hy = hex(y, 16);
		snprintf(dir, sizeof(dir), "%s/arm64/kernel", corpus);
		out = run("call --json --no-init --modpath %s %s -- polyval_mul_non4k a=hex:%s hex:%s", dir,
			  module(1, "crypto/polyval-generic.ko"), hx, hy);
		buffer_of(out, "a", gotp, 16);
		ref_polyval_dot(dot, x, y);
		ck_assert_msg(memcmp(gotp, dot, 16) == 0, "arm64: polyval_mul_non4k differs from POLYVAL's dot");
		free(out);
		free(hx);
		free(hy);
	}
}
END_TEST

/* Compression round trip: the module compresses, the host decodes. */
START_TEST(lz4_compress_roundtrip)
{
	for (size_t a = 0; a < ntargets; a++) {
		uint8_t in[1600];
		size_t n = 0;
		static const char *const words[] = { "module ", "memory ", "text ", "relocation ", "arm64 ", "x86 " };
		while (n + 16 < sizeof(in)) {  /* compressible, not trivial */
			const char *w = words[rnd8() % 6];
			memcpy(in + n, w, strlen(w));
			n += strlen(w);
			if (rnd8() < 40)
				in[n++] = rnd8();
		}
		char *h = hex(in, n);
		char *out = run("call --json --no-init %s -- LZ4_compress_default hex:%s c=out:2000 %zu 2000 out:20000",
				module(a, "lib/lz4/lz4_compress.ko"), h, n);
		long clen = (long)(int32_t)ret_of(out, 0);
		ck_assert_msg(clen > 0 && clen < (long)n, "%s: compressed size %ld of %zu", targets[a].arch, clen, n);
		uint8_t c[2000], back[2000];
		buffer_of(out, "c", c, (size_t)clen);
		ck_assert_int_eq(ref_lz4_decode(c, (size_t)clen, back, sizeof(back)), (long)n);
		ck_assert_msg(memcmp(back, in, n) == 0, "%s: LZ4 round trip differs", targets[a].arch);
		free(out);
		free(h);
	}
}
END_TEST

/* libcurve25519's init is curve25519_selftest(): RFC vectors through the
 * generic (and on x86_64 the arch) code, loaded through --modpath. Loading
 * runs init; a non-zero return or a fault makes `modbed load` fail. */
START_TEST(selftest_init_returns_zero)
{
	if (kbuild)
		return; /* libcurve25519.ko: built into the kbuild kernels */
	for (size_t a = 0; a < ntargets; a++) {
		char dir[600];
		snprintf(dir, sizeof(dir), "%s/%s/kernel", corpus, targets[a].arch);
		char *out = run("load --json --modpath %s %s", dir, module(a, "lib/crypto/libcurve25519.ko"));
		ck_assert_msg(strstr(out, "\"name\": \"libcurve25519\"") != NULL, "%s: %.300s", targets[a].arch, out);
		free(out);
	}
}
END_TEST


/* The references above against published vectors. */
START_TEST(reference_selftest_more)
{
	ck_assert_uint_eq(ref_crc8_msb(0x07, 0, (const uint8_t *)"123456789", 9), 0xf4); /* CRC-8 check */
	ck_assert_uint_eq(ref_xxh32((const uint8_t *)"", 0, 0), 0x02cc5d05u);         /* XXH32("") */
	char *h;
	uint8_t rc[9];
	ref_rc4((const uint8_t *)"Key", 3, rc, (const uint8_t *)"Plaintext", 9);
	h = hex(rc, 9);
	ck_assert_str_eq(h, "bbf316e8d940af0ad3"); /* the classic RC4 vector */
	free(h);
}
END_TEST

/* The module's present in target a, or (Debian's tree only) skipped. */
static bool present(size_t a, const char *rel);

/* crc8_populate_msb builds the table in guest memory, crc8 uses it. */
START_TEST(crc8_populated_table)
{
	for (size_t a = 0; a < ntargets; a++) {
		if (!present(a, "lib/crc8.ko"))
			continue;
		for (int round = 0; round < 3; round++) {
			uint8_t data[300], poly = (uint8_t)(rnd8() | 1), init = rnd8();
			size_t n = 1 + rnd8();
			rnd_fill(data, n);
			char *h = hex(data, n);
			char *out = run("call --json --no-init %s -- crc8_populate_msb t=out:256 %u -- crc8 @t hex:%s %zu %u",
					module(a, "lib/crc8.ko"), poly, h, n, init);
			ck_assert_uint_eq(ret_of(out, 1) & 0xff, ref_crc8_msb(poly, init, data, n));
			free(out);
			free(h);
		}
	}
}
END_TEST

START_TEST(xxh32_seeded)
{
	for (size_t a = 0; a < ntargets; a++) {
		if (!present(a, "lib/xxhash.ko"))
			continue;
		for (int round = 0; round < 4; round++) {
			uint8_t data[300];
			size_t n = (size_t)round * 7 + (round == 3 ? rnd8() : 0); /* short and long paths */
			rnd_fill(data, n);
			uint32_t seed = (uint32_t)rnd8() << 24 | (uint32_t)rnd8() << 8 | rnd8();
			char *h = hex(data, n);
			char *out = run("call --json --no-init %s -- xxh32 hex:%s %zu %u", module(a, "lib/xxhash.ko"),
					n ? h : "00", n, seed);
			ck_assert_uint_eq(ret_of(out, 0) & 0xffffffffu, ref_xxh32(data, n, seed));
			free(out);
			free(h);
		}
	}
}
END_TEST

/* struct arc4_ctx { u32 S[256]; u32 x, y; }: 1032 bytes across two calls. */
START_TEST(arc4_setkey_crypt)
{
	for (size_t a = 0; a < ntargets; a++) {
		if (!present(a, "lib/crypto/libarc4.ko"))
			continue;
		uint8_t key[32], in[200], want[200], got[200];
		size_t kl = 5 + rnd8() % 27, n = 1 + rnd8() % 200;
		rnd_fill(key, kl);
		rnd_fill(in, n);
		char *hk = hex(key, kl), *hi = hex(in, n);
		char *out = run("call --json --no-init %s -- arc4_setkey c=out:1032 hex:%s %zu -- arc4_crypt @c o=out:%zu hex:%s %zu",
				module(a, "lib/crypto/libarc4.ko"), hk, kl, n, hi, n);
		ck_assert_uint_eq(ret_of(out, 0) & 0xffffffffu, 0);
		buffer_of(out, "o", got, n);
		ref_rc4(key, kl, want, in, n);
		ck_assert_msg(memcmp(got, want, n) == 0, "%s: RC4 differs", targets[a].arch);
		free(out);
		free(hk);
		free(hi);
	}
}
END_TEST

static bool have(size_t a, const char *rel)
{
	struct stat st;
	char p[800];
	snprintf(p, sizeof(p), "%s/%s", targets[a].root, rel);
	return stat(p, &st) == 0;
}

static bool present(size_t a, const char *rel)
{
	bool h = have(a, rel);
	ck_assert_msg(h || !kbuild, "%s/%s missing from the kbuild set", targets[a].root, rel);
	return h;
}

int main(int argc, char **argv)
{
	const char *extra = "";
	if (argc >= 5 && strcmp(argv[argc - 2], "--opts") == 0) {
		extra = argv[argc - 1];
		argc -= 2;
	}
	if (argc == 3) {
		modbed = argv[1];
		corpus = argv[2];
		static const char *const debian[] = { "x86_64", "arm64" };
		for (size_t a = 0; a < 2; a++) {
			struct target *t = &targets[ntargets++];
			t->arch = debian[a];
			snprintf(t->root, sizeof(t->root), "%s/%s/kernel", corpus, debian[a]);
		}
	} else if (argc >= 5 && argc <= 8 && strcmp(argv[2], "--kbuild") == 0) {
		modbed = argv[1];
		kbuild = true;
		struct target *t = &targets[ntargets++];
		t->arch = argv[4];
		snprintf(t->root, sizeof(t->root), "%s/modules", argv[3]);
		/* KERNEL "": the modules' vermagic; KCONFIG: the set's .config */
		bool k = argc >= 7 && argv[6][0];
		snprintf(t->opts, sizeof(t->opts), "--arch %s%s%s%s%s%s%s", argv[4], argc >= 6 ? " --map " : "",
			 argc >= 6 ? argv[5] : "", k ? " --kernel " : "", k ? argv[6] : "",
			 argc == 8 ? " --kernel-config " : "", argc == 8 ? argv[7] : "");
	} else {
		fprintf(stderr, "usage: funcs_check MODBED CORPUS_DIR | MODBED --kbuild SET_DIR ARCH [MAP [KERNEL [KCONFIG]]]\n");
		return 2;
	}
	for (size_t a = 0; a < ntargets; a++) {
		size_t n = strlen(targets[a].opts);
		snprintf(targets[a].opts + n, sizeof(targets[a].opts) - n, " %s", extra);
	}
	for (size_t a = 0; a < ntargets; a++) {
		if (!have(a, "lib/crc7.ko")) {
			char what[900];
			snprintf(what, sizeof(what), "corpus: %s/lib/crc7.ko missing (run tests/corpus/%s)",
				 targets[a].root, kbuild ? "kbuild.sh" : "fetch.sh");
			return evidence_missing(what);
		}
	}
	const struct check_test tests[] = {
		CHECK_TEST(reference_selftest),
		CHECK_TEST(crc_itu_t_and_crc7),
		CHECK_TEST(gf128mul_lle),
		CHECK_TEST(poly1305_init_update_final),
		CHECK_TEST(x25519_generic),
		CHECK_TEST(dependency_through_modpath),
		CHECK_TEST(lz4_compress_roundtrip),
		CHECK_TEST(selftest_init_returns_zero),
		CHECK_TEST(reference_selftest_more),
		CHECK_TEST(crc8_populated_table),
		CHECK_TEST(xxh32_seeded),
		CHECK_TEST(arc4_setkey_crypt),
	};
	const struct check_suite cs = { .suite = "corpus_funcs", .tcase = "funcs", .timeout = 600 };
	return CHECK_RUN(&cs, tests);
}
