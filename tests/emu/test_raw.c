/* The machine on raw images (guest C built by clang, linked by ld.lld):
 * results against the same C run on the host, faults against the kind,
 * address and pc each violation must give. Run once per arch (argv[1]). */
#include "rawimg.h"

#include "arch/cpu.h"

#include "tests/check_main.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Host reference build of guest/work.c. */
int32_t arith(int32_t a, int32_t b, int32_t c);
int32_t fib(int32_t n);
uint32_t crc32_buf(const unsigned char *p, uint32_t n);
int32_t apply(uint32_t i, int32_t a, int32_t b);
int32_t classify(int32_t x);
int32_t copy_upper(char *dst, const char *src, uint32_t size);
int32_t alloc_sum(uint32_t n);
int32_t format(char *buf, uint32_t size, int32_t x);
void math64(uint32_t ahi, uint32_t alo, uint32_t bhi, uint32_t blo, uint64_t *out);

static const char *arch_name;
static struct rawimg img;
static const char *const objs[] = { "work", "faults", "canary", "canary_k", "stubcode" };

static void setup(void)
{
	ck_assert_int_eq(rawimg_open(&img, arch_name, objs, 5), 0);
}

static void teardown(void)
{
	rawimg_close(&img);
}

static struct mb_call_result callv(const char *fn, const uint64_t *args, unsigned n,
				   uint64_t budget, uint64_t timeout_ms)
{
	struct mb_call_result res;
	struct mb_err err;
	struct mb_call_limits lim = { budget, timeout_ms };
	int rc = mb_machine_call(img.m, rawimg_sym(&img, fn), args, n, &lim, &res, &err);
	ck_assert_msg(rc == 0, "%s: %s", fn, err.msg);
	return res;
}

#define CALL(fn, ...) callv(fn, (const uint64_t[]){ __VA_ARGS__ }, \
	sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), 0, 0)

static int32_t ret32(const char *fn, struct mb_call_result r)
{
	ck_assert_msg(!r.faulted, "%s faulted: %s: %s at %s", fn, mb_fault_kind_name(r.fault.kind),
		      r.fault.detail, r.fault.pc_sym);
	return (int32_t)(uint32_t)r.ret;
}

static uint64_t guest_buf(const void *data, size_t len)
{
	uint64_t a;
	struct mb_err err;
	ck_assert_msg(mb_machine_alloc(img.m, len, &a, &err) == 0, "%s", err.msg);
	if (data)
		ck_assert_int_eq(mb_machine_write(img.m, a, data, len, &err), 0);
	return a;
}

static uint64_t gstr(const char *s)
{
	return guest_buf(s, strlen(s) + 1);
}

/* ---- results against the host ---- */

START_TEST(test_arith_recursion)
{
	const int32_t v[][3] = { { 3, 4, 5 }, { -7, 11, 1000 }, { 123456, -3, -99 }, { 0, 0, 0 } };
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(ret32("arith", CALL("arith", (uint64_t)(int64_t)v[i][0], (uint64_t)(int64_t)v[i][1],
						  (uint64_t)(int64_t)v[i][2])),
				 arith(v[i][0], v[i][1], v[i][2]));
	for (int32_t n = 0; n <= 18; n += 6)
		ck_assert_int_eq(ret32("fib", CALL("fib", (uint64_t)n)), fib(n));
}
END_TEST

START_TEST(test_crc)
{
	unsigned char buf[4096];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 7));
	uint64_t g = guest_buf(buf, sizeof(buf));
	ck_assert_uint_eq((uint32_t)ret32("crc32_buf", CALL("crc32_buf", g, sizeof(buf))),
			  crc32_buf(buf, sizeof(buf)));
}
END_TEST

START_TEST(test_fnptr_switch)
{
	for (uint32_t i = 0; i < 8; i++)
		ck_assert_int_eq(ret32("apply", CALL("apply", i, 1000 + i, 37)), apply(i, 1000 + (int32_t)i, 37));
	for (int32_t x = -2; x <= 11; x++)
		ck_assert_int_eq(ret32("classify", CALL("classify", (uint64_t)(int64_t)x)), classify(x));
}
END_TEST

