/* Placement of module memory: which address each mod_mem type of a module
 * gets, with the caller owning every byte of state (no malloc).
 *
 * Policies:
 *   MB_POLICY_KERNEL  as upstream execmem/vmalloc: each non-empty type is its
 *                     own allocation of PAGE_ALIGN(size) bytes, lowest-address
 *                     first fit in the type's window, then its fallback
 *                     windows; one guard page of address space after each
 *                     allocation (vmalloc's); freed space is reused lowest
 *                     first.
 *   MB_POLICY_PACKED  one pool per permission class (RX, R, RW, ro_after_init)
 *                     made of large-page chunks (like the x86 ROX cache):
 *                     allocations are carved first-fit from the chunks of
 *                     their class with no guard pages; a chunk is reserved
 *                     like a kernel allocation (large-page aligned, in the
 *                     class's window, guard page after it) and released when
 *                     its last allocation is freed. Types whose pages change
 *                     on their own after init (init types are freed,
 *                     ro_after_init turns read-only) take whole pages inside
 *                     the pool; the others are packed at their alignment.
 *   MB_POLICY_BUILTIN the "modularized built-ins" layout (Wilk/Anvin, 2012):
 *                     each module is one block in the text windows, its
 *                     types back to back in type order, each page-rounded
 *                     (so text, rodata and data still get their own
 *                     permissions), no guard pages, modules next to each
 *                     other; a module whose init fails is expunged (freed)
 *                     and its block reused lowest first. The block is the
 *                     arena of all its types; freeing init types leaves
 *                     their pages inside the block (released with the last
 *                     type).
 *
 * Which window a type uses follows execmem: text types (TEXT, INIT_TEXT) use
 * the text windows, every data type (INIT_DATA and INIT_RODATA included) the
 * data windows.
 *
 * Arenas: the host maps guest memory per arena. Under KERNEL every
 * allocation is its own arena [base, base + PAGE_ALIGN(size)); under PACKED
 * the arena is the chunk and many allocations share it. An allocation says
 * whether placing it created its arena (mb_alloc.arena_created); a free says
 * whether it released it (return value). Arena base/size stay readable in
 * the mb_arena until the next placement call.
 *
 * Addresses are unsigned long and every range is handled as [start, last]
 * (inclusive) so a window ending at 0xffffffff on a 32-bit build works.
 * Deterministic: the same calls give the same addresses; nothing depends on
 * pointer values. */
#ifndef MODBED_CORE_PLACE_H
#define MODBED_CORE_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/kver.h"
#include "core/layout.h"
#include "core/modmem.h"

#define MB_MAX_WINDOWS 3
#define MB_MAX_BOOT 2

/* An address window, both ends inclusive. */
struct mb_window {
	const char *name;        /* for messages and `modbed maps`: "modules", ... */
	unsigned long start;
	unsigned long last;
};

/* Everything placement needs from a memory map (arch/map.h builds one). */
struct mb_place_config {
	unsigned long page_size;       /* power of two */
	unsigned long large_page_size; /* power of two, >= page_size: pool chunk size */
	unsigned long guard_size;      /* address space left free after each allocation
					  or chunk: page_size as vmalloc does, 0 for none */
	struct mb_window text[MB_MAX_WINDOWS]; /* primary first, then fallbacks */
	size_t ntext;
	struct mb_window data[MB_MAX_WINDOWS];
	size_t ndata;
	/* The target's last address, when it is below this host's ~0UL: a
	 * 32-bit target's space ends at 0xffffffff even when a 64-bit host
	 * places for it, and a size that rounds past it must be refused as
	 * TOO_BIG there too (core-diff found the host saying NOSPACE where
	 * ppc32 says TOO_BIG). 0 means ~0UL. */
	unsigned long addr_last;
	/* What the kernel allocated in the text windows before the first
	 * module (e.g. x86's 2 MiB bpf_prog_pack at boot): reserved at init,
	 * lowest fit with a guard, never freed. */
	unsigned long boot_size[MB_MAX_BOOT];
	/* L1_CACHE_BYTES: the granule of --pack cacheline (0: the page). */
	unsigned long cacheline_size;
	const char *boot_name[MB_MAX_BOOT];
	size_t nboot;
};

enum mb_policy { MB_POLICY_KERNEL = 0, MB_POLICY_PACKED, MB_POLICY_BUILTIN, MB_NPOLICIES };

/* How MB_POLICY_BUILTIN packs modules inside a permission class:
 * NONE is the one-block-per-module layout; the others give every class its
 * own reserved sub-region (see place_builtin.c) where each type starts at
 * the next multiple of max(granule, its ELF alignment) after the previous
 * one: PAGE (page granule), CACHELINE (cfg.cacheline_size), SECTION (the
 * ELF alignment alone). */
