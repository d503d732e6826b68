/* The machine: Unicorn CPU, the mirror of the guest address space, the code
 * hook every run goes through, and fault classification. */
#include "harness/emu_priv.h"

#include "arch/map.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Scratch layout, from scratch_base. */
#define PERCPU_SIZE 0x4000u
#define TASK_SIZE 0x1000u
#define STACK_SIZE 0x40000u
#define HEAP_MAX (32u << 20)

static unsigned to_uc_prot(unsigned perm)
{
	unsigned p = 0;
	if (perm & MB_PERM_R) p |= UC_PROT_READ;
	if (perm & MB_PERM_W) p |= UC_PROT_WRITE;
	if (perm & MB_PERM_X) p |= UC_PROT_EXEC;
	return p;
}

static void flush_code(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	if (size)
		uc_ctl_remove_cache(m->uc, addr, addr + size);
}

void mb_machine_code_changed(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	flush_code(m, addr, size);
}

/* ---- the memory mirror ---------------------------------------------------- */

static struct mb_mapping *mapping_at(const struct mb_machine *m, uint64_t base)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (m->maps[i].addr == base)
			return &m->maps[i];
	return NULL;
}

const struct mb_mapping *mb_machine_mapping(const struct mb_machine *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (addr >= m->maps[i].addr && addr - m->maps[i].addr < m->maps[i].size)
			return &m->maps[i];
	return NULL;
}

static void hazard_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	(void)size;
	struct mb_machine *m = user;
	m->cpu->emulate_hazard(uc, addr, m->run.insns);
}

/* Removes the hazard hooks inside [base, base+size). */
static void drop_hazards(struct mb_machine *m, struct mb_mapping *mp, uint64_t base, uint64_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < mp->nhazards; i++) {
		if (mp->hazard_addrs[i] - base < size) {
			uc_hook_del(m->uc, mp->hazard_hooks[i]);
			continue;
		}
		mp->hazard_hooks[j] = mp->hazard_hooks[i];
		mp->hazard_addrs[j++] = mp->hazard_addrs[i];
	}
	mp->nhazards = j;
}

static void free_hazards(struct mb_mapping *mp)
{
	free(mp->hazard_hooks);
	free(mp->hazard_addrs);
	mp->hazard_hooks = NULL;
	mp->hazard_addrs = NULL;
	mp->nhazards = 0;
}

/* Host-crashing instructions (ppc32 time-base reads under 2.0.1) in code that
 * is made executable get a hook at their address that runs them on the host.
 * Rescanned on every protect to exec (packed pools get new code in pages
 * that were executable already); the range is flushed after, so the hooks
 * are in place before the code is translated. */
static int scan_hazards(struct mb_machine *m, struct mb_mapping *mp, const struct mb_space_arena *a,
			uint64_t base, uint64_t size, struct mb_err *err)
{
	if (!m->cpu->hazard_at)
		return 0;
	drop_hazards(m, mp, base, size);
	const uint8_t *host = a->host + (base - a->base);
	for (uint64_t off = 0; off + m->cpu->insn_align <= size; off += m->cpu->insn_align) {
		if (!m->cpu->hazard_at(host + off, size - off))
			continue;
		uc_hook h;
		uint64_t at = base + off;
		if (uc_hook_add(m->uc, &h, UC_HOOK_CODE, (void *)hazard_hook, m, at, at) != UC_ERR_OK)
			return mb_fail(err, a->name, NULL, "cannot hook %s at 0x%" PRIx64,
				       m->cpu->hazard_what, at);
		uc_hook *nh = realloc(mp->hazard_hooks, (mp->nhazards + 1) * sizeof(*nh));
		uint64_t *na = nh ? realloc(mp->hazard_addrs, (mp->nhazards + 1) * sizeof(*na)) : NULL;
		if (nh)
			mp->hazard_hooks = nh;
		if (!na) {
			uc_hook_del(m->uc, h);
			return mb_fail(err, a->name, NULL, "out of memory");
		}
		mp->hazard_addrs = na;
		nh[mp->nhazards] = h;
		na[mp->nhazards++] = at;
	}
	flush_code(m, base, size);
	return 0;
}

static void forget_freed(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < m->nfreed; i++) {
		struct mb_freed f = m->freed[i];
		bool overlap = f.addr < addr + size && addr < f.addr + f.size;
		if (!overlap)
			m->freed[j++] = f;
	}
	m->nfreed = j;
}

