/* The wall clock of calls that run with no hook on guest code at all
 * (emu_run.c: uncounted runs, no instruction budget).
 *
 * Nothing in such a run returns to the machine while the guest loops, so
 * the clock is watched from outside: a POSIX timer per machine ticks every
 * millisecond on the calling thread (a signal), and its handler stops the
 * emulator (uc_emu_stop only sets flags, as Unicorn's own timeout thread
 * does from another thread) once the run is past its deadline. Ticks go on
 * until the run has handled the stop, so a stop that Unicorn drops (it
 * clears its flags when it re-enters the CPU loop) is asked for again.
 *
 * uc_emu_start's own timeout starts and joins a thread on every call
 * (~0.1 ms); arming a timer is a system call (~0.5 us). So the timer stays
 * armed across calls and the handler disarms it once the machine has had
 * no call running for IDLE_TICKS ticks: back-to-back calls pay two stores
 * each, an idle program gets no signals. */
#include "harness/machine/emu_priv.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 1000000L
#define IDLE_TICKS 50u

/* The machine whose uncounted run is on this thread right now. */
static _Thread_local struct mb_machine *volatile running;
static _Thread_local pid_t my_tid;   /* a system call to learn: asked once */
static bool installed;
static int watch_signal;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_timer(struct mb_machine *m, bool on)
{
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_value.tv_nsec = TICK_NS;
		its.it_interval.tv_nsec = TICK_NS;
	}
	timer_settime(m->watch.timer, 0, &its, NULL);
	m->watch.armed = on;
}

/* Async-signal-safe: flags, clock_gettime, timer_settime. */
static void on_tick(int sig, siginfo_t *si, void *uctx)
{
	(void)sig; (void)uctx;
	struct mb_machine *m = si->si_code == SI_TIMER ? si->si_value.sival_ptr : NULL;
	if (m == NULL)
		return;
	if (m != running) {
		if (++m->watch.idle >= (sig_atomic_t)IDLE_TICKS)
			set_timer(m, false);
		return;
	}
	m->watch.idle = 0;
	if (mono_ns() < m->run.watch_at)
		return;
	m->run.watch_fired = 1;
	uc_emu_stop(m->uc);
}

/* A forked child has the parent's thread id cached but not its timers:
 * forget the id, and the timers (their ids may be reused in the child). */
static unsigned fork_gen;

static void forget_tid(void)
{
	my_tid = 0;
	fork_gen++;
}

bool mb_watch_usable(struct mb_machine *m)
{
	struct mb_watch *w = &m->watch;
	if (my_tid == 0)
		my_tid = (pid_t)syscall(SYS_gettid);
	pid_t tid = my_tid;
	if (w->made && w->gen != fork_gen)
		w->made = false;
	if (w->made && w->tid == tid)
		return true;
	if (w->made) {   /* another thread calls now: the ticks must go to it */
		timer_delete(w->timer);
		w->made = false;
	}
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_tick;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		watch_signal = SIGRTMIN + 4;
		if (sigaction(watch_signal, &sa, NULL) != 0 || pthread_atfork(NULL, NULL, forget_tid) != 0)
			return false;
		installed = true;
	}
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = watch_signal;
	ev.sigev_value.sival_ptr = m;
	ev._sigev_un._tid = tid;
	if (timer_create(CLOCK_MONOTONIC, &ev, &w->timer) != 0)
		return false;
	w->made = true;
	w->armed = false;
	w->tid = tid;
	w->gen = fork_gen;
	return true;
}

void mb_watch_begin(struct mb_machine *m)
{
	m->run.watch_fired = 0;
	m->watch.idle = 0;
	running = m;
	/* The handler disarms only while `running` is another machine: set
	 * it first, then look. */
	atomic_signal_fence(memory_order_seq_cst);
	if (!m->watch.armed)
		set_timer(m, true);
}

void mb_watch_end(struct mb_machine *m)
{
	(void)m;
	running = NULL;
	atomic_signal_fence(memory_order_seq_cst);
}

void mb_watch_fini(struct mb_machine *m)
{
	if (m->watch.made && m->watch.gen == fork_gen)
		timer_delete(m->watch.timer);   /* also drops a pending tick */
	m->watch.made = false;
}
