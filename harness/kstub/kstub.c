/* The kernel stub image: a few KiB of "kernel" at the map's kernel address.
 *
 *   text (RX)  [code thunks that run as guest code | sentinel]
 *              [16-byte slots: host-implemented functions and per-symbol traps]
 *   data (RW)  zeroed kernel data symbols, __stack_chk_guard
 *
 * A slot holds the arch's `ret`: the machine's code hook sees the pc enter a
 * host slot, runs the host implementation (which sets the return value) and
 * the guest returns by itself. Trap slots hold the trap instruction, and the
 * hook stops the run naming the symbol before it executes. x86_64 per-cpu
 * symbols live in the per-cpu area and resolve to offsets from %gs. */
#include "harness/kstub/kstub_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SIZE 0x20000u
#define CODE_AREA 0x1000u
#define SLOT 16u
#define DATA_SIZE 0x40000u
#define DATA_SLOT 1024u   /* kmalloc_caches[4][14] pointers fits */
#define PERCPU_FIXED 64u
#define PERCPU_SLOT 64u
#define PERCPU_END 0x4000u

/* Kernel data the corpus's modules read (kmod-corpus.md section 5), plus
 * what the test modules touch. Zeroed unless noted. */
static const char *const data_names[] = {
	"jiffies", "jiffies_64", "kmalloc_caches", "page_offset_base", "vmemmap_base",
	"vmalloc_base", "phys_base", "nr_cpu_ids", "__per_cpu_offset", "system_wq",
	"system_highpri_wq", "system_long_wq", "system_unbound_wq", "init_task", "init_net",
	"__cpu_online_mask", "__cpu_possible_mask", "__cpu_present_mask", "cpu_hwcaps",
	"cpu_hwcap_keys", "arm64_const_caps_ready", "gic_nonsecure_priorities", "memstart_addr",
	"kimage_voffset", "system_state", "boot_cpu_data", "high_memory", "loops_per_jiffy",
	"totalram_pages", "debug_locks", "__this_module",
	/* struct kernel_param_ops the modules' parameters point at (the loader
	 * does not parse parameters; kunit.ko's "enable" keeps its default). */
	"param_ops_bool", "param_ops_int", "param_ops_uint", "param_ops_charp", "param_ops_ulong",
};
static const char *const data_prefixes[] = { "__tracepoint_", "__SCK__" };
static const char *const percpu_names[] = {
	"current_task", "__preempt_count", "cpu_number", "pcpu_hot", "this_cpu_off",
	"cpu_current_top_of_stack",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static bool has_prefix(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(name, list[i], strlen(list[i])) == 0)
			return true;
	return false;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct mb_kstub *stub_of(const struct mb_machine *m)
{
	return mb_machine_stub(m);
}

static const struct mb_cpu_ops *cpu_of(const struct mb_machine *m)
{
	return mb_machine_arch(m)->cpu;
}

static struct mb_ksym *find(const struct mb_kstub *ks, const char *name)
{
	uintptr_t i = (uintptr_t)mb_strmap_get(&ks->by_name, name);
	return i ? &ks->syms[i - 1] : NULL;
}

static struct mb_ksym *add(struct mb_kstub *ks, const char *name, enum mb_ksym_kind kind,
			   uint64_t addr, uint64_t size, struct mb_err *err)
{
	if (mb_strmap_reserve(&ks->by_name, 1) != 0) {
		mb_fail(err, "kernel stub", NULL, "out of memory");
		return NULL;
	}
	if (ks->nsyms == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 128;
		struct mb_ksym *n = realloc(ks->syms, cap * sizeof(*n));
		if (!n) {
			mb_fail(err, "kernel stub", NULL, "out of memory");
			return NULL;
		}
		ks->syms = n;
		ks->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy) {
		mb_fail(err, "kernel stub", NULL, "out of memory");
		return NULL;
	}
	struct mb_ksym *s = &ks->syms[ks->nsyms++];
	*s = (struct mb_ksym){ copy, addr, addr, size, kind, NULL, false };
	if (!mb_strmap_get(&ks->by_name, copy))
		mb_strmap_put(&ks->by_name, copy, (void *)(uintptr_t)ks->nsyms);  /* reserved above */
	return s;
}

static uint8_t *text_host(struct mb_kstub *ks, uint64_t addr)
{
	return ks->text->host + (addr - ks->text_base);
}

/* A new slot: host function (ret) or trap. */
static struct mb_ksym *add_slot(struct mb_machine *m, const char *name, const struct mb_hostcall *hc,
				bool co, struct mb_err *err)
{
	struct mb_kstub *ks = stub_of(m);
	if (ks->slot_next + SLOT > ks->slot_end) {
		mb_fail(err, "kernel stub", ".text", "no slot left for kernel symbol %s (%zu slots in use)",
			name, ks->nslots);
		return NULL;
	}
	uint64_t at = ks->slot_next;
	struct mb_ksym *s = add(ks, name, hc ? MB_KSYM_HOST : MB_KSYM_TRAP, at, SLOT, err);
	if (!s)
		return NULL;
	s->fn = hc ? hc->fn : NULL;
	s->co = hc && co;
	if (s->co)
		mb_hc_coroutine_bound(m);
	ks->slot_next += SLOT;
	const struct mb_insn_bytes *ins = hc ? &cpu_of(m)->ret_insn : &cpu_of(m)->trap_insn;
	memcpy(text_host(ks, at), ins->bytes, ins->len);
	ks->by_slot[(at - ks->slot_base) / SLOT] = ks->nsyms;
	mb_machine_code_changed(m, at, SLOT);
	return s;
}

static struct mb_ksym *add_data(struct mb_machine *m, const char *name, struct mb_err *err)
{
	struct mb_kstub *ks = stub_of(m);
	bool percpu = cpu_of(m)->percpu_symbols_are_offsets && in_list(name, percpu_names, N(percpu_names));
	if (percpu) {
		if (ks->percpu_next + PERCPU_SLOT > PERCPU_END) {
			mb_fail(err, "kernel stub", ".data..percpu", "no per-cpu space left for %s", name);
			return NULL;
		}
		uint64_t off = ks->percpu_next;
		struct mb_ksym *s = add(ks, name, MB_KSYM_DATA, off, PERCPU_SLOT, err);
		if (!s)
			return NULL;
		s->storage = mb_machine_percpu_base(m) + off;
		ks->percpu_next += PERCPU_SLOT;
		/* current_task (pcpu_hot.current_task from 6.2) is `current`. */
		if (strcmp(name, "current_task") == 0 || strcmp(name, "pcpu_hot") == 0)
			mb_store(mb_space_host(mb_machine_space(m), s->storage, 8), cpu_of(m)->reg_bytes,
				 mb_machine_task_base(m), mb_machine_arch(m)->big_endian);
		return s;
	}
	if (ks->data_next + DATA_SLOT > ks->data_base + ks->data_size) {
		mb_fail(err, "kernel stub", ".data", "no data space left for kernel symbol %s", name);
		return NULL;
	}
	struct mb_ksym *s = add(ks, name, MB_KSYM_DATA, ks->data_next, DATA_SLOT, err);
	if (s)
		ks->data_next += DATA_SLOT;
	return s;
}

/* Finds or makes the symbol; with make_trap false an unknown name gives
 * NULL and *unknown. */
static struct mb_ksym *get(struct mb_machine *m, const char *name, bool make_trap, bool *unknown,
			   struct mb_err *err)
{
	*unknown = false;
	struct mb_ksym *s = find(stub_of(m), name);
	if (s) {
		*unknown = s->kind == MB_KSYM_TRAP && !make_trap;
		return *unknown ? NULL : s;
	}
	bool co;
	const struct mb_hostcall *hc = mb_hostcall_find(name, &co);
	bool is_data = in_list(name, data_names, N(data_names)) ||
		       in_list(name, percpu_names, N(percpu_names)) ||
		       has_prefix(name, data_prefixes, N(data_prefixes));
	if (hc)
		return add_slot(m, name, hc, co, err);
	if (is_data)
		return add_data(m, name, err);
	if (!make_trap) {
		*unknown = true;
		return NULL;
	}
	return add_slot(m, name, NULL, false, err);
}

int mb_kstub_resolve(struct mb_machine *m, const char *name, uint64_t *addr,
		     enum mb_ksym_kind *kind, struct mb_err *err)
{
	bool unknown;
	struct mb_ksym *s = get(m, name, true, &unknown, err);
	if (!s)
		return -1;
	*addr = s->addr;
	if (kind)
		*kind = s->kind;
	return 0;
}

int mb_kstub_lookup(struct mb_machine *m, const char *name, uint64_t *addr, struct mb_err *err)
{
	bool unknown;
	struct mb_ksym *s = get(m, name, false, &unknown, err);
	if (!s)
		return unknown ? 1 : -1;
	*addr = s->addr;
	return 0;
}

static const struct mb_ksym *slot_at(const struct mb_kstub *ks, uint64_t pc)
{
	if (pc < ks->slot_base || pc >= ks->slot_end)
		return NULL;
	size_t i = ks->by_slot[(pc - ks->slot_base) / SLOT];
	return i ? &ks->syms[i - 1] : NULL;
}

static void unresolved(struct mb_machine *m, const struct mb_ksym *s, uint64_t pc)
{
	uint64_t from = mb_run_caller_pc(m);
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, from, where, sizeof(where));
	mb_run_fault(m, MB_FAULT_UNRESOLVED_SYMBOL, from, true, pc, "fetch",
		     "called unimplemented kernel symbol %s from %s", s->name, where);
}