START_TEST(test_strings)
{
	ck_assert_int_eq(ret32("str_len", CALL("str_len", gstr("hello, kernel"))), (int)strlen("hello, kernel"));
	ck_assert_int_eq(ret32("str_len", CALL("str_len", gstr(""))), 0);
	const char *pairs[][2] = { { "abc", "abd" }, { "abc", "abc" }, { "b", "abc" }, { "", "x" } };
	for (size_t i = 0; i < 4; i++) {
		int host = strcmp(pairs[i][0], pairs[i][1]);
		host = host < 0 ? -1 : host > 0;
		ck_assert_int_eq(ret32("str_cmp", CALL("str_cmp", gstr(pairs[i][0]), gstr(pairs[i][1]))), host);
	}
	ck_assert_int_eq(ret32("str_ncmp", CALL("str_ncmp", gstr("abcX"), gstr("abcY"), 3)), 0);
	ck_assert_int_eq(ret32("str_ncmp", CALL("str_ncmp", gstr("abcX"), gstr("abcY"), 4)), -1);

	const uint32_t sizes[] = { 32, 6, 1 };
	for (size_t i = 0; i < 3; i++) {
		char host[32] = { 0 }, guest[32] = { 0 };
		uint64_t dst = guest_buf(NULL, 32);
		int32_t want = copy_upper(host, "modbed rocks", sizes[i]);
		ck_assert_int_eq(ret32("copy_upper", CALL("copy_upper", dst, gstr("modbed rocks"), sizes[i])), want);
		struct mb_err err;
		mb_machine_read(img.m, dst, guest, sizeof(guest), &err);
		ck_assert_str_eq(guest, host);
	}
	uint64_t b = guest_buf(NULL, 64);
	ck_assert_int_ne(ret32("mem_ops", CALL("mem_ops", b, 16)), 0); /* half copied: differs */
	ck_assert_int_eq(ret32("mem_ops", CALL("mem_ops", b, 0)), 0);
}
END_TEST

START_TEST(test_alloc_printk)
{
	size_t live = mb_machine_heap_live(img.m);
	ck_assert_int_eq(ret32("alloc_sum", CALL("alloc_sum", 100)), alloc_sum(100));
	ck_assert_uint_eq(mb_machine_heap_live(img.m), live);

	mb_machine_log_clear(img.m);
	int32_t n = ret32("say", CALL("say", 5));
	char want[128];
	int wn = snprintf(want, sizeof(want), "hello %d %s 0x%x %lld\n", 5, "world", 0xbeefu, 5 * 1000000007ll);
	ck_assert_int_eq(n, wn);
	char logwant[140];
	snprintf(logwant, sizeof(logwant), "<6>%s", want);
	ck_assert_str_eq(mb_machine_log(img.m, NULL), logwant);

	char host[16], guest[16];
	uint64_t g = guest_buf(NULL, sizeof(guest));
	ck_assert_int_eq(ret32("format", CALL("format", g, sizeof(guest), 42)), format(host, sizeof(host), 42));
	struct mb_err err;
	mb_machine_read(img.m, g, guest, sizeof(guest), &err);
	ck_assert_str_eq(guest, host);
}
END_TEST

START_TEST(test_math64)
{
	const uint64_t v[][2] = {
		{ 0x123456789abcdef0ull, 0x10001ull }, { 0xfedcba9876543210ull, 0x3bull },
		{ 0x8000000000000000ull, 0xfffffffffffffff3ull }, { 77, 0x100000000ull + 5 },
	};
	for (size_t i = 0; i < 4; i++) {
		uint64_t host[8];
		math64((uint32_t)(v[i][0] >> 32), (uint32_t)v[i][0], (uint32_t)(v[i][1] >> 32), (uint32_t)v[i][1], host);
		uint64_t out = guest_buf(NULL, 64);
		ret32("math64", CALL("math64", v[i][0] >> 32, v[i][0] & 0xffffffffu, v[i][1] >> 32,
				     v[i][1] & 0xffffffffu, out));
		uint8_t raw[64];
		struct mb_err err;
		mb_machine_read(img.m, out, raw, sizeof(raw), &err);
		for (int k = 0; k < 8; k++) {
			uint64_t g = 0;
			for (int j = 0; j < 8; j++)
				g |= (uint64_t)raw[8 * k + (img.arch->big_endian ? 7 - j : j)] << (8 * j);
			ck_assert_msg(g == host[k], "math64 case %zu out[%d]: guest 0x%" PRIx64 " host 0x%" PRIx64,
				      i, k, g, host[k]);
		}
	}
}
END_TEST

/* The libgcc 64-bit helpers the kernel stub implements, called directly with
 * the arch's argument convention (register pairs on ppc32) against host C. */