enum mb_pack { MB_PACK_NONE = 0, MB_PACK_PAGE, MB_PACK_CACHELINE, MB_PACK_SECTION, MB_NPACKS };
const char *mb_pack_name(enum mb_pack p);
int mb_pack_parse(const char *s); /* "page"/"cacheline"/"section"; -1 if unknown */

/* "kernel" / "packed" / "builtin" (NULL if out of range); parse gives -1 if unknown. */
const char *mb_policy_name(enum mb_policy p);
int mb_policy_parse(const char *s);

/* Permission classes of the packed pools. */
enum mb_pclass { MB_PCLASS_RX = 0, MB_PCLASS_RO, MB_PCLASS_RW, MB_PCLASS_RO_AFTER_INIT, MB_NPCLASS };
enum mb_pclass mb_pclass_of(int mem_type);

/* An occupied piece of address space (allocation or chunk, guard included),
 * in the allocator's address-sorted list. */
struct mb_range {
	unsigned long base;
	unsigned long span;            /* bytes occupied, guard page included */
	struct mb_range *prev, *next;
	/* private: the ranges with free space right below them, in address
	 * order, so a lowest-fit search visits holes instead of every range */
	struct mb_range *gprev, *gnext;
	bool in_gaps;
};

struct mb_alloc;

/* A piece of guest memory the host maps as one unit. */
struct mb_arena {
	unsigned long base;
	unsigned long size;            /* mapped bytes (no guard) */
	enum mb_pclass pclass;
	unsigned users;                /* allocations inside it */
	/* private */
	struct mb_range range;
	struct mb_alloc *first;        /* packed: allocations inside, address order */
	struct mb_arena *next_chunk;   /* packed: chunks of one class, address order */
	bool in_use;
};

/* One placed mod_mem type. Caller-owned; embed one per type in the module
 * record. Valid between a successful placement and its free. */
struct mb_alloc {
	unsigned long base;
	unsigned long size;            /* bytes reserved: KERNEL and BUILTIN
					  PAGE_ALIGN(size), PACKED the size rounded
					  to its granule */
	int type;                      /* enum mod_mem_type */
	struct mb_arena *arena;
	bool arena_created;            /* placing this allocation created the arena */
	bool arena_released;           /* freeing it released the arena */
	/* private */
	bool live;
	bool in_block;                 /* KERNEL under the block shape: shares a block */
	struct mb_arena own;           /* the arena under KERNEL (BUILTIN: the
					  module's first placed type holds it) */
	struct mb_alloc *prev, *next;  /* packed: neighbours inside the chunk */
};

struct mb_place {
	enum mb_policy policy;
	const struct mb_kver *kver;    /* rule set: windows per type, block shape */
	struct mb_place_config cfg;
	struct mb_range boot[MB_MAX_BOOT]; /* the config's boot allocations */
	struct mb_range *ranges;       /* address-sorted, all allocations and chunks */
	size_t nranges;
	struct mb_range *last;         /* private: the highest range */
	struct mb_range *gaps;         /* private: ranges with a hole below them */
	struct mb_arena *chunks;       /* caller's chunk descriptors (PACKED) */
	size_t nchunks;
	struct mb_arena *pool[MB_NPCLASS]; /* live chunks per class, address order */
	/* BUILTIN with a pack mode: the class sub-regions and bump cursors.
	 * The reserved region of a class is its chunks (pool[c], address
	 * order, each with its allocations in address order: the free runs
	 * between them are the holes). */
	enum mb_pack pack;
	struct mb_window sub[MB_NPCLASS];
	unsigned long cursor[MB_NPCLASS];
	struct mb_arena *bump[MB_NPCLASS]; /* the chunk the cursor is in */
	/* the normal module area of each class after boot: the upper half of
	 * its sub-region (the reserved region grows from the bottom); name NULL
	 * when the sub-region is one large page: then the map's windows */
	struct mb_window normal[MB_NPCLASS];
	bool sealed;                   /* after boot: holes first, then normal[] */
	bool relink;                   /* compaction relink: init types go to normal[] */
};

enum mb_place_status {
	MB_PLACE_OK = 0,
	MB_PLACE_NOSPACE,      /* no window has room */
	MB_PLACE_NOCHUNK,      /* PACKED: all caller chunk descriptors in use */
	MB_PLACE_BAD_CONFIG,   /* page sizes not powers of two, empty windows, ... */
	MB_PLACE_TOO_BIG,      /* size + alignment overflow the address space */
};

/* What failed, for "no space for MOD_INIT_DATA (12288 bytes, align 0x1000) in
 * window vmalloc [0x...-0x...]" messages. */
