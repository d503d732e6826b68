/* Kernel threads, completions and task reference counts on one emulated CPU
 * without a scheduler, as KUnit's try-catch uses them (lib/kunit/try-catch.c:
 * kthread_create, get_task_struct, wake_up_process, wait_for_completion_
 * timeout, kthread_stop, put_task_struct; the thread ends with
 * kthread_complete_and_exit, also when an assertion aborts the case).
 *
 * A thread runs synchronously, to its end, inside wake_up_process: its
 * function is a nested guest call (hostabi.h: mb_hc_call_guest). Its end is
 * the function returning, kthread_complete_and_exit / do_exit unwinding it,
 * or a guest fault, which kills only the thread, as an oops in a kthread
 * does: the fault report goes to the log, the completion is never completed,
 * so the waiter's wait_for_completion_timeout times out at once (no one is
 * left who could complete it) and KUnit fails the case as it would after
 * its 300 s timeout in the kernel. */
#include "harness/kstub/kstub_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EINTR 4
#define TASK_BYTES 0x4000u        /* fake task_struct: every 32-bit word 1 */
#define REFCOUNT_SATURATED 0xc0000000u
#define COMPLETION_ALL 0xffffffffu /* UINT_MAX: complete_all */

static struct mb_kstub *ks_of(struct mb_machine *m)
{
	return mb_machine_stub(m);
}

static struct mb_kthread *thread_of(struct mb_machine *m, uint64_t task)
{
	struct mb_kstub *ks = ks_of(m);
	for (size_t i = 0; i < ks->nthreads; i++)
		if (ks->threads[i].task == task)
			return &ks->threads[i];
	return NULL;
}

/* kthread_create_on_node(threadfn, data, node, namefmt, ...): a task whose
 * refcount_t usage is 1 wherever the config puts it (every 32-bit word of
 * the fake task_struct holds 1), so get/put_task_struct balance. */
static void hc_kthread_create_on_node(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	struct mb_kstub *ks = ks_of(m);
	if (ks->nthreads == ks->threads_cap) {
		size_t cap = ks->threads_cap ? 2 * ks->threads_cap : 16;
		struct mb_kthread *n = realloc(ks->threads, cap * sizeof(*n));
		if (!n) {
			mb_hc_ret(m, (uint64_t)-12);  /* ERR_PTR(-ENOMEM) */
			return;
		}
		ks->threads = n;
		ks->threads_cap = cap;
	}
	uint64_t task = mb_hc_alloc(m, TASK_BYTES, false);
	uint8_t *h = task ? mb_space_host(mb_machine_space(m), task, TASK_BYTES) : NULL;
	if (!h) {
		mb_hc_ret(m, (uint64_t)-12);
		return;
	}
	for (unsigned off = 0; off < TASK_BYTES; off += 4)
		mb_store(h + off, 4, 1, mb_machine_arch(m)->big_endian);
	ks->threads[ks->nthreads++] = (struct mb_kthread){ task, a[0], a[1], false, false, 0 };
	mb_hc_ret(m, task);
}