static unsigned push64(uint64_t *regs, unsigned n, uint64_t v)
{
	const struct mb_cpu_ops *c = img.arch->cpu;
	if (c->reg_bytes == 8) {
		regs[n] = v;
		return n + 1;
	}
	n += n & 1;
	regs[n] = c->pair_hi_first ? v >> 32 : v & 0xffffffffu;
	regs[n + 1] = c->pair_hi_first ? v & 0xffffffffu : v >> 32;
	return n + 2;
}

static uint64_t helper(const char *name, uint64_t a, uint64_t b, bool b_is_int)
{
	const struct mb_cpu_ops *c = img.arch->cpu;
	uint64_t regs[8] = { 0 }, fn;
	unsigned n = push64(regs, 0, a);
	if (b_is_int)
		regs[n++] = b;
	else
		n = push64(regs, n, b);
	struct mb_err err;
	ck_assert_int_eq(mb_kstub_resolve(img.m, name, &fn, NULL, &err), 0);
	struct mb_call_result r;
	ck_assert_int_eq(mb_machine_call(img.m, fn, regs, n, NULL, &r, &err), 0);
	ck_assert_msg(!r.faulted, "%s: %s", name, r.fault.detail);
	if (c->reg_bytes == 8)
		return r.ret;
	uint64_t second;
	mb_cpu_reg_read(mb_machine_uc(img.m), c, c->reg_ret2, &second);
	return c->pair_hi_first ? (r.ret << 32 | second) : (second << 32 | r.ret);
}

START_TEST(test_helpers64)
{
	const uint64_t v[][2] = { { 0xfedcba9876543210ull, 0x1234567ull }, { 0x8000000000000001ull, 0xfffffffffffffffdull },
				  { 12345, 0x100000000ull }, { 0x7fffffffffffffffull, 7 } };
	for (size_t i = 0; i < 4; i++) {
		uint64_t a = v[i][0], b = v[i][1];
		int64_t sa = (int64_t)a, sb = (int64_t)b;
		unsigned sh = (unsigned)(b % 64);
		ck_assert_uint_eq(helper("__udivdi3", a, b, false), a / b);
		ck_assert_uint_eq(helper("__umoddi3", a, b, false), a % b);
		ck_assert_uint_eq(helper("__divdi3", a, b, false), (uint64_t)(sa / sb));
		ck_assert_uint_eq(helper("__moddi3", a, b, false), (uint64_t)(sa % sb));
		ck_assert_uint_eq(helper("__muldi3", a, b, false), a * b);
		ck_assert_uint_eq(helper("__ashldi3", a, sh, true), a << sh);
		ck_assert_uint_eq(helper("__lshrdi3", a, sh, true), a >> sh);
		ck_assert_uint_eq(helper("__ashrdi3", a, sh, true), (uint64_t)(sa >> sh));
	}
}
END_TEST

/* Thunks and ftrace entries run as guest code in the kernel stub. */
START_TEST(test_stub_code)
{
	struct mb_call_result r = CALL("twice_inc", 5);
	ck_assert_int_eq(ret32("twice_inc", r), 7);
}
END_TEST

/* ---- faults ---- */

static struct mb_fault fault_of(const char *fn, const uint64_t *args, unsigned n, enum mb_fault_kind kind)
{
	struct mb_call_result r = callv(fn, args, n, 0, 0);
	ck_assert_msg(r.faulted, "%s returned 0x%" PRIx64 " instead of faulting", fn, r.ret);
	ck_assert_msg(r.fault.kind == kind, "%s: kind %s, want %s (%s)", fn, mb_fault_kind_name(r.fault.kind),
		      mb_fault_kind_name(kind), r.fault.detail);
	return r.fault;
}

/* The reported pc must be the faulting store itself, not the start of its
 * translation block: the address of the function's second store (the
 * first writes fault_scratch), read from llvm-objdump's disassembly of the
 * linked image. Stores: x86 AT&T mov* with a memory last operand, arm64
 * str / stur, ppc32 st*. */
