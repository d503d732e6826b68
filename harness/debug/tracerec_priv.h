/* Shared by tracerec_io.c (reading) and tracerec.c (recording, replay
 * check): the format's constants and its varint decoder. */
#ifndef MODBED_HARNESS_TRACEREC_PRIV_H
#define MODBED_HARNESS_TRACEREC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#define MB_TRACEREC_MAGIC "MBTRACE\0"
#define MB_TRACEREC_STR_MAX 4096u

/* One LEB128 varint at *p (advanced); false when it runs past end or
 * past 64 bits. */
bool mb_tracerec_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

#endif
