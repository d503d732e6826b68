/* Host implementations of the kernel functions modules call most (kmod-corpus
 * section 5): string and memory functions, the allocator, printk (kprintf.c), the stack
 * protector, 64-bit arithmetic helpers that 32-bit code calls, and lock /
 * RCU / list-debug calls that have nothing to do on one emulated CPU. Every
 * guest memory access goes through mb_guest_read/write, so a kernel function
 * writing into rodata faults like the kernel's would, at its own pc. */
#include "harness/kstub/kstub_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E2BIG 7
#define GFP_ZERO 0x100u            /* ___GFP_ZERO (include/linux/gfp_types.h) */
#define MAX_HOST_COPY (64u << 20)
#define MAX_STR (1u << 20)

static bool too_big(struct mb_machine *m, uint64_t n, const char *fn)
{
	if (n <= MAX_HOST_COPY)
		return false;
	mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "%s of %" PRIu64 " bytes (length looks wrong)", fn, n);
	return true;
}

/* Copies n bytes guest->guest through a host buffer (so overlap is fine). */
static void copy(struct mb_machine *m, uint64_t d, uint64_t s, uint64_t n, const char *fn)
{
	if (!n || too_big(m, n, fn))
		return;
	uint8_t *buf = malloc(n);
	if (!buf) {
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "%s: host out of memory", fn);
		return;
	}
	if (mb_guest_read(m, s, buf, n) == 0)
		mb_guest_write(m, d, buf, n);
	free(buf);
}

static void hc_memcpy(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	copy(m, a[0], a[1], a[2], "memcpy");
	mb_hc_ret(m, a[0]);
}

static void hc_memmove(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	copy(m, a[0], a[1], a[2], "memmove");
	mb_hc_ret(m, a[0]);
}

static void hc_memset(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	if (a[2] && !too_big(m, a[2], "memset")) {
		uint8_t *buf = malloc(a[2]);
		if (buf) {
			memset(buf, (int)(a[1] & 0xff), a[2]);
			mb_guest_write(m, a[0], buf, a[2]);
			free(buf);
		}
	}
	mb_hc_ret(m, a[0]);
}

static void hc_memcmp(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	int64_t res = 0;
	for (uint64_t i = 0; i < a[2]; i++) {
		uint8_t x, y;
		if (mb_guest_read(m, a[0] + i, &x, 1) || mb_guest_read(m, a[1] + i, &y, 1))
			return;
		if (x != y) {
			res = (int64_t)x - (int64_t)y;
			break;
		}
	}
	mb_hc_ret(m, (uint64_t)res);
}

/* get_random_bytes(buf, len) and get_random_u8..u64: deterministic bytes
 * (a fixed xorshift stream, one per machine), so a run that consumed
 * randomness can be repeated exactly (and replayed by the fast path). */
static uint64_t random_next(struct mb_machine *m)
{
	uint64_t *state = mb_machine_rng(m);
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void hc_get_random_bytes(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	for (uint64_t i = 0; i < a[1] && !too_big(m, a[1], "get_random_bytes"); i++) {
		uint8_t b = (uint8_t)random_next(m);
		if (mb_guest_write(m, a[0] + i, &b, 1))
			return;
	}
	mb_hc_ret(m, 0);
}

static void hc_get_random_u8(struct mb_machine *m)
{
	mb_hc_ret(m, (uint8_t)random_next(m));
}

static void hc_get_random_u16(struct mb_machine *m)
{
	mb_hc_ret(m, (uint16_t)random_next(m));
}

static void hc_get_random_u32(struct mb_machine *m)
{
	mb_hc_ret(m, (uint32_t)random_next(m));
}

static void hc_get_random_u64(struct mb_machine *m)
{
	mb_hc_ret64(m, random_next(m));
}

static void hc_strlen(struct mb_machine *m)
{
	uint64_t a[1];
	mb_hc_args(m, "w", a);
	long n = mb_guest_strnlen(m, a[0], MAX_STR);
	if (n >= 0)
		mb_hc_ret(m, (uint64_t)n);
}

static void hc_strnlen(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	long n = mb_guest_strnlen(m, a[0], a[1] < MAX_STR ? a[1] : MAX_STR);
	if (n >= 0)
		mb_hc_ret(m, (uint64_t)n);
}

/* lib/string.c: strcmp/strncmp return -1, 0 or 1. */
static void strcmp_n(struct mb_machine *m, uint64_t s1, uint64_t s2, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint8_t c1, c2;
		if (mb_guest_read(m, s1 + i, &c1, 1) || mb_guest_read(m, s2 + i, &c2, 1))
			return;
		if (c1 != c2) {
			mb_hc_ret(m, c1 < c2 ? (uint64_t)-1 : 1);
			return;
		}
		if (!c1)
			break;
	}
	mb_hc_ret(m, 0);
}

