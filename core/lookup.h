/* Address -> module lookup: the kernel's mod_tree (kernel/module/tree_lookup.c)
 * with its fast reject on address bounds, and alternatives to measure.
 *
 * A module record (struct mb_module) is owned by the caller and embeds one
 * tree node per mod_mem type, as struct module embeds mod_tree_node. The
 * lookup object indexes the non-empty [base, base + size) ranges of the
 * inserted modules; ranges never overlap (insert refuses an overlap).
 *
 * Bounds policies (the fast reject before the tree search):
 *   MB_BOUNDS_KERNEL   faithful to upstream, quirks included: addr_min starts
 *                      at -1UL, addr_max at 0, max is the exclusive end and is
 *                      compared with <= (one byte of slack); with
 *                      data_in_vmalloc the core data types (DATA, RODATA,
 *                      RO_AFTER_INIT) widen only data_addr_min/max, whose min
 *                      stays 0, and everything else (init data included)
 *                      widens addr_min/max; bounds never shrink. The only
 *                      departure: an end that would wrap past the top of the
 *                      address space saturates at ULONG_MAX (the kernel never
 *                      has such a region; we must not wrap to 0).
 *                      Which kernel: the rule set given at init (core/kver.h;
 *                      the latest by default). Before v6.4 (data_tree) the
 *                      data pair starts empty (min -1UL) and belongs to a
 *                      second tree: a lookup searches the text tree if the
 *                      text pair passes, else the data tree if the data pair
 *                      passes, and a search finds only its tree's ranges
 *                      (text, init types) or (rodata, ro_after_init, data).
 *   MB_BOUNDS_SPLIT    two exact pairs, text types and data types, shrunk
 *                      (recomputed) when modules or init memory go away.
 *   MB_BOUNDS_PERTYPE  one exact pair per mod_mem type, shrunk likewise.
 *
 * Trees:
 *   MB_TREE_FAST (default)  a sorted array of range starts rebuilt into an
 *                      Eytzinger (BFS) order on the first lookup after a
 *                      change; the caller provides the slot array.
 *   MB_TREE_RBTREE     a red-black tree ordered and searched exactly as
 *                      mod_tree: less(a,b) = base_a < base_b; comp(key,n) =
 *                      -1 if key < base, 1 if key >= base + size, else 0.
 *
 * Counters: every mb_module_address() (and the functions built on it) is one
 * lookup; it is either a fast reject or a tree search; a tree search that
 * finds no range is also counted as a tree miss. So
 * fast_rejects + tree_searches == lookups always.
 *
 * Not thread-safe (the kernel's latch/RCU is not modelled); deterministic. */
#ifndef MODBED_CORE_LOOKUP_H
#define MODBED_CORE_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kver.h"
#include "core/modmem.h"

enum mb_module_state {          /* enum module_state */
	MB_MODULE_LIVE = 0,
	MB_MODULE_COMING,
	MB_MODULE_GOING,
	MB_MODULE_UNFORMED,     /* invisible to lookups */
};

struct mb_module;

/* Tree node embedded in each mod_mem record (the mod_tree_node). */
struct mb_mem_node {
	struct mb_module *mod;
	int type;
	/* private: red-black links, or the fast index's slot */
	struct mb_mem_node *rb_parent, *rb_left, *rb_right;
	bool rb_red;
	bool linked;
};

struct mb_module_mem {
	unsigned long base;
	unsigned long size;     /* bytes that belong to it (kernel: PAGE_ALIGNed) */
	struct mb_mem_node node;
};

struct mb_module {
	const char *name;
	enum mb_module_state state;
	struct mb_module_mem mem[MOD_MEM_NUM_TYPES];
	void *owner;            /* the caller's record (loader, test) */
	/* private: the lookup's list of inserted modules */
	struct mb_module *lk_prev, *lk_next;
	bool lk_inserted;
};

enum mb_bounds { MB_BOUNDS_KERNEL = 0, MB_BOUNDS_SPLIT, MB_BOUNDS_PERTYPE, MB_NBOUNDS };
enum mb_tree_kind { MB_TREE_FAST = 0, MB_TREE_RBTREE, MB_NTREES };

/* "kernel" / "split" / "pertype", "fast" / "rbtree"; NULL if out of range. */
const char *mb_bounds_name(enum mb_bounds b);
const char *mb_tree_name(enum mb_tree_kind t);
/* Parses those names; -1 if unknown. */
int mb_bounds_parse(const char *s);
int mb_tree_parse(const char *s);

struct mb_lookup_stats {
	uint64_t lookups;
	uint64_t fast_rejects;
	uint64_t tree_searches;
	uint64_t tree_misses;   /* tree searches that found no range */
};

/* Storage of the fast tree, owned by the caller: MB_LOOKUP_SLOTS(n) words
 * hold up to n ranges (sorted starts and nodes, then the search copy:
 * starts and nodes in Eytzinger order, keys apart from nodes so that the
 * descent reads a dense array). Treat it as opaque. */