static int obs_created(void *ctx, const struct mb_space_arena *a, struct mb_err *err)
{
	struct mb_machine *m = ctx;
	if (m->cpu->addr_ok && (!m->cpu->addr_ok(a->base) || !m->cpu->addr_ok(a->base + a->size - 1)))
		return mb_fail(err, a->name, NULL,
			       "[0x%" PRIx64 ", 0x%" PRIx64 ") is not a canonical %s address range",
			       a->base, a->base + a->size, m->arch->name);
	if (m->nmaps == m->mapcap) {
		size_t cap = m->mapcap ? 2 * m->mapcap : 16;
		struct mb_mapping *n = realloc(m->maps, cap * sizeof(*n));
		if (!n)
			return mb_fail(err, a->name, NULL, "out of memory");
		m->maps = n;
		m->mapcap = cap;
	}
	uc_err e = uc_mem_map_ptr(m->uc, a->base, a->size, to_uc_prot(a->perm), a->host);
	if (e != UC_ERR_OK)
		return mb_fail(err, a->name, NULL, "cannot map [0x%" PRIx64 ", 0x%" PRIx64 ") in the %s emulator: %s",
			       a->base, a->base + a->size, m->arch->name, uc_strerror(e));
	/* Code that ran here before (an unloaded module) must not be reused. */
	flush_code(m, a->base, a->size);
	struct mb_mapping *mp = &m->maps[m->nmaps++];
	memset(mp, 0, sizeof(*mp));
	mp->addr = a->base;
	mp->size = a->size;
	mp->prot = a->perm;
	snprintf(mp->name, sizeof(mp->name), "%s", a->name);
	forget_freed(m, a->base, a->size);
	if (a->perm & MB_PERM_X) {
		if (scan_hazards(m, mp, a, a->base, a->size, err) != 0) {
			drop_hazards(m, mp, a->base, a->size);
			free_hazards(mp);
			uc_mem_unmap(m->uc, a->base, a->size);
			m->nmaps--;
			return -1;
		}
	}
	return 0;
}

static void obs_released(void *ctx, const struct mb_space_arena *a)
{
	struct mb_machine *m = ctx;
	struct mb_mapping *mp = mapping_at(m, a->base);
	if (!mp)
		return;
	flush_code(m, a->base, a->size);
	drop_hazards(m, mp, a->base, a->size);
	free_hazards(mp);
	uc_mem_unmap(m->uc, a->base, a->size);
	*mp = m->maps[--m->nmaps];
}

static int obs_protected(void *ctx, const struct mb_space_arena *a, uint64_t base, uint64_t size,
			 unsigned perm, struct mb_err *err)
{
	struct mb_machine *m = ctx;
	struct mb_mapping *mp = mapping_at(m, a->base);
	uc_err e = uc_mem_protect(m->uc, base, size, to_uc_prot(perm));
	if (e != UC_ERR_OK)
		return mb_fail(err, a->name, NULL, "cannot protect [0x%" PRIx64 ", 0x%" PRIx64 "): %s",
			       base, base + size, uc_strerror(e));
	/* Revoking exec does not reach already-translated blocks: drop them. */
	flush_code(m, base, size);
	if (mp && (perm & MB_PERM_X) && scan_hazards(m, mp, a, base, size, err) != 0)
		return -1;
	if (mp)
		mp->prot = perm;
	return 0;
}

void mb_machine_mark_freed_init(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	if (!size)
		return;
	struct mb_freed *n = m->nfreed == m->freedcap
		? realloc(m->freed, (m->freedcap ? 2 * m->freedcap : 8) * sizeof(*n)) : m->freed;
	if (!n)
		return;
	if (m->nfreed == m->freedcap)
		m->freedcap = m->freedcap ? 2 * m->freedcap : 8;
	m->freed = n;
	m->freed[m->nfreed++] = (struct mb_freed){ addr, size };
}

static bool is_freed(const struct mb_machine *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nfreed; i++)
		if (addr >= m->freed[i].addr && addr - m->freed[i].addr < m->freed[i].size)
			return true;
	return false;
}

size_t mb_machine_nmaps(const struct mb_machine *m)
{
	return m->nmaps;
}

bool mb_machine_is_mapped(const struct mb_machine *m, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (m->maps[i].addr < addr + size && addr < m->maps[i].addr + m->maps[i].size)
			return true;
	return false;
}