static void hc_strcmp(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	strcmp_n(m, a[0], a[1], UINT64_MAX);
}

static void hc_strncmp(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	strcmp_n(m, a[0], a[1], a[2]);
}

/* strscpy(dst, src, size): the copied length, or -E2BIG when truncated (the
 * destination is still NUL-terminated when size > 0). */
static void hc_strscpy(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	if (a[2] == 0) {
		mb_hc_ret(m, (uint64_t)-E2BIG);
		return;
	}
	uint64_t limit = a[2] - 1 < MAX_STR ? a[2] - 1 : MAX_STR;
	long n = mb_guest_strnlen(m, a[1], limit);
	if (n < 0)
		return;
	bool truncated = (uint64_t)n == limit && mb_guest_strnlen(m, a[1], limit + 1) > (long)limit;
	copy(m, a[0], a[1], (uint64_t)n, "strscpy");
	uint8_t nul = 0;
	if (mb_guest_write(m, a[0] + (uint64_t)n, &nul, 1) != 0)
		return;
	mb_hc_ret(m, truncated ? (uint64_t)-E2BIG : (uint64_t)n);
}

/* ---- allocator ----------------------------------------------------------- */

uint64_t mb_hc_alloc(struct mb_machine *m, uint64_t size, bool zero)
{
	uint64_t addr = 0;
	if (size <= MAX_HOST_COPY)
		mb_heap_alloc(mb_machine_heap(m), size, 16, &addr);
	if (addr && zero) {
		uint8_t *h = mb_space_host(mb_machine_space(m), addr, size ? size : 1);
		if (h)
			memset(h, 0, size);
	}
	return addr;
}

static void alloc_ret(struct mb_machine *m, uint64_t size, bool zero)
{
	mb_hc_ret(m, mb_hc_alloc(m, size, zero));
}

static void hc_kmalloc(struct mb_machine *m)      /* (size, flags) */
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	alloc_ret(m, a[0], a[1] & GFP_ZERO);
}

static void hc_kzalloc(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	alloc_ret(m, a[0], true);
}

static void hc_kmalloc_trace(struct mb_machine *m) /* (cache, flags, size) */
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	alloc_ret(m, a[2], a[1] & GFP_ZERO);
}

static void hc_kmalloc_node_trace(struct mb_machine *m) /* (cache, flags, node, size) */
{
	uint64_t a[4];
	mb_hc_args(m, "wwww", a);
	alloc_ret(m, a[3], a[1] & GFP_ZERO);
}

static void hc_vmalloc_flags(struct mb_machine *m) /* __vmalloc(size, flags) */
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	alloc_ret(m, a[0], a[1] & GFP_ZERO);
}

static void hc_devm_kmalloc(struct mb_machine *m) /* (dev, size, flags) */
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	alloc_ret(m, a[1], a[2] & GFP_ZERO);
}

static void hc_vmalloc(struct mb_machine *m)      /* (size) */
{
	uint64_t a[1];
	mb_hc_args(m, "w", a);
	alloc_ret(m, a[0], false);
}

static void hc_vzalloc(struct mb_machine *m)
{
	uint64_t a[1];
	mb_hc_args(m, "w", a);
	alloc_ret(m, a[0], true);
}

/* kfree(NULL) and kfree(ZERO_SIZE_PTR) are no-ops; anything else that the
 * allocator did not hand out is a bug worth stopping on. */
static void free_at(struct mb_machine *m, uint64_t p)
{
	if (p <= 16)
		return;
	if (mb_heap_free(mb_machine_heap(m), p) == 0)
		mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), true, p, NULL,
			     "free of 0x%" PRIx64 ", which the allocator did not return (or was freed already)", p);
}

static void hc_kfree(struct mb_machine *m)
{
	free_at(m, mb_hc_word(m, 0));
}

static void hc_devm_kfree(struct mb_machine *m)   /* (dev, p) */
{
	free_at(m, mb_hc_word(m, 1));
}

/* ---- faults ---------------------------------------------------------------- */