static uint64_t objdump_store(const char *fn, int nth)
{
	char cmd[1024], line[512];
	snprintf(cmd, sizeof(cmd), "%s -d --no-show-raw-insn --disassemble-symbols=%s %s", MB_LLVM_OBJDUMP, fn,
		 img.image);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	uint64_t found = 0;
	int seen = 0;
	while (fgets(line, sizeof(line), p)) {
		char mn[64] = "", ops[256] = "";
		unsigned long long at;
		if (sscanf(line, " %llx: %63s %255[^\n]", &at, mn, ops) < 2)
			continue;
		char *last = strrchr(ops, ',');
		bool x86_store = strncmp(mn, "mov", 3) == 0 && last && strchr(last, '(');
		bool store = x86_store || strncmp(mn, "str", 3) == 0 || strncmp(mn, "stur", 4) == 0 ||
			     (img.arch->big_endian && strncmp(mn, "st", 2) == 0);
		if (store && ++seen == nth && !found)
			found = at;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(found, "llvm-objdump shows no store #%d in %s", nth, fn);
	return found;
}

static void assert_store_at(uint64_t pc, const char *fn)
{
	uint64_t want = objdump_store(fn, 2);
	ck_assert_msg(pc == want, "fault pc 0x%" PRIx64 ", llvm-objdump puts %s's second store at 0x%" PRIx64, pc,
		      fn, want);
}

START_TEST(test_write_text)
{
	struct mb_fault f = fault_of("write_text", (const uint64_t[]){ 5 }, 1, MB_FAULT_WRITE_PROTECT);
	ck_assert(f.has_addr);
	ck_assert_uint_eq(f.addr, rawimg_sym(&img, "arith"));
	ck_assert_str_eq(f.access, "write");
	assert_store_at(f.pc, "write_text");
}
END_TEST

START_TEST(test_write_rodata)
{
	struct mb_fault f = fault_of("write_rodata", (const uint64_t[]){ 9 }, 1, MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, rawimg_sym(&img, "table_ro") + 4);
	assert_store_at(f.pc, "write_rodata");
	/* Nothing was written. */
	ck_assert_int_eq(ret32("read_ro", CALL("read_ro", 1)), 1);
	f = fault_of("memcpy_to_rodata", NULL, 0, MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, rawimg_sym(&img, "table_ro"));
	ck_assert_msg(strncmp(f.pc_sym, "kernel:memcpy+0x0", 17) == 0, "pc_sym %s", f.pc_sym);
}
END_TEST

START_TEST(test_exec_data)
{
	struct mb_fault f = fault_of("exec_data", NULL, 0, MB_FAULT_FETCH_PROTECT);
	ck_assert_uint_eq(f.pc, rawimg_sym(&img, "data_code"));
	ck_assert_uint_eq(f.addr, rawimg_sym(&img, "data_code"));
}
END_TEST

START_TEST(test_unresolved)
{
	struct mb_fault f = fault_of("call_missing", (const uint64_t[]){ 1 }, 1, MB_FAULT_UNRESOLVED_SYMBOL);
	uint64_t fn = rawimg_sym(&img, "call_missing");
	ck_assert_msg(strstr(f.detail, "called unimplemented kernel symbol modbed_no_such_kernel_function from "),
		      "%s", f.detail);
	ck_assert_msg(f.pc >= fn && f.pc < fn + 64, "pc 0x%" PRIx64 " not in call_missing", f.pc);
	/* The from-pc is the call instruction: a branch-and-link / call / jump. */
	ck_assert_uint_eq(f.addr, ({ uint64_t a; struct mb_err e;
		mb_kstub_resolve(img.m, "modbed_no_such_kernel_function", &a, NULL, &e); a; }));
}
END_TEST

START_TEST(test_unmapped)
{
	uint64_t hole = img.data_base + 0x400000;
	struct mb_fault f = fault_of("read_addr", (const uint64_t[]){ hole + 8 }, 1, MB_FAULT_UNMAPPED);
	ck_assert_uint_eq(f.addr, hole + 8);
	ck_assert_str_eq(f.access, "read");
}
END_TEST

START_TEST(test_freed_init)
{
	uint64_t base = img.data_base + 0x400000;
	struct mb_space_arena *a;
	struct mb_err err;
	ck_assert_int_eq(mb_space_add_fixed(&img.space, base, 0x2000, MB_PERM_RW, "init", &a, &err), 0);
	ck_assert_int_eq(ret32("read_addr", CALL("read_addr", base + 0x1004)), 0);
	mb_machine_mark_freed_init(img.m, base, 0x2000);
	mb_space_release(&img.space, a);
	struct mb_fault f = fault_of("write_addr", (const uint64_t[]){ base + 0x1004, 1 }, 2, MB_FAULT_FREED_INIT);
	ck_assert_uint_eq(f.addr, base + 0x1004);
	ck_assert_str_eq(f.access, "write");
}
END_TEST

/* ro_after_init: the same translated code writes, then faults once the page
 * is read-only, then writes again. */
START_TEST(test_protect_after_run)
{
	uint64_t counter = rawimg_sym(&img, "counter");
	struct mb_space_arena *a = rawimg_segment(&img, counter);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(ret32("bump", CALL("bump", 1)), 8);
	struct mb_err err;
	ck_assert_int_eq(mb_space_protect(&img.space, a->base, a->size, MB_PERM_R, &err), 0);
	struct mb_fault f = fault_of("bump", (const uint64_t[]){ 1 }, 1, MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, counter);
	ck_assert_int_eq(mb_space_protect(&img.space, a->base, a->size, MB_PERM_RW, &err), 0);
	ck_assert_int_eq(ret32("bump", CALL("bump", 2)), 10);
}
END_TEST

/* Revoking exec reaches code that already ran (translated blocks dropped). */
START_TEST(test_revoke_exec)
{
	ck_assert_int_eq(ret32("fib", CALL("fib", 5)), 5);
	uint64_t fib_at = rawimg_sym(&img, "fib");
	struct mb_space_arena *a = rawimg_segment(&img, fib_at);
	struct mb_err err;
	ck_assert_int_eq(mb_space_protect(&img.space, a->base, a->size, MB_PERM_R, &err), 0);
	struct mb_fault f = fault_of("fib", (const uint64_t[]){ 5 }, 1, MB_FAULT_FETCH_PROTECT);
	ck_assert_uint_eq(f.pc, fib_at);
}
END_TEST

START_TEST(test_canary)
{
	static const char *const fns[] = { "smash", "smash_k" };
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(ret32(fns[i], callv(fns[i], (const uint64_t[]){ 8, 0x41 }, 2, 0, 0)), 0x41);
		struct mb_fault f = fault_of(fns[i], (const uint64_t[]){ 40, 0x41 }, 2, MB_FAULT_STACK_PROTECTOR);
		uint64_t fn = rawimg_sym(&img, fns[i]);
		ck_assert_msg(f.pc >= fn && f.pc < fn + 0x100, "pc 0x%" PRIx64 " not in %s (0x%" PRIx64 ")", f.pc,
			      fns[i], fn);
		char want[32];
		snprintf(want, sizeof(want), "image:%s+0x", fns[i]);
		ck_assert_msg(strstr(f.detail, want), "%s", f.detail);
	}
}
END_TEST