int mb_machine_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len, struct mb_err *err)
{
	if (uc_mem_read(m->uc, addr, buf, len) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot read %zu bytes at 0x%" PRIx64 ": not mapped", len, addr);
	return 0;
}

int mb_machine_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len,
		     struct mb_err *err)
{
	if (uc_mem_write(m->uc, addr, buf, len) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot write %zu bytes at 0x%" PRIx64 ": not mapped", len, addr);
	return 0;
}

/* ---- guest-permission access for host implementations ---------------------- */

static int guest_access(struct mb_machine *m, uint64_t addr, size_t len, unsigned need,
			const char *access)
{
	uint64_t page = m->space->page_size;
	for (uint64_t a = addr; len && a - addr < len; a = (a | (page - 1)) + 1) {
		unsigned perm = mb_space_perm(m->space, a);
		if ((perm & need) == need)
			continue;
		enum mb_fault_kind kind = MB_FAULT_UNMAPPED;
		if (perm != MB_PERM_NONE)
			kind = (need & MB_PERM_W) ? MB_FAULT_WRITE_PROTECT : MB_FAULT_UNMAPPED;
		else if (is_freed(m, a))
			kind = MB_FAULT_FREED_INIT;
		mb_run_fault(m, kind, 0, true, a, access, "%s of %zu bytes at 0x%" PRIx64 " by a kernel function",
			     access, len, addr);
		return -1;
	}
	return 0;
}

static void copy_guest(struct mb_machine *m, uint64_t addr, void *buf, const void *src, size_t len)
{
	uint64_t page = m->space->page_size;
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = (size_t)(((a | (page - 1)) + 1) - a);
		if (chunk > len - done)
			chunk = len - done;
		uint8_t *h = mb_space_host(m->space, a, chunk);
		if (src)
			memcpy(h, (const uint8_t *)src + done, chunk);
		else
			memcpy((uint8_t *)buf + done, h, chunk);
		done += chunk;
	}
}

int mb_guest_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len)
{
	if (guest_access(m, addr, len, MB_PERM_R, "read") != 0)
		return -1;
	copy_guest(m, addr, buf, NULL, len);
	return 0;
}

int mb_guest_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len)
{
	if (guest_access(m, addr, len, MB_PERM_W, "write") != 0)
		return -1;
	copy_guest(m, addr, NULL, buf, len);
	return 0;
}

long mb_guest_strnlen(struct mb_machine *m, uint64_t addr, size_t max)
{
	for (size_t n = 0; n < max; n++) {
		uint8_t c;
		if (mb_guest_read(m, addr + n, &c, 1) != 0)
			return -1;
		if (c == 0)
			return (long)n;
	}
	return (long)max;
}

/* ---- host-call ABI -------------------------------------------------------- */

static uint64_t reg(struct mb_machine *m, int r)
{
	uint64_t v;
	mb_cpu_reg_read(m->uc, m->cpu, r, &v);
	return v;
}

static uint64_t arg_slot(struct mb_machine *m, unsigned i)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (i < c->narg_regs)
		return reg(m, c->arg_regs[i]);
	uint64_t at = reg(m, c->reg_sp) + c->stack_args_offset + (uint64_t)(i - c->narg_regs) * c->reg_bytes;
	uint8_t b[8] = { 0 };
	if (mb_guest_read(m, at, b, c->reg_bytes) != 0)
		return 0;
	return mb_load_word(b, c->reg_bytes, m->arch->big_endian);
}

void mb_hc_args(struct mb_machine *m, const char *sig, uint64_t *out)
{
	unsigned slot = 0;
	for (size_t k = 0; sig[k]; k++) {
		if (sig[k] == 'q' && m->cpu->reg_bytes == 4) {
			slot += slot & 1u;
			uint64_t a = arg_slot(m, slot), b = arg_slot(m, slot + 1);
			out[k] = m->cpu->pair_hi_first ? (a << 32 | b) : (b << 32 | a);
			slot += 2;
		} else {
			out[k] = arg_slot(m, slot++);
		}
	}
}

uint64_t mb_hc_word(struct mb_machine *m, unsigned n)
{
	return arg_slot(m, n);
}

void mb_hc_ret(struct mb_machine *m, uint64_t v)
{
	mb_cpu_reg_write(m->uc, m->cpu, m->cpu->reg_ret, v);
}

void mb_hc_ret64(struct mb_machine *m, uint64_t v)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (c->reg_bytes == 8) {
		mb_hc_ret(m, v);
		return;
	}
	uint64_t hi = v >> 32, lo = v & 0xffffffffu;
	mb_cpu_reg_write(m->uc, c, c->reg_ret, c->pair_hi_first ? hi : lo);
	mb_cpu_reg_write(m->uc, c, c->reg_ret2, c->pair_hi_first ? lo : hi);
}

