/* The machine's internals, shared by its own files only: emu.c (creation,
 * teardown, observers, log, heap front), emu_mem.c (memory mirror, guest
 * memory access), emu_run.c (code hook, faults, calls), emu_watch.c (the
 * clock of calls with no hook), emu_hostabi.c (the host-call ABI) and
 * heap.c. Nothing outside harness/machine/ includes it:
 * the kernel stub sees the machine through hostabi.h. */
#ifndef MODBED_HARNESS_EMU_PRIV_H
#define MODBED_HARNESS_EMU_PRIV_H

#include "arch/cpu.h"
#include "core/byteorder.h"
#include "harness/machine/hostabi.h"
#include "harness/load/space.h"

#include <signal.h>
#include <sys/types.h>
#include <time.h>

/* unicorn.h's UC_CTL() shifts the read bit (2) into the sign bit of an int,
 * which UBSan rightly reports for every control that reads (page size, TB
 * cache request); the same control word, built unsigned. */
#define MB_UC_CTL(type, nr, rw) \
	((uc_control_type)((unsigned)(type) | ((unsigned)(nr) << 26) | ((unsigned)(rw) << 30)))

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
	bool ever_exec;            /* may hold translated code */
	char name[48];
	uc_hook *hazard_hooks;     /* ppc32 time-base reads inside this mapping */
	uint64_t *hazard_addrs;
	size_t nhazards;
	/* In Unicorn now, as regions split at cuts (ncuts + 1 regions); a
	 * module arena out of Unicorn is mapped again on first touch
	 * (emu_mem.c: Unicorn 2.0.1 holds ~1,000 regions on arm64). */
	bool in_uc;
	bool fixed;                /* no module owner (stub, scratch): stays in Unicorn */
	bool on_touch;             /* put back in by a first touch */
	uint64_t *cuts;
	size_t ncuts, cutcap;
	uint64_t used;             /* machine's map clock when last put into Unicorn */
};

struct mb_freed { uint64_t addr, size; };

struct mb_observer { mb_insn_observer_fn fn; void *ctx; };

/* Copy-on-write memory snapshot of the fast path (emu_snap.c). */
struct mb_snap_arena {
	uint8_t *host;
	size_t size;
	bool cold;          /* host buffer read-only except the hot pages */
	uint8_t *hot;       /* bitmap: page writable (copied this call) */
};
struct mb_snap_saved { uint8_t *host, *copy; };
struct mb_snap {
	bool usable;        /* 4 KiB host pages and every arena tracked */
	bool armed;         /* a fast call is running: stores to cold pages copy them */
	bool broken;        /* a copy could not be made: restore impossible */
	bool overflow;      /* the hot list lost entries: cool everything */
	struct mb_snap_arena *ar;
	size_t nar, arcap;
	uint8_t **hotp;     /* writable pages (mmap'd: grows in the handler) */
	size_t nhot, hotcap;
	struct mb_snap_saved *saved;   /* pages copied this call */
	size_t nsaved, savedcap;
};
bool mb_snap_init(struct mb_snap *s);
void mb_snap_fini(struct mb_snap *s);
int mb_snap_track(struct mb_snap *s, uint8_t *host, size_t size);
void mb_snap_untrack(struct mb_snap *s, uint8_t *host);
bool mb_snap_arm(struct mb_snap *s);
void mb_snap_disarm(struct mb_snap *s);
bool mb_snap_restore(struct mb_snap *s);

/* Instructions per translated block, for counting without a code hook. */
struct mb_icount { uint64_t addr; uint32_t size, icount; };
#define MB_ICOUNT_SLOTS 4096u

/* Why a fast run stopped early: the budget (run again the exact way), the
 * wall clock (go on with the code hook), or an uncounted run reached
 * something that needs the count (run again counted). */
enum mb_cont { MB_CONT_NONE = 0, MB_CONT_BUDGET, MB_CONT_TIMEOUT, MB_CONT_COUNT };