START_TEST(test_budget_timeout)
{
	struct mb_call_result r = callv("spin", NULL, 0, 100000, 0);
	ck_assert(r.faulted);
	ck_assert_int_eq(r.fault.kind, MB_FAULT_BUDGET);
	ck_assert_uint_eq(r.insns, 100000);
	uint64_t fn = rawimg_sym(&img, "spin");
	ck_assert(r.fault.pc >= fn && r.fault.pc < fn + 32);
	/* Already-translated spin loop: the budget still holds (it is counted
	 * by the machine's hook, not Unicorn's `count`). */
	r = callv("spin", NULL, 0, 5000, 0);
	ck_assert_int_eq(r.fault.kind, MB_FAULT_BUDGET);
	ck_assert_uint_eq(r.insns, 5000);
	r = callv("spin", NULL, 0, UINT64_MAX, 50);
	ck_assert(r.faulted);
	ck_assert_int_eq(r.fault.kind, MB_FAULT_TIMEOUT);
}
END_TEST

START_TEST(test_trap_slot_data_pointer)
{
	/* Calling a kernel data symbol executes non-code: data is NX. */
	uint64_t jiffies;
	struct mb_err err;
	ck_assert_int_eq(mb_kstub_resolve(img.m, "jiffies", &jiffies, NULL, &err), 0);
	struct mb_fault f = fault_of("call_ptr", (const uint64_t[]){ jiffies }, 1, MB_FAULT_FETCH_PROTECT);
	ck_assert_uint_eq(f.pc, jiffies);
	ck_assert_str_eq(f.pc_sym, "kernel:jiffies+0x0");
}
END_TEST

