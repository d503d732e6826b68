/* Modules (tests/modules/run) through the loader and the runtime on one
 * arch (argv[1]): results against the host build of the same C, faults by
 * kind/address, and the kernel's lifecycle (init, ro_after_init, free init,
 * exit, failed init leaving no trace, exports pinning their provider). */
#include "arch/cpu.h"
#include "harness/session/runtime.h"

#include "tests/check_main.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int32_t fib(int32_t n);
int32_t apply(uint32_t i, int32_t a, int32_t b);
int32_t classify(int32_t x);
uint32_t crc32_buf(const unsigned char *p, uint32_t n);
void math64(uint32_t ahi, uint32_t alo, uint32_t bhi, uint32_t blo, uint64_t *out);

static const char *arch_name;
static struct mb_runtime rt;
static struct mb_cli cli;
static char paths[4][512];

static const char *ko(const char *name)
{
	static int k;
	char *p = paths[k++ % 4];
	snprintf(p, sizeof(paths[0]), "%s/%s/%s.ko", MB_MODULES_DIR, arch_name, name);
	return p;
}

static void open_rt(bool run_init, const char *bounds)
{
	memset(&cli, 0, sizeof(cli));
	cli.cmd = "test";
	cli.arch = arch_name;
	static const char *path[1];
	path[0] = ko("run_work");
	cli.paths = path; /* cli is file scope: the array must outlive this call */
	cli.npaths = 1;
	cli.no_init = !run_init;
	cli.bounds = bounds;
	ck_assert_int_eq(mb_runtime_open(&rt, &cli), MB_EXIT_OK);
}

static void setup(void)
{
	open_rt(true, NULL);
}

static void teardown(void)
{
	mb_runtime_close(&rt);
}

static struct mb_loaded_module *load(const char *name)
{
	struct mb_loaded_module *mod;
	struct mb_err err;
	struct mb_run_report rep;
	int rc = mb_runtime_load(&rt, ko(name), &mod, &rep, &err);
	ck_assert_msg(rc == 0, "load %s: %s", name, err.msg);
	return mod;
}

static struct mb_call_result call(const char *fn, const uint64_t *args, unsigned n)
{
	uint64_t at;
	struct mb_err err;
	ck_assert_msg(mb_runtime_resolve(&rt, fn, &at, &err) == 0, "%s", err.msg);
	struct mb_call_result res;
	ck_assert_msg(mb_machine_call(rt.m, at, args, n, &rt.lim, &res, &err) == 0, "%s", err.msg);
	return res;
}

#define ARGS(...) (const uint64_t[]){ __VA_ARGS__ }, sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t)

static int32_t ok32(const char *fn, struct mb_call_result r)
{
	ck_assert_msg(!r.faulted, "%s: %s %s", fn, mb_fault_kind_name(r.fault.kind), r.fault.detail);
	return (int32_t)(uint32_t)r.ret;
}

static struct mb_fault fault(const char *fn, struct mb_call_result r, enum mb_fault_kind kind)
{
	ck_assert_msg(r.faulted, "%s did not fault (ret 0x%" PRIx64 ")", fn, r.ret);
	ck_assert_msg(r.fault.kind == kind, "%s: %s, want %s: %s", fn, mb_fault_kind_name(r.fault.kind),
		      mb_fault_kind_name(kind), r.fault.detail);
	return r.fault;
}

static uint64_t sym(const char *name)
{
	uint64_t a;
	struct mb_err err;
	ck_assert_msg(mb_runtime_resolve(&rt, name, &a, &err) == 0, "%s", err.msg);
	return a;
}

static uint64_t gbuf(const void *data, size_t len)
{
	uint64_t a;
	struct mb_err err;
	ck_assert_int_eq(mb_machine_alloc(rt.m, len, &a, &err), 0);
	ck_assert_int_eq(mb_machine_write(rt.m, a, data, len, &err), 0);
	return a;
}