/* The three ways a call runs (emu_run.c): the code hook on every
 * instruction, the block hook counting per translated block, or no hook on
 * guest code at all (no instruction budget; emu_watch.c keeps the clock). */
enum mb_way { MB_WAY_EXACT, MB_WAY_COUNTED, MB_WAY_UNCOUNTED };

/* emu_watch.c: the wall clock of uncounted runs. */
struct mb_watch {
	timer_t timer;
	bool made;
	pid_t tid;                        /* the thread the ticks go to */
	unsigned gen;                     /* forks seen when it was made */
	volatile sig_atomic_t armed;      /* ticking (the handler disarms an idle one) */
	volatile sig_atomic_t idle;       /* ticks with no call running */
};

struct mb_run {
	bool active;
	bool fast;                        /* no code hook: counted per block, or not at all */
	bool uncounted;                   /* no hook on guest code: insns unknown */
	uint64_t watch_at;                /* uncounted: the watchdog stops the run after this */
	volatile sig_atomic_t watch_fired;
	enum mb_cont cont;                /* fast run handed over to the code hook */
	bool continued;                   /* running on with the code hook after cont */
	uint32_t clock_left;              /* blocks to the next clock check */
	uint64_t blk_addr, blk_insns;     /* fast path: current block, insns before it */
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
	size_t uc_regions;                /* Unicorn memory regions the mappings use */
	size_t uc_region_max;             /* what this Unicorn holds (its target page size) */
	uint64_t map_clock;
	uc_hook demand_hook;
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

	uc_hook code_hook, mem_hook, intr_hook, invalid_hook, stub_hook, block_hook;
	bool code_hook_on;                /* the full-range code hook is installed */
	enum mb_way way;                  /* the hooks installed now */
	struct mb_watch watch;
	bool fast_path;                   /* calls may run without it (mb_machine_set_fast_path) */
	bool purging;                     /* the empty run that retires a deleted hook */
	bool co_bound;                    /* a coroutine host function is bound: no fast path */
	struct mb_run run;
	struct mb_icount *icount;
	int insn_shift;                   /* log2 of a fixed instruction size, or -1 */
	unsigned align_shift;             /* log2 of the instruction alignment */
	struct mb_snap snap;
	/* Registers at the start of a fast call: the whole Unicorn context when
	 * it is small, else the arch's register list (regs). */
	struct uc_context *ctx;
	uint64_t *ctx_regs;
	uint64_t rng;                     /* get_random_bytes stream (hostabi.h) */
	struct mb_observer *obs;
	size_t nobs;
	mb_block_observer_fn blk_obs;     /* fast path's block observer (emu.h) */
	void *blk_obs_ctx;

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
void mb_flush_all_code(struct mb_machine *m);
bool mb_machine_is_freed(const struct mb_machine *m, uint64_t addr);
/* Frees a mapping record's arrays (hazard hooks' bookkeeping, cuts). */
void mb_mapping_free(struct mb_mapping *mp);
/* The hook that maps module memory on first touch and the region limit;
 * before any other memory hook (it must answer first). */
int mb_mem_install(struct mb_machine *m, struct mb_err *err);
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
int mb_run_hook_stub(struct mb_machine *m);
int mb_run_prepare_fast(struct mb_machine *m);
void mb_run_release_fast(struct mb_machine *m);
void mb_icount_clear(struct mb_machine *m);
uint64_t mb_run_insns_at(struct mb_machine *m, uint64_t addr, uint32_t size);
/* emu_watch.c: true when the watchdog can serve this thread; begin/end
 * bracket an uncounted run (m->run.watch_at set). */
bool mb_watch_usable(struct mb_machine *m);
void mb_watch_begin(struct mb_machine *m);
void mb_watch_end(struct mb_machine *m);
void mb_watch_fini(struct mb_machine *m);
/* emu_hostabi.c: a register at the arch's width. */
uint64_t mb_machine_reg(struct mb_machine *m, int r);

/* The mapping holding addr, or NULL. */
const struct mb_mapping *mb_machine_mapping(const struct mb_machine *m, uint64_t addr);

#endif
