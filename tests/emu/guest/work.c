/* Functions the emulator tests call on every arch and compare with the same
 * source built for the host. Integer widths are fixed so that 32-bit ppc and
 * the 64-bit host compute the same thing. */
#include "kapi.h"

typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

/* ---- arithmetic and recursion ---- */

s32 arith(s32 a, s32 b, s32 c)
{
	return a * b - c / (b | 1) + (a ^ c) % 7;
}

s32 fib(s32 n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

u32 crc32_buf(const unsigned char *p, u32 n)
{
	u32 crc = 0xffffffffu;
	for (u32 i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* ---- function pointers and a jump table ---- */

static s32 op_add(s32 a, s32 b) { return a + b; }
static s32 op_sub(s32 a, s32 b) { return a - b; }
static s32 op_mul(s32 a, s32 b) { return a * b; }
static s32 op_xor(s32 a, s32 b) { return a ^ b; }
static s32 (*const ops[4])(s32, s32) = { op_add, op_sub, op_mul, op_xor };

s32 apply(u32 i, s32 a, s32 b)
{
	return ops[i & 3](a, b);
}

s32 classify(s32 x)
{
	switch (x) {
	case 0: return 101;
	case 1: return 207;
	case 2: return 311;
	case 3: return 419;
	case 4: return 523;
	case 5: return 631;
	case 6: return 743;
	case 7: return 853;
	case 8: return 967;
	case 9: return 1069;
	default: return -1;
	}
}

/* ---- strings and memory through the kernel stub ---- */

u32 str_len(const char *s)
{
	return (u32)strlen(s);
}

s32 str_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

s32 str_ncmp(const char *a, const char *b, u32 n)
{
	return strncmp(a, b, n);
}

s32 copy_upper(char *dst, const char *src, u32 size)
{
	s32 n = (s32)strscpy(dst, src, size);
	for (char *p = dst; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return n;
}

s32 mem_ops(unsigned char *buf, u32 n)
{
	unsigned char tmp[64];
	if (n > sizeof(tmp))
		n = sizeof(tmp);
	memset(tmp, 0x5a, n);
	memcpy(buf, tmp, n / 2);
	return memcmp(buf, tmp, n);
}

s32 alloc_sum(u32 n)
{
	s32 *v = __kmalloc(n * sizeof(*v), GFP_KERNEL | __GFP_ZERO);
	if (!v)
		return -12;
	s32 sum = 0;
	for (u32 i = 0; i < n; i++)
		v[i] += (s32)(i * i);
	for (u32 i = 0; i < n; i++)
		sum += v[i];
	kfree(v);
	return sum;
}

s32 say(s32 x)
{
	return _printk("\0016hello %d %s 0x%x %lld\n", x, "world", 0xbeefu, (s64)x * 1000000007ll);
}

s32 format(char *buf, u32 size, s32 x)
{
	return snprintf(buf, size, "[%5d|%-3s|%08x]", x, "ab", (u32)x * 3u);
}

/* ---- 64-bit math (ppc32: libgcc helpers in the stub) ---- */

void math64(u32 ahi, u32 alo, u32 bhi, u32 blo, u64 *out)
{
	u64 a = (u64)ahi << 32 | alo, b = (u64)bhi << 32 | blo;
	s64 sa = (s64)a, sb = (s64)b;
	out[0] = a / b;
	out[1] = a % b;
	out[2] = (u64)(sa / sb);
	out[3] = (u64)(sa % sb);
	out[4] = a * b;
	out[5] = a << (blo & 63);
	out[6] = a >> (blo & 63);
	out[7] = (u64)(sa >> (blo & 63));
}

/* ---- data the tests inspect ---- */

s32 counter = 7;
const s32 table_ro[4] = { 3, 1, 4, 1 };

s32 bump(s32 by)
{
	counter += by;
	return counter;
}

s32 read_ro(u32 i)
{
	return table_ro[i & 3];
}

/* ---- for the benchmark: n host-implemented kernel calls ---- */

s32 hostcall_loop(u32 n)
{
	s32 s = 0;
	for (u32 i = 0; i < n; i++)
		s += (s32)strlen("abc");
	return s;
}
