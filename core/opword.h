/* Words of an operation stream, in an explicit width and byte order.
 *
 * The same bytes are read by the host (64-bit little-endian unsigned long) and
 * by the core built for an emulated CPU (ppc32: 32-bit big-endian unsigned
 * long), so no value is ever stored in "native" form: every word is written
 * and read with the stream's own width (4 or 8) and byte order.
 *
 * Freestanding: host and guest both compile this. */
#ifndef MODBED_CORE_OPWORD_H
#define MODBED_CORE_OPWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A stream's word format. */
struct mb_opfmt {
	uint8_t width;       /* 4 or 8 bytes */
	bool big_endian;
};

/* Every buffer (operations and results) starts with this 8-byte header:
 * "MBOS", version, width, byte order (0 little, 1 big), 0. The bytes of the
 * header are the same in every format, so a reader learns the format from it. */
#define MB_OPSTREAM_HDR_BYTES 8u
#define MB_OPSTREAM_VERSION 1u

/* The format the code reading it runs in: sizeof(unsigned long), host order. */
struct mb_opfmt mb_opfmt_native(void);
/* True if the format can be decoded into an unsigned long here (a 64-bit
 * stream cannot run on a 32-bit core). */
bool mb_opfmt_usable(struct mb_opfmt f);

void mb_ophdr_put(uint8_t *p, struct mb_opfmt f);
/* False if p is not a header of a known version and width. */
bool mb_ophdr_get(const uint8_t *p, struct mb_opfmt *f);

/* Reads one word at p. *too_wide is set (never cleared) when the value does
 * not fit in an unsigned long. */
unsigned long mb_opword_get(const uint8_t *p, struct mb_opfmt f, bool *too_wide);
/* Does v fit the format's width? ~0UL is all ones in every width (the
 * kernel's "-1UL" initial bound) and so always fits. */
bool mb_opword_fits(struct mb_opfmt f, unsigned long v);
/* Writes one word at p. Returns false when v does not fit in the format's
 * width (a 64-bit host writing a 32-bit stream); the low bytes are written. */
bool mb_opword_put(uint8_t *p, struct mb_opfmt f, unsigned long v);

#endif
