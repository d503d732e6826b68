/* Runs on the machine: the two ways a call runs, fault hooks, classification
 * of every stop that is not a normal return, and the call itself.
 *
 * The exact way: one code hook sees every instruction (exact fault pcs under
 * Unicorn 2.0.1, budget, wall clock, host-call dispatch, observers). The
 * fast way, taken when nothing needs a hook per instruction (no observer,
 * no ppc32 time-base hazard): a block hook counts instructions per
 * translated block (budget, `insns`) and checks the clock every few
 * thousand blocks, and a code hook over the kernel stub's slots alone runs
 * host functions and stops at the return sentinel. A fast call that faults
 * or traps is put back to the state it started with (registers, every guest
 * page it wrote: emu_snap.c, the heap's block list, the log, the random
 * stream) and runs again the exact way, so its report is the exact way's.
 * A fast call that nears its budget or runs out of time stops at a block
 * start and goes on from there with the code hook, which then stops it at
 * the exact instruction with a full history.
 *
 * A call with no instruction budget (MB_NO_BUDGET) runs uncounted: not even
 * the block hook, so ALU-bound loops run at a bare Unicorn's speed (the
 * block hook costs ~30 % there); the watchdog (emu_watch.c) keeps the
 * clock, and a ppc32 time-base read (its value is the count) puts the call
 * back and runs it counted. A return has no instruction count then.
 *
 * Neither way uses uc_emu_start's `until`: Unicorn 2.0.1 drops the code
 * translated at that address after every run (the empty exit block and
 * everything on its page), which cost a retranslation (~5 us) per call. The
 * machine enables `exits` with none set, and the hooks stop at the
 * sentinel.
 *
 * Coroutine host functions (emu_nest.c: nested guest calls) only ever run
 * the exact way: a machine with one bound takes no fast path, and a fast
 * run that asks for one is put back and run again the exact way. */
#include "harness/machine/emu_priv.h"

#include "arch/debug.h"

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
	struct mb_machine *m = user;
	struct mb_run *r = &m->run;
	if (addr == m->stub.sentinel) {   /* the call returned */
		uc_emu_stop(uc);
		return;
	}
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
	/* After a fast run ran out of time: stop once the history is full. */
	if (r->cont == MB_CONT_TIMEOUT ? r->hist_n >= MB_FAULT_HISTORY
	    : (r->insns & (CLOCK_CHECK_EVERY - 1)) == 0 && now_ns() > r->deadline_ns) {
		mb_run_fault(m, MB_FAULT_TIMEOUT, addr, false, 0, NULL,
			     "wall-clock limit of %" PRIu64 " ms reached", r->timeout_ms);
		return;
	}
	if (r->skip_slot && addr == r->skip_pc)
		r->skip_slot = false;    /* a coroutine host function ran here: just return */
	else if (addr >= m->stub.slot_base && addr < m->stub.slot_end)
		m->stub_ops->enter_slot(m, m->stub_ctx, addr);
	if (m->blk_obs && !r->faulted)   /* the exact way: every instruction is a block */
		m->blk_obs(m->blk_obs_ctx, addr, r->insns - 1);
	for (size_t i = 0; i < m->nobs && !r->faulted; i++)
		m->obs[i].fn(m->obs[i].ctx, m, addr, size);
}

/* Fast path: only the stub's slots and the sentinel are hooked. */
static void stub_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	(void)size;
	struct mb_machine *m = user;
	if (addr == m->stub.sentinel && (m->purging || !m->code_hook_on)) {
		uc_emu_stop(uc);
		return;
	}
	if (m->code_hook_on)
		return;   /* the full hook does it */
	m->run.pc = addr;
	if (addr >= m->stub.slot_base && addr < m->stub.slot_end)
		m->stub_ops->enter_slot(m, m->stub_ctx, addr);
}

#define CLOCK_CHECK_BLOCKS 1024u

/* Instructions in the block at addr: asked once of Unicorn (the block is
 * translated: it is about to run), then cached until code is dropped. */
