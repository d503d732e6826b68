#include "core/opword.h"

/* Native aligned words are moved in one access: on the emulated CPUs every
 * store costs ~150 ns (Unicorn 2.0.1), so byte-wise stores would dominate. */
typedef unsigned long __attribute__((may_alias)) ulong_alias;

static const uint8_t magic[4] = { 'M', 'B', 'O', 'S' };

static bool host_is_big_endian(void)
{
	const union { uint32_t word; uint8_t bytes[4]; } probe = { .word = 1 };
	return probe.bytes[0] == 0;
}

struct mb_opfmt mb_opfmt_native(void)
{
	struct mb_opfmt f = { (uint8_t)sizeof(unsigned long), host_is_big_endian() };
	return f;
}

bool mb_opfmt_usable(struct mb_opfmt f)
{
	return (f.width == 4 || f.width == 8) && f.width <= sizeof(unsigned long);
}

void mb_ophdr_put(uint8_t *p, struct mb_opfmt f)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = magic[i];
	p[4] = MB_OPSTREAM_VERSION;
	p[5] = f.width;
	p[6] = f.big_endian ? 1 : 0;
	p[7] = 0;
}

bool mb_ophdr_get(const uint8_t *p, struct mb_opfmt *f)
{
	for (unsigned i = 0; i < 4; i++)
		if (p[i] != magic[i])
			return false;
	if (p[4] != MB_OPSTREAM_VERSION || (p[5] != 4 && p[5] != 8) || p[6] > 1 || p[7] != 0)
		return false;
	f->width = p[5];
	f->big_endian = p[6] == 1;
	return true;
}

/* Byte i (0 = least significant) of a word lives at this offset. */
static unsigned byte_at(struct mb_opfmt f, unsigned i)
{
	return f.big_endian ? f.width - 1u - i : i;
}

static bool native_aligned(const uint8_t *p, struct mb_opfmt f)
{
	return f.width == sizeof(unsigned long) && f.big_endian == host_is_big_endian() &&
	       (uintptr_t)p % sizeof(unsigned long) == 0;
}

unsigned long mb_opword_get(const uint8_t *p, struct mb_opfmt f, bool *too_wide)
{
	if (native_aligned(p, f))
		return *(const ulong_alias *)p;
	unsigned long v = 0;
	for (unsigned i = 0; i < f.width; i++) {
		uint8_t b = p[byte_at(f, i)];
		if (i >= sizeof(unsigned long)) {
			if (b != 0)
				*too_wide = true;
			continue;
		}
		v |= (unsigned long)b << (8u * i);
	}
	return v;
}

bool mb_opword_fits(struct mb_opfmt f, unsigned long v)
{
	if (f.width >= sizeof(unsigned long) || v == ~0UL)
		return true;
	/* Two shifts: a single shift by 8*width could equal the type's width. */
	return ((v >> (4u * f.width)) >> (4u * f.width)) == 0;
}

bool mb_opword_put(uint8_t *p, struct mb_opfmt f, unsigned long v)
{
	if (native_aligned(p, f)) {
		*(ulong_alias *)p = v;
		return true;
	}
	bool fits = mb_opword_fits(f, v);
	for (unsigned i = 0; i < f.width; i++) {
		unsigned long b = i < sizeof(unsigned long) ? (v >> (8u * i)) & 0xffu : 0;
		p[byte_at(f, i)] = (uint8_t)b;
	}
	return fits;
}