/* The thread was killed by a fault: the report, as KUnit diagnostic lines. */
static void log_fault(struct mb_machine *m, const struct mb_fault *f)
{
	char line[MB_SYM_LEN * 2 + 400];
	int n = snprintf(line, sizeof(line), "<3>    # kthread killed by a guest fault: %s at %s (0x%" PRIx64 "): %s\n",
			 mb_fault_kind_name(f->kind), f->pc_sym, f->pc, f->detail);
	if (n > 0)
		mb_log_append(m, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	if (f->has_addr) {
		n = snprintf(line, sizeof(line), "<3>    # %s access to %s (0x%" PRIx64 ")\n", f->access[0] ? f->access : "memory",
			     f->addr_sym, f->addr);
		if (n > 0)
			mb_log_append(m, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	unsigned from = f->nhistory > 4 ? f->nhistory - 4 : 0;
	for (unsigned k = from; k < f->nhistory; k++) {
		char sym[MB_SYM_LEN];
		mb_machine_symbolize(m, f->history[k], sym, sizeof(sym));
		n = snprintf(line, sizeof(line), "<3>    # pc 0x%" PRIx64 " %s\n", f->history[k], sym);
		if (n > 0)
			mb_log_append(m, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
}

/* wake_up_process(task): a kthread not yet run runs now, to its end. */
static void hc_wake_up_process(struct mb_machine *m)
{
	struct mb_kthread *t = thread_of(m, mb_hc_word(m, 0));
	if (!t || t->started) {
		mb_hc_ret(m, 0);
		return;
	}
	t->started = true;
	uint64_t fn = t->fn, arg = t->data, task = t->task;
	struct mb_guest_result res;
	if (mb_hc_call_guest(m, fn, &arg, 1, &res) != 0) {
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "cannot start kthread function 0x%" PRIx64, fn);
		return;
	}
	/* The table may have grown while the thread ran. */
	t = thread_of(m, task);
	t->done = true;
	t->code = res.ret;
	if (res.end == MB_GUEST_FAULTED)
		log_fault(m, &res.fault);
	mb_hc_ret(m, 1);
}

/* kthread_stop(task): the thread's exit code; one never woken does not run
 * its function and gives -EINTR. */
static void hc_kthread_stop(struct mb_machine *m)
{
	struct mb_kthread *t = thread_of(m, mb_hc_word(m, 0));
	if (!t) {
		mb_hc_ret(m, (uint64_t)-EINTR);
		return;
	}
	if (!t->started) {
		t->started = t->done = true;
		t->code = (uint64_t)-EINTR;
	}
	mb_hc_ret(m, t->code);
}

/* struct completion starts with `unsigned int done`. */
static int done_read(struct mb_machine *m, uint64_t x, uint32_t *v)
{
	uint8_t b[4];
	if (mb_guest_read(m, x, b, 4) != 0)
		return -1;
	*v = (uint32_t)mb_load(b, 4, mb_machine_arch(m)->big_endian);
	return 0;
}

static int done_write(struct mb_machine *m, uint64_t x, uint32_t v)
{
	uint8_t b[4];
	mb_store(b, 4, v, mb_machine_arch(m)->big_endian);
	return mb_guest_write(m, x, b, 4);
}

static void complete_one(struct mb_machine *m, uint64_t x)
{
	uint32_t d;
	if (done_read(m, x, &d) == 0 && d != COMPLETION_ALL)
		done_write(m, x, d + 1);
}

static void hc_complete(struct mb_machine *m)
{
	complete_one(m, mb_hc_word(m, 0));
}

static void hc_complete_all(struct mb_machine *m)
{
	done_write(m, mb_hc_word(m, 0), COMPLETION_ALL);
}

/* Takes one completion if there is one: true. */
static bool take(struct mb_machine *m, uint64_t x, bool *fault)
{
	uint32_t d;
	*fault = done_read(m, x, &d) != 0;
	if (*fault || d == 0)
		return false;
	if (d != COMPLETION_ALL)
		done_write(m, x, d - 1);
	return true;
}

/* wait_for_completion_timeout(x, timeout): every thread has run to its end
 * already, so an incomplete completion can never complete: 0 (timed out)
 * at once instead of after the timeout. */
static void hc_wait_for_completion_timeout(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	bool fault;
	bool got = take(m, a[0], &fault);
	if (!fault)
		mb_hc_ret(m, got ? (a[1] ? a[1] : 1) : 0);
}

static void hc_try_wait_for_completion(struct mb_machine *m)
{
	bool fault;
	bool got = take(m, mb_hc_word(m, 0), &fault);
	if (!fault)
		mb_hc_ret(m, got);
}

static void hc_wait_for_completion(struct mb_machine *m)
{
	bool fault;
	if (!take(m, mb_hc_word(m, 0), &fault) && !fault)
		mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), false, 0, NULL,
			     "wait_for_completion would sleep forever: no thread is left that could complete it");
}

static void hc_completion_done(struct mb_machine *m)
{
	uint32_t d;
	if (done_read(m, mb_hc_word(m, 0), &d) == 0)
		mb_hc_ret(m, d != 0);
}

/* kthread_complete_and_exit(comp, code), kthread_exit(code), do_exit(code):
 * the thread ends here; the rest of its guest frames are unwound. */
static void thread_exit(struct mb_machine *m, uint64_t code, const char *fn)
{
	if (!mb_hc_exit_guest(m, code))
		mb_run_fault(m, MB_FAULT_TRAP, mb_run_caller_pc(m), false, 0, NULL,
			     "%s called outside a kernel thread", fn);
}

static void hc_kthread_complete_and_exit(struct mb_machine *m)
{
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	if (a[0])
		complete_one(m, a[0]);
	thread_exit(m, a[1], "kthread_complete_and_exit");
}

static void hc_do_exit(struct mb_machine *m)
{
	thread_exit(m, mb_hc_word(m, 0), "do_exit");
}

/* __put_task_struct(t): the last reference went. */
static void hc_put_task_struct(struct mb_machine *m)
{
	uint64_t t = mb_hc_word(m, 0);
	if (thread_of(m, t))
		mb_heap_free(mb_machine_heap(m), t);
}

/* refcount_warn_saturate(r, type): lib/refcount.c's WARN, and the counter
 * saturates. */
static void hc_refcount_warn_saturate(struct mb_machine *m)
{
	static const char *const why[] = {
		"saturated; leaking memory", "saturated; leaking memory", "addition on 0; use-after-free",
		"underflow; use-after-free", "decrement hit 0; leaking memory",
	};
	uint64_t a[2];
	mb_hc_args(m, "ww", a);
	char line[128];
	int n = snprintf(line, sizeof(line), "<4>refcount_t: %s\n", a[1] < 5 ? why[a[1]] : "unknown saturation event!?");
	mb_log_append(m, line, (size_t)n);
	done_write(m, a[0], REFCOUNT_SATURATED);
}

static void hc_ret0(struct mb_machine *m)
{
	mb_hc_ret(m, 0);
}

const struct mb_hostcall mb_hostcalls_kthread[] = {
	{ "kthread_create_on_node", hc_kthread_create_on_node }, { "kthread_stop", hc_kthread_stop },
	{ "kthread_complete_and_exit", hc_kthread_complete_and_exit }, { "kthread_exit", hc_do_exit },
	{ "do_exit", hc_do_exit }, { "kthread_should_stop", hc_ret0 },
	{ "complete", hc_complete }, { "complete_all", hc_complete_all },
	{ "wait_for_completion_timeout", hc_wait_for_completion_timeout },
	{ "wait_for_completion", hc_wait_for_completion },
	{ "try_wait_for_completion", hc_try_wait_for_completion }, { "completion_done", hc_completion_done },
	{ "__init_swait_queue_head", hc_ret0 },
	{ "__put_task_struct", hc_put_task_struct }, { "refcount_warn_saturate", hc_refcount_warn_saturate },
	{ "add_taint", hc_ret0 },
	/* A module notifier's calls are made by `modbed kunit` itself: it calls
	 * kunit.ko's __kunit_test_suites_init for each test module, as 6.1's
	 * notifier does at MODULE_STATE_COMING, without a struct module. */
	{ "register_module_notifier", hc_ret0 }, { "unregister_module_notifier", hc_ret0 },
	{ NULL, NULL },
};

const struct mb_hostcall mb_hostcalls_kthread_co[] = {
	{ "wake_up_process", hc_wake_up_process },
	{ NULL, NULL },
};