START_TEST(test_work_vs_host)
{
	load("run_work");
	for (int32_t n = 1; n < 20; n += 6)
		ck_assert_int_eq(ok32("fib", call("fib", ARGS((uint64_t)n))), fib(n));
	for (uint32_t i = 0; i < 4; i++)
		ck_assert_int_eq(ok32("apply", call("apply", ARGS(i, 77, 5))), apply(i, 77, 5));
	for (int32_t x = -1; x <= 10; x++)
		ck_assert_int_eq(ok32("classify", call("classify", ARGS((uint64_t)(int64_t)x))), classify(x));
	static const unsigned char text[] = "the module's bytes, checksummed";
	ck_assert_uint_eq((uint32_t)ok32("crc32_buf", call("crc32_buf", ARGS(gbuf(text, sizeof(text)), sizeof(text)))),
			  crc32_buf(text, sizeof(text)));
	uint64_t host[8];
	math64(0xdeadbeefu, 0x01234567u, 0, 0x3039u, host);
	uint64_t out = gbuf(host, sizeof(host));  /* overwritten by the guest */
	ok32("math64", call("math64", ARGS(0xdeadbeefu, 0x01234567u, 0, 0x3039u, out)));
	uint8_t raw[64];
	struct mb_err err;
	mb_machine_read(rt.m, out, raw, sizeof(raw), &err);
	bool be = rt.s.arch->big_endian;
	for (int k = 0; k < 8; k++) {
		uint64_t g = 0;
		for (int j = 0; j < 8; j++)
			g |= (uint64_t)raw[8 * k + (be ? 7 - j : j)] << (8 * j);
		ck_assert_msg(g == host[k], "math64 out[%d] 0x%" PRIx64 " != host 0x%" PRIx64, k, g, host[k]);
	}
}
END_TEST

START_TEST(test_work_faults)
{
	load("run_work");
	struct mb_fault f = fault("write_text", call("write_text", ARGS(1)), MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, sym("arith"));
	ck_assert_msg(strncmp(f.pc_sym, "run_work:write_text+0x", 22) == 0, "%s", f.pc_sym);
	ck_assert_str_eq(f.addr_sym, "run_work:arith+0x0");
	f = fault("write_rodata", call("write_rodata", ARGS(1)), MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, sym("table_ro") + 4);
	f = fault("exec_data", call("exec_data", NULL, 0), MB_FAULT_FETCH_PROTECT);
	ck_assert_uint_eq(f.pc, sym("data_code"));
	f = fault("call_missing", call("call_missing", ARGS(1)), MB_FAULT_UNRESOLVED_SYMBOL);
	ck_assert_msg(strstr(f.detail, "called unimplemented kernel symbol modbed_no_such_kernel_function from "
				       "run_work:call_missing+0x"), "%s", f.detail);
	rt.lim.budget = 20000;
	struct mb_call_result r = call("spin", NULL, 0);
	fault("spin", r, MB_FAULT_BUDGET);
	ck_assert_uint_eq(r.insns, 20000);
	rt.lim.budget = UINT64_MAX;
	rt.lim.timeout_ms = 30;
	fault("spin", call("spin", NULL, 0), MB_FAULT_TIMEOUT);
}
END_TEST

/* The stack is bounded by one inaccessible page on each side, as a kernel's
 * vmalloc'd stack is: walking page by page away from the initial stack
 * pointer, stores succeed until exactly one page refuses them, and the page
 * beyond that guard is ordinary memory again (heap above, task page below). */
static void probe_guard(uint64_t from, int64_t step)
{
	uint64_t a = from & ~(uint64_t)0xfff;
	int pages = 0;
	for (;; a += (uint64_t)step, pages++) {
		ck_assert_msg(pages < 512, "no guard within 2 MiB of 0x%" PRIx64, from);
		struct mb_call_result r = call("write_addr", ARGS(a, 0));
		if (r.faulted) {
			struct mb_fault f = fault("write_addr", r, MB_FAULT_WRITE_PROTECT);
			ck_assert_uint_eq(f.addr, a);
			break;
		}
	}
	struct mb_call_result beyond = call("write_addr", ARGS(a + (uint64_t)step, 0));
	ck_assert_msg(!beyond.faulted, "page after the guard at 0x%" PRIx64 " faults: %s", a, beyond.fault.detail);
}

START_TEST(test_stack_guards)
{
	load("run_work");
	uint64_t sp = mb_machine_stack_top(rt.m);
	probe_guard(sp, 0x1000);
	probe_guard(sp - 0x1000, -0x1000);
}
END_TEST

/* ppc32 only: mftb / mftbu / mfspr DEC in module text, found by the scan
 * when the loader makes the text executable. */
START_TEST(test_timebase)
{
	if (!rt.s.arch->cpu->hazard_at)
		return;
	load("run_work");
	struct mb_call_result r = call("read_timebase", NULL, 0);
	ck_assert_msg(!r.faulted, "%s", r.fault.detail);
}
END_TEST

