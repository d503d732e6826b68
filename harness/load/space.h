/* The guest address space: host buffers that back guest memory.
 *
 * An arena is a page-aligned guest range [base, base+size) backed by a
 * page-aligned, zeroed host buffer, so a write through the host pointer is a
 * write to guest memory (the emulator maps the same buffer with
 * uc_mem_map_ptr). Arenas come from the placement core (kernel policy: one per
 * allocation; packed: one per pool chunk) and from the emulator (kernel stub
 * image, scratch memory: "fixed" arenas with no module owner).
 *
 * Observers mirror every change (create, release, protect). A create that an
 * observer refuses is undone in every observer that already saw it and the
 * arena is not added, so the space and its mirrors never disagree.
 * Permissions are tracked per page. */
#ifndef MODBED_HARNESS_SPACE_H
#define MODBED_HARNESS_SPACE_H

#include "harness/util/diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MB_PERM_NONE = 0, MB_PERM_R = 1, MB_PERM_W = 2, MB_PERM_X = 4,
       MB_PERM_RW = MB_PERM_R | MB_PERM_W, MB_PERM_RX = MB_PERM_R | MB_PERM_X };

struct mb_space_arena {
	uint64_t base;
	uint64_t size;          /* a multiple of the space's page size */
	uint8_t *host;          /* host bytes of [base, base+size) */
	unsigned perm;          /* permission given at create (pages may differ later) */
	uint8_t *page_perm;     /* one MB_PERM_* per page */
	const void *owner;      /* e.g. the placement's arena/chunk; NULL for fixed arenas */
	char name[48];          /* for messages: "module text", "kernel stub", ... */
	struct mb_space_arena *next;  /* sorted by base */
};

struct mb_space_observer {
	void *ctx;
	/* Return 0, or -1 with err set to refuse the arena. */
	int (*created)(void *ctx, const struct mb_space_arena *a, struct mb_err *err);
	void (*released)(void *ctx, const struct mb_space_arena *a);
	/* [base, base+size) is page-aligned and inside a. */
	int (*protected_)(void *ctx, const struct mb_space_arena *a, uint64_t base, uint64_t size,
			  unsigned perm, struct mb_err *err);
};

#define MB_SPACE_MAX_OBSERVERS 4

struct mb_space {
	uint64_t page_size;
	struct mb_space_arena *arenas;
	size_t narenas;
	/* The same arenas by base, for binary search: a whole distribution
	 * tree is thousands of arenas. */
	struct mb_space_arena **index;
	size_t index_cap;
	struct mb_space_arena *hint;  /* the last arena found: host functions read guest bytes one by one */
	struct mb_space_observer obs[MB_SPACE_MAX_OBSERVERS];
	size_t nobs;
};

void mb_space_init(struct mb_space *s, uint64_t page_size);
/* Releases every arena (observers are told) and frees the buffers. */
void mb_space_fini(struct mb_space *s);
int mb_space_observe(struct mb_space *s, const struct mb_space_observer *o, struct mb_err *err);
/* Existing arenas are not replayed to a new observer: call this to do so. */
int mb_space_replay(const struct mb_space *s, const struct mb_space_observer *o, struct mb_err *err);

/* Creates an arena (base and size rounded out to pages; overlap is an error
 * naming both ranges). The host buffer is zeroed. */
int mb_space_create(struct mb_space *s, uint64_t base, uint64_t size, unsigned perm,
		    const void *owner, const char *name, struct mb_space_arena **out, struct mb_err *err);
/* Same, for memory the emulator owns the layout of (kernel stub, scratch). */
#define mb_space_add_fixed(s, base, size, perm, name, out, err) \
	mb_space_create((s), (base), (size), (perm), NULL, (name), (out), (err))
void mb_space_release(struct mb_space *s, struct mb_space_arena *a);

/* Sets the permission of the pages covering [base, base+size), which must lie
 * inside one arena. On an observer's refusal nothing changes. */
int mb_space_protect(struct mb_space *s, uint64_t base, uint64_t size, unsigned perm,
		     struct mb_err *err);

/* The arena holding addr, or NULL. */
struct mb_space_arena *mb_space_find(const struct mb_space *s, uint64_t addr);
/* Host pointer for guest [addr, addr+len), or NULL unless inside one arena. */
void *mb_space_host(const struct mb_space *s, uint64_t addr, uint64_t len);
/* Page permission at addr, MB_PERM_NONE if unmapped. */
unsigned mb_space_perm(const struct mb_space *s, uint64_t addr);

/* A comparable fingerprint of the whole space (ranges, owners, perms), for
 * tests that check a failed operation changed nothing. */
uint64_t mb_space_fingerprint(const struct mb_space *s);

#endif
