/* The machine's internals, shared by its own files only: emu.c (creation,
 * teardown, observers, log, heap front), emu_mem.c (memory mirror, guest
 * memory access), emu_run.c (code hook, faults, calls), emu_hostabi.c (the
 * host-call ABI) and heap.c. Nothing outside harness/machine/ includes it:
 * the kernel stub sees the machine through hostabi.h. */
#ifndef MODBED_HARNESS_EMU_PRIV_H
#define MODBED_HARNESS_EMU_PRIV_H

#include "arch/cpu.h"
#include "core/byteorder.h"
#include "harness/machine/hostabi.h"
#include "harness/load/space.h"

/* The scratch area's task page and the guard pages around the stack
 * (emu.c lays them out; fault reports name them). */
/* The task page is `current` (arm64 sp_el0, x86_64 current_task, ppc32
 * r2 - 0x7008): big enough that a write to any task_struct field (KUnit
 * sets current->kunit_test) stays inside it. */
#define MB_TASK_PAGE 0x10000u
#define MB_STACK_GUARD 0x1000u

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
	/* Coroutine host functions (emu_nest.c). */
	void (*pending_co)(struct mb_machine *m); /* enter_slot asked for one */
	uint64_t pending_pc;
	bool exit_pending;                /* mb_hc_exit_guest */
	uint64_t exit_code;
	bool skip_slot;                   /* the slot at skip_pc already ran */
	uint64_t skip_pc;
	struct mb_nest *nest[MB_NEST_MAX];
	unsigned depth;
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

	/* The kernel stub, registered by harness/kstub/ (hostabi.h). */
	struct mb_stub_image stub;
	const struct mb_stub_ops *stub_ops;
	void *stub_ctx;
	uint64_t canary;
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

/* emu_mem.c */
void mb_mirror_observer(struct mb_machine *m, struct mb_space_observer *o);
void mb_flush_code(struct mb_machine *m, uint64_t addr, uint64_t size);
bool mb_machine_is_freed(const struct mb_machine *m, uint64_t addr);
void mb_mapping_free_hazards(struct mb_mapping *mp);
/* emu_run.c */
int mb_run_install_hooks(struct mb_machine *m, struct mb_err *err);
/* Turns a stop of uc_emu_start that is not a normal return into the run's
 * fault (no-op when one is recorded already). */
void mb_run_classify_stop(struct mb_machine *m, uc_err e);
/* Copies the run's fault (symbolized, with history) into f. */
void mb_run_finish_fault(struct mb_machine *m, struct mb_fault *f);
/* emu_nest.c: the run loop's side of coroutine host functions. After a stop
 * of uc_emu_start, takes what belongs to it (a coroutine to start, a nested
 * guest call that ended) and runs on; returns the next stop. *handled false:
 * the stop belongs to the outermost call. */
uc_err mb_nest_step(struct mb_machine *m, uc_err e, bool *handled);
/* Drops every frame (the run ended under them). */
void mb_nest_abandon(struct mb_machine *m);
/* emu_hostabi.c: a register at the arch's width. */
uint64_t mb_machine_reg(struct mb_machine *m, int r);

/* The mapping holding addr, or NULL. */
const struct mb_mapping *mb_machine_mapping(const struct mb_machine *m, uint64_t addr);

#endif