uint64_t mb_run_return_addr(struct mb_machine *m)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (c->reg_link >= 0)
		return reg(m, c->reg_link);
	uint8_t b[8] = { 0 };
	if (uc_mem_read(m->uc, reg(m, c->reg_sp), b, c->reg_bytes) != UC_ERR_OK)
		return 0;
	return mb_load_word(b, c->reg_bytes, m->arch->big_endian);
}

#define MAX_INSN_BYTES 15
#define MAX_CALL_PATH 8

static bool in_kstub_text(const struct mb_machine *m, uint64_t pc)
{
	return pc >= m->ks.text_base && pc - m->ks.text_base < m->ks.text_size;
}

/* Who called the stub function now running. The instruction just below the
 * return address, if it ran within the last few instructions (a call, maybe
 * through a PLT entry, veneer or thunk); otherwise (a tail call) the last
 * instruction that ran outside the stub. */
uint64_t mb_run_caller_pc(struct mb_machine *m)
{
	uint64_t ra = mb_run_return_addr(m);
	unsigned n = m->run.hist_n < MB_FAULT_HISTORY ? m->run.hist_n : MB_FAULT_HISTORY;
	uint64_t outside = 0;
	for (unsigned k = 1; k <= n; k++) {
		uint64_t pc = m->run.hist[(m->run.hist_n - k) % MB_FAULT_HISTORY];
		if (k <= MAX_CALL_PATH && pc < ra && ra - pc <= MAX_INSN_BYTES)
			return pc;
		if (!outside && !in_kstub_text(m, pc))
			outside = pc;
	}
	return outside ? outside : ra;
}

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
	if (mb_kstub_symbolize(m, addr, buf, len))
		return;
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
	mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "%s", why);
}

static void unresolved(struct mb_machine *m, const struct mb_ksym *s, uint64_t pc)
{
	uint64_t from = mb_run_caller_pc(m);
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, from, where, sizeof(where));
	mb_run_fault(m, MB_FAULT_UNRESOLVED_SYMBOL, from, true, pc, "fetch",
		     "called unimplemented kernel symbol %s from %s", s->name, where);
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
	if (addr >= m->ks.slot_base && addr < m->ks.slot_end) {
		const struct mb_ksym *s = mb_kstub_slot(m, addr);
		if (s && s->kind == MB_KSYM_HOST)
			s->fn(m);
		else if (s)
			unresolved(m, s, addr);
		else
			mb_run_fault(m, MB_FAULT_TRAP, addr, false, 0, NULL, "jump into an unused kernel stub slot");
	}
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

static void intr_hook(uc_engine *uc, uint32_t intno, void *user)
{
	(void)uc;
	struct mb_machine *m = user;
	m->run.intr_seen = true;
	m->run.intno = (int)intno;
	mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "trap instruction (CPU exception %u)", intno);
}

static bool invalid_hook(uc_engine *uc, void *user)
{
	(void)uc;
	struct mb_machine *m = user;
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
	if (kind == MB_FAULT_UNMAPPED && is_freed(m, addr))
		kind = MB_FAULT_FREED_INIT;
	/* A failed fetch has no instruction of its own: the pc is the target. */
	uint64_t pc = strcmp(access, "fetch") == 0 ? addr : r->pc;
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, addr, where, sizeof(where));
	const char *why = kind == MB_FAULT_FREED_INIT ? " (init memory freed after init)"
		: kind == MB_FAULT_UNMAPPED && m->cpu->addr_ok && !m->cpu->addr_ok(addr) ? " (non-canonical address)"
		: "";
	mb_run_fault(m, kind, pc, true, addr, access, "%s of %s (0x%" PRIx64 ") %s%s", access, where, addr,
		     kind == MB_FAULT_WRITE_PROTECT ? "is not writable"
		     : kind == MB_FAULT_FETCH_PROTECT ? "is not executable" : "is not mapped", why);
}

static void finish_fault(struct mb_machine *m, struct mb_fault *f)
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
		mb_store_word(word, 0, c->reg_bytes, arch->big_endian);
		uc_mem_write(uc, sp, word, c->reg_bytes);
	}
	if (c->ret_addr_pushed) {
		sp -= c->reg_bytes;
		mb_store_word(word, ret_addr, c->reg_bytes, arch->big_endian);
		uc_mem_write(uc, sp, word, c->reg_bytes);
	}
	if (c->reg_link >= 0)
		mb_cpu_reg_write(uc, c, c->reg_link, ret_addr);
	mb_cpu_reg_write(uc, c, c->reg_sp, sp);
	return 0;
}

