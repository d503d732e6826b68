/* The machine's fast path (calls without the per-instruction code hook,
 * harness/machine/emu_run.c) against the exact way (the hook on every
 * instruction, as every call ran before): the same calls, in the same order,
 * on two runtimes over the same module, one allowed the fast path and one
 * not. Everything a caller sees must be equal: return values, instruction
 * counts, and for faults the kind, exact pc, address, access, detail and
 * the 32-pc history; and after a call that changed memory, the heap, the
 * log and the random stream and then faulted, the state the next calls see.
 * The exact runtime is the reference: it shares the hook code the machine
 * always had, not the block counting, snapshot and replay under test. */
#include "harness/session/runtime.h"

#include "tests/check_main.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *arch_name;
static char path[512];
static const char *paths[1] = { path };   /* the cli's file list: outlives each pair */

struct pair {
	struct mb_runtime rt[2];   /* [0] fast path allowed, [1] exact only */
	struct mb_cli cli;
};

static void open_pair(struct pair *p)
{
	snprintf(path, sizeof(path), "%s/%s/run_work.ko", MB_MODULES_DIR, arch_name);
	memset(&p->cli, 0, sizeof(p->cli));
	p->cli.cmd = "test";
	p->cli.arch = arch_name;
	p->cli.paths = paths;
	p->cli.npaths = 1;
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(mb_runtime_open(&p->rt[k], &p->cli), MB_EXIT_OK);
		mb_machine_set_fast_path(p->rt[k].m, k == 0);
		ck_assert_int_eq(mb_runtime_load_all(&p->rt[k], &p->cli), MB_EXIT_OK);
	}
}

static void close_pair(struct pair *p)
{
	for (int k = 0; k < 2; k++)
		mb_runtime_close(&p->rt[k]);
}

static void same_fault(const char *fn, const struct mb_fault *a, const struct mb_fault *b)
{
	ck_assert_msg(a->kind == b->kind, "%s: kind %s vs %s", fn, mb_fault_kind_name(a->kind),
		      mb_fault_kind_name(b->kind));
	ck_assert_msg(a->pc == b->pc, "%s: pc 0x%" PRIx64 " vs 0x%" PRIx64, fn, a->pc, b->pc);
	ck_assert_msg(a->has_addr == b->has_addr && a->addr == b->addr, "%s: addr 0x%" PRIx64 " vs 0x%" PRIx64, fn,
		      a->addr, b->addr);
	ck_assert_str_eq(a->access, b->access);
	ck_assert_str_eq(a->detail, b->detail);
	ck_assert_str_eq(a->pc_sym, b->pc_sym);
	ck_assert_msg(a->nhistory == b->nhistory, "%s: history %u vs %u", fn, a->nhistory, b->nhistory);
	for (unsigned i = 0; i < a->nhistory; i++)
		ck_assert_msg(a->history[i] == b->history[i], "%s: history[%u] 0x%" PRIx64 " vs 0x%" PRIx64, fn, i,
			      a->history[i], b->history[i]);
}

/* Calls fn on both runtimes: r[0] fast, r[1] exact. */
static void call_both(struct pair *p, const char *fn, const uint64_t *args, unsigned n, struct mb_call_result *r)
{
	for (int k = 0; k < 2; k++) {
		uint64_t at;
		struct mb_err err;
		ck_assert_msg(mb_runtime_resolve(&p->rt[k], fn, &at, &err) == 0, "%s", err.msg);
		ck_assert_msg(mb_machine_call(p->rt[k].m, at, args, n, &p->rt[k].lim, &r[k], &err) == 0, "%s", err.msg);
	}
	ck_assert_msg(r[0].faulted == r[1].faulted, "%s: faulted %d vs %d (%s%s)", fn, r[0].faulted, r[1].faulted,
		      r[0].fault.detail, r[1].fault.detail);
}

/* The return value or the fault, the log and the heap agree. */
static void same_outcome(struct pair *p, const char *fn, const struct mb_call_result *r)
{
	if (r[0].faulted)
		same_fault(fn, &r[0].fault, &r[1].fault);
	else
		ck_assert_msg(r[0].ret == r[1].ret, "%s: 0x%" PRIx64 " vs 0x%" PRIx64, fn, r[0].ret, r[1].ret);
	size_t l0, l1;
	const char *log0 = mb_machine_log(p->rt[0].m, &l0), *log1 = mb_machine_log(p->rt[1].m, &l1);
	ck_assert_msg(l0 == l1 && memcmp(log0, log1, l0) == 0, "%s: logs differ:\n%s\n---\n%s", fn, log0, log1);
	ck_assert_uint_eq(mb_machine_heap_live(p->rt[0].m), mb_machine_heap_live(p->rt[1].m));
}

/* Calls fn on both runtimes and checks they agree; returns the fast one. */
static struct mb_call_result both(struct pair *p, const char *fn, const uint64_t *args, unsigned n)
{
	struct mb_call_result r[2];
	call_both(p, fn, args, n, r);
	ck_assert_msg(r[0].insns == r[1].insns, "%s: %" PRIu64 " vs %" PRIu64 " instructions", fn, r[0].insns,
		      r[1].insns);
	same_outcome(p, fn, r);
	return r[0];
}