static void hc_stack_chk_fail(struct mb_machine *m)
{
	uint64_t from = mb_run_caller_pc(m);
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, from, where, sizeof(where));
	mb_run_fault(m, MB_FAULT_STACK_PROTECTOR, from, false, 0, NULL,
		     "stack-protector: kernel stack is corrupted in: %s", where);
}

static void hc_bug(struct mb_machine *m)
{
	uint64_t from = mb_run_caller_pc(m);
	char where[MB_SYM_LEN];
	mb_machine_symbolize(m, from, where, sizeof(where));
	mb_run_fault(m, MB_FAULT_TRAP, from, false, 0, NULL, "kernel panic/BUG called from %s", where);
}

/* ---- 64-bit helpers (libgcc names the kernel provides in lib/) ------------- */

static void div_fault(struct mb_machine *m, const char *fn)
{
	mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), false, 0, NULL, "division by zero in %s", fn);
}

static void hc_ashldi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qw", a);
	mb_hc_ret64(m, (a[1] & 63) ? a[0] << (a[1] & 63) : a[0]);
}

static void hc_lshrdi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qw", a);
	mb_hc_ret64(m, a[0] >> (a[1] & 63));
}

static void hc_ashrdi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qw", a);
	unsigned s = a[1] & 63;
	uint64_t v = a[0] >> s;
	if (s && (a[0] >> 63))
		v |= ~(uint64_t)0 << (64 - s);
	mb_hc_ret64(m, v);
}

static void hc_muldi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	mb_hc_ret64(m, a[0] * a[1]);
}

static void hc_udivdi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	if (!a[1])
		return div_fault(m, "__udivdi3");
	mb_hc_ret64(m, a[0] / a[1]);
}

static void hc_umoddi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	if (!a[1])
		return div_fault(m, "__umoddi3");
	mb_hc_ret64(m, a[0] % a[1]);
}

/* Signed division on the two's-complement bits, without host overflow on
 * INT64_MIN / -1 (which wraps, as the kernel's C helper does). */
static uint64_t sdiv(uint64_t a, uint64_t b, bool rem)
{
	bool na = a >> 63, nb = b >> 63;
	uint64_t ua = na ? -a : a, ub = nb ? -b : b;
	uint64_t q = ua / ub, r = ua % ub;
	if (rem)
		return na ? -r : r;
	return na != nb ? -q : q;
}

static void hc_divdi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	if (!a[1])
		return div_fault(m, "__divdi3");
	mb_hc_ret64(m, sdiv(a[0], a[1], false));
}

static void hc_moddi3(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	if (!a[1])
		return div_fault(m, "__moddi3");
	mb_hc_ret64(m, sdiv(a[0], a[1], true));
}

static void hc_udivmoddi4(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "qqw", a);
	if (!a[1])
		return div_fault(m, "__udivmoddi4");
	if (a[2]) {
		uint8_t b[8];
		uint64_t r = a[0] % a[1];
		if (mb_machine_arch(m)->big_endian)
			for (int i = 0; i < 8; i++) b[i] = (uint8_t)(r >> (56 - 8 * i));
		else
			for (int i = 0; i < 8; i++) b[i] = (uint8_t)(r >> (8 * i));
		if (mb_guest_write(m, a[2], b, 8) != 0)
			return;
	}
	mb_hc_ret64(m, a[0] / a[1]);
}

/* __cmpdi2/__ucmpdi2: 0 if a < b, 1 if equal, 2 if a > b. */
static void hc_cmpdi2(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	int64_t x = (int64_t)a[0], y = (int64_t)a[1];
	mb_hc_ret(m, x < y ? 0 : x == y ? 1 : 2);
}

static void hc_ucmpdi2(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "qq", a);
	mb_hc_ret(m, a[0] < a[1] ? 0 : a[0] == a[1] ? 1 : 2);
}

/* ---- nothing to do on one CPU with no preemption ---------------------------- */

static void hc_ret0(struct mb_machine *m)
{
	mb_hc_ret(m, 0);
}

static void hc_ret1(struct mb_machine *m)
{
	mb_hc_ret(m, 1);
}

