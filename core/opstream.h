/* Operation streams: the placement and lookup core driven by a buffer of
 * encoded operations, so the very same operations run through the host core
 * and through the core built for an emulated CPU, and the two result buffers
 * compare word for word (`modbed core-diff`, issue 7).
 *
 * Both buffers start with the header of core/opword.h and are sequences of
 * words in the stream's width and byte order (the target's: ppc32 streams
 * are 32-bit big-endian). The host interpreter decodes the target's format,
 * so host results are written in the same format as guest results.
 *
 * Operation record:   word 0 = opcode | nargs << 8 (24 bits), then nargs words.
 * Result record:      word 0 = opcode | nvals << 8 | status << 16 | flags << 24,
 *                     then nvals words. One result record per operation.
 *
 * Module slots (0 .. MB_OPS_MAX_MODULES-1) name the modules of a stream; a
 * lookup answers with the slot it found. Operations and their arguments:
 *
 *   RESET       policy, bounds, tree, data_in_vmalloc, layout_flags,
 *               page_size, large_page_size, guard_size,
 *               ntext, ntext x (start, last), ndata, ndata x (start, last)
 *               -> forgets every module; placement and lookup start empty
 *   LAYOUT      slot, kallsyms (0/1), ndst, core_strtab_size, nsecs, then per
 *               section: sh_type, sh_flags, size, addralign, name_words,
 *               name bytes (NUL-terminated, NUL-padded to name_words words).
 *               The kallsyms tail uses the last SHT_SYMTAB section and its
 *               sh_link (the caller puts .strtab right after .symtab).
 *               -> 7 sizes, 7 aligns, per section (mem_type, offset)
 *                  [, 5 kallsyms offsets]; on error: index, value
 *   SIZES       slot, 7 sizes, 7 aligns (a layout given directly: sizes no
 *               section list could reach, e.g. near 4 GiB; under a block
 *               rule set each type page-rounded in its block, a block
 *               that overflows is MB_LAYOUT_TOO_BIG)
 *   PLACE       slot -> per type (base, size, arena base, arena size,
 *               arena created); on error: type, size, align
 *   INSERT      slot -> on error: type, other slot, other type
 *   REMOVE      slot                       (mod_tree_remove)
 *   REMOVE_INIT slot                       (mod_tree_remove_init)
 *   FREE        slot -> per type: arena released (0/1)
 *   FREE_INIT   slot -> per init type: arena released (0/1)
 *   STATE       slot, state (enum mb_module_state; UNFORMED hides it)
 *   LOOKUP      addr -> module_address slot, type, module_text_address slot,
 *               flags (bit 0 within_module_core, bit 1 within_module_init of
 *               the module found, bit 2 inside the fast-reject bounds)
 *   STATS       -> lookups, fast_rejects, tree_searches, tree_misses,
 *               addr_min, addr_max, data_addr_min, data_addr_max,
 *               7 x (pair min, pair last), nnodes
 *
 * "No module" is ~0UL (all ones in every width). Freestanding: host and
 * guest compile this file. */
#ifndef MODBED_CORE_OPSTREAM_H
#define MODBED_CORE_OPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/layout.h"
#include "core/lookup.h"
#include "core/modmem.h"
#include "core/opword.h"
#include "core/place.h"

enum mb_opcode {
	MB_OP_RESET = 1,
	MB_OP_LAYOUT,
	MB_OP_SIZES,
	MB_OP_PLACE,
	MB_OP_INSERT,
	MB_OP_REMOVE,
	MB_OP_REMOVE_INIT,
	MB_OP_FREE,
	MB_OP_FREE_INIT,
	MB_OP_STATE,
	MB_OP_LOOKUP,
	MB_OP_STATS,
	MB_OP_NCODES,
};

/* RESET layout_flags */
#define MB_OPS_LAYOUT_UNLOAD      1u  /* CONFIG_MODULE_UNLOAD */
#define MB_OPS_LAYOUT_STRICT_RWX  2u  /* CONFIG_STRICT_MODULE_RWX */
#define MB_OPS_LAYOUT_STATIC_CALL 4u  /* CONFIG_HAVE_STATIC_CALL_INLINE */
/* Bits 8-15: the kernel-version rule set, index in mb_kvers + 1 (0: the
 * latest): layout, placement and lookup follow it (core/kver.h). */
#define MB_OPS_LAYOUT_KVER_SHIFT  8
#define MB_OPS_LAYOUT_KVER_MASK   0xff00u

/* LOOKUP flags */
#define MB_OPS_IN_CORE   1u
#define MB_OPS_IN_INIT   2u
#define MB_OPS_IN_BOUNDS 4u

/* Result status: 0 ok; below 0x40 the core's own status (enum
 * mb_layout_status, mb_place_status, mb_lookup_status for the operation);
 * from 0x40 the interpreter's. */
