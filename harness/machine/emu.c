/* The machine: creation (CPU model, per-CPU state, scratch layout),
 * teardown, the kernel stub's registration, observers, the run's log, the
 * heap front. Memory mirror:
 * emu_mem.c; runs and faults: emu_run.c; host-call ABI: emu_hostabi.c. */
#include "harness/machine/emu_priv.h"

#include "arch/map.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Scratch layout, from scratch_base: per-cpu area, task page, guard, stack,
 * guard, heap. The guards are inaccessible, as the guard pages around a
 * kernel's vmalloc'd stack are: an overrun or a runaway recursion faults
 * instead of silently rewriting the heap or the task page (the canary).
 * Calls start TOP_RESERVE below the stack's end, where a kernel stack keeps
 * pt_regs: a small overrun of the first frame stays on the stack (and is the
 * canary's to catch), a large one reaches the guard. */
#define PERCPU_SIZE 0x4000u
#define TASK_SIZE MB_TASK_PAGE
#define GUARD_SIZE MB_STACK_GUARD
#define STACK_SIZE 0x40000u
#define TOP_RESERVE 0x1000u
#define FIXED_SIZE (PERCPU_SIZE + TASK_SIZE + GUARD_SIZE + STACK_SIZE + GUARD_SIZE)
#define HEAP_MAX (32u << 20)

/* ---- observers and log ---------------------------------------------------- */

int mb_machine_add_observer(struct mb_machine *m, mb_insn_observer_fn fn, void *ctx)
{
	struct mb_observer *n = realloc(m->obs, (m->nobs + 1) * sizeof(*n));
	if (!n)
		return -1;
	m->obs = n;
	m->obs[m->nobs++] = (struct mb_observer){ fn, ctx };
	return 0;
}

void mb_machine_remove_observer(struct mb_machine *m, mb_insn_observer_fn fn, void *ctx)
{
	for (size_t i = 0; i < m->nobs; i++)
		if (m->obs[i].fn == fn && m->obs[i].ctx == ctx) {
			memmove(&m->obs[i], &m->obs[i + 1], (m->nobs - i - 1) * sizeof(m->obs[0]));
			m->nobs--;
			return;
		}
}

void mb_machine_set_block_observer(struct mb_machine *m, mb_block_observer_fn fn, void *ctx)
{
	m->blk_obs = fn;
	m->blk_obs_ctx = ctx;
}

void mb_log_append(struct mb_machine *m, const char *s, size_t len)
{
	if (m->loglen + len + 1 > m->logcap) {
		size_t cap = m->logcap ? m->logcap : 1024;
		while (cap < m->loglen + len + 1)
			cap *= 2;
		char *n = realloc(m->log, cap);
		if (!n)
			return;
		m->log = n;
		m->logcap = cap;
	}
	memcpy(m->log + m->loglen, s, len);
	m->loglen += len;
	m->log[m->loglen] = 0;
}

const char *mb_machine_log(const struct mb_machine *m, size_t *len)
{
	if (len)
		*len = m->loglen;
	return m->log ? m->log : "";
}

void mb_machine_log_clear(struct mb_machine *m)
{
	m->loglen = 0;
	if (m->log)
		m->log[0] = 0;
}

/* ---- heap front ---------------------------------------------------------- */

int mb_machine_alloc(struct mb_machine *m, uint64_t size, uint64_t *addr, struct mb_err *err)
{
	if (mb_heap_alloc(&m->heap, size, 16, addr) != 0 || *addr == 0)
		return mb_fail(err, NULL, NULL, "guest heap full: cannot allocate %" PRIu64 " bytes (heap is %" PRIu64 " bytes)",
			       size, m->heap.size);
	return 0;
}

void mb_machine_free(struct mb_machine *m, uint64_t addr)
{
	mb_heap_free(&m->heap, addr);
}

size_t mb_machine_heap_live(const struct mb_machine *m)
{
	return m->heap.n;
}

/* ---- creation ------------------------------------------------------------ */

const struct mb_arch *mb_machine_arch(const struct mb_machine *m)
{
	return m->arch;
}

struct uc_struct *mb_machine_uc(struct mb_machine *m)
{
	return m->uc;
}

uint64_t mb_machine_stack_top(const struct mb_machine *m)
{
	return m->stack_top;
}

uint64_t mb_machine_return_sentinel(const struct mb_machine *m)
{
	return m->stub.sentinel;
}

/* ---- the kernel stub's view (hostabi.h) ----------------------------------- */

void mb_machine_attach_stub(struct mb_machine *m, const struct mb_stub_ops *ops, void *stub,
			    const struct mb_stub_image *img)
{
	m->stub_ops = ops;
	m->stub_ctx = stub;
	m->stub = *img;
	mb_run_hook_stub(m);
}

uint64_t *mb_machine_rng(struct mb_machine *m)
{
	return &m->rng;
}

void *mb_machine_stub(const struct mb_machine *m)
{
	return m->stub_ctx;
}

const struct mb_machine_config *mb_machine_config(const struct mb_machine *m)
{
	return &m->cfg;
}

struct mb_space *mb_machine_space(struct mb_machine *m)
{
	return m->space;
}

uint64_t mb_machine_task_base(const struct mb_machine *m)
{
	return m->task_base;
}

uint64_t mb_machine_percpu_base(const struct mb_machine *m)
{
	return m->percpu_base;
}

uint64_t mb_machine_canary(const struct mb_machine *m)
{
	return m->canary;
}

struct mb_heap *mb_machine_heap(struct mb_machine *m)
{
	return &m->heap;
}

void mb_machine_config_from_map(struct mb_machine_config *cfg, const struct mb_arch *arch,
				const struct mb_map *map)
{
	*cfg = (struct mb_machine_config){ arch, map->kernel_base, map->kernel_size, map->scratch_base,
					   map->scratch_size };
}

static int open_cpu(struct mb_machine *m, struct mb_err *err)
{
	const struct mb_cpu_ops *c = m->cpu;
	uc_err e = uc_open(c->uc_arch, c->uc_mode, &m->uc);
	if (e != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot create a %s CPU: %s", m->arch->name, uc_strerror(e));
	if (c->uc_cpu_model >= 0 && (e = uc_ctl_set_cpu_model(m->uc, c->uc_cpu_model)) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot select %s CPU model %d: %s", m->arch->name,
			       c->uc_cpu_model, uc_strerror(e));
#ifdef uc_ctl_tlb_mode
	/* 2.1+: keep guest-virtual = mapped addresses (2.0.1 behaviour). */
	uc_ctl_tlb_mode(m->uc, UC_TLB_VIRTUAL);
#endif
	if (mb_mem_install(m, err) != 0 || mb_run_install_hooks(m, err) != 0)
		return -1;
	if (mb_run_prepare_fast(m) != 0)
		return mb_fail(err, NULL, NULL, "out of memory");
	return 0;
}

static void detach(struct mb_machine *m)
{
	struct mb_space *s = m->space;
	for (size_t i = 0; i < s->nobs; i++)
		if (s->obs[i].ctx == m) {
			memmove(&s->obs[i], &s->obs[i + 1], (s->nobs - i - 1) * sizeof(s->obs[0]));
			s->nobs--;
			return;
		}
}

static int setup_scratch(struct mb_machine *m, struct mb_err *err)
{
	const struct mb_machine_config *cfg = &m->cfg;
	uint64_t need = FIXED_SIZE + 0x10000;
	if (cfg->scratch_size < need)
		return mb_fail(err, NULL, NULL, "scratch region of %" PRIu64 " bytes is too small (need %" PRIu64 ")",
			       cfg->scratch_size, need);
	uint64_t size = cfg->scratch_size;
	if (size > FIXED_SIZE + HEAP_MAX)
		size = FIXED_SIZE + HEAP_MAX;
	if (mb_space_add_fixed(m->space, cfg->scratch_base, size, MB_PERM_RW, "scratch", &m->scratch, err) != 0)
		return -1;
	m->percpu_base = cfg->scratch_base;
	m->task_base = m->percpu_base + PERCPU_SIZE;
	m->stack_base = m->task_base + TASK_SIZE + GUARD_SIZE;
	m->stack_top = m->stack_base + STACK_SIZE - TOP_RESERVE;
	m->heap.base = m->stack_base + STACK_SIZE + GUARD_SIZE;
	m->heap.size = cfg->scratch_base + size - m->heap.base;
	if (mb_space_protect(m->space, m->stack_base - GUARD_SIZE, GUARD_SIZE, MB_PERM_NONE, err) != 0 ||
	    mb_space_protect(m->space, m->stack_base + STACK_SIZE, GUARD_SIZE, MB_PERM_NONE, err) != 0) {
		mb_space_release(m->space, m->scratch);
		m->scratch = NULL;
		return -1;
	}
	return 0;
}

/* The canary lives where each kernel build reads it: the per-cpu area at the
 * arch's offset, and the whole task page, so any TSK_STACK_CANARY offset a
 * module was built with reads it. */
static void place_canary(struct mb_machine *m)
{
	unsigned wb = m->cpu->reg_bytes;
	bool be = m->arch->big_endian;
	uint8_t *task = m->scratch->host + (m->task_base - m->scratch->base);
	for (unsigned off = 0; off + wb <= TASK_SIZE; off += wb)
		mb_store(task + off, wb, m->canary, be);
	if (m->cpu->percpu_canary_offset >= 0)
		mb_store(m->scratch->host + (unsigned)m->cpu->percpu_canary_offset, wb, m->canary, be);
}

int mb_machine_create(struct mb_machine **out, const struct mb_machine_config *cfg,
		      struct mb_space *space, struct mb_err *err)
{
	*out = NULL;
	if (!cfg->arch || !cfg->arch->cpu)
		return mb_fail(err, NULL, NULL, "no CPU description for arch %s", cfg->arch ? cfg->arch->name : "?");
	struct mb_machine *m = calloc(1, sizeof(*m));
	if (!m)
		return mb_fail(err, NULL, NULL, "out of memory");
	m->cfg = *cfg;
	m->arch = cfg->arch;
	m->cpu = cfg->arch->cpu;
	m->space = space;
	m->canary = m->cpu->reg_bytes == 8 ? 0x00c0ffee5a17ab1eull : 0x00a17ab1eull;
	m->rng = 0x9e3779b97f4a7c15ull;
	struct mb_space_observer o;
	mb_mirror_observer(m, &o);
	if (open_cpu(m, err) != 0)
		goto fail_uc;
	if (mb_space_observe(space, &o, err) != 0)
		goto fail_uc;
	if (mb_space_replay(space, &o, err) != 0)
		goto fail_obs;
	if (setup_scratch(m, err) != 0)
		goto fail_obs;
	place_canary(m);
	struct mb_cpu_percpu pc = { m->percpu_base, m->task_base };
	if (m->cpu->setup_percpu && m->cpu->setup_percpu(m->uc, &pc) != UC_ERR_OK) {
		mb_fail(err, NULL, NULL, "cannot set up %s per-cpu registers", m->arch->name);
		goto fail_scratch;
	}
	*out = m;
	return 0;
fail_scratch:
	mb_space_release(space, m->scratch);
fail_obs:
	detach(m);
fail_uc:
	mb_run_release_fast(m);
	if (m->uc)
		uc_close(m->uc);
	free(m->maps);
	free(m);
	return -1;
}

void mb_machine_destroy(struct mb_machine *m)
{
	if (!m)
		return;
	if (m->stub_ops)
		m->stub_ops->fini(m, m->stub_ctx);
	if (m->scratch)
		mb_space_release(m->space, m->scratch);
	detach(m);
	for (size_t i = 0; i < m->nmaps; i++)
		mb_mapping_free(&m->maps[i]);
	mb_run_release_fast(m);
	uc_close(m->uc);
	mb_heap_fini(&m->heap);
	free(m->maps);
	free(m->freed);
	free(m->obs);
	free(m->log);
	free(m);
}

