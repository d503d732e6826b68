/* The machine as the kernel stub (harness/kstub/) sees it: the one interface
 * between the two, so the stub depends on the machine and never the other
 * way. A stub registers itself with mb_machine_attach_stub(); the machine
 * then reaches it only through struct mb_stub_ops (its code hook calls
 * enter_slot when the pc enters the stub's slot range). Host implementations
 * of kernel functions read their arguments and set their return value with
 * mb_hc_*, touch guest memory with the guest's permissions (mb_guest_*),
 * stop the run with mb_run_fault() and append printk output to the run's
 * log. The machine's internals (emu_priv.h) stay private to machine/. */
#ifndef MODBED_HARNESS_MACHINE_HOSTABI_H
#define MODBED_HARNESS_MACHINE_HOSTABI_H

#include "harness/machine/emu.h"
#include "harness/machine/heap.h"

struct mb_space;

/* ---- the stub's registration -------------------------------------------- */

struct mb_stub_ops {
	/* The guest is about to execute pc inside [slot_base, slot_end): run the
	 * host function there, or stop the run with a fault. */
	void (*enter_slot)(struct mb_machine *m, void *stub, uint64_t pc);
	/* "kernel:NAME+0xOFF" for addresses inside the stub image; false otherwise. */
	bool (*symbolize)(const void *stub, uint64_t addr, char *buf, size_t len);
	/* Releases the stub; called first by mb_machine_destroy. */
	void (*fini)(struct mb_machine *m, void *stub);
};

/* The stub's layout the machine itself needs. */
struct mb_stub_image {
	uint64_t text_base, text_size;   /* stub code: mb_run_caller_pc looks past it */
	uint64_t slot_base, slot_end;    /* the dispatch range checked on every instruction */
	uint64_t sentinel;               /* return address of every host->guest call */
};

void mb_machine_attach_stub(struct mb_machine *m, const struct mb_stub_ops *ops, void *stub,
			    const struct mb_stub_image *img);
/* The stub registered on m (NULL before). */
void *mb_machine_stub(const struct mb_machine *m);

/* What the stub builds its image from. */
const struct mb_machine_config *mb_machine_config(const struct mb_machine *m);
struct mb_space *mb_machine_space(struct mb_machine *m);
uint64_t mb_machine_percpu_base(const struct mb_machine *m);
/* The task page `current` points at (see emu.c). */
uint64_t mb_machine_task_base(const struct mb_machine *m);
/* The stack-protector canary the machine placed in the per-cpu area and task
 * page (the stub's __stack_chk_guard holds it too). */
uint64_t mb_machine_canary(const struct mb_machine *m);
/* The guest heap (kmalloc, vmalloc). */
struct mb_heap *mb_machine_heap(struct mb_machine *m);
/* The state of the machine's deterministic random stream (get_random_bytes):
 * per machine, and put back with the rest when a call is run again. */
uint64_t *mb_machine_rng(struct mb_machine *m);

/* ---- runs and faults, for host functions -------------------------------- */

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
/* As len one-byte reads (the fault, if any, at the first unreadable byte),
 * looked up per page. */
int mb_guest_read_each(struct mb_machine *m, uint64_t addr, void *buf, size_t len);
/* Reads a NUL-terminated string of at most max bytes (without NUL); -1 on a
 * fault. */
long mb_guest_strnlen(struct mb_machine *m, uint64_t addr, size_t max);

void mb_log_append(struct mb_machine *m, const char *s, size_t len);

/* ---- host functions that call guest code -------------------------------- */

/* Kernel functions that run guest code and then return to their caller
 * (wake_up_process running a kthread's function, sort() calling its compare
 * callback) run as host coroutines, because Unicorn 2.0.1 cannot start an
 * emulation from inside a hook. The stub's enter_slot hands such a function
 * to mb_hc_run_coroutine instead of calling it; the machine's run loop then
 * runs it on its own host stack, and each mb_hc_call_guest switches back to
 * the run loop, which runs the guest function on the guest stack below the
 * caller's frame and switches back with the result. Between guest calls the
 * CPU holds the outer caller's registers again, so mb_hc_args/mb_hc_ret work
 * as in any host function. Nested kthreads nest (MB_NEST_MAX deep). */
#define MB_NEST_MAX 8

void mb_hc_run_coroutine(struct mb_machine *m, void (*fn)(struct mb_machine *m));
/* The stub bound a kernel name to a coroutine host function: from now on
 * every call on this machine runs the exact way (emu_run.c), never the fast
 * path, whose replay would repeat the host side effects (kthreads) of the
 * functions around it. */
void mb_hc_coroutine_bound(struct mb_machine *m);

enum mb_guest_end {
	MB_GUEST_RETURNED,   /* the function returned: ret */
	MB_GUEST_EXITED,     /* mb_hc_exit_guest ended it (do_exit): ret is the code */
	MB_GUEST_FAULTED,    /* a guest fault ended it: fault */
};
struct mb_guest_result {
	enum mb_guest_end end;
	uint64_t ret;
	struct mb_fault fault;
};
/* Only from a function run by mb_hc_run_coroutine: func(args) on the guest.
 * A fault inside ends only this call (budget and wall clock end the whole
 * run: then this never returns). -1 when not inside a coroutine or the
 * arguments do not fit the ABI. */
int mb_hc_call_guest(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		     struct mb_guest_result *res);
/* From a host function running inside such a guest call: ends the innermost
 * guest call now with MB_GUEST_EXITED and code, unwinding whatever guest
 * frames it had (kthread_complete_and_exit, do_exit). false when no guest
 * call is nested (nothing done). */
bool mb_hc_exit_guest(struct mb_machine *m, uint64_t code);
/* How many coroutine guest calls are running now (0 at top level). */
unsigned mb_hc_nest_depth(const struct mb_machine *m);

#endif
