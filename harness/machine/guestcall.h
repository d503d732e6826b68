/* The argument syntax of `modbed call` / `modbed trace` (DESIGN.md):
 *   FUNC ARG... [-- FUNC ARG...]
 *   ARG  = 42 | 0x2a | -1                 an integer (a native word)
 *        | buf:@PATH | hex:DEADBEEF       a guest buffer with the bytes given,
 *        | str:TEXT  | out:N              NUL-terminated text, or N zero bytes;
 *                                         its guest address is passed
 *        | NAME=ARG                       names the buffer ARG makes
 *        | @NAME                          passes a named buffer again
 * Parsing is separate from placing: syntax errors come before any module is
 * loaded; buffers go into the guest heap once the machine exists. */
#ifndef MODBED_HARNESS_GUESTCALL_H
#define MODBED_HARNESS_GUESTCALL_H

#include "harness/util/diag.h"
#include "harness/machine/emu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_CALL_MAX_ARGS 8

struct mb_gbuf {
	char name[32];       /* given name, or "outK" for the K-th unnamed out: */
	uint8_t *bytes;      /* initial contents (host copy) */
	size_t len;
	bool shown;          /* printed after the calls (out: and named buffers) */
	uint64_t addr;       /* guest address once placed */
};

struct mb_garg {
	bool is_buf;
	uint64_t value;      /* integer, or buffer index */
};

struct mb_gcall {
	const char *func;
	struct mb_garg args[MB_CALL_MAX_ARGS];
	unsigned nargs;
};

struct mb_callplan {
	struct mb_gcall *calls;
	size_t ncalls;
	struct mb_gbuf *bufs;
	size_t nbufs;
};

/* Parses rest (everything after the first "--" on the command line).
 * 0, or -1 with err (usage errors and unreadable buf:@ files). */
int mb_callplan_parse(struct mb_callplan *p, char **rest, int nrest, struct mb_err *err);
/* Allocates and fills every buffer in the machine's guest heap. */
int mb_callplan_place(struct mb_callplan *p, struct mb_machine *m, struct mb_err *err);
/* The argument words of call i (buffers as their guest addresses). */
void mb_callplan_args(const struct mb_callplan *p, size_t i, uint64_t *out);
/* Reads buffer b's current guest bytes into a fresh allocation (caller frees). */
uint8_t *mb_callplan_read(const struct mb_callplan *p, struct mb_machine *m, size_t b);
void mb_callplan_free(struct mb_callplan *p);

#endif
