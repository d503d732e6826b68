/* harness/machine/: the emulated CPU and what runs on it: this header (the
 * machine: memory mirror, calls, faults, observers, log), hostabi.h (the
 * machine as the kernel stub sees it), guestcall.h (call argument syntax),
 * heap.h, faultctx.h. emu_priv.h is private to the folder. Depends on load/
 * (the space it mirrors), util/, arch/ and Unicorn; never on kstub/ above it.
 *
 * The emulated machine: one Unicorn CPU per loaded arch map, guest memory
 * mirrored from host buffers, calls with the arch ABI, and every stop that is
 * not a normal return classified as a fault. The kernel stub image is not
 * the machine's: harness/kstub/ attaches it (mb_kstub_attach) through the
 * machine's stub interface (hostabi.h).
 *
 * Exact fault pcs (Unicorn 2.0.1 reports the translation-block start) come
 * from a full-range UC_HOOK_CODE that records the pc of the instruction
 * being executed, counts instructions (budget, `insns`), keeps a ring of
 * recent pcs, dispatches host-implemented kernel functions and feeds the
 * instruction observers (trace, gdb). It is on only while something needs
 * it: calls without observers run fast (a block hook counts, a hook on the
 * stub's slots dispatches; with no instruction budget not even the block
 * hook, and a watchdog timer keeps the clock: emu_watch.c) and a call that
 * faults, traps or reaches its budget is put back to its start and run
 * again with the code hook, so what callers see is the same either way
 * (emu_run.c, emu_snap.c) except that a call with no budget that returns
 * has no instruction count (mb_call_result.uncounted). Cost:
 * see bench_call and the README. Translated code is dropped whenever the
 * hooks change.
 */
#ifndef MODBED_HARNESS_EMU_H
#define MODBED_HARNESS_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "harness/machine/faultctx.h"
#include "harness/util/diag.h"

struct uc_struct;
struct mb_machine;

/* ---- creation ---------------------------------------------------------- */

struct mb_space;

struct mb_machine_config {
	const struct mb_arch *arch;
	/* Kernel image: the stub's code and data go at kernel_base. */
	uint64_t kernel_base, kernel_size;
	/* Scratch: the call stack, the guest heap (kmalloc, call buffers), the
	 * per-CPU area and the task page. */
	uint64_t scratch_base, scratch_size;
};

/* Kernel image and scratch area of an arch memory map (arch/map.h). */
struct mb_map;
void mb_machine_config_from_map(struct mb_machine_config *cfg, const struct mb_arch *arch,
				const struct mb_map *map);

/* Creates the CPU and mirrors `space` into it: the machine observes the space
 * (every arena created, protected or released there is mapped, protected or
 * unmapped in Unicorn with the arena's host buffer, so relocation writes are
 * guest memory) and adds its own fixed arena for the scratch area. Calls
 * need the kernel stub attached next (harness/kstub/kstub.h). Lifetime:
 * create after the space; destroy (which releases the stub and the fixed
 * arenas and stops observing) before mb_space_fini. */
int mb_machine_create(struct mb_machine **out, const struct mb_machine_config *cfg,
		      struct mb_space *space, struct mb_err *err);
void mb_machine_destroy(struct mb_machine *m);

const struct mb_arch *mb_machine_arch(const struct mb_machine *m);
struct uc_struct *mb_machine_uc(struct mb_machine *m);    /* uc_engine * */

/* ---- guest memory -------------------------------------------------------- */

/* Marks [addr, addr+size) as freed init memory: a later touch is reported as
 * `freed-init` rather than `unmapped` (until something is mapped there). Call
 * before releasing the init arenas. */
void mb_machine_mark_freed_init(struct mb_machine *m, uint64_t addr, uint64_t size);
/* Host code changed bytes in [addr, addr+size): drop translated code there. */
void mb_machine_code_changed(struct mb_machine *m, uint64_t addr, uint64_t size);
/* Number of live Unicorn mappings and whether [addr,addr+size) overlaps one
 * (tests: "a failed load leaves the machine as it was"). */