enum mb_ops_status {
	MB_OPS_OK = 0,
	MB_OPS_BAD_SLOT = 0x40,   /* slot out of range */
	MB_OPS_NOT_READY,         /* no RESET yet, or RESET failed */
	MB_OPS_BUSY,              /* LAYOUT/SIZES/PLACE of a placed module, FREE of an inserted one */
	MB_OPS_NOT_LAID_OUT,      /* PLACE before LAYOUT/SIZES */
	MB_OPS_NOT_PLACED,        /* INSERT/FREE of a module that is not placed */
	MB_OPS_BAD_ARGS,          /* a malformed record: the run stops here */
	MB_OPS_TOO_MANY,          /* more sections or windows than the interpreter holds */
};

/* Result flag: a value did not fit the stream's width (a 64-bit host
 * computed something a 32-bit target cannot hold). */
#define MB_OPS_FLAG_TOO_WIDE 1u

#define MB_OPS_MAX_MODULES 160
#define MB_OPS_MAX_SECS 40
#define MB_OPS_MAX_NAME 64                 /* section name bytes, NUL included */
#define MB_OPS_MAX_CHUNKS 96
/* Largest records, in words, header word included. */
#define MB_OPS_MAX_OP_WORDS (6 + MB_OPS_MAX_SECS * (5 + MB_OPS_MAX_NAME / 4))
#define MB_OPS_MAX_RESULT_WORDS (1 + 2 * MOD_MEM_NUM_TYPES + 2 * MB_OPS_MAX_SECS + 5)

struct mb_ops_module {
	struct mb_module mod;              /* the lookup's record */
	struct mb_alloc alloc[MOD_MEM_NUM_TYPES];
	struct mb_layout lay;
	bool laid_out;
	bool placed;                       /* alloc[] live */
	bool init_freed;                   /* FREE_INIT done since PLACE */
	bool inserted;
};

/* The interpreter's whole state; the caller owns it (static storage in the
 * guest driver). Zeroed storage is a valid "no RESET yet" state. */
struct mb_ops_state {
	bool ready;
	struct mb_place_config cfg;
	struct mb_place place;
	struct mb_lookup lookup;
	struct mb_layout_opts lopts;
	struct mb_arena chunks[MB_OPS_MAX_CHUNKS];
	struct mb_slot slots[MB_LOOKUP_SLOTS(MB_OPS_MAX_MODULES * MOD_MEM_NUM_TYPES)];
	struct mb_ops_module mods[MB_OPS_MAX_MODULES];
	struct mb_sec secs[MB_OPS_MAX_SECS];  /* LAYOUT's section table */
};

/* Runs one operation at op (avail bytes left in the buffer) in format f and
 * writes its result record at res (res_avail bytes). On return *op_bytes and
 * *res_bytes say how much was consumed and written. Returns the result
 * status; MB_OPS_BAD_ARGS means the stream cannot be continued (and
 * *op_bytes is 0). Returns -1 without writing if res_avail cannot hold the
 * largest result record. */
int mb_ops_step(struct mb_ops_state *st, struct mb_opfmt f, const uint8_t *op, unsigned long avail,
		uint8_t *res, unsigned long res_avail, unsigned long *op_bytes,
		unsigned long *res_bytes);

/* Runs a whole buffer (header first) and writes a result buffer (header
 * first). Returns the number of result bytes written, or a negative
 * enum mb_ops_run_error; results up to the failing point are written. */
enum mb_ops_run_error {
	MB_OPS_RUN_BAD_HEADER = -1,   /* not an operation buffer, or a width this core cannot read */
	MB_OPS_RUN_BAD_RECORD = -2,   /* a malformed record (its BAD_ARGS result is written) */
	MB_OPS_RUN_RESULTS_FULL = -3, /* res too small */
};
long mb_ops_run(struct mb_ops_state *st, const uint8_t *ops, unsigned long len, uint8_t *res,
		unsigned long cap);

/* "reset", "layout", ...; NULL for an unknown opcode. */
const char *mb_op_name(unsigned op);

/* ---- writing operation records (host side, but freestanding) ---------- */

struct mb_opwriter {
	uint8_t *buf;
	unsigned long len, cap;
	struct mb_opfmt fmt;
	unsigned long rec;     /* offset of the open record's header word */
	bool overflow;         /* ran out of cap, or a value did not fit */
};

/* Starts a buffer (writes the header). */
void mb_opw_init(struct mb_opwriter *w, uint8_t *buf, unsigned long cap, struct mb_opfmt f);
void mb_opw_begin(struct mb_opwriter *w, unsigned op);
void mb_opw_word(struct mb_opwriter *w, unsigned long v);
/* A NUL-terminated string as name_words then the padded bytes. */
void mb_opw_name(struct mb_opwriter *w, const char *s);
/* Closes the record (fills nargs). */
void mb_opw_end(struct mb_opwriter *w);

/* ---- reading records (the interpreter and the host's printer) ---------- */

/* Decoded header words of an operation and of a result record. */
struct mb_oprec {
	unsigned op;
	unsigned nwords;       /* nargs or nvals */
	unsigned status;       /* results only */
	unsigned flags;        /* results only */
};
struct mb_oprec mb_op_header(unsigned long word);
struct mb_oprec mb_result_header(unsigned long word);
unsigned long mb_result_header_word(unsigned op, unsigned nvals, unsigned status, unsigned flags);

#endif
