/* Runs on the machine: the one code hook every instruction goes through
 * (exact fault pcs under Unicorn 2.0.1, budget, wall clock, host-call
 * dispatch, observers), the fault hooks, classification of every stop that
 * is not a normal return, and the call itself. */
#include "harness/machine/emu_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- symbolization -------------------------------------------------------- */

void mb_machine_set_symbolizer(struct mb_machine *m, mb_symbolize_fn fn, void *ctx)
{
	m->symbolize = fn;
	m->symbolize_ctx = ctx;
}

void mb_machine_symbolize(const struct mb_machine *m, uint64_t addr, char *buf, size_t len)
{
	if (m->symbolize && m->symbolize(m->symbolize_ctx, addr, buf, len))
		return;
	if (m->stub_ops && m->stub_ops->symbolize(m->stub_ctx, addr, buf, len))
		return;
	/* The scratch area by part: a stack overflow should say so. */
	const uint64_t guard = MB_STACK_GUARD;
	const struct { const char *name; uint64_t lo, hi; } parts[] = {
		{ "per-cpu", m->percpu_base, m->task_base },
		{ "task", m->task_base, m->task_base + MB_TASK_PAGE },
		{ "stack guard page (below the stack)", m->stack_base - guard, m->stack_base },
		{ "stack", m->stack_base, m->heap.base - guard },
		{ "stack guard page (above the stack)", m->heap.base - guard, m->heap.base },
	};
	for (size_t i = 0; m->stack_base && i < sizeof(parts) / sizeof(parts[0]); i++)
		if (addr >= parts[i].lo && addr < parts[i].hi) {
			snprintf(buf, len, "%s+0x%" PRIx64, parts[i].name, addr - parts[i].lo);
			return;
		}
	const struct mb_mapping *mp = mb_machine_mapping(m, addr);
	if (mp)
		snprintf(buf, len, "%s+0x%" PRIx64, mp->name, addr - mp->addr);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
}

/* ---- runs and faults -------------------------------------------------------- */

static const char *const fault_names[MB_FAULT_NKINDS] = {
	[MB_FAULT_NONE] = "none",
	[MB_FAULT_WRITE_PROTECT] = "write-protect",
	[MB_FAULT_FETCH_PROTECT] = "fetch-protect",
	[MB_FAULT_UNMAPPED] = "unmapped",
	[MB_FAULT_FREED_INIT] = "freed-init",
	[MB_FAULT_TRAP] = "trap",
	[MB_FAULT_UNRESOLVED_SYMBOL] = "unresolved-symbol",
	[MB_FAULT_STACK_PROTECTOR] = "stack-protector",
	[MB_FAULT_BUDGET] = "budget",
	[MB_FAULT_TIMEOUT] = "timeout",
	[MB_FAULT_STOPPED] = "stopped",
};

const char *mb_fault_kind_name(enum mb_fault_kind k)
{
	return (unsigned)k < MB_FAULT_NKINDS ? fault_names[k] : "?";
}

void mb_run_fault(struct mb_machine *m, enum mb_fault_kind kind, uint64_t pc, bool has_addr,
		  uint64_t addr, const char *access, const char *fmt, ...)
{
	struct mb_run *r = &m->run;
	if (r->faulted)
		return;
	r->faulted = true;
	struct mb_fault *f = &r->fault;
	f->kind = kind;
	f->pc = pc ? pc : r->pc;
	f->has_addr = has_addr;
	f->addr = has_addr ? addr : 0;
	snprintf(f->access, sizeof(f->access), "%s", access ? access : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	uc_emu_stop(m->uc);
}

void mb_machine_stop(struct mb_machine *m, const char *why)
{
	mb_run_fault(m, MB_FAULT_STOPPED, 0, false, 0, NULL, "%s", why);
}

#define CLOCK_CHECK_EVERY 4096u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void code_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	(void)uc;
	struct mb_machine *m = user;
	struct mb_run *r = &m->run;
	r->pc = addr;
	r->hist[r->hist_n++ % MB_FAULT_HISTORY] = addr;
	if (++r->insns > r->budget) {
		r->insns--;
		mb_run_fault(m, MB_FAULT_BUDGET, addr, false, 0, NULL,
			     "instruction budget of %" PRIu64 " exhausted", r->budget);
		return;
	}
	/* The wall-clock limit, checked here rather than by uc_emu_start's
	 * timeout, which starts a watchdog thread on every call (~0.1 ms). */
	if ((r->insns & (CLOCK_CHECK_EVERY - 1)) == 0 && now_ns() > r->deadline_ns) {
		mb_run_fault(m, MB_FAULT_TIMEOUT, addr, false, 0, NULL,
			     "wall-clock limit of %" PRIu64 " ms reached", r->timeout_ms);
		return;
	}
	if (r->skip_slot && addr == r->skip_pc)
		r->skip_slot = false;    /* a coroutine host function ran here: just return */
	else if (addr >= m->stub.slot_base && addr < m->stub.slot_end)
		m->stub_ops->enter_slot(m, m->stub_ctx, addr);
	for (size_t i = 0; i < m->nobs && !r->faulted; i++)
		m->obs[i].fn(m->obs[i].ctx, m, addr, size);
}

