/* Host functions that call guest code (hostabi.h: mb_hc_run_coroutine).
 *
 * Unicorn 2.0.1 cannot run uc_emu_start from inside one of its hooks, so a
 * host function that must run guest code and then carry on (wake_up_process
 * running a kthread, sort() calling its compare callback) cannot just call
 * the machine. Instead it runs as a coroutine on its own host stack:
 *
 *   guest calls the slot -> code hook: enter_slot -> mb_hc_run_coroutine
 *     (records the request, stops the CPU before the slot's `ret`)
 *   run loop (mb_machine_call) -> mb_nest_step: push a frame, switch to it
 *   coroutine: mb_hc_call_guest saves the CPU, sets up func(args) below the
 *     caller's stack frame with the sentinel as return address, switches back
 *   run loop: runs the guest function until it returns to the sentinel, calls
 *     mb_hc_exit_guest (do_exit) or faults; switches to the coroutine with the
 *     result, which restores the caller's registers and goes on
 *   coroutine ends -> run loop pops the frame and resumes the guest at the
 *     slot, whose `ret` returns the value the host function set (the code
 *     hook is told not to run the host function a second time).
 *
 * Every switch happens in the run loop, never inside a Unicorn hook, and
 * only on the exact way (the full code hook): a machine with a coroutine
 * host function bound never takes the fast path, and a fast run that asks
 * for one anyway is put back and run again the exact way (emu_run.c). */
#include "harness/machine/emu_priv.h"

#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define CO_STACK (512u << 10)
/* Bytes left between the caller's sp and the nested call's frame. */
#define NEST_GAP 256u

enum nest_state { NEST_HOST, NEST_GUEST, NEST_DONE };

struct mb_nest {
	ucontext_t co, back;
	void *stack;
	void (*fn)(struct mb_machine *m);
	uint64_t slot_pc;           /* the host function's slot */
	uc_context *saved;          /* the caller's CPU during a guest call */
	enum nest_state state;
	uint64_t guest_pc;          /* NEST_GUEST: where the call starts */
	struct mb_guest_result *res;
};

static void co_main(unsigned hi, unsigned lo)
{
	struct mb_machine *m = (struct mb_machine *)(uintptr_t)((uint64_t)hi << 32 | lo);
	struct mb_nest *n = m->run.nest[m->run.depth - 1];
	n->fn(m);
	n->state = NEST_DONE;
	swapcontext(&n->co, &n->back);   /* never resumed */
}

static void nest_free(struct mb_nest *n)
{
	if (n->saved)
		uc_context_free(n->saved);
	free(n->stack);
	free(n);
}

void mb_hc_run_coroutine(struct mb_machine *m, void (*fn)(struct mb_machine *m))
{
	m->run.pending_co = fn;
	m->run.pending_pc = m->run.pc;
	uc_emu_stop(m->uc);
}

void mb_hc_coroutine_bound(struct mb_machine *m)
{
	m->co_bound = true;
}

unsigned mb_hc_nest_depth(const struct mb_machine *m)
{
	return m->run.depth;
}

int mb_hc_call_guest(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		     struct mb_guest_result *res)
{
	struct mb_run *r = &m->run;
	memset(res, 0, sizeof(*res));
	if (r->depth == 0 || r->nest[r->depth - 1]->state != NEST_HOST)
		return -1;
	struct mb_nest *n = r->nest[r->depth - 1];
	if (uc_context_save(m->uc, n->saved) != UC_ERR_OK)
		return -1;
	uint64_t sp = mb_machine_reg(m, m->cpu->reg_sp);
	struct mb_err err;
	if (mb_call_setup(m->uc, m->arch, func, args, nargs, sp - NEST_GAP, m->stub.sentinel, &err) != 0) {
		uc_context_restore(m->uc, n->saved);
		return -1;
	}
	n->guest_pc = func;
	n->res = res;
	n->state = NEST_GUEST;
	swapcontext(&n->co, &n->back);
	uc_context_restore(m->uc, n->saved);
	n->state = NEST_HOST;
	return 0;
}

bool mb_hc_exit_guest(struct mb_machine *m, uint64_t code)
{
	struct mb_run *r = &m->run;
	if (r->depth == 0 || r->nest[r->depth - 1]->state != NEST_GUEST)
		return false;
	r->exit_pending = true;
	r->exit_code = code;
	uc_emu_stop(m->uc);
	return true;
}

