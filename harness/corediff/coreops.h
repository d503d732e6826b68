/* harness/corediff/ (this header is its interface; coreops_gen_priv.h is
 * private to it). Depends on session/ (the guest side runs a module) and core/.
 *
 * core-diff on the host side: seeded random operation streams for the
 * placement and lookup core (core/opstream.h), their results on the host
 * core, the same stream run by the core built into a guest driver module on
 * an emulated CPU, and the word-for-word comparison of the two.
 *
 *   coreops_gen.c      the stream generator (runs the host core in lockstep,
 *                      so lookups can aim inside modules it placed)
 *   coreops_shape.c    module shapes drawn from the kmod corpus
 *   coreops_rng.c      the seeded random source
 *   coreops_scenario.c what a stream is about: a real map, or a synthetic
 *                      32-bit one (windows ending at 0xffffffff, ...)
 *   coreops_guest.c    the guest driver: loaded by modbed's loader, called
 *                      through the emulator, fed in batches
 *   coreops_print.c    operations and results for people, the comparison
 *
 * Nothing here switches on an arch: the target's word width and byte order
 * come from the arch table (ptr_bytes, big_endian). */
#ifndef MODBED_HARNESS_COREOPS_H
#define MODBED_HARNESS_COREOPS_H

#include "harness/util/diag.h"

#include "core/opword.h"
#include "core/place.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mb_arch;
struct mb_map;

/* An encoded stream and the host core's results, both in the target's
 * format. ops/res start with the stream header; op_off[i] / res_off[i] is
 * where record i starts. */
struct mb_corestream {
	struct mb_opfmt fmt;
	uint8_t *ops;
	size_t ops_len, ops_cap;
	uint8_t *res;
	size_t res_len, res_cap;
	size_t nops;
	size_t *op_off, *res_off;
	size_t off_cap;
};

void mb_corestream_free(struct mb_corestream *s);

/* What the stream runs on: the placement windows, lookup bounds and the
 * kernel configuration, plus the addresses that are interesting to look up
 * that are not modules (kernel text). All addresses are the target's. */
struct mb_corescenario {
	char name[64];            /* "powerpc32-book3s32", "edge32", ... */
	struct mb_opfmt fmt;
	unsigned policy;          /* enum mb_policy */
	unsigned bounds;          /* enum mb_bounds */
	unsigned tree;            /* enum mb_tree_kind */
	bool data_in_vmalloc;
	unsigned layout_flags;    /* MB_OPS_LAYOUT_* */
	uint64_t page_size, large_page_size, guard_size;
	uint64_t text[MB_MAX_WINDOWS][2];  /* windows: start, last (inclusive) */
	uint64_t data[MB_MAX_WINDOWS][2];
	size_t ntext, ndata;
	uint64_t kernel_base, kernel_size;
	/* Synthetic 32-bit edge scenario: module sizes near 4 GiB mixed in. */
	bool huge_sizes;
};

/* A scenario from an arch's map. policy/bounds/tree are names (NULL:
 * "kernel", "kernel", "fast"); an unknown name is an error listing the valid
 * ones. */
int mb_corescenario_from_map(struct mb_corescenario *sc, const struct mb_arch *arch,
			     const struct mb_map *map, const char *policy, const char *bounds,
			     const char *tree, struct mb_err *err);
/* The synthetic 32-bit scenario ("edge32") in the arch's format: windows
 * ending at 0xffffffff, above 0x80000000, sizes near 4 GiB. */
int mb_corescenario_edge32(struct mb_corescenario *sc, const struct mb_arch *arch, const char *policy,
			   const char *bounds, const char *tree, struct mb_err *err);

/* Generates nops operations (a RESET first, a STATS last) from seed, running
 * each through the host core. */
int mb_coregen(const struct mb_corescenario *sc, uint64_t seed, size_t nops, struct mb_corestream *out,
	       struct mb_err *err);

/* Wraps an encoded buffer (header first, e.g. written by hand with
 * mb_opw_*) as a stream and runs it through the host core. */
int mb_corestream_from_buffer(const uint8_t *ops, size_t len, struct mb_corestream *out, struct mb_err *err);

