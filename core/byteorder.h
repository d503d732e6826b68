/* Words in a target's byte order, in host memory: 1 to 8 bytes, either
 * endianness. One helper for every layer that reads or patches guest bytes
 * (relocations, the emulator's ABI, ksymtab parsing, the disassembler).
 * Freestanding. */
#ifndef MODBED_CORE_BYTEORDER_H
#define MODBED_CORE_BYTEORDER_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t mb_load(const uint8_t *p, unsigned bytes, bool big_endian)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned b = big_endian ? i : bytes - 1 - i;
		v = (v << 8) | p[b];
	}
	return v;
}

static inline void mb_store(uint8_t *p, unsigned bytes, uint64_t v, bool big_endian)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned b = big_endian ? bytes - 1 - i : i;
		p[b] = (uint8_t)v;
		v >>= 8;
	}
}

#endif