/* Runs the top coroutine until it asks for a guest call or ends; then starts
 * that call, or pops the frame and returns to the guest at its slot. */
static uc_err switch_in(struct mb_machine *m, struct mb_nest *n)
{
	struct mb_run *r = &m->run;
	swapcontext(&n->back, &n->co);
	if (n->state == NEST_GUEST)
		return uc_emu_start(m->uc, n->guest_pc, 0, 0, 0);   /* the code hook stops at the sentinel */
	uint64_t slot = n->slot_pc;
	r->nest[--r->depth] = NULL;
	nest_free(n);
	if (r->faulted)   /* the host function faulted: the caller's frame did */
		return UC_ERR_OK;
	mb_cpu_reg_write(m->uc, m->cpu, m->cpu->reg_pc, slot);
	r->skip_slot = true;
	r->skip_pc = slot;
	return uc_emu_start(m->uc, slot, 0, 0, 0);
}

static uc_err start(struct mb_machine *m, bool *ok)
{
	struct mb_run *r = &m->run;
	*ok = false;
	void (*fn)(struct mb_machine *) = r->pending_co;
	r->pending_co = NULL;
	if (r->depth == MB_NEST_MAX) {
		mb_run_fault(m, MB_FAULT_TRAP, r->pending_pc, false, 0, NULL,
			     "guest calls from kernel functions nested deeper than %d", MB_NEST_MAX);
		return UC_ERR_OK;
	}
	struct mb_nest *n = calloc(1, sizeof(*n));
	if (n)
		n->stack = malloc(CO_STACK);
	if (!n || !n->stack || uc_context_alloc(m->uc, &n->saved) != UC_ERR_OK || getcontext(&n->co) != 0) {
		if (n)
			nest_free(n);
		mb_run_fault(m, MB_FAULT_TRAP, r->pending_pc, false, 0, NULL, "host out of memory for a kernel thread");
		return UC_ERR_OK;
	}
	n->fn = fn;
	n->slot_pc = r->pending_pc;
	n->co.uc_stack.ss_sp = n->stack;
	n->co.uc_stack.ss_size = CO_STACK;
	n->co.uc_link = NULL;
	uintptr_t p = (uintptr_t)m;
	makecontext(&n->co, (void (*)(void))co_main, 2, (unsigned)((uint64_t)p >> 32), (unsigned)(p & 0xffffffffu));
	r->nest[r->depth++] = n;
	*ok = true;
	return switch_in(m, n);
}

uc_err mb_nest_step(struct mb_machine *m, uc_err e, bool *handled)
{
	struct mb_run *r = &m->run;
	*handled = false;
	if (e == UC_ERR_OK && !r->faulted && r->pending_co) {
		bool ok;
		e = start(m, &ok);
		*handled = ok || r->depth > 0;
		return e;
	}
	if (r->depth == 0)
		return e;
	struct mb_nest *n = r->nest[r->depth - 1];
	struct mb_guest_result *res = n->res;
	if (e == UC_ERR_OK && !r->faulted && r->exit_pending) {
		res->end = MB_GUEST_EXITED;
		res->ret = r->exit_code;
		r->exit_pending = false;
	} else if (e == UC_ERR_OK && !r->faulted && mb_machine_reg(m, m->cpu->reg_pc) == m->stub.sentinel) {
		res->end = MB_GUEST_RETURNED;
		res->ret = mb_machine_reg(m, m->cpu->reg_ret);
	} else {
		mb_run_classify_stop(m, e);
		/* The instruction budget and the wall clock are the whole run's. */
		if (r->fault.kind == MB_FAULT_BUDGET || r->fault.kind == MB_FAULT_TIMEOUT)
			return e;
		res->end = MB_GUEST_FAULTED;
		mb_run_finish_fault(m, &res->fault);
		r->faulted = false;
		r->mem_seen = false;
		r->intr_seen = false;
		r->resume_pending = false;
		r->exit_pending = false;
		memset(&r->fault, 0, sizeof(r->fault));
	}
	*handled = true;
	return switch_in(m, n);
}

void mb_nest_abandon(struct mb_machine *m)
{
	struct mb_run *r = &m->run;
	while (r->depth) {
		nest_free(r->nest[--r->depth]);
		r->nest[r->depth] = NULL;
	}
	r->pending_co = NULL;
	r->exit_pending = false;
	r->skip_slot = false;
}
