/* The GDB remote protocol's commands on an abstract stopped target:
 * registers in the arch's GDB order (arch/debug.h), memory, software
 * breakpoints, the target description. What "continue" and "step" mean is
 * the caller's: mb_gdb_serve returns what GDB asked for. Separate from the
 * emulator so the protocol can be tested against a fake target. */
#ifndef MODBED_HARNESS_GDBSTUB_SESSION_H
#define MODBED_HARNESS_GDBSTUB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "harness/debug/gdb/gdbstub_rsp.h"

struct mb_gdb_target {
	void *ctx;
	/* Register idx of arch->debug->regs; false if it cannot be read/written. */
	bool (*reg_get)(void *ctx, size_t idx, uint64_t *val);
	bool (*reg_set)(void *ctx, size_t idx, uint64_t val);
	/* All-or-nothing accesses; false if any byte is not accessible. */
	bool (*mem_read)(void *ctx, uint64_t addr, void *buf, size_t len);
	bool (*mem_write)(void *ctx, uint64_t addr, const void *buf, size_t len);
};

#define MB_GDB_MAX_BREAKPOINTS 64

enum mb_gdb_resume {
	MB_GDB_CONTINUE,
	MB_GDB_STEP,
	MB_GDB_KILL,      /* k, vKill, or the connection dropped */
	MB_GDB_DETACH,    /* D: run on without stopping */
};

struct mb_gdb_session {
	struct mb_rsp rsp;
	const struct mb_arch *arch;
	struct mb_gdb_target tgt;
	uint64_t bps[MB_GDB_MAX_BREAKPOINTS];
	size_t nbps;
	bool running;        /* GDB sent c/s and waits for a stop reply */
	bool gone;           /* the connection closed or failed (a KILL without 'k') */
	char last_stop[64];  /* answer to '?' */
	char *xml;           /* target description, built once */
	size_t xml_len;
	uint64_t code_written_lo, code_written_hi; /* memory GDB wrote (for caches) */
};

void mb_gdb_session_init(struct mb_gdb_session *s, int fd, const struct mb_arch *arch,
			 const struct mb_gdb_target *tgt);
void mb_gdb_session_fini(struct mb_gdb_session *s);

/* Reports a stop (`stop` is a reply such as "T05" or "S0b"; sent only if GDB
 * is waiting for one, else remembered for '?') and serves packets until GDB
 * resumes, kills or detaches. */
enum mb_gdb_resume mb_gdb_serve(struct mb_gdb_session *s, const char *stop);
/* Tells a waiting GDB that the program ended ("W2a", "X0b") and serves the
 * packets that follow until GDB kills, detaches or closes. */
void mb_gdb_finish(struct mb_gdb_session *s, const char *end, const char *console);

bool mb_gdb_has_breakpoint(const struct mb_gdb_session *s, uint64_t addr);

/* Target description XML generated from arch->debug; caller frees. */
char *mb_gdb_target_xml(const struct mb_arch *arch, size_t *len);

#endif