static uint32_t block_icount(struct mb_machine *m, uint64_t addr, uint32_t size)
{
	/* A shift, not addr / insn_align: the division per block cost ~8 % of
	 * the counted x86_64 CRC loop (4,200 vs 3,900 MIPS, 4 runs each). */
	struct mb_icount *e = &m->icount[(addr >> m->align_shift) % MB_ICOUNT_SLOTS];
	if (e->addr == addr && e->size == size && e->icount)
		return e->icount;
	uc_tb tb;
	memset(&tb, 0, sizeof(tb));
	if (uc_ctl(m->uc, MB_UC_CTL(UC_CTL_TB_REQUEST_CACHE, 2, UC_CTL_IO_READ_WRITE), addr, &tb) != UC_ERR_OK || tb.icount == 0)
		return 0;
	*e = (struct mb_icount){ addr, size, tb.icount };
	return tb.icount;
}

void mb_icount_clear(struct mb_machine *m)
{
	if (m->icount)
		memset(m->icount, 0, MB_ICOUNT_SLOTS * sizeof(*m->icount));
}

/* Fast path: the budget and the wall clock per block (installed only
 * while calls run fast). Stopping here ends the run before the block's
 * first instruction, with the pc at it. Lean: it runs once per block. */
static void block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct mb_machine *m = user;
	struct mb_run *r = &m->run;
	if (addr == m->stub.sentinel)
		return;   /* the return, not an instruction */
	uint32_t n = m->insn_shift >= 0 ? size >> m->insn_shift : block_icount(m, addr, size);
	/* The block would pass the budget (or cannot be counted): the exact
	 * way runs the call again and stops at the exact instruction. */
	if (r->insns + n > r->budget || n == 0) {
		r->cont = MB_CONT_BUDGET;
		uc_emu_stop(uc);
		return;
	}
	if (--r->clock_left == 0) {
		r->clock_left = CLOCK_CHECK_BLOCKS;
		if (now_ns() > r->deadline_ns) {
			r->cont = MB_CONT_TIMEOUT;
			uc_emu_stop(uc);
			return;
		}
	}
	r->blk_addr = addr;
	r->blk_insns = r->insns;
	r->insns += n;
	if (m->blk_obs)
		m->blk_obs(m->blk_obs_ctx, addr, r->blk_insns);
}

/* The instruction count including the instruction at addr, now being
 * executed: a hazard hook (emu_mem.c) needs it. Fast path: counted from the
 * block's start (the instructions that need it have a fixed size), and the
 * block is cut there, as the hook moves the pc. Code hook: it may or may
 * not have run for addr yet (hook order). */
