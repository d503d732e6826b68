/* Internals shared by the machine's parts: emu.c (CPU, memory mirror, runs),
 * kstub.c (kernel stub image), hostcalls.c (host implementations),
 * heap.c (guest heap). Not for use outside these files. */
#ifndef MODBED_HARNESS_EMU_PRIV_H
#define MODBED_HARNESS_EMU_PRIV_H

#include "arch/cpu.h"
#include "core/byteorder.h"
#include "harness/machine/emu.h"
#include "harness/load/space.h"

struct mb_machine;

/* A host implementation of a kernel function. It reads its arguments and
 * sets its return value through the hc_* helpers; to stop the run it calls
 * mb_run_fault(). */
typedef void (*mb_hostcall_fn)(struct mb_machine *m);

struct mb_hostcall {
	const char *name;
	mb_hostcall_fn fn;
};
/* hostcalls.c: the table, NULL-terminated. */
extern const struct mb_hostcall mb_hostcalls[];
const struct mb_hostcall *mb_hostcall_find(const char *name);
/* kprintf.c */
void mb_hc_printk(struct mb_machine *m);
void mb_hc_snprintf(struct mb_machine *m);
void mb_hc_scnprintf(struct mb_machine *m);
void mb_hc_sprintf(struct mb_machine *m);

/* ---- kernel stub image --------------------------------------------------- */

struct mb_ksym {
	char *name;
	uint64_t addr;         /* resolved value (per-cpu: offset) */
	uint64_t storage;      /* where the bytes live (== addr unless per-cpu) */
	uint64_t size;
	enum mb_ksym_kind kind;
	mb_hostcall_fn fn;     /* MB_KSYM_HOST */
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
	size_t *by_slot;                 /* slot index -> symbol index + 1 (0: free) */
	size_t nslots;
	uint64_t canary;
};

int mb_kstub_init(struct mb_machine *m, struct mb_err *err);
void mb_kstub_fini(struct mb_machine *m);
/* The slot symbol at pc, or NULL. */
const struct mb_ksym *mb_kstub_slot(const struct mb_machine *m, uint64_t pc);

/* ---- guest heap ---------------------------------------------------------- */

struct mb_heap_block { uint64_t addr, size; };
struct mb_heap {
	uint64_t base, size;
	struct mb_heap_block *blocks;   /* live allocations, sorted by addr */
	size_t n, cap;
};
/* 0 on success; *addr = 0 when full (as kmalloc returns NULL). */
int mb_heap_alloc(struct mb_heap *h, uint64_t size, uint64_t align, uint64_t *addr);
/* Returns the block size, or 0 if addr is not a live allocation. */
uint64_t mb_heap_free(struct mb_heap *h, uint64_t addr);
void mb_heap_fini(struct mb_heap *h);

/* ---- the machine --------------------------------------------------------- */

struct mb_mapping {
	uint64_t addr, size;
	unsigned prot;             /* MB_PERM_* */
	char name[48];
	uc_hook *hazard_hooks;     /* ppc32 time-base reads inside this mapping */
	uint64_t *hazard_addrs;
	size_t nhazards;
};

struct mb_freed { uint64_t addr, size; };

struct mb_observer { mb_insn_observer_fn fn; void *ctx; };

struct mb_run {
	bool active;
	bool resume_pending;              /* a hook moved the pc: restart there */
	uint64_t insns, budget;
	uint64_t timeout_ms, deadline_ns;
	uint64_t pc;                      /* instruction being executed */
	uint64_t hist[MB_FAULT_HISTORY];  /* ring */
	unsigned hist_n;
	bool faulted;
	struct mb_fault fault;
	/* Last invalid access seen by the memory hook. */
	bool mem_seen;
	int mem_type;
	uint64_t mem_addr;
	int intno;
	bool intr_seen;
};

struct mb_machine {
	struct mb_machine_config cfg;
	const struct mb_arch *arch;
	const struct mb_cpu_ops *cpu;
	uc_engine *uc;
	struct mb_space *space;

	struct mb_mapping *maps;
	size_t nmaps, mapcap;
	struct mb_freed *freed;
	size_t nfreed, freedcap;

	struct mb_kstub ks;
	struct mb_space_arena *scratch;
	uint64_t percpu_base, task_base, stack_base, stack_top;
	struct mb_heap heap;

	uc_hook code_hook, mem_hook, intr_hook, invalid_hook;
	struct mb_run run;
	struct mb_observer *obs;
	size_t nobs;

	mb_symbolize_fn symbolize;
	void *symbolize_ctx;
	mb_trap_fn trap;
	void *trap_ctx;

	char *log;
	size_t loglen, logcap;
};

/* Records the first fault of the current run and stops the CPU. pc 0 uses
 * the pc of the instruction being executed. */
void mb_run_fault(struct mb_machine *m, enum mb_fault_kind kind, uint64_t pc, bool has_addr,
		  uint64_t addr, const char *access, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* The instruction that called the host/stub function now running: the most
 * recent history pc just below the return address. */
uint64_t mb_run_caller_pc(struct mb_machine *m);
/* Return address of the stub function now running (link register or the
 * word at sp). */
uint64_t mb_run_return_addr(struct mb_machine *m);

/* Host-call arguments: sig is one char per argument, 'w' a native word, 'q'
 * a 64-bit value (a register pair on 32-bit ABIs). Register arguments first,
 * then the stack. */
void mb_hc_args(struct mb_machine *m, const char *sig, uint64_t *out);
/* The n-th native-word argument (variadic: printk). */
uint64_t mb_hc_word(struct mb_machine *m, unsigned n);
void mb_hc_ret(struct mb_machine *m, uint64_t v);
void mb_hc_ret64(struct mb_machine *m, uint64_t v);

/* Guest memory access with the guest's permissions: a violation records the
 * fault at the current pc (inside the stub) and returns -1. */
int mb_guest_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len);
int mb_guest_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len);
/* Reads a NUL-terminated string of at most max bytes (without NUL); -1 on a
 * fault. */
long mb_guest_strnlen(struct mb_machine *m, uint64_t addr, size_t max);

void mb_log_append(struct mb_machine *m, const char *s, size_t len);

/* emu_mem.c */
void mb_mirror_observer(struct mb_machine *m, struct mb_space_observer *o);
void mb_flush_code(struct mb_machine *m, uint64_t addr, uint64_t size);
bool mb_machine_is_freed(const struct mb_machine *m, uint64_t addr);
void mb_mapping_free_hazards(struct mb_mapping *mp);
/* emu_run.c */
int mb_run_install_hooks(struct mb_machine *m, struct mb_err *err);
/* emu_hostabi.c: a register at the arch's width. */
uint64_t mb_machine_reg(struct mb_machine *m, int r);

/* The mapping holding addr, or NULL. */
const struct mb_mapping *mb_machine_mapping(const struct mb_machine *m, uint64_t addr);

#endif
