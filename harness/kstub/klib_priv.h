/* Guest word access shared by the klib*.c host implementations of
 * built-in lib/ functions (target width and byte order). */
#ifndef MODBED_KSTUB_KLIB_PRIV_H
#define MODBED_KSTUB_KLIB_PRIV_H

#include "harness/kstub/kstub_priv.h"

#define MAX_ELEMS (1u << 20)

static inline bool be_of(struct mb_machine *m)
{
	return mb_machine_arch(m)->big_endian;
}

static inline unsigned wb_of(struct mb_machine *m)
{
	return mb_machine_arch(m)->cpu->reg_bytes;
}

static inline int word_read(struct mb_machine *m, uint64_t at, uint64_t *v)
{
	uint8_t b[8];
	if (mb_guest_read(m, at, b, wb_of(m)) != 0)
		return -1;
	*v = mb_load(b, wb_of(m), be_of(m));
	return 0;
}

static inline int word_write(struct mb_machine *m, uint64_t at, uint64_t v)
{
	uint8_t b[8];
	mb_store(b, wb_of(m), v, be_of(m));
	return mb_guest_write(m, at, b, wb_of(m));
}

static inline int int_write(struct mb_machine *m, uint64_t at, int64_t v)
{
	uint8_t b[4];
	mb_store(b, 4, (uint64_t)v, be_of(m));
	return mb_guest_write(m, at, b, 4);
}

#endif
