/* Trace recordings (`modbed trace --record FILE`, `--show FILE`): a run is
 * recorded at the fast path's speed and rendered afterwards to exactly the
 * trace `modbed trace` prints, by replaying it deterministically.
 *
 * What a recording holds (format below, tracerec_io.c): the session (the
 * options and files that decide every guest instruction: arch, map, kernel
 * rules, placement, the module files with their size and FNV-1a hash, the
 * calls and their arguments; and the trace display options given to
 * --record), the modules as placed (name, path, base),
 * and per call its outcome (return value, instruction count, fault kind
 * and pc) and its block stream: for every translated block the call
 * entered on the fast path, the block's start pc and the number of
 * instructions executed before it (a call the machine ran again the exact
 * way, after a fault, a trap or a budget stop, or every call of a machine
 * without the fast path: every instruction). Rendering loads the same files, runs
 * the same calls the exact way (code hook) with the tracer, and checks
 * every recorded (index, pc) pair and every outcome against the replay: a
 * replay that differs (a changed file, a wall-clock stop) is an error, not
 * a different trace. Register values are not stored: the replay computes
 * them, which is what keeps recording at block granularity.
 *
 * File format, version 1, integers little-endian:
 *   "MBTRACE\0"  u32 version  u32 flags (0)
 *   u32 nargs,  nargs  x str          the session as command-line options
 *   str arch, str map, str kernel     as the run resolved them
 *   u32 nmods,  nmods  x (str name, str path, u64 base, u64 size, u64 hash)
 *   per call:   u8 'C', str func, u64 addr, u64 ret, u64 insns,
 *               u8 faulted, u8 fault kind, u64 fault pc,
 *               u64 nblocks, u64 nbytes, nbytes of block stream
 *   u8 'E', u32 ncalls
 * str = u32 length + bytes (at most 4096). The block stream is nblocks
 * pairs of LEB128 varints: index minus the previous block's index, and
 * the zigzag-coded difference of pc and the previous block's pc (both
 * start at 0). */
#ifndef MODBED_HARNESS_TRACEREC_H
#define MODBED_HARNESS_TRACEREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/util/diag.h"

#define MB_TRACEREC_VERSION 1u

struct mb_machine;
struct mb_call_result;

struct mb_tracerec_module {
	char *name, *path;
	uint64_t base, size, hash;
};

struct mb_tracerec_call {
	char *func;
	uint64_t addr, ret, insns, fault_pc;
	bool faulted;
	uint8_t fault_kind;
	uint64_t nblocks;
	const uint8_t *blocks;   /* into the recording's buffer */
	size_t nbytes;
};

/* A recording as read (or the header of one being written). */
struct mb_tracerec {
	const char *path;        /* the file read (the caller's string) */
	char **args;
	size_t nargs;
	char *arch, *map, *kernel;
	struct mb_tracerec_module *mods;
	size_t nmods;
	struct mb_tracerec_call *calls;
	size_t ncalls;
	uint8_t *buf;            /* the file's bytes (read) */
};

/* Reads and validates a whole recording: every count, string and block
 * stream is checked against the bytes there are, so a hostile file gives
 * one error naming it, never a crash. */
int mb_tracerec_read(struct mb_tracerec *rec, const char *path, struct mb_err *err);
void mb_tracerec_free(struct mb_tracerec *rec);

/* FNV-1a 64 of a file's bytes and its size. */
int mb_tracerec_file_hash(const char *path, uint64_t *hash, uint64_t *size, struct mb_err *err);

/* ---- recording ---------------------------------------------------------- */

struct mb_recorder;
/* Creates path and writes hdr's session part (args, arch, map, kernel,
 * mods; calls are ignored). The recorder observes m's fast-path blocks
 * between call_begin and call_end. */
int mb_recorder_open(struct mb_recorder **out, const char *path, struct mb_machine *m,
		     const struct mb_tracerec *hdr, struct mb_err *err);
void mb_recorder_call_begin(struct mb_recorder *r, const char *func, uint64_t addr);
void mb_recorder_call_end(struct mb_recorder *r, const struct mb_call_result *res);
/* Writes the end; -1 with err when the file could not be written in full. */
int mb_recorder_close(struct mb_recorder *r, struct mb_err *err);
/* Blocks and instructions recorded so far (benchmarks). */
uint64_t mb_recorder_blocks(const struct mb_recorder *r);

/* ---- replay check ------------------------------------------------------- */

struct mb_replaycheck;
/* Observes m's instructions and checks them against rec's calls. */
int mb_replaycheck_open(struct mb_replaycheck **out, struct mb_machine *m, const struct mb_tracerec *rec,
			struct mb_err *err);
void mb_replaycheck_call_begin(struct mb_replaycheck *c, size_t call);
/* -1 with why (one line) when the replayed call differs from the recorded one. */
int mb_replaycheck_call_end(struct mb_replaycheck *c, const struct mb_call_result *res, char *why, size_t len);
void mb_replaycheck_close(struct mb_replaycheck *c);

#endif