START_TEST(test_life_ro_after_init_and_free_init)
{
	mb_machine_log_clear(rt.m);
	struct mb_loaded_module *m = load("run_life");
	ck_assert(m->init_freed);
	/* init wrote 4242 + 1 into its ro_after_init variable. */
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 4243);
	ck_assert_str_eq(mb_machine_log(rt.m, NULL), "<6>run_life: config 4243\n");
	struct mb_fault f = fault("life_set_config", call("life_set_config", ARGS(7)), MB_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.addr, sym("life_config"));
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 4243);
	f = fault("life_touch_init", call("life_touch_init", NULL, 0), MB_FAULT_FREED_INIT);
	ck_assert_str_eq(f.access, "read");
	ck_assert_str_eq(f.addr_sym, "run_life:life_boot_value+0x0 (freed init)");
	/* Calling init again: a fetch from freed init text, at its entry. */
	f = fault("init_module", call("init_module", NULL, 0), MB_FAULT_FREED_INIT);
	ck_assert_str_eq(f.access, "fetch");
	ck_assert_uint_eq(f.pc, sym("init_module"));
	ck_assert_msg(strstr(f.pc_sym, "(freed init)"), "%s", f.pc_sym);
}
END_TEST

START_TEST(test_life_no_init)
{
	mb_runtime_close(&rt);
	open_rt(false, NULL);
	mb_machine_log_clear(rt.m);
	load("run_life");
	/* init did not run (no log, the initial value); the module stays as
	 * while init would run: ro_after_init writable, init memory mapped, so
	 * init itself can be called. */
	ck_assert_str_eq(mb_machine_log(rt.m, NULL), "");
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 1);
	ck_assert_int_eq(ok32("init_module", call("init_module", NULL, 0)), 0);
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 4243);
	ck_assert_int_eq(ok32("life_touch_init", call("life_touch_init", NULL, 0)), 4242);
	ok32("life_set_config", call("life_set_config", ARGS(9)));
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 9);
}
END_TEST

START_TEST(test_cross_module_and_unload)
{
	struct mb_loaded_module *life = load("run_life");
	struct mb_loaded_module *user = load("run_user");
	/* user_init called life_add once; sum over i<4 of (i*100 + 1). */
	ck_assert_int_eq(ok32("user_sum", call("user_sum", ARGS(4))), 0 + 100 + 200 + 300 + 4);
	ck_assert_int_eq(ok32("user_calls", call("user_calls", NULL, 0)), 5);
	struct mb_err err;
	struct mb_run_report rep;
	ck_assert_int_ne(mb_runtime_unload(&rt, life, &rep, &err), 0);
	ck_assert_msg(strstr(err.msg, "in use by 1 module"), "%s", err.msg);
	ck_assert(!rep.ran);   /* exit did not run */
	ck_assert_int_eq(mb_runtime_unload(&rt, user, &rep, &err), 0);
	mb_machine_log_clear(rt.m);
	ck_assert_int_eq(mb_runtime_unload(&rt, life, &rep, &err), 0);
	ck_assert(rep.ran && !rep.faulted);
	ck_assert_str_eq(mb_machine_log(rt.m, NULL), "<6>run_life: bye after 5 calls\n");
	ck_assert_int_ne(mb_runtime_resolve(&rt, "life_add", &(uint64_t){ 0 }, &err), 0);
}
END_TEST

struct state {
	uint64_t loader, space;
	size_t maps, heap, nmod;
};

static struct state snap(void)
{
	return (struct state){ mb_loader_fingerprint(&rt.s.loader), mb_space_fingerprint(&rt.s.space),
			       mb_machine_nmaps(rt.m), mb_machine_heap_live(rt.m), rt.s.loader.nmodules };
}

static void assert_same(struct state a, struct state b)
{
	ck_assert_uint_eq(a.loader, b.loader);
	ck_assert_uint_eq(a.space, b.space);
	ck_assert_uint_eq(a.maps, b.maps);
	ck_assert_uint_eq(a.heap, b.heap);
	ck_assert_uint_eq(a.nmod, b.nmod);
}

/* With the kernel's bounds policy the lookup bounds never shrink (a faithful
 * quirk), so a failed load leaves them wider; the `split` policy shrinks
 * them, and then nothing at all may differ. */