/* No instruction budget: the fast runtime's call runs with no hook on guest
 * code. A return is not counted (uncounted, insns 0); everything else (a
 * fault, a trap, a time-base read) runs again counted or exact, and its
 * count is the exact runtime's. Returns the fast result. */
static struct mb_call_result unbudgeted(struct pair *p, const char *fn, const uint64_t *args, unsigned n,
					bool want_uncounted)
{
	struct mb_call_result r[2];
	call_both(p, fn, args, n, r);
	ck_assert_msg(!r[1].uncounted, "%s: the exact way counts", fn);
	ck_assert_msg(r[0].uncounted == want_uncounted, "%s: uncounted %d, want %d", fn, r[0].uncounted,
		      want_uncounted);
	if (want_uncounted)
		ck_assert_uint_eq(r[0].insns, 0);
	else
		ck_assert_msg(r[0].insns == r[1].insns, "%s: %" PRIu64 " vs %" PRIu64 " instructions", fn,
			      r[0].insns, r[1].insns);
	same_outcome(p, fn, r);
	return r[0];
}

static uint64_t buf(struct pair *p, const void *data, size_t len)
{
	uint64_t a[2];
	struct mb_err err;
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(mb_machine_alloc(p->rt[k].m, len, &a[k], &err), 0);
		ck_assert_int_eq(mb_machine_write(p->rt[k].m, a[k], data, len, &err), 0);
	}
	ck_assert_uint_eq(a[0], a[1]);
	return a[0];
}

static uint64_t sym(struct pair *p, const char *name)
{
	uint64_t a;
	struct mb_err err;
	ck_assert_msg(mb_runtime_resolve(&p->rt[0], name, &a, &err) == 0, "%s", err.msg);
	return a;
}

/* mem_ops works on 64 bytes. */
static const char mem_block[64] = "a 64-byte buffer for mem_ops, zero-filled past this text";

#define ARGS(...) (const uint64_t[]){ __VA_ARGS__ }, sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t)

START_TEST(test_results_and_counts)
{
	struct pair p;
	open_pair(&p);
	for (uint64_t n = 0; n < 16; n += 5)
		both(&p, "fib", ARGS(n));
	for (uint64_t x = 0; x < 12; x++)
		both(&p, "classify", ARGS(x));
	static const char text[] = "bytes through the kernel stub's host functions";
	uint64_t t = buf(&p, text, sizeof(text));
	both(&p, "crc32_buf", ARGS(t, sizeof(text)));
	both(&p, "str_len", ARGS(t));
	both(&p, "mem_ops", ARGS(buf(&p, mem_block, sizeof(mem_block)), sizeof(mem_block)));
	both(&p, "alloc_sum", ARGS(100));
	both(&p, "say", ARGS(42));
	both(&p, "hostcall_loop", ARGS(50));
	both(&p, "bump", ARGS(3));
	uint64_t tb;
	struct mb_err err;
	if (mb_runtime_resolve(&p.rt[0], "read_timebase", &tb, &err) == 0)
		both(&p, "read_timebase", NULL, 0);   /* ppc32: the time base counts instructions */
	close_pair(&p);
}
END_TEST

START_TEST(test_faults_are_exact)
{
	struct pair p;
	open_pair(&p);
	both(&p, "write_text", ARGS(1));
	both(&p, "write_rodata", ARGS(2));
	both(&p, "memcpy_to_rodata", NULL, 0);
	both(&p, "exec_data", NULL, 0);
	both(&p, "call_missing", ARGS(1));
	both(&p, "read_addr", ARGS(0));
	both(&p, "write_addr", ARGS(sym(&p, "fib"), 5));
	both(&p, "call_ptr", ARGS(0x10));
	both(&p, "do_trap", NULL, 0);
	both(&p, "bad_free", ARGS(0x1234));
	/* Each change before the trap happens once: module data, heap, log and
	 * the random stream are as the exact run leaves them. */
	struct mb_call_result r = both(&p, "changes_then_trap", ARGS(5));
	ck_assert(r.faulted);
	r = both(&p, "bump", ARGS(0));
	ck_assert_uint_eq(r.ret, 7 + 3 * 0 + 5);
	both(&p, "changes_then_trap", ARGS(1));
	close_pair(&p);
}
END_TEST

/* A budget stop is exact (the call runs again the exact way); a wall-clock
 * stop goes on with the hook until the history is full. */