struct mb_place_err {
	enum mb_place_status status;
	int type;
	unsigned long size;        /* requested bytes (before rounding) */
	unsigned long align;
	const struct mb_window *windows; /* the windows tried, in order */
	size_t nwindows;
};

/* chunks/nchunks: descriptors for PACKED pool chunks (may be NULL/0 under
 * KERNEL). Returns 0, or -1 with MB_PLACE_BAD_CONFIG (also when a boot
 * allocation does not fit). Uses the latest rule set. */
int mb_place_init(struct mb_place *pl, enum mb_policy policy, const struct mb_place_config *cfg,
		  struct mb_arena *chunks, size_t nchunks, struct mb_place_err *err);
/* The same under a kernel-version rule set (NULL: the latest): which window
 * each type uses, and under KERNEL the block shape (mb_place_module places
 * each block of a MB_SHAPE_BLOCKS layout as one allocation, in the rule
 * set's window for the block, the types at their fixed offsets inside). */
int mb_place_init_kver(struct mb_place *pl, enum mb_policy policy, const struct mb_place_config *cfg,
		       const struct mb_kver *kver, struct mb_arena *chunks, size_t nchunks,
		       struct mb_place_err *err);

/* Places one type: size bytes (> 0) at alignment align (a power of two; the
 * layout's largest section alignment). 0 on success; -1 and err on failure,
 * with the allocator unchanged. */
int mb_place_alloc(struct mb_place *pl, int type, unsigned long size, unsigned long align,
		   struct mb_alloc *a, struct mb_place_err *err);

/* Frees a (it must be live; a non-live a is ignored). Returns true (and sets
 * a->arena_released) if that released its arena: the host then unmaps
 * a->arena->base/size. Under PACKED a free inside a surviving chunk leaves the
 * bytes mapped; the host may fill them with traps as the ROX cache does. */
bool mb_place_free(struct mb_place *pl, struct mb_alloc *a);

/* Frees every live type of a module, MOD_DATA last (it holds struct module). */
void mb_place_free_module(struct mb_place *pl, struct mb_alloc allocs[MOD_MEM_NUM_TYPES]);

/* Places every non-empty type of a layout into allocs[MOD_MEM_NUM_TYPES]
 * (empty types get base 0, size 0, arena NULL). All or nothing: on failure
 * the types already placed are released and the allocator is exactly as
 * before. Under KERNEL with a block-shape rule set (the layout made under
 * the same rule set) each non-empty block
 * is one allocation (core, then init, then data, as move_module); a type
 * gets base = block base + lay->start[t] and size lay->extent[t], and the
 * block's arena goes when its last type is freed. Other policies place
 * such a layout per type (lay->size[t]). */
int mb_place_module(struct mb_place *pl, const struct mb_layout *lay,
		    struct mb_alloc allocs[MOD_MEM_NUM_TYPES], struct mb_place_err *err);

/* Sets the pack mode of a BUILTIN allocator right after init (before any
 * placement): splits the first text window into MB_NPCLASS equal
 * large-page-aligned sub-regions, one per class. Returns 0, or -1 if the
 * policy is not BUILTIN, something is placed already, or the window is too
 * small for one large page per class. */
int mb_place_set_pack(struct mb_place *pl, enum mb_pack pack);

/* BUILTIN with a pack mode, after the boot set is linked and its inits
 * ran: no new chunks; a type goes to the lowest hole of its class that fits
 * (first fit through the class's chunks in address order, at the pack
 * granule), else to the class's normal module area (page-rounded, lowest
 * fit, a guard page after it, as the kernel policy): the upper half of the
 * class's sub-region, or the map's windows for the type when the
 * sub-region is a single large page. -1 unless BUILTIN with
 * a pack mode. */
int mb_place_seal(struct mb_place *pl);
/* Starts a compaction relink: only the boot allocations may be placed
 * (every module unloaded); the cursors start again at the sub-regions'
 * bases, unsealed, and until the next mb_place_seal() init types go to
 * the normal module area (they are freed right after the relink and must
 * not leave holes in the region). -1 if something is still placed. */
int mb_place_compact_begin(struct mb_place *pl);
/* true if a lies in the reserved region (a chunk), false for the normal area */
static inline bool mb_place_in_region(const struct mb_alloc *a) { return a->arena && a->arena != &a->own; }

/* Formats err as one line into buf (always NUL-terminated). */
void mb_place_strerror(const struct mb_place_err *err, char *buf, size_t len);

/* Walk of the occupied ranges in address order (tests, `modbed maps`). */
static inline const struct mb_range *mb_place_first(const struct mb_place *pl) { return pl->ranges; }

#endif