/* The machine's code hook saw pc enter the slot range: a host function runs
 * (and the slot's `ret` returns), a trap slot names the missing symbol. */
static void enter_slot(struct mb_machine *m, void *stub, uint64_t pc)
{
	const struct mb_ksym *s = slot_at(stub, pc);
	if (s && s->kind == MB_KSYM_HOST && s->co)
		mb_hc_run_coroutine(m, s->fn);
	else if (s && s->kind == MB_KSYM_HOST)
		s->fn(m);
	else if (s)
		unresolved(m, s, pc);
	else
		mb_run_fault(m, MB_FAULT_TRAP, pc, false, 0, NULL, "jump into an unused kernel stub slot");
}

static bool symbolize(const void *stub, uint64_t addr, char *buf, size_t len)
{
	const struct mb_kstub *ks = stub;
	for (size_t i = 0; i < ks->nsyms; i++) {
		const struct mb_ksym *s = &ks->syms[i];
		if (addr >= s->storage && addr - s->storage < s->size) {
			snprintf(buf, len, "kernel:%s+0x%" PRIx64, s->name, addr - s->storage);
			return true;
		}
	}
	if (addr >= ks->sentinel && addr < ks->sentinel + SLOT) {
		snprintf(buf, len, "kernel:<return-to-host>");
		return true;
	}
	if (addr >= ks->text_base && addr - ks->text_base < ks->text_size + ks->data_size) {
		snprintf(buf, len, "kernel+0x%" PRIx64, addr - ks->text_base);
		return true;
	}
	return false;
}