size_t mb_machine_nmaps(const struct mb_machine *m);
bool mb_machine_is_mapped(const struct mb_machine *m, uint64_t addr, uint64_t size);

/* Host-side access (ignores guest permissions; fails on unmapped bytes). */
int mb_machine_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len, struct mb_err *err);
int mb_machine_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len,
		     struct mb_err *err);

/* Guest heap in the scratch area (also behind kmalloc/vmalloc). */
int mb_machine_alloc(struct mb_machine *m, uint64_t size, uint64_t *addr, struct mb_err *err);
void mb_machine_free(struct mb_machine *m, uint64_t addr);
size_t mb_machine_heap_live(const struct mb_machine *m);   /* live allocations */

/* ---- symbolization ------------------------------------------------------ */

/* Fills buf with "module:symbol+0xoff" for addr and returns true, or false
 * when addr is in no module. Set by the runtime (core lookup + module
 * symbols); the machine falls back to the kernel stub and then to the
 * mapping's name. */
typedef bool (*mb_symbolize_fn)(void *ctx, uint64_t addr, char *buf, size_t len);
void mb_machine_set_symbolizer(struct mb_machine *m, mb_symbolize_fn fn, void *ctx);

/* Asked on every trap instruction (ud2, brk, tw/twi, int3) before it becomes
 * a fault: true means handled, resume at *resume (a WARN(), which the kernel
 * reports and steps over); false stops the call with a `trap` fault. The
 * machine knows no modules; whoever does (the runtime) decides. */
typedef bool (*mb_trap_fn)(void *ctx, struct mb_machine *m, uint64_t pc, uint64_t *resume);
void mb_machine_set_trap_handler(struct mb_machine *m, mb_trap_fn fn, void *ctx);
/* Best-effort name for addr, always filled ("0x..." when nothing knows it). */
void mb_machine_symbolize(const struct mb_machine *m, uint64_t addr, char *buf, size_t len);

/* ---- calls and faults --------------------------------------------------- */

enum mb_fault_kind {
	MB_FAULT_NONE = 0,
	MB_FAULT_WRITE_PROTECT,
	MB_FAULT_FETCH_PROTECT,
	MB_FAULT_UNMAPPED,
	MB_FAULT_FREED_INIT,
	MB_FAULT_TRAP,
	MB_FAULT_UNRESOLVED_SYMBOL,
	MB_FAULT_STACK_PROTECTOR,
	MB_FAULT_BUDGET,
	MB_FAULT_TIMEOUT,
	/* Not a guest fault: the host stopped the run (mb_machine_stop, e.g.
	 * a kill from GDB or GDB going away). */
	MB_FAULT_STOPPED,
	MB_FAULT_NKINDS,
};
/* "write-protect", "fetch-protect", ... as in the JSON `kind` field. */
const char *mb_fault_kind_name(enum mb_fault_kind k);

#define MB_FAULT_HISTORY 32
#define MB_SYM_LEN 160

/* One stop that was not a normal return. The trace engineer extends this
 * (registers, backtrace) by adding fields at the end. */
struct mb_fault {
	enum mb_fault_kind kind;
	uint64_t pc;                 /* exact pc of the faulting instruction */
	char pc_sym[MB_SYM_LEN];     /* module:symbol+0xoff */
	bool has_addr;
	uint64_t addr;               /* accessed address (memory faults) */
	char addr_sym[MB_SYM_LEN];
	char access[8];              /* "read", "write", "fetch", "" */
	char detail[256];            /* one line for people */
	/* Last pcs executed, oldest first, ending with pc. */
	uint64_t history[MB_FAULT_HISTORY];
	unsigned nhistory;
	/* Registers, the observed backtrace and a BUG/WARN's file:line
	 * (faultctx.h). The machine leaves it zeroed; the caller of
	 * mb_machine_call fills it (harness/cli/debugrun.c). */
	struct mb_fault_context ctx;
};