struct mb_slot {
	unsigned long w;
};
#define MB_LOOKUP_SLOTS(nodes) (4 * (size_t)(nodes) + 2)

/* An inclusive address pair; empty when min > last. */
struct mb_bound {
	unsigned long min;
	unsigned long last;
};

struct mb_lookup {
	enum mb_bounds bounds;
	enum mb_tree_kind tree;
	bool data_in_vmalloc;
	const struct mb_kver *kver;    /* MB_BOUNDS_KERNEL follows its lookup rules */
	/* MB_BOUNDS_KERNEL: the kernel's fields, max exclusive */
	unsigned long addr_min, addr_max;
	unsigned long data_addr_min, data_addr_max;
	/* MB_BOUNDS_SPLIT: [0] text types, [1] data types;
	 * MB_BOUNDS_PERTYPE: one per mod_mem type */
	struct mb_bound pair[MOD_MEM_NUM_TYPES];
	struct mb_lookup_stats stats;
	struct mb_module *modules;     /* inserted modules, insertion order */
	size_t nnodes;                 /* ranges in the tree */
	/* private */
	struct mb_mem_node *rb_root;
	struct mb_slot *slots;
	size_t cap;                    /* ranges the slots can hold */
	size_t nsorted;                /* sorted prefix of slots[0..cap) */
	size_t nfree;                  /* tombstones in the sorted prefix */
	size_t nadded;                 /* unsorted tail */
	bool dirty;
};

enum mb_lookup_status {
	MB_LOOKUP_OK = 0,
	MB_LOOKUP_OVERLAP,    /* a range overlaps one already inserted (or another of the same module) */
	MB_LOOKUP_FULL,       /* MB_TREE_FAST: more ranges than slots (grow with mb_lookup_set_slots) */
	MB_LOOKUP_WRAP,       /* base + size wraps past the top of the address space */
	MB_LOOKUP_STATE,      /* module already inserted / not inserted */
};

struct mb_lookup_err {
	enum mb_lookup_status status;
	const struct mb_module *mod;
	int type;
	const struct mb_module *other;  /* MB_LOOKUP_OVERLAP: the module hit */
	int other_type;
};

/* slots/nslots: fast-tree storage (ignored, may be NULL, for MB_TREE_RBTREE).
 * The latest rule set. */
void mb_lookup_init(struct mb_lookup *lk, enum mb_bounds bounds, enum mb_tree_kind tree,
		    bool data_in_vmalloc, struct mb_slot *slots, size_t nslots);
/* The same under a kernel-version rule set (NULL: the latest). */
void mb_lookup_init_kver(struct mb_lookup *lk, enum mb_bounds bounds, enum mb_tree_kind tree,
			 bool data_in_vmalloc, const struct mb_kver *kver, struct mb_slot *slots,
			 size_t nslots);

/* Moves the fast tree to new storage (e.g. bigger); -1 if it cannot hold the
 * current ranges (nothing changed then). */
int mb_lookup_set_slots(struct mb_lookup *lk, struct mb_slot *slots, size_t nslots);

/* mod_update_bounds + mod_tree_insert: every type with size != 0. Sets each
 * node's mod/type. All or nothing: -1 and err, nothing changed. */
int mb_lookup_insert(struct mb_lookup *lk, struct mb_module *mod, struct mb_lookup_err *err);
/* mod_tree_remove: every range of the module. */
void mb_lookup_remove(struct mb_lookup *lk, struct mb_module *mod);
/* mod_tree_remove_init, then what do_init_module does next: the init types'
 * base and size become 0. */
void mb_lookup_remove_init(struct mb_lookup *lk, struct mb_module *mod);

/* __module_address: the module owning addr, or NULL (also NULL for an
 * UNFORMED module). type (may be NULL) gets the mod_mem type hit. */
struct mb_module *mb_module_address(struct mb_lookup *lk, unsigned long addr, int *type);
/* __module_text_address: as above, but only in MOD_TEXT or MOD_INIT_TEXT. */
struct mb_module *mb_module_text_address(struct mb_lookup *lk, unsigned long addr);
bool mb_is_module_address(struct mb_lookup *lk, unsigned long addr);
bool mb_is_module_text_address(struct mb_lookup *lk, unsigned long addr);

/* include/linux/module.h helpers; they do not touch the lookup object. */
bool mb_within_module_mem_type(unsigned long addr, const struct mb_module *mod, int type);
bool mb_within_module_core(unsigned long addr, const struct mb_module *mod);
bool mb_within_module_init(unsigned long addr, const struct mb_module *mod);
bool mb_within_module(unsigned long addr, const struct mb_module *mod);

/* Would addr pass the fast reject of the current bounds (no counting)? */
bool mb_lookup_in_bounds(const struct mb_lookup *lk, unsigned long addr);

void mb_lookup_reset_stats(struct mb_lookup *lk);

/* Formats err as one line into buf (always NUL-terminated). */
void mb_lookup_strerror(const struct mb_lookup_err *err, char *buf, size_t len);

#endif