bool mb_kstub_symbolize(const struct mb_machine *m, uint64_t addr, char *buf, size_t len)
{
	const struct mb_kstub *ks = stub_of(m);
	return ks && symbolize(ks, addr, buf, len);
}

static int add_code(struct mb_machine *m, const struct mb_cpu_stub_code *c, struct mb_err *err)
{
	struct mb_kstub *ks = stub_of(m);
	uint64_t at = ks->code_next;
	if (at + c->code.len > ks->sentinel)
		return mb_fail(err, "kernel stub", ".text", "code area full at %s", c->name);
	if (!add(ks, c->name, MB_KSYM_CODE, at, c->code.len, err))
		return -1;
	memcpy(text_host(ks, at), c->code.bytes, c->code.len);
	ks->code_next = (at + c->code.len + SLOT - 1) & ~(uint64_t)(SLOT - 1);
	return 0;
}

static int populate(struct mb_machine *m, struct mb_err *err)
{
	struct mb_kstub *ks = stub_of(m);
	/* Everything not yet used traps, so a wild jump into the stub stops. */
	const struct mb_insn_bytes *t = &cpu_of(m)->trap_insn;
	for (uint64_t off = 0; off + t->len <= ks->text_size; off += t->len)
		memcpy(ks->text->host + off, t->bytes, t->len);
	for (size_t i = 0; i < cpu_of(m)->nstub_code; i++)
		if (add_code(m, &cpu_of(m)->stub_code[i], err) != 0)
			return -1;
	for (const struct mb_hostcall *hc = mb_hostcalls; hc->name; hc++)
		if (!add_slot(m, hc->name, hc, false, err))
			return -1;
	struct mb_ksym *g = add_data(m, "__stack_chk_guard", err);
	if (!g)
		return -1;
	mb_store(ks->data->host + (g->storage - ks->data_base), cpu_of(m)->reg_bytes, mb_machine_canary(m),
		 mb_machine_arch(m)->big_endian);
	return 0;
}