const struct mb_hostcall mb_hostcalls[] = {
	{ "memcpy", hc_memcpy }, { "__memcpy", hc_memcpy }, { "memmove", hc_memmove },
	{ "memset", hc_memset }, { "__memset", hc_memset }, { "memcmp", hc_memcmp },
	{ "__crypto_memneq", hc_memcmp },  /* non-zero iff different: memcmp is one such */
	{ "get_random_bytes", hc_get_random_bytes }, { "get_random_u8", hc_get_random_u8 },
	{ "get_random_u16", hc_get_random_u16 }, { "get_random_u32", hc_get_random_u32 },
	{ "get_random_u64", hc_get_random_u64 },
	{ "strlen", hc_strlen }, { "strnlen", hc_strnlen }, { "strcmp", hc_strcmp },
	{ "strncmp", hc_strncmp }, { "strscpy", hc_strscpy },
	{ "kmalloc", hc_kmalloc }, { "__kmalloc", hc_kmalloc }, { "kmalloc_large", hc_kmalloc },
	{ "kvmalloc_node", hc_kmalloc }, { "kzalloc", hc_kzalloc },
	{ "kmalloc_trace", hc_kmalloc_trace }, { "kfree", hc_kfree }, { "kvfree", hc_kfree },
	{ "kfree_sensitive", hc_kfree }, { "vmalloc", hc_vmalloc }, { "vzalloc", hc_vzalloc },
	{ "vfree", hc_kfree }, { "__kmalloc_node", hc_kmalloc }, { "kmalloc_node_trace", hc_kmalloc_node_trace },
	{ "__vmalloc", hc_vmalloc_flags }, { "devm_kmalloc", hc_devm_kmalloc }, { "devm_kfree", hc_devm_kfree },
	{ "_printk", mb_hc_printk }, { "printk", mb_hc_printk }, { "vprintk", mb_hc_vprintk },
	{ "__warn_printk", mb_hc_warn_printk },
	{ "snprintf", mb_hc_snprintf }, { "scnprintf", mb_hc_scnprintf }, { "sprintf", mb_hc_sprintf },
	{ "vsnprintf", mb_hc_vsnprintf }, { "vscnprintf", mb_hc_vscnprintf },
	{ "__stack_chk_fail", hc_stack_chk_fail }, { "panic", hc_bug }, { "BUG", hc_bug },
	{ "__ashldi3", hc_ashldi3 }, { "__ashrdi3", hc_ashrdi3 }, { "__lshrdi3", hc_lshrdi3 },
	{ "__muldi3", hc_muldi3 }, { "__divdi3", hc_divdi3 }, { "__udivdi3", hc_udivdi3 },
	{ "__moddi3", hc_moddi3 }, { "__umoddi3", hc_umoddi3 }, { "__udivmoddi4", hc_udivmoddi4 },
	{ "__cmpdi2", hc_cmpdi2 }, { "__ucmpdi2", hc_ucmpdi2 },
	{ "mutex_lock", hc_ret0 }, { "mutex_unlock", hc_ret0 }, { "__mutex_init", hc_ret0 },
	{ "_raw_spin_lock", hc_ret0 }, { "_raw_spin_unlock", hc_ret0 },
	{ "_raw_spin_lock_bh", hc_ret0 }, { "_raw_spin_unlock_bh", hc_ret0 },
	{ "_raw_spin_lock_irqsave", hc_ret0 }, { "_raw_spin_unlock_irqrestore", hc_ret0 },
	{ "__rcu_read_lock", hc_ret0 }, { "__rcu_read_unlock", hc_ret0 },
	{ "synchronize_rcu", hc_ret0 }, { "__cond_resched", hc_ret0 }, { "__might_sleep", hc_ret0 },
	{ "__list_add_valid", hc_ret1 }, { "__list_del_entry_valid", hc_ret1 },
	{ NULL, NULL },
};

/* Static-call trampolines (__SCT__*) default to a function that does nothing. */
static const struct mb_hostcall sct_noop = { "__SCT__", hc_ret0 };

const struct mb_hostcall *mb_hostcall_find(const char *name, bool *co)
{
	static const struct { const struct mb_hostcall *calls; bool co; } tables[] = {
		{ mb_hostcalls, false }, { mb_hostcalls_kthread, false }, { mb_hostcalls_kthread_co, true },
		{ mb_hostcalls_klib, false }, { mb_hostcalls_klib_ranges, false }, { mb_hostcalls_klib_co, true },
	};
	*co = false;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct mb_hostcall *hc = tables[t].calls; hc->name; hc++)
			if (strcmp(hc->name, name) == 0) {
				*co = tables[t].co;
				return hc;
			}
	if (strncmp(name, "__SCT__", 7) == 0)
		return &sct_noop;
	return NULL;
}
