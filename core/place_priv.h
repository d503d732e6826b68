/* Helpers core/place.c shares with core/place_packed.c and
 * core/place_builtin.c (not public API). */
#ifndef MODBED_CORE_PLACE_PRIV_H
#define MODBED_CORE_PLACE_PRIV_H

#include "core/place.h"

/* size rounded up to a (power of two), refused past cfg.addr_last */
bool mb_place_round_size(const struct mb_place *pl, unsigned long size, unsigned long a, unsigned long *out);
/* Lowest fit of size (+ guard) at align in windows w[0..n); fills r. */
bool mb_place_reserve_in(struct mb_place *pl, const struct mb_window *w, size_t n, unsigned long size,
			 unsigned long align, unsigned long guard, struct mb_range *r);
void mb_place_range_remove(struct mb_place *pl, struct mb_range *r);
/* The windows a type is placed in under the place's kernel-version rules. */
const struct mb_window *mb_place_windows_of(const struct mb_place *pl, int type, size_t *n);
/* Fills err (if any) and returns -1. */
int mb_place_fail(struct mb_place_err *err, const struct mb_place *pl, enum mb_place_status st, int type,
		  unsigned long size, unsigned long align);

/* A chunk of round_up(size, large page) bytes for type's class, aligned to
 * max(large page, align), lowest fit in w[0..n) with guard bytes after it,
 * linked into the class's pool in address order; NULL and err on failure. */
struct mb_arena *mb_place_new_chunk(struct mb_place *pl, int type, const struct mb_window *w, size_t n,
				    unsigned long size, unsigned long align, unsigned long guard,
				    struct mb_place_err *err);

/* Unlinks a chunk from its pool and frees its address range. */
void mb_place_drop_chunk(struct mb_place *pl, struct mb_arena *c);

/* First fit of size at align inside chunk c (*after: the allocation to
 * link after); link/unlink keep c's allocation list in address order. */
bool mb_chunk_fit(const struct mb_arena *c, unsigned long size, unsigned long align, unsigned long *addr,
		  struct mb_alloc **after);
void mb_chunk_link(struct mb_arena *c, struct mb_alloc *a, struct mb_alloc *after);
void mb_chunk_unlink(struct mb_arena *c, struct mb_alloc *a);
/* place.c: a kernel-policy allocation (own arena, page-rounded, guard) in w[0..n) */
int mb_place_own(struct mb_place *pl, const struct mb_window *w, size_t n, int type, unsigned long size,
		 unsigned long align, struct mb_alloc *a, struct mb_place_err *err);
void mb_place_own_free(struct mb_place *pl, struct mb_alloc *a);

/* place_packed.c: MB_POLICY_PACKED (one type at a time) */
int mb_packed_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
		    struct mb_alloc *a, struct mb_place_err *err);
/* true if the type's chunk went with it */
bool mb_packed_free(struct mb_place *pl, struct mb_alloc *a);

/* place_builtin.c: BUILTIN with a pack mode */
int mb_builtin_pack_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
			  struct mb_alloc *a, struct mb_place_err *err);
bool mb_builtin_pack_free(struct mb_place *pl, struct mb_alloc *a);

#endif