static void fini(struct mb_machine *m, void *stub)
{
	struct mb_kstub *ks = stub;
	if (ks->data)
		mb_space_release(mb_machine_space(m), ks->data);
	if (ks->text)
		mb_space_release(mb_machine_space(m), ks->text);
	for (size_t i = 0; i < ks->nsyms; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	mb_strmap_fini(&ks->by_name);
	free(ks->by_slot);
	free(ks->threads);
	free(ks);
	mb_machine_attach_stub(m, NULL, NULL, &(struct mb_stub_image){ 0 });
}

static const struct mb_stub_ops kstub_ops = { enter_slot, symbolize, fini };

int mb_kstub_attach(struct mb_machine *m, struct mb_err *err)
{
	const struct mb_machine_config *cfg = mb_machine_config(m);
	if (cfg->kernel_size < TEXT_SIZE + DATA_SIZE)
		return mb_fail(err, "kernel stub", NULL, "kernel region of %" PRIu64 " bytes is too small (need %u)",
			       cfg->kernel_size, TEXT_SIZE + DATA_SIZE);
	struct mb_kstub *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return mb_fail(err, "kernel stub", NULL, "out of memory");
	ks->text_base = cfg->kernel_base;
	ks->text_size = TEXT_SIZE;
	ks->sentinel = ks->text_base + CODE_AREA - SLOT;
	ks->code_next = ks->text_base;
	ks->slot_base = ks->text_base + CODE_AREA;
	ks->slot_end = ks->text_base + TEXT_SIZE;
	ks->slot_next = ks->slot_base;
	ks->data_base = ks->text_base + TEXT_SIZE;
	ks->data_size = DATA_SIZE;
	ks->data_next = ks->data_base;
	ks->percpu_next = PERCPU_FIXED;
	ks->nslots = (TEXT_SIZE - CODE_AREA) / SLOT;
	mb_machine_attach_stub(m, &kstub_ops, ks,
			       &(struct mb_stub_image){ ks->text_base, ks->text_size, ks->slot_base,
							ks->slot_end, ks->sentinel });
	ks->by_slot = calloc(ks->nslots, sizeof(*ks->by_slot));
	if (!ks->by_slot) {
		mb_fail(err, "kernel stub", NULL, "out of memory");
		goto fail;
	}
	if (mb_space_add_fixed(mb_machine_space(m), ks->text_base, TEXT_SIZE, MB_PERM_RX, "kernel stub text", &ks->text, err) != 0)
		goto fail;
	/* The slots are addresses for symbols the stub gives no bytes:
	 * execute-only, so a module reading or writing one (an unknown data
	 * symbol bound to a trap) faults as an unresolved symbol. */
	if (mb_space_protect(mb_machine_space(m), ks->slot_base, ks->slot_end - ks->slot_base, MB_PERM_X, err) != 0)
		goto fail;
	if (mb_space_add_fixed(mb_machine_space(m), ks->data_base, DATA_SIZE, MB_PERM_RW, "kernel stub data", &ks->data, err) != 0)
		goto fail;
	if (populate(m, err) != 0)
		goto fail;
	mb_machine_code_changed(m, ks->text_base, TEXT_SIZE);
	return 0;
fail:
	fini(m, ks);
	return -1;
}