struct mb_call_limits {
	uint64_t budget;      /* instructions; 0: MB_DEFAULT_BUDGET; MB_NO_BUDGET: none */
	uint64_t timeout_ms;  /* wall clock; 0: MB_DEFAULT_TIMEOUT_MS */
};
#define MB_DEFAULT_BUDGET 100000000ull
/* No instruction budget: the call runs with no hook on guest code when it
 * can (a return's instructions are then not counted: res->uncounted). */
#define MB_NO_BUDGET UINT64_MAX
#define MB_DEFAULT_TIMEOUT_MS 10000ull

struct mb_call_result {
	uint64_t ret;         /* return register, zero-extended from reg width */
	uint64_t insns;       /* guest instructions executed */
	/* insns was not counted (0): the call ran with no instruction budget
	 * and no hook on guest code, and returned or ran out of time. */
	bool uncounted;
	bool faulted;
	struct mb_fault fault;
};

/* Calls func(args...) with the arch ABI (native-word arguments) on a fresh
 * stack. Returns 0 when the call ran (check res->faulted), -1 with err when
 * it could not be started (bad address, too many arguments). */
int mb_machine_call(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		    const struct mb_call_limits *lim, struct mb_call_result *res,
		    struct mb_err *err);

/* The arch ABI's call setup on any Unicorn instance (also used by the
 * benchmark's hook-free baseline): argument registers, an aligned stack at
 * stack_top (ppc32 back chain), return address pushed or in the link
 * register. */
int mb_call_setup(struct uc_struct *uc, const struct mb_arch *arch, uint64_t func, const uint64_t *args,
		  unsigned nargs, uint64_t stack_top, uint64_t ret_addr, struct mb_err *err);
uint64_t mb_machine_stack_top(const struct mb_machine *m);
/* Allows (default, where the host's pages are 4 KiB) or forbids the fast
 * path: calls without the per-instruction hook when no observer needs it
 * (emu_run.c). Results, instruction counts and fault reports are the same
 * either way; tests compare the two. */
void mb_machine_set_fast_path(struct mb_machine *m, bool on);
/* The return address every call gets: uc_emu_start(..., until = this). */
uint64_t mb_machine_return_sentinel(const struct mb_machine *m);

/* ---- observers (trace, gdb) -------------------------------------------- */

/* Called from the machine's code hook for every guest instruction, before it
 * executes. Observers may call mb_machine_stop. */
typedef void (*mb_insn_observer_fn)(void *ctx, struct mb_machine *m, uint64_t pc, uint32_t size);
int mb_machine_add_observer(struct mb_machine *m, mb_insn_observer_fn fn, void *ctx);
void mb_machine_remove_observer(struct mb_machine *m, mb_insn_observer_fn fn, void *ctx);
/* Called from the fast path's block hook for every translated block entered:
 * its start pc and `index`, the number of instructions the call executed
 * before it (exact: the same count the exact way reaches there). Unlike an
 * instruction observer it keeps calls on the fast path. Code run the exact
 * way (a call run again after a fault, trap or budget stop, from index 0;
 * a machine without the fast path) reports every instruction as a block.
 * One at a time; fn NULL removes it. */
typedef void (*mb_block_observer_fn)(void *ctx, uint64_t pc, uint64_t index);
void mb_machine_set_block_observer(struct mb_machine *m, mb_block_observer_fn fn, void *ctx);
/* Ends the current call with a `trap` fault carrying `why` (e.g. a breakpoint). */
void mb_machine_stop(struct mb_machine *m, const char *why);

/* ---- the run's log (printk) -------------------------------------------- */

const char *mb_machine_log(const struct mb_machine *m, size_t *len);
void mb_machine_log_clear(struct mb_machine *m);
/* Appends to the run's log, as printk output does. */
void mb_machine_log_write(struct mb_machine *m, const char *s, size_t len);

#endif