START_TEST(test_init_fails_no_trace)
{
	mb_runtime_close(&rt);
	open_rt(true, "split");
	load("run_life");
	struct state before = snap();
	struct mb_loaded_module *mod = (void *)1;
	struct mb_err err;
	struct mb_run_report rep;
	ck_assert_int_ne(mb_runtime_load(&rt, ko("run_initfail"), &mod, &rep, &err), 0);
	ck_assert_ptr_null(mod);
	ck_assert_msg(strstr(err.msg, "init_module: run_initfail's init returned -19; module unloaded"), "%s", err.msg);
	assert_same(before, snap());
	ck_assert_int_ne(mb_runtime_resolve(&rt, "initfail_data", &(uint64_t){ 0 }, &err), 0);

	ck_assert_int_ne(mb_runtime_load(&rt, ko("run_initfault"), &mod, &rep, &err), 0);
	ck_assert(rep.faulted);
	ck_assert_int_eq(rep.fault.kind, MB_FAULT_WRITE_PROTECT);
	ck_assert_msg(strstr(err.msg, "guest fault (write-protect)"), "%s", err.msg);
	assert_same(before, snap());
	/* The machine still works after both. */
	ck_assert_int_eq(ok32("life_get_config", call("life_get_config", NULL, 0)), 4243);
}
END_TEST

/* run_canary's checksum, written again for the host: len, then base-31 over
 * the bytes that fit the 16-byte buffer. */
static uint32_t canary_copy_ref(const unsigned char *src, uint32_t len)
{
	uint32_t h = len;
	for (uint32_t i = 0; i < len && i < 16; i++)
		h = h * 31 + src[i];
	return h;
}

/* The kernel's stack protector in a real .ko: safe calls return what the
 * host computes with the canary in place; an overrun stops in
 * __stack_chk_fail, reported at its caller. */
START_TEST(test_canary_module)
{
	load("run_canary");
	unsigned char src[64];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(0x41 + i);
	uint64_t gsrc = gbuf(src, sizeof(src));
	for (uint32_t len = 0; len <= 16; len += 4)
		ck_assert_uint_eq((uint32_t)ok32("canary_copy", call("canary_copy", ARGS(gsrc, len))),
				  canary_copy_ref(src, len));
	static const int32_t mix[][2] = { { 5, 9 }, { -3, 2 }, { 1000, 7 }, { 6, -1 } };
	for (unsigned i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		int32_t a = mix[i][0], b = mix[i][1];
		int32_t v[4] = { a, b, a ^ b, a - b };
		ck_assert_int_eq(ok32("canary_mix", call("canary_mix", ARGS((uint64_t)(int64_t)a, (uint64_t)(int64_t)b))),
				 v[a & 3] * 7 + v[b & 3]);
	}
	/* 24 bytes reach the canary right above the buffer on every arch but
	 * stay inside the frame: the scratch heap (src) lies just above the
	 * machine's stack top, where a longer run would land. */
	uint64_t fn = sym("canary_copy");
	struct mb_fault f = fault("canary_copy", call("canary_copy", ARGS(gsrc, 24)), MB_FAULT_STACK_PROTECTOR);
	ck_assert_msg(f.pc > fn && f.pc < fn + 0x200, "pc 0x%" PRIx64 " not in canary_copy at 0x%" PRIx64, f.pc, fn);
	char want[64];
	snprintf(want, sizeof(want), "run_canary:canary_copy+0x%" PRIx64, f.pc - fn);
	ck_assert_str_eq(f.pc_sym, want);
	ck_assert_msg(strstr(f.detail, want), "%s", f.detail);
	/* The smash left the machine usable: the next call is clean. */
	ck_assert_uint_eq((uint32_t)ok32("canary_copy", call("canary_copy", ARGS(gsrc, 3))), canary_copy_ref(src, 3));
}
END_TEST

int main(int argc, char **argv)
{
	arch_name = argc > 1 ? argv[1] : "x86_64";
	const struct check_suite cs = { .suite = arch_name, .tcase = "run", .timeout = 30,
					 .setup = setup, .teardown = teardown };
	const struct check_test tests[] = {
		CHECK_TEST(test_work_vs_host),
		CHECK_TEST(test_work_faults),
		CHECK_TEST(test_stack_guards),
		CHECK_TEST(test_timebase),
		CHECK_TEST(test_life_ro_after_init_and_free_init),
		CHECK_TEST(test_life_no_init),
		CHECK_TEST(test_cross_module_and_unload),
		CHECK_TEST(test_init_fails_no_trace),
		CHECK_TEST(test_canary_module),
	};
	return CHECK_RUN(&cs, tests);
}