uint64_t mb_run_insns_at(struct mb_machine *m, uint64_t addr, uint32_t size)
{
	struct mb_run *r = &m->run;
	if (r->uncounted) {   /* no count here: run the call again counted */
		r->cont = MB_CONT_COUNT;
		uc_emu_stop(m->uc);
		return 0;
	}
	if (!m->code_hook_on) {
		r->insns = r->blk_insns + (addr - r->blk_addr) / size + 1;
		return r->insns;
	}
	bool counted = r->hist_n && r->hist[(r->hist_n - 1) % MB_FAULT_HISTORY] == addr;
	return counted ? r->insns : r->insns + 1;
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
	/* Fast path: the pc is not known exactly; the exact run handles it. */
	if (!m->code_hook_on)
		return false;
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

/* ---- the ways a call runs ------------------------------------------------ */

/* The exact way (the full-range code hook), counted (the block hook) or
 * uncounted (neither: only the stub's slots are hooked). Translated code
 * keeps the hooks it was translated with, so it is dropped on every
 * change. */
static int use_way(struct mb_machine *m, enum mb_way way)
{
	if (way == m->way)
		return 0;
	uc_hook add = 0;
	if (way != MB_WAY_UNCOUNTED &&
	    uc_hook_add(m->uc, &add, way == MB_WAY_EXACT ? UC_HOOK_CODE : UC_HOOK_BLOCK,
			way == MB_WAY_EXACT ? (void *)code_hook : (void *)block_hook, m, 1, 0) != UC_ERR_OK)
		return -1;
	uc_hook del = m->way == MB_WAY_EXACT ? m->code_hook : m->way == MB_WAY_COUNTED ? m->block_hook : 0;
	if (del)
		uc_hook_del(m->uc, del);
	m->code_hook = way == MB_WAY_EXACT ? add : 0;
	m->block_hook = way == MB_WAY_COUNTED ? add : 0;
	/* Deleting a hook drops every block translated under it. Uncounted,
	 * no hook covered the stub: deleting and adding its hook drops the
	 * slots that ran (the flush below leaves out execute-only ones). */
	bool restub = m->way == MB_WAY_UNCOUNTED && m->stub_hook;
	if (restub && mb_run_hook_stub(m) != 0)
		return -1;
	/* A deleted hook stays on Unicorn's lists, and is still compiled into
	 * new code, until a uc_emu_start returns: run one that stops at once
	 * (at the sentinel, where the stub's hook stops every run). */
	if ((del || restub) && m->stub_ops && m->stub.sentinel) {
		m->purging = true;
		uc_emu_start(m->uc, m->stub.sentinel, 0, 0, 0);
		m->purging = false;
	}
	/* Not UC_CTL_TB_FLUSH: in 2.0.1 that clears the whole code buffer
	 * (~1 s); only the executable mappings can hold translated code. */
	mb_flush_all_code(m);
	m->way = way;
	m->code_hook_on = way == MB_WAY_EXACT;
	return 0;
}

void mb_machine_set_fast_path(struct mb_machine *m, bool on)
{
	m->fast_path = on;
}

/* ---- registers at a call's start (fast path) ----------------------------- */

/* Unicorn's whole context when it is small (x86_64 5.5 KB, arm64 12.6 KB);
 * ppc32's is 73 KB (SPR tables), ~2 us to copy, so there the registers a
 * fault report shows (arch->debug->regs: GPRs, pc, msr, cr, lr, ctr, xer). */
#define CTX_WHOLE_MAX 16384u

static int ctx_regs(const struct mb_machine *m, int *ids, void **vals)
{
	const struct mb_debug_ops *d = m->arch->debug;
	size_t n = d && d->nregs <= MB_FAULT_MAX_REGS ? d->nregs : 0;
	for (size_t i = 0; i < n; i++) {
		ids[i] = d->regs[i].uc_reg;
		vals[i] = &m->ctx_regs[i];
	}
	return (int)n;
}

static bool save_regs(struct mb_machine *m)
{
	if (m->ctx)
		return uc_context_save(m->uc, m->ctx) == UC_ERR_OK;
	int ids[MB_FAULT_MAX_REGS];
	void *vals[MB_FAULT_MAX_REGS];
	int n = ctx_regs(m, ids, vals);
	memset(m->ctx_regs, 0, MB_FAULT_MAX_REGS * sizeof(*m->ctx_regs));
	return n > 0 && uc_reg_read_batch(m->uc, ids, vals, n) == UC_ERR_OK;
}

static bool restore_regs(struct mb_machine *m)
{
	if (m->ctx)
		return uc_context_restore(m->uc, m->ctx) == UC_ERR_OK;
	int ids[MB_FAULT_MAX_REGS];
	void *vals[MB_FAULT_MAX_REGS];
	int n = ctx_regs(m, ids, vals);
	return uc_reg_write_batch(m->uc, ids, vals, n) == UC_ERR_OK;
}

int mb_run_prepare_fast(struct mb_machine *m)
{
	m->icount = calloc(MB_ICOUNT_SLOTS, sizeof(*m->icount));
	m->ctx_regs = calloc(MB_FAULT_MAX_REGS, sizeof(*m->ctx_regs));
	if (!m->icount || !m->ctx_regs)
		return -1;
	if (uc_context_size(m->uc) <= CTX_WHOLE_MAX && uc_context_alloc(m->uc, &m->ctx) != UC_ERR_OK)
		return -1;
	m->fast_path = mb_snap_init(&m->snap);
	/* Fixed-size instructions: a block's count is its size over that. */
	const struct mb_debug_ops *d = m->arch->debug;
	m->insn_shift = -1;
	m->align_shift = 0;
	while ((2u << m->align_shift) <= m->cpu->insn_align)
		m->align_shift++;
	if (d && d->insn_max == m->cpu->insn_align)
		for (int k = 0; k < 8; k++)
			if ((1u << k) == d->insn_max)
				m->insn_shift = k;
	return 0;
}

void mb_run_release_fast(struct mb_machine *m)
{
	mb_watch_fini(m);
	mb_snap_fini(&m->snap);
	if (m->ctx)
		uc_context_free(m->ctx);
	free(m->icount);
	free(m->ctx_regs);
}

/* What must be put back if the fast run has to be repeated. */
struct call_start {
	size_t loglen;
	uint64_t rng;
};

static bool begin_fast(struct mb_machine *m, struct call_start *cs)
{
	/* Not with a coroutine host function bound (emu_nest.c): a nested
	 * guest call runs the exact way only. */
	if (!m->fast_path || m->nobs || !m->stub_ops || m->co_bound || m->run.depth)
		return false;
	if (!save_regs(m) || !mb_snap_arm(&m->snap)) {
		mb_snap_disarm(&m->snap);
		return false;
	}
	mb_heap_journal_begin(&m->heap);
	cs->loglen = m->loglen;
	cs->rng = m->rng;
	return true;
}

static bool rewind_fast(struct mb_machine *m, const struct call_start *cs)
{
	bool ok = mb_snap_restore(&m->snap) && restore_regs(m) && mb_heap_rollback(&m->heap) == 0;
	m->loglen = cs->loglen;
	if (m->log)
		m->log[m->loglen] = 0;
	m->rng = cs->rng;
	return ok;
}

static void end_fast(struct mb_machine *m)
{
	mb_snap_disarm(&m->snap);
	mb_heap_journal_end(&m->heap);
}

static void start_run(struct mb_machine *m, uint64_t func, const struct mb_call_limits *lim, enum mb_way way)
{
	struct mb_run *r = &m->run;
	memset(r, 0, sizeof(*r));
	r->active = true;
	r->fast = way != MB_WAY_EXACT;
	r->uncounted = way == MB_WAY_UNCOUNTED;
	r->budget = lim && lim->budget ? lim->budget : MB_DEFAULT_BUDGET;
	r->pc = func;
	r->clock_left = CLOCK_CHECK_BLOCKS;
	r->timeout_ms = lim && lim->timeout_ms ? lim->timeout_ms : MB_DEFAULT_TIMEOUT_MS;
	uint64_t start = now_ns();
	r->deadline_ns = r->timeout_ms > (UINT64_MAX - start) / 1000000u ? UINT64_MAX
			 : start + r->timeout_ms * 1000000u;
	r->watch_at = r->deadline_ns;
}

/* Runs from pc until the sentinel, a fault or a stop. `until` is unused:
 * exits are enabled with none set (see the top of this file). */
static uc_err run_from(struct mb_machine *m, uint64_t pc)
{
	struct mb_run *r = &m->run;
	uc_err e = uc_emu_start(m->uc, pc, 0, 0, 0);
	for (;;) {
		/* A PC written from a hook (a handled WARN) ends uc_emu_start in
		 * 2.0.1; carry on from there. */
		if (e == UC_ERR_OK && !r->faulted && r->resume_pending) {
			r->resume_pending = false;
			e = uc_emu_start(m->uc, mb_machine_reg(m, m->cpu->reg_pc), 0, 0, 0);
			continue;
		}
		/* Coroutine host functions (emu_nest.c) run on the exact way
		 * only: a fast run that asks for one stops here (pending_co),
		 * and the call runs again the exact way. */
		if (r->fast)
			break;
		bool handled;
		e = mb_nest_step(m, e, &handled);
		if (!handled)
			break;
	}
	return e;
}

/* The run's end as a fault, if it was not a return to the sentinel
 * (emu_nest.c uses it for a nested call's end too). */
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

/* The fast run (counted or uncounted). True when its outcome stands: a
 * return, or a wall-clock stop, which goes on from where the block hook or
 * the watchdog stopped it with the code hook until that has a full history
 * (a stop requested in a block hook may take effect a few blocks later in
 * 2.0.1, so the count there is approximate; a timeout's count is arbitrary
 * anyway). A fault, a trap or the budget runs the call again the exact way;
 * an uncounted run that reached a time-base read (r->cont MB_CONT_COUNT)
 * runs again counted. */
static bool run_fast(struct mb_machine *m, uint64_t func)
{
	struct mb_run *r = &m->run;
	if (r->uncounted)
		mb_watch_begin(m);
	uc_err e = run_from(m, func);
	if (r->uncounted) {
		mb_watch_end(m);
		if (r->watch_fired && e == UC_ERR_OK && !r->faulted && r->cont == MB_CONT_NONE &&
		    mb_machine_reg(m, m->cpu->reg_pc) != m->stub.sentinel)
			r->cont = MB_CONT_TIMEOUT;
	}
	if (r->pending_co ||
	    (e == UC_ERR_OK && !r->faulted && (r->cont == MB_CONT_BUDGET || r->cont == MB_CONT_COUNT)))
		return false;
	if (e == UC_ERR_OK && !r->faulted && r->cont == MB_CONT_TIMEOUT) {
		uint64_t pc = mb_machine_reg(m, m->cpu->reg_pc);
		if (use_way(m, MB_WAY_EXACT) != 0)
			return false;
		r->continued = true;
		e = run_from(m, pc);
		if (r->pending_co)
			return false;
	}
	mb_run_classify_stop(m, e);
	if (!r->faulted)
		return true;
	return r->continued && r->fault.kind == MB_FAULT_TIMEOUT;
}

int mb_machine_call(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		    const struct mb_call_limits *lim, struct mb_call_result *res, struct mb_err *err)
{
	memset(res, 0, sizeof(*res));
	if (m->run.active)
		return mb_fail(err, NULL, NULL, "a call is already running on this machine");
	if (mb_call_setup(m->uc, m->arch, func, args, nargs, m->stack_top, m->stub.sentinel, err) != 0)
		return -1;
	struct call_start cs = { 0, 0 };
	bool fast = begin_fast(m, &cs);
	struct mb_run *r = &m->run;
	bool done = false;
	/* No instruction budget: nothing to count, no hook on guest code. */
	enum mb_way way = lim && lim->budget == MB_NO_BUDGET && mb_watch_usable(m) ? MB_WAY_UNCOUNTED
			  : MB_WAY_COUNTED;
	while (fast && use_way(m, way) == 0) {
		start_run(m, func, lim, way);
		done = run_fast(m, func);
		if (done)
			break;
		bool recount = way == MB_WAY_UNCOUNTED && r->cont == MB_CONT_COUNT && !r->pending_co && !r->faulted;
		/* Anything else runs again, the exact way, from the call's start.
		 * Should the start not come back (no memory for a page copy), the
		 * fast run's own report stands, and says so. */
		if (!rewind_fast(m, &cs)) {
			done = true;
			if (!r->faulted)   /* a budget stop or a coroutine request */
				mb_run_fault(m, MB_FAULT_TRAP, r->pc, false, 0, NULL, "fast run stopped");
			size_t l = strlen(r->fault.detail);
			snprintf(r->fault.detail + l, sizeof(r->fault.detail) - l,
				 " (fast path could not rewind: pc is a block start)");
			break;
		}
		if (!recount)
			break;
		way = MB_WAY_COUNTED;
	}
	if (fast)
		end_fast(m);
	if (!done) {
		if (use_way(m, MB_WAY_EXACT) != 0) {
			r->active = false;
			return mb_fail(err, NULL, NULL, "cannot install the %s code hook", m->arch->name);
		}
		start_run(m, func, lim, MB_WAY_EXACT);
		mb_run_classify_stop(m, run_from(m, func));
	}
	mb_nest_abandon(m);
	r->active = false;
	res->insns = r->uncounted ? 0 : r->insns;
	res->uncounted = r->uncounted;
	if (r->faulted) {
		res->faulted = true;
		mb_run_finish_fault(m, &res->fault);
		return 0;
	}
	res->ret = mb_machine_reg(m, m->cpu->reg_ret);
	return 0;
}

/* The stub's slots and the sentinel, hooked for the fast path; called when
 * the stub attaches (before its code is translated). */
int mb_run_hook_stub(struct mb_machine *m)
{
	if (m->stub_hook) {
		uc_hook_del(m->uc, m->stub_hook);
		m->stub_hook = 0;
	}
	if (!m->stub_ops || m->stub.slot_end <= m->stub.sentinel)
		return 0;
	return uc_hook_add(m->uc, &m->stub_hook, UC_HOOK_CODE, (void *)stub_hook, m, m->stub.sentinel,
			   m->stub.slot_end - 1) == UC_ERR_OK ? 0 : -1;
}

/* All hooks go in before anything is translated. The full code hook comes
 * and goes with the way a call runs (use_way). */
int mb_run_install_hooks(struct mb_machine *m, struct mb_err *err)
{
	if (uc_ctl_exits_enable(m->uc) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->mem_hook, UC_HOOK_MEM_INVALID, (void *)mem_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->intr_hook, UC_HOOK_INTR, (void *)intr_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->invalid_hook, UC_HOOK_INSN_INVALID, (void *)invalid_hook, m, 1, 0) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot install the %s emulator hooks", m->arch->name);
	m->way = MB_WAY_UNCOUNTED;   /* no hook on guest code yet */
	if (use_way(m, MB_WAY_EXACT) != 0)
		return mb_fail(err, NULL, NULL, "cannot install the %s emulator hooks", m->arch->name);
	return 0;
}
