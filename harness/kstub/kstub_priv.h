/* Internals of the kernel stub, shared by kstub.c (the image and its
 * symbols), hostcalls.c (the host implementations and their table) and
 * kprintf.c (the printk family). Not for use outside harness/kstub/. */
#ifndef MODBED_HARNESS_KSTUB_PRIV_H
#define MODBED_HARNESS_KSTUB_PRIV_H

#include "arch/cpu.h"
#include "core/byteorder.h"
#include "harness/kstub/kstub.h"
#include "harness/load/space.h"
#include "harness/machine/hostabi.h"
#include "harness/util/strmap.h"

/* A host implementation of a kernel function. It reads its arguments and
 * sets its return value through the mb_hc_* helpers; to stop the run it
 * calls mb_run_fault(). */
typedef void (*mb_hostcall_fn)(struct mb_machine *m);

struct mb_hostcall {
	const char *name;
	mb_hostcall_fn fn;
};
/* The tables, each NULL-terminated: hostcalls.c (memory, strings,
 * allocators, printk, libgcc, locks), kthread.c (kthreads, completions,
 * task refcounts, module notifiers), klib.c (lib/ functions the KUnit suites
 * call: cmdline, hashes, time). The *_co tables hold functions that call
 * guest code (wake_up_process, sort, list_sort): they run as coroutines
 * (hostabi.h: mb_hc_run_coroutine). */
extern const struct mb_hostcall mb_hostcalls[];
extern const struct mb_hostcall mb_hostcalls_kthread[];
extern const struct mb_hostcall mb_hostcalls_kthread_co[];
extern const struct mb_hostcall mb_hostcalls_klib[];
extern const struct mb_hostcall mb_hostcalls_klib_co[];
extern const struct mb_hostcall mb_hostcalls_klib_ranges[];
/* The host function of a kernel name, or NULL; *co: it runs as a coroutine. */
const struct mb_hostcall *mb_hostcall_find(const char *name, bool *co);
/* Shared by the tables: allocation in the guest heap (zeroed on request);
 * returns the address or 0. */
uint64_t mb_hc_alloc(struct mb_machine *m, uint64_t size, bool zero);
/* kprintf.c */
void mb_hc_printk(struct mb_machine *m);
void mb_hc_snprintf(struct mb_machine *m);
void mb_hc_scnprintf(struct mb_machine *m);
void mb_hc_sprintf(struct mb_machine *m);
void mb_hc_vprintk(struct mb_machine *m);
void mb_hc_warn_printk(struct mb_machine *m);
void mb_hc_vsnprintf(struct mb_machine *m);
void mb_hc_vscnprintf(struct mb_machine *m);

struct mb_ksym {
	char *name;
	uint64_t addr;         /* resolved value (per-cpu: offset) */
	uint64_t storage;      /* where the bytes live (== addr unless per-cpu) */
	uint64_t size;
	enum mb_ksym_kind kind;
	mb_hostcall_fn fn;     /* MB_KSYM_HOST */
	bool co;               /* fn runs as a coroutine */
};

struct mb_kstub {
	uint64_t text_base, text_size;   /* code thunks, sentinel, then slots */
	uint64_t slot_base, slot_end;    /* host + trap slots: the dispatch range */
	uint64_t data_base, data_size;   /* zeroed kernel data symbols */
	uint64_t sentinel;               /* return address of every host->guest call */
	uint64_t code_next, slot_next, data_next, percpu_next;
	struct mb_space_arena *text, *data;
	struct mb_ksym *syms;
	size_t nsyms, cap;
	struct mb_strmap by_name;        /* name -> symbol index + 1 (the first of a name) */
	size_t *by_slot;                 /* slot index -> symbol index + 1 (0: free) */
	size_t nslots;
	struct mb_kthread *threads;      /* kthread.c */
	size_t nthreads, threads_cap;
};

/* A kernel thread (kthread.c): made by kthread_create_on_node, run to its
 * end by wake_up_process. */
struct mb_kthread {
	uint64_t task, fn, data;
	bool started, done;
	uint64_t code;                   /* exit code (kthread_stop's return) */
};

#endif
