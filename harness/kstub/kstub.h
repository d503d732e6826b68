/* The kernel stub: the kernel symbol provider of a machine. It builds a
 * small "kernel" image (code thunks, host-implemented functions, trap slots,
 * zeroed data) at the map's kernel address and registers itself with the
 * machine (harness/machine/hostabi.h), which then calls into it only through
 * that registration. Depends on the machine, never the other way round. */
#ifndef MODBED_HARNESS_KSTUB_H
#define MODBED_HARNESS_KSTUB_H

#include "harness/machine/emu.h"

/* Builds the stub image in the machine's space and attaches it; call right
 * after mb_machine_create. mb_machine_destroy releases it. */
int mb_kstub_attach(struct mb_machine *m, struct mb_err *err);

enum mb_ksym_kind {
	MB_KSYM_CODE,        /* real guest code (thunks) */
	MB_KSYM_HOST,        /* host-implemented function */
	MB_KSYM_DATA,        /* zeroed kernel data */
	MB_KSYM_TRAP,        /* unknown name: its own trap slot */
};
/* Resolves a kernel symbol: every name gets an address (unknown function
 * names their own trap slot, so calling one names it). -1 only when the stub
 * is full. */
int mb_kstub_resolve(struct mb_machine *m, const char *name, uint64_t *addr,
		     enum mb_ksym_kind *kind, struct mb_err *err);
/* Like mb_kstub_resolve for names the kernel has (code, host functions,
 * data): 0 with *addr; 1 for any other name (no trap slot is made). */
int mb_kstub_lookup(struct mb_machine *m, const char *name, uint64_t *addr, struct mb_err *err);
/* "kernel:NAME+0xOFF" for addresses inside the stub image; false otherwise. */
bool mb_kstub_symbolize(const struct mb_machine *m, uint64_t addr, char *buf, size_t len);

#endif