static bool mem_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
	(void)uc; (void)size; (void)value;
	struct mb_machine *m = user;
	if (!m->run.mem_seen) {
		m->run.mem_seen = true;
		m->run.mem_type = (int)type;
		m->run.mem_addr = addr;
	}
	return false;
}

void mb_machine_log_write(struct mb_machine *m, const char *s, size_t len)
{
	mb_log_append(m, s, len);
}

void mb_machine_set_trap_handler(struct mb_machine *m, mb_trap_fn fn, void *ctx)
{
	m->trap = fn;
	m->trap_ctx = ctx;
}

/* A trap the handler takes (a WARN) resumes where it says; the code hook
 * keeps r->pc exact, so the trap's own address is known on every arch. */
static bool trap_handled(struct mb_machine *m)
{
	uint64_t resume;
	if (m->trap == NULL || m->run.faulted || !m->trap(m->trap_ctx, m, m->run.pc, &resume))
		return false;
	if (mb_cpu_reg_write(m->uc, m->cpu, m->cpu->reg_pc, resume) != UC_ERR_OK)
		return false;
	m->run.resume_pending = true;
	return true;
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *user)
{
	(void)uc;
	struct mb_machine *m = user;
	if (trap_handled(m))
		return;
	m->run.intr_seen = true;
	m->run.intno = (int)intno;
	mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "trap instruction (CPU exception %u)", intno);
}

static bool invalid_hook(uc_engine *uc, void *user)
{
	(void)uc;
	struct mb_machine *m = user;
	if (trap_handled(m))
		return true;
	mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "invalid or trapping instruction (BUG/ud2)");
	return false;
}

/* A memory error of uc_emu_start, with the access the hook saw. */
static void classify_mem(struct mb_machine *m, uc_err e)
{
	struct mb_run *r = &m->run;
	uint64_t addr = r->mem_seen ? r->mem_addr : r->pc;
	const char *access = "read";
	enum mb_fault_kind kind = MB_FAULT_UNMAPPED;
	switch (e) {
	case UC_ERR_WRITE_PROT: kind = MB_FAULT_WRITE_PROTECT; access = "write"; break;
	case UC_ERR_FETCH_PROT: kind = MB_FAULT_FETCH_PROTECT; access = "fetch"; break;
	case UC_ERR_READ_PROT: access = "read"; break;
	case UC_ERR_WRITE_UNMAPPED: access = "write"; break;
	case UC_ERR_FETCH_UNMAPPED: access = "fetch"; break;
	default: break;
	}
	if (kind == MB_FAULT_UNMAPPED && mb_machine_is_freed(m, addr))
		kind = MB_FAULT_FREED_INIT;
	/* A failed fetch has no instruction of its own: the pc is the target. */
	uint64_t pc = strcmp(access, "fetch") == 0 ? addr : r->pc;
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, addr, where, sizeof(where));
	if (strcmp(access, "fetch") != 0 && addr >= m->stub.slot_base && addr < m->stub.slot_end) {
		/* A data access to a kernel symbol's slot: the stub has no
		 * data for that name (an unknown symbol bound to a trap). */
		char from[MB_SYM_LEN];
		mb_machine_symbolize(m, r->pc, from, sizeof(from));
		const char *name = strncmp(where, "kernel:", 7) == 0 ? where + 7 : where;
		size_t nl = strcspn(name, "+");
		mb_run_fault(m, MB_FAULT_UNRESOLVED_SYMBOL, pc, true, addr, access,
			     "%s of unresolved kernel symbol %.*s from %s (the kernel stub has no data for it)",
			     access, (int)nl, name, from);
		return;
	}
	bool overflow = m->stack_base && addr < m->stack_base && addr >= m->stack_base - MB_STACK_GUARD;
	const char *why = kind == MB_FAULT_FREED_INIT ? " (init memory freed after init)"
		: overflow ? " (stack overflow: the guard page below the stack)"
		: kind == MB_FAULT_UNMAPPED && m->cpu->addr_ok && !m->cpu->addr_ok(addr) ? " (non-canonical address)"
		: "";
	mb_run_fault(m, kind, pc, true, addr, access, "%s of %s (0x%" PRIx64 ") %s%s", access, where, addr,
		     kind == MB_FAULT_WRITE_PROTECT ? "is not writable"
		     : kind == MB_FAULT_FETCH_PROTECT ? "is not executable" : "is not mapped", why);
}

void mb_run_finish_fault(struct mb_machine *m, struct mb_fault *f)
{
	const struct mb_run *r = &m->run;
	*f = r->fault;
	mb_machine_symbolize(m, f->pc, f->pc_sym, sizeof(f->pc_sym));
	if (f->has_addr)
		mb_machine_symbolize(m, f->addr, f->addr_sym, sizeof(f->addr_sym));
	unsigned n = r->hist_n < MB_FAULT_HISTORY ? r->hist_n : MB_FAULT_HISTORY;
	for (unsigned k = 0; k < n; k++)
		f->history[k] = r->hist[(r->hist_n - n + k) % MB_FAULT_HISTORY];
	f->nhistory = n;
}

