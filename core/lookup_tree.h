/* Internal to the lookup: the two range indexes behind struct mb_lookup.
 * Both hold the non-empty, non-overlapping [base, base + size) ranges of
 * struct mb_mem_node (base and size live in the owning mb_module_mem). */
#ifndef MODBED_CORE_LOOKUP_TREE_H
#define MODBED_CORE_LOOKUP_TREE_H

#include "core/lookup.h"

static inline const struct mb_module_mem *mb_node_mem(const struct mb_mem_node *n)
{
	return &n->mod->mem[n->type];
}

/* MB_TREE_RBTREE (tree_rb.c) */
void mb_rbt_insert(struct mb_lookup *lk, struct mb_mem_node *n);
void mb_rbt_erase(struct mb_lookup *lk, struct mb_mem_node *n);
struct mb_mem_node *mb_rbt_find(const struct mb_lookup *lk, unsigned long addr);

/* MB_TREE_FAST (tree_fast.c). Insert needs a free slot: check
 * mb_fast_room() first; it may compact the slots to make room. */
bool mb_fast_room(struct mb_lookup *lk, size_t n);
void mb_fast_insert(struct mb_lookup *lk, struct mb_mem_node *n);
void mb_fast_erase(struct mb_lookup *lk, struct mb_mem_node *n);
struct mb_mem_node *mb_fast_find(struct mb_lookup *lk, unsigned long addr);
/* Moves the (rebuilt, compact) sorted ranges to new storage of cap ranges. */
void mb_fast_move(struct mb_lookup *lk, struct mb_slot *slots, size_t cap);
/* Rebuilds the search order now (also done lazily by mb_fast_find). */
void mb_fast_rebuild(struct mb_lookup *lk);

#endif