int mb_machine_call(struct mb_machine *m, uint64_t func, const uint64_t *args, unsigned nargs,
		    const struct mb_call_limits *lim, struct mb_call_result *res, struct mb_err *err)
{
	memset(res, 0, sizeof(*res));
	if (m->run.active)
		return mb_fail(err, NULL, NULL, "a call is already running on this machine");
	if (mb_call_setup(m->uc, m->arch, func, args, nargs, m->stack_top, m->ks.sentinel, err) != 0)
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

	uc_err e = uc_emu_start(m->uc, func, m->ks.sentinel, 0, 0);
	r->active = false;
	res->insns = r->insns;
	if (!r->faulted) {
		uint64_t pc = reg(m, m->cpu->reg_pc);
		if (e == UC_ERR_OK && pc != m->ks.sentinel)
			mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "emulation stopped at 0x%" PRIx64, pc);
		else if (e == UC_ERR_INSN_INVALID || e == UC_ERR_EXCEPTION)
			mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "%s", uc_strerror(e));
		else if (e != UC_ERR_OK)
			classify_mem(m, e);
	}
	if (r->faulted) {
		res->faulted = true;
		finish_fault(m, &res->fault);
		return 0;
	}
	res->ret = reg(m, m->cpu->reg_ret);
	return 0;
}

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
	return m->ks.sentinel;
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
	/* All hooks go in before anything is translated. */
	if (uc_hook_add(m->uc, &m->code_hook, UC_HOOK_CODE, (void *)code_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->mem_hook, UC_HOOK_MEM_INVALID, (void *)mem_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->intr_hook, UC_HOOK_INTR, (void *)intr_hook, m, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(m->uc, &m->invalid_hook, UC_HOOK_INSN_INVALID, (void *)invalid_hook, m, 1, 0) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot install the %s emulator hooks", m->arch->name);
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
	uint64_t need = PERCPU_SIZE + TASK_SIZE + STACK_SIZE + 0x10000;
	if (cfg->scratch_size < need)
		return mb_fail(err, NULL, NULL, "scratch region of %" PRIu64 " bytes is too small (need %" PRIu64 ")",
			       cfg->scratch_size, need);
	uint64_t size = cfg->scratch_size;
	if (size > PERCPU_SIZE + TASK_SIZE + STACK_SIZE + HEAP_MAX)
		size = PERCPU_SIZE + TASK_SIZE + STACK_SIZE + HEAP_MAX;
	if (mb_space_add_fixed(m->space, cfg->scratch_base, size, MB_PERM_RW, "scratch", &m->scratch, err) != 0)
		return -1;
	m->percpu_base = cfg->scratch_base;
	m->task_base = m->percpu_base + PERCPU_SIZE;
	m->stack_base = m->task_base + TASK_SIZE;
	m->stack_top = m->stack_base + STACK_SIZE;
	m->heap.base = m->stack_top;
	m->heap.size = cfg->scratch_base + size - m->heap.base;
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
		mb_store_word(task + off, m->ks.canary, wb, be);
	if (m->cpu->percpu_canary_offset >= 0)
		mb_store_word(m->scratch->host + (unsigned)m->cpu->percpu_canary_offset, m->ks.canary, wb, be);
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
	m->ks.canary = m->cpu->reg_bytes == 8 ? 0x00c0ffee5a17ab1eull : 0x00a17ab1eull;
	struct mb_space_observer o = { m, obs_created, obs_released, obs_protected };
	if (open_cpu(m, err) != 0)
		goto fail_uc;
	if (mb_space_observe(space, &o, err) != 0)
		goto fail_uc;
	if (mb_space_replay(space, &o, err) != 0)
		goto fail_obs;
	if (setup_scratch(m, err) != 0)
		goto fail_obs;
	if (mb_kstub_init(m, err) != 0)
		goto fail_scratch;
	place_canary(m);
	struct mb_cpu_percpu pc = { m->percpu_base, m->task_base };
	if (m->cpu->setup_percpu && m->cpu->setup_percpu(m->uc, &pc) != UC_ERR_OK) {
		mb_fail(err, NULL, NULL, "cannot set up %s per-cpu registers", m->arch->name);
		mb_kstub_fini(m);
		goto fail_scratch;
	}
	*out = m;
	return 0;
fail_scratch:
	mb_space_release(space, m->scratch);
fail_obs:
	detach(m);
fail_uc:
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
	mb_kstub_fini(m);
	if (m->scratch)
		mb_space_release(m->space, m->scratch);
	detach(m);
	for (size_t i = 0; i < m->nmaps; i++)
		free_hazards(&m->maps[i]);
	uc_close(m->uc);
	mb_heap_fini(&m->heap);
	free(m->maps);
	free(m->freed);
	free(m->obs);
	free(m->log);
	free(m);
}