int mb_call_setup(struct uc_struct *uc, const struct mb_arch *arch, uint64_t func, const uint64_t *args,
		  unsigned nargs, uint64_t stack_top, uint64_t ret_addr, struct mb_err *err)
{
	const struct mb_cpu_ops *c = arch->cpu;
	if (nargs > c->narg_regs)
		return mb_fail(err, NULL, NULL, "%u arguments given; %s calls take at most %u", nargs,
			       arch->name, c->narg_regs);
	if (c->addr_ok && !c->addr_ok(func))
		return mb_fail(err, NULL, NULL, "0x%" PRIx64 " is not a canonical %s address", func, arch->name);
	if (func % c->insn_align)
		return mb_fail(err, NULL, NULL, "0x%" PRIx64 " is not %u-byte aligned as %s code must be", func,
			       c->insn_align, arch->name);
	for (unsigned i = 0; i < nargs; i++)
		mb_cpu_reg_write(uc, c, c->arg_regs[i], args[i]);
	uint64_t sp = (stack_top - c->stack_reserve) & ~(uint64_t)(c->stack_align - 1);
	uint8_t word[8];
	if (c->stack_back_chain) {
		mb_store(word, c->reg_bytes, 0, arch->big_endian);
		uc_mem_write(uc, sp, word, c->reg_bytes);
	}
	if (c->ret_addr_pushed) {
		sp -= c->reg_bytes;
		mb_store(word, c->reg_bytes, ret_addr, arch->big_endian);
		uc_mem_write(uc, sp, word, c->reg_bytes);
	}
	if (c->reg_link >= 0)
		mb_cpu_reg_write(uc, c, c->reg_link, ret_addr);
	mb_cpu_reg_write(uc, c, c->reg_sp, sp);
	return 0;
}

void mb_run_classify_stop(struct mb_machine *m, uc_err e)
{
	if (m->run.faulted)
		return;
	uint64_t pc = mb_machine_reg(m, m->cpu->reg_pc);
	if (e == UC_ERR_OK && pc != m->stub.sentinel)
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "emulation stopped at 0x%" PRIx64, pc);
	else if (e == UC_ERR_INSN_INVALID || e == UC_ERR_EXCEPTION)
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "%s", uc_strerror(e));
	else if (e != UC_ERR_OK)
		classify_mem(m, e);
}

int mb_machine_call(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		    const struct mb_call_limits *lim, struct mb_call_result *res, struct mb_err *err)
{
	memset(res, 0, sizeof(*res));
	if (m->run.active)
		return mb_fail(err, NULL, NULL, "a call is already running on this machine");
	if (mb_call_setup(m->uc, m->arch, func, args, nargs, m->stack_top, m->stub.sentinel, err) != 0)
		return -1;
	struct mb_run *r = &m->run;
	memset(r, 0, sizeof(*r));
	r->active = true;
	r->budget = lim && lim->budget ? lim->budget : MB_DEFAULT_BUDGET;
	r->pc = func;
	r->timeout_ms = lim && lim->timeout_ms ? lim->timeout_ms : MB_DEFAULT_TIMEOUT_MS;
	uint64_t start = now_ns();
	r->deadline_ns = r->timeout_ms > (UINT64_MAX - start) / 1000000u ? UINT64_MAX
			 : start + r->timeout_ms * 1000000u;

	uc_err e = uc_emu_start(m->uc, func, m->stub.sentinel, 0, 0);
	for (;;) {
		/* A PC written from a hook (a handled WARN) ends uc_emu_start in
		 * 2.0.1; carry on from there. */
		if (e == UC_ERR_OK && !r->faulted && r->resume_pending) {
			r->resume_pending = false;
			e = uc_emu_start(m->uc, mb_machine_reg(m, m->cpu->reg_pc), m->stub.sentinel, 0, 0);
			continue;
		}
		bool handled;
		e = mb_nest_step(m, e, &handled);
		if (!handled)
			break;
	}
	mb_nest_abandon(m);
	r->active = false;
	res->insns = r->insns;
	mb_run_classify_stop(m, e);
	if (r->faulted) {
		res->faulted = true;
		mb_run_finish_fault(m, &res->fault);
		return 0;
	}
	res->ret = mb_machine_reg(m, m->cpu->reg_ret);
	return 0;
}


/* All hooks go in before anything is translated. */
int mb_run_install_hooks(struct mb_machine *m, struct mb_err *err)
{
	if (uc_hook_add(m->uc, &m->code_hook, UC_HOOK_CODE, (void *)code_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->mem_hook, UC_HOOK_MEM_INVALID, (void *)mem_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->intr_hook, UC_HOOK_INTR, (void *)intr_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->invalid_hook, UC_HOOK_INSN_INVALID, (void *)invalid_hook, m, 1, 0) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot install the %s emulator hooks", m->arch->name);
	return 0;
}