START_TEST(test_trap_and_kernel_function_faults)
{
	struct mb_fault f = fault_of("do_trap", NULL, 0, MB_FAULT_TRAP);
	uint64_t fn = rawimg_sym(&img, "do_trap");
	ck_assert_msg(f.pc >= fn && f.pc < fn + 16, "trap pc 0x%" PRIx64 " not in do_trap", f.pc);
	/* strlen(NULL): the kernel function faults at its own pc. */
	f = fault_of("str_len", (const uint64_t[]){ 0 }, 1, MB_FAULT_UNMAPPED);
	ck_assert_uint_eq(f.addr, 0);
	ck_assert_str_eq(f.pc_sym, "kernel:strlen+0x0");
	f = fault_of("bad_free", (const uint64_t[]){ img.data_base + 8 }, 1, MB_FAULT_TRAP);
	ck_assert_msg(strstr(f.detail, "which the allocator did not return"), "%s", f.detail);
	ck_assert_uint_eq(f.addr, img.data_base + 8);
}
END_TEST

/* Architecture-specific guards, tested where the arch has them. */
START_TEST(test_noncanonical)
{
	const struct mb_cpu_ops *c = img.arch->cpu;
	if (!c->addr_ok)
		return;
	struct mb_space_arena *a;
	struct mb_err err;
	ck_assert_int_ne(mb_space_add_fixed(&img.space, 0x0030000000000000ull, 0x1000, MB_PERM_RW, "bad", &a, &err), 0);
	ck_assert_msg(strstr(err.msg, "canonical"), "%s", err.msg);
	struct mb_call_result res;
	ck_assert_int_ne(mb_machine_call(img.m, 0x0030000000000000ull, NULL, 0, NULL, &res, &err), 0);
	struct mb_fault f = fault_of("read_addr", (const uint64_t[]){ 0x0030000000000000ull }, 1, MB_FAULT_UNMAPPED);
	ck_assert_msg(strstr(f.detail, "non-canonical"), "%s", f.detail);
}
END_TEST

START_TEST(test_hazard)
{
	const struct mb_cpu_ops *c = img.arch->cpu;
	if (!c->hazard_at)
		return;
	/* ppc32: mftb r3; mfspr r4,TBU; blr (hand-assembled) would kill the host
	 * without the pre-scan hooks. */
	static const uint8_t code[] = { 0x7c, 0x6c, 0x42, 0xe6, 0x7c, 0x8d, 0x42, 0xa6, 0x4e, 0x80, 0x00, 0x20 };
	uint64_t base = img.text_base + 0x300000;
	struct mb_space_arena *a;
	struct mb_err err;
	ck_assert_int_eq(mb_space_add_fixed(&img.space, base, 0x1000, MB_PERM_RW, "tb", &a, &err), 0);
	memcpy(a->host, code, sizeof(code));
	ck_assert_int_eq(mb_space_protect(&img.space, base, 0x1000, MB_PERM_RX, &err), 0);
	struct mb_call_result r;
	ck_assert_int_eq(mb_machine_call(img.m, base, NULL, 0, NULL, &r, &err), 0);
	ck_assert_msg(!r.faulted, "%s", r.fault.detail);
	ck_assert_uint_eq(r.insns, 3);
}
END_TEST

int main(int argc, char **argv)
{
	arch_name = argc > 1 ? argv[1] : "x86_64";
	const struct check_suite cs = { .suite = arch_name, .tcase = "raw", .timeout = 30,
					 .setup = setup, .teardown = teardown };
	const struct check_test tests[] = {
		CHECK_TEST(test_arith_recursion),
		CHECK_TEST(test_crc),
		CHECK_TEST(test_fnptr_switch),
		CHECK_TEST(test_strings),
		CHECK_TEST(test_alloc_printk),
		CHECK_TEST(test_math64),
		CHECK_TEST(test_helpers64),
		CHECK_TEST(test_stub_code),
		CHECK_TEST(test_write_text),
		CHECK_TEST(test_write_rodata),
		CHECK_TEST(test_exec_data),
		CHECK_TEST(test_unresolved),
		CHECK_TEST(test_unmapped),
		CHECK_TEST(test_freed_init),
		CHECK_TEST(test_protect_after_run),
		CHECK_TEST(test_revoke_exec),
		CHECK_TEST(test_canary),
		CHECK_TEST(test_budget_timeout),
		CHECK_TEST(test_trap_slot_data_pointer),
		CHECK_TEST(test_trap_and_kernel_function_faults),
		CHECK_TEST(test_noncanonical),
		CHECK_TEST(test_hazard),
	};
	return CHECK_RUN(&cs, tests);
}