/* ---- the guest core ---------------------------------------------------- */

struct mb_coreguest;

/* Loads the driver module (path: its .ko for this arch) into a fresh
 * emulated machine for arch/map. */
int mb_coreguest_open(struct mb_coreguest **out, const struct mb_arch *arch, const struct mb_map *map,
		      const char *driver_path, struct mb_err *err);
void mb_coreguest_close(struct mb_coreguest *g);

struct mb_coreguest_stats {
	size_t calls;             /* guest calls (batches) */
	uint64_t insns;           /* guest instructions */
	double seconds;           /* CPU time in the guest calls */
};

/* This process's CPU time: the emulator runs on the calling thread, and on a
 * shared machine wall time would measure the neighbours too. */
double mb_coreops_cpu_seconds(void);

/* Runs the whole stream on the guest in batches; *res (malloc'd, header
 * first, same format as s->res) gets the guest's results. A guest fault is
 * an error naming the batch's first operation. */
int mb_coreguest_run(struct mb_coreguest *g, const struct mb_corestream *s, uint8_t **res, size_t *res_len,
		     struct mb_coreguest_stats *stats, struct mb_err *err);

/* Called after each batch (operations first_op .. first_op + nops - 1,
 * which took insns guest instructions), once the guest has written its
 * results at guest address res_addr (res_len bytes, header first) and before
 * the host reads them back: tests corrupt guest memory there the way a wrong
 * guest core would; the benchmark attributes instructions to operations. */
struct mb_machine;
struct mb_coreguest_batch {
	struct mb_machine *m;
	size_t first_op, nops;
	uint64_t insns;
	uint64_t res_addr;
	size_t res_len;
};
typedef void (*mb_coreguest_batch_fn)(void *ctx, const struct mb_coreguest_batch *b);
void mb_coreguest_set_observer(struct mb_coreguest *g, mb_coreguest_batch_fn fn, void *ctx);
/* Operations per guest call (default and maximum 2048; 1 measures each
 * operation on its own). */
void mb_coreguest_set_batch(struct mb_coreguest *g, size_t nops);

/* Where the driver .ko for an arch is, next to the modbed binary's build
 * (MODBED_COREGUEST_DIR/<arch>/coreguest.ko), or $MODBED_COREGUEST_DIR. */
const char *mb_coreguest_default_path(const struct mb_arch *arch, char *buf, size_t len);

/* ---- comparison and printing ------------------------------------------- */

struct mb_corediff {
	size_t nops;              /* results compared */
	size_t ndiff;             /* operations whose results differ */
	size_t first;             /* index of the first differing operation */
	bool truncated;           /* the guest wrote fewer results than operations */
};

/* Compares the host results in s with the guest's (res, len), record by
 * record. */
void mb_coreops_compare(const struct mb_corestream *s, const uint8_t *res, size_t len, struct mb_corediff *d);

/* Operation i of s: "place m12", "lookup 0xc0012340", ...; full adds one
 * line per section of a layout. */
void mb_coreops_format_op(const struct mb_corestream *s, size_t i, bool full, char *buf, size_t len);
/* A result record (at rec, in format f) for op, one line. */
void mb_coreops_format_result(struct mb_opfmt f, const uint8_t *rec, size_t avail, char *buf, size_t len);
/* The result record of operation i in a result buffer (header first), or
 * NULL when the buffer has fewer records. Walks from the start. */
const uint8_t *mb_coreops_result_at(struct mb_opfmt f, const uint8_t *res, size_t len, size_t i,
				    size_t *avail);

/* The first differing operation in full, with the host's result and the
 * guest's (has_guest false: the guest's results end before it). */
struct mb_coreops_first {
	char op[16384], host[4096], guest[4096];
	bool has_guest;
};
void mb_coreops_format_first(const struct mb_corestream *s, const uint8_t *res, size_t len,
			     const struct mb_corediff *d, struct mb_coreops_first *out);

/* Prints the first differing operation in full (every section of a
 * layout) with both results, then up to max_listed further differences. */
void mb_coreops_report(FILE *f, const struct mb_corestream *s, const uint8_t *res, size_t len,
		       const struct mb_corediff *d, size_t max_listed);

#endif
