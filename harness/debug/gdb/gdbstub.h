/* The GDB stub on the emulated machine (`--gdb HOST:PORT` on call/trace).
 *
 * harness/debug/gdb/: this header is the folder's interface; gdbstub_rsp.h
 * (packet framing) and gdbstub_session.h (the protocol on an abstract
 * target, tested without a machine) are its parts. Depends on debug/.
 *
 * It listens on loopback only (any address needs --gdb-any-address), stops
 * before the first instruction of the first call and serves the remote
 * protocol from inside the machine's code hook: a breakpoint or a step is
 * an instruction observer deciding to stop, so nothing is ever patched into
 * guest code. A fault is reported as a signal stop (SIGSEGV, SIGILL, ...),
 * the end of the last call as an exit whose status is the low byte of the
 * return value, with the full value printed on GDB's console. A breakpoint
 * on the return address (GDB's `finish` from the outermost frame) stops
 * once more after the return, with the return value in its register. */
#ifndef MODBED_HARNESS_GDBSTUB_H
#define MODBED_HARNESS_GDBSTUB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/util/diag.h"

struct mb_arch;
struct mb_machine;
struct mb_loader;
struct mb_call_result;
struct mb_disasm;
struct mb_gdb;

/* Parses HOST:PORT (PORT 0 picks a free port) and listens. Refuses a
 * non-loopback HOST unless any_address. */
int mb_gdb_listen(struct mb_gdb **out, const char *hostport, bool any_address, const struct mb_arch *arch,
		  struct mb_err *err);
uint16_t mb_gdb_port(const struct mb_gdb *g);
/* Waits up to timeout_ms for GDB to connect. */
int mb_gdb_accept(struct mb_gdb *g, unsigned timeout_ms, struct mb_err *err);

/* Debugs the next call on m (the first call stops before its first
 * instruction). d, if not NULL, is told about code GDB writes. */
void mb_gdb_call_begin(struct mb_gdb *g, struct mb_machine *m, struct mb_disasm *d, const char *func);
/* After mb_machine_call: reports a fault or the return; `last` ends the
 * session with an exit packet. */
void mb_gdb_call_end(struct mb_gdb *g, const struct mb_call_result *res, bool last);
void mb_gdb_close(struct mb_gdb *g);

/* GDB signal number a fault is reported as. */
int mb_gdb_fault_signal(int fault_kind);

/* `add-symbol-file FILE -s SECTION ADDR ...` for every loaded module, as
 * the kernel's lx-symbols gives them, so `break func` works in GDB. */
void mb_gdb_print_symbol_files(FILE *f, const struct mb_loader *l);

#endif
