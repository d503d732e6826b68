/* The guest heap: first fit over a guest range, bookkeeping on the host so a
 * guest scribble cannot corrupt the allocator. Knows no machine; the machine
 * owns one (emu.h: mb_machine_alloc) and the kernel stub's allocators use it
 * (hostabi.h: mb_machine_heap). */
#ifndef MODBED_HARNESS_MACHINE_HEAP_H
#define MODBED_HARNESS_MACHINE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_heap_block { uint64_t addr, size; };
struct mb_heap {
	uint64_t base, size;
	struct mb_heap_block *blocks;   /* live allocations, sorted by addr */
	size_t n, cap;
	/* Journal of one fast call (emu_run.c): the block list as it was before
	 * the call's first allocation or free, to roll back to. */
	bool journal, saved;
	struct mb_heap_block *sblocks;
	size_t sn, scap;
};
/* 0 on success; *addr = 0 when full (as kmalloc returns NULL). */
int mb_heap_alloc(struct mb_heap *h, uint64_t size, uint64_t align, uint64_t *addr);
/* Returns the block size, or 0 if addr is not a live allocation. */
uint64_t mb_heap_free(struct mb_heap *h, uint64_t addr);
void mb_heap_fini(struct mb_heap *h);
/* Journal: begin (at a call's start), roll back to the begin state, end. */
void mb_heap_journal_begin(struct mb_heap *h);
int mb_heap_rollback(struct mb_heap *h);
void mb_heap_journal_end(struct mb_heap *h);

#endif