START_TEST(test_budget_exact)
{
	struct pair p;
	open_pair(&p);
	for (uint64_t budget = 5; budget < 200000; budget = budget * 7 + 3) {
		for (int k = 0; k < 2; k++)
			p.rt[k].lim.budget = budget;
		struct mb_call_result r = both(&p, "spin", NULL, 0);
		ck_assert(r.faulted && r.fault.kind == MB_FAULT_BUDGET);
		ck_assert_uint_eq(r.insns, budget);
		both(&p, "fib", ARGS(12));   /* 1000-odd instructions: returns or not, both alike */
	}
	for (int k = 0; k < 2; k++) {
		p.rt[k].lim.budget = UINT64_MAX;
		p.rt[k].lim.timeout_ms = 20;
	}
	/* Wall-clock stops are not deterministic: the same kind, a full history. */
	for (int k = 0; k < 2; k++) {
		uint64_t at = sym(&p, "spin");
		struct mb_call_result r;
		struct mb_err err;
		ck_assert_int_eq(mb_machine_call(p.rt[k].m, at, NULL, 0, &p.rt[k].lim, &r, &err), 0);
		ck_assert(r.faulted && r.fault.kind == MB_FAULT_TIMEOUT);
		ck_assert_uint_eq(r.fault.nhistory, MB_FAULT_HISTORY);
		ck_assert_uint_eq(r.fault.history[MB_FAULT_HISTORY - 1], r.fault.pc);
	}
	close_pair(&p);
}
END_TEST

START_TEST(test_no_budget)
{
	struct pair p;
	open_pair(&p);
	for (int k = 0; k < 2; k++)
		p.rt[k].lim.budget = MB_NO_BUDGET;
	for (uint64_t n = 0; n < 16; n += 5)
		unbudgeted(&p, "fib", ARGS(n), true);
	static const char text[] = "no hook on guest code at all";
	uint64_t t = buf(&p, text, sizeof(text));
	unbudgeted(&p, "crc32_buf", ARGS(t, sizeof(text)), true);
	unbudgeted(&p, "mem_ops", ARGS(buf(&p, mem_block, sizeof(mem_block)), sizeof(mem_block)), true);
	unbudgeted(&p, "alloc_sum", ARGS(100), true);
	unbudgeted(&p, "say", ARGS(42), true);
	unbudgeted(&p, "hostcall_loop", ARGS(50), true);
	unbudgeted(&p, "write_text", ARGS(1), false);
	unbudgeted(&p, "exec_data", NULL, 0, false);
	unbudgeted(&p, "call_missing", ARGS(1), false);
	unbudgeted(&p, "do_trap", NULL, 0, false);
	/* Put back before the exact replay: the next call sees one change. */
	unbudgeted(&p, "changes_then_trap", ARGS(5), false);
	struct mb_call_result r = unbudgeted(&p, "bump", ARGS(0), true);
	ck_assert_uint_eq(r.ret, 7 + 3 * 0 + 5);
	uint64_t tb;
	struct mb_err err;
	if (mb_runtime_resolve(&p.rt[0], "read_timebase", &tb, &err) == 0)
		unbudgeted(&p, "read_timebase", NULL, 0, false);   /* ppc32: needs the count: run counted */
	/* A runaway call: the watchdog stops it on the wall clock, the code
	 * hook then fills the history. */
	for (int k = 0; k < 2; k++)
		p.rt[k].lim.timeout_ms = 20;
	ck_assert_int_eq(mb_machine_call(p.rt[0].m, sym(&p, "spin"), NULL, 0, &p.rt[0].lim, &r, &err), 0);
	ck_assert(r.faulted && r.fault.kind == MB_FAULT_TIMEOUT && r.uncounted);
	ck_assert_uint_eq(r.fault.nhistory, MB_FAULT_HISTORY);
	ck_assert_uint_eq(r.fault.history[MB_FAULT_HISTORY - 1], r.fault.pc);
	r = unbudgeted(&p, "fib", ARGS(10), true);   /* and the machine runs on */
	ck_assert_uint_eq(r.ret, 55);
	close_pair(&p);
}
END_TEST

/* A machine used on both sides of a fork: the child has none of the
 * parent's timers, so its watchdog must make its own (else a runaway call
 * with no budget would never stop; the child's alarm ends it then). */
START_TEST(test_no_budget_fork)
{
	struct pair p;
	open_pair(&p);
	struct mb_call_limits lim = { MB_NO_BUDGET, 20 };
	struct mb_call_result r;
	struct mb_err err;
	ck_assert_int_eq(mb_machine_call(p.rt[0].m, sym(&p, "fib"), ARGS(10), &lim, &r, &err), 0);
	ck_assert(!r.faulted && r.uncounted && r.ret == 55);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(5);
		int ok = mb_machine_call(p.rt[0].m, sym(&p, "spin"), NULL, 0, &lim, &r, &err) == 0 && r.faulted &&
			 r.fault.kind == MB_FAULT_TIMEOUT && r.uncounted;
		_exit(ok ? 0 : 1);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s %d", WIFSIGNALED(st) ? "signal" : "exit",
		      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	close_pair(&p);
}
END_TEST

int main(int argc, char **argv)
{
	arch_name = argc > 1 ? argv[1] : "x86_64";
	const struct check_suite cs = { .suite = arch_name, .tcase = "fast", .timeout = 60 };
	const struct check_test tests[] = {
		CHECK_TEST(test_results_and_counts),
		CHECK_TEST(test_faults_are_exact),
		CHECK_TEST(test_budget_exact),
		CHECK_TEST(test_no_budget),
		CHECK_TEST(test_no_budget_fork),
	};
	return check_run(&cs, tests, sizeof(tests) / sizeof(tests[0]));
}
