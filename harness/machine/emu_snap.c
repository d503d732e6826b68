/* Copy-on-write snapshots of guest memory for the fast path (emu_run.c).
 *
 * A call run without the per-instruction hook cannot say where it faulted
 * (Unicorn 2.0.1 reports the block start and runs the rest of the block with
 * bogus values), so the machine puts itself back to the state the call
 * started with and runs it again with the hook. The memory part of that
 * state is kept here without any hook on guest stores: every arena's host
 * buffer (what Unicorn stores into) is read-only on the host while it is
 * "cold"; the first store of a call to a cold page traps (SIGSEGV), the
 * handler copies the page and makes it writable ("hot"). Hot pages are
 * copied eagerly when the next call starts (a call's stack page is hot in
 * every call, and a 4 KiB copy costs far less than a trap); when more than
 * HOT_MAX pages are hot they are made read-only again. Restoring copies the
 * saved pages back. Host writes between calls (loader, call buffers, gdb)
 * trap the same way and just make the page hot.
 *
 * Faults outside the tracked buffers go to the handler that was installed
 * before (or the default action), so a crash stays a crash. */
#include "harness/machine/emu_priv.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SNAP_PAGE 4096u
#define HOT_MAX 16u
#define MAX_SNAPS 64u

/* Every live machine's tracker, for the signal handler. Single-threaded:
 * machines are created, run and destroyed on one thread. */
static struct mb_snap *volatile registry[MAX_SNAPS];
static struct sigaction previous;
static bool installed;

static bool page_is_hot(const struct mb_snap_arena *a, size_t p)
{
	return a->hot[p / 8] & (1u << (p % 8));
}

static void set_hot(struct mb_snap_arena *a, size_t p, bool on)
{
	if (on)
		a->hot[p / 8] |= (uint8_t)(1u << (p % 8));
	else
		a->hot[p / 8] &= (uint8_t)~(1u << (p % 8));
}

/* Storage that may grow inside the handler: mmap is async-signal-safe,
 * malloc is not. */
static void *grow(void *old, size_t oldbytes, size_t newbytes)
{
	void *n = mmap(NULL, newbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED)
		return NULL;
	if (old) {
		memcpy(n, old, oldbytes);
		munmap(old, oldbytes);
	}
	return n;
}

static bool reserve_saved(struct mb_snap *s)
{
	if (s->nsaved < s->savedcap)
		return true;
	size_t cap = s->savedcap ? 2 * s->savedcap : 64;
	struct mb_snap_saved *n = grow(s->saved, s->savedcap * sizeof(*n), cap * sizeof(*n));
	if (!n)
		return false;
	for (size_t i = s->savedcap; i < cap; i++)
		n[i].copy = NULL;
	s->saved = n;
	s->savedcap = cap;
	return true;
}

static bool save_page(struct mb_snap *s, uint8_t *page)
{
	if (!reserve_saved(s))
		return false;
	struct mb_snap_saved *e = &s->saved[s->nsaved];
	if (!e->copy) {
		void *c = mmap(NULL, SNAP_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c == MAP_FAILED)
			return false;
		e->copy = c;
	}
	e->host = page;
	memcpy(e->copy, page, SNAP_PAGE);
	s->nsaved++;
	return true;
}

static bool push_hot(struct mb_snap *s, uint8_t *page)
{
	if (s->nhot == s->hotcap) {
		size_t cap = s->hotcap ? 2 * s->hotcap : 64;
		uint8_t **n = grow(s->hotp, s->hotcap * sizeof(*n), cap * sizeof(*n));
		if (!n)
			return false;
		s->hotp = n;
		s->hotcap = cap;
	}
	s->hotp[s->nhot++] = page;
	return true;
}

static struct mb_snap_arena *arena_of(struct mb_snap *s, const uint8_t *p)
{
	for (size_t i = 0; i < s->nar; i++)
		if (p >= s->ar[i].host && (size_t)(p - s->ar[i].host) < s->ar[i].size)
			return &s->ar[i];
	return NULL;
}

/* A store to a cold page: copy it (during a call), make it writable. False
 * when the page is not ours, or cannot be handled. */
static bool take(uint8_t *addr)
{
	uint8_t *page = (uint8_t *)((uintptr_t)addr & ~(uintptr_t)(SNAP_PAGE - 1));
	for (unsigned k = 0; k < MAX_SNAPS; k++) {
		struct mb_snap *s = registry[k];
		struct mb_snap_arena *a = s ? arena_of(s, page) : NULL;
		if (!a)
			continue;
		size_t p = (size_t)(page - a->host) / SNAP_PAGE;
		if (!a->cold || page_is_hot(a, p))
			return false;
		if (s->armed && !save_page(s, page)) {
			s->broken = true;
			return false;
		}
		if (mprotect(page, SNAP_PAGE, PROT_READ | PROT_WRITE) != 0)
			return false;
		set_hot(a, p, true);
		if (!push_hot(s, page))
			s->overflow = true;
		return true;
	}
	return false;
}

static void on_segv(int sig, siginfo_t *si, void *uctx)
{
	if (si->si_code == SEGV_ACCERR && take(si->si_addr))
		return;
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, uctx);
		return;
	}
	if (previous.sa_handler == SIG_IGN || previous.sa_handler == SIG_DFL) {
		/* Re-executing the access faults again, now with the default action. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	previous.sa_handler(sig);
}

bool mb_snap_init(struct mb_snap *s)
{
	memset(s, 0, sizeof(*s));
	if (sysconf(_SC_PAGESIZE) != SNAP_PAGE)
		return false;
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, &previous) != 0)
			return false;
		/* A sanitizer may keep its own handler (ASan with
		 * allow_user_segv_handler=0): then no fast path. */
		struct sigaction now;
		if (sigaction(SIGSEGV, NULL, &now) != 0 || !(now.sa_flags & SA_SIGINFO) ||
		    now.sa_sigaction != on_segv)
			return false;
		installed = true;
	}
	for (unsigned k = 0; k < MAX_SNAPS; k++)
		if (registry[k] == NULL) {
			registry[k] = s;
			s->usable = true;
			return true;
		}
	return false;
}

static void make_warm(struct mb_snap_arena *a)
{
	if (a->cold)
		mprotect(a->host, a->size, PROT_READ | PROT_WRITE);
	a->cold = false;
}

void mb_snap_fini(struct mb_snap *s)
{
	for (unsigned k = 0; k < MAX_SNAPS; k++)
		if (registry[k] == s)
			registry[k] = NULL;
	for (size_t i = 0; i < s->nar; i++) {
		make_warm(&s->ar[i]);
		free(s->ar[i].hot);
	}
	free(s->ar);
	for (size_t i = 0; i < s->savedcap; i++)
		if (s->saved[i].copy)
			munmap(s->saved[i].copy, SNAP_PAGE);
	if (s->saved)
		munmap(s->saved, s->savedcap * sizeof(*s->saved));
	if (s->hotp)
		munmap(s->hotp, s->hotcap * sizeof(*s->hotp));
	memset(s, 0, sizeof(*s));
}

int mb_snap_track(struct mb_snap *s, uint8_t *host, size_t size)
{
	if (!s->usable)
		return 0;
	if ((uintptr_t)host % SNAP_PAGE || size % SNAP_PAGE) {
		s->usable = false;   /* cannot protect it alone: no fast path */
		return 0;
	}
	if (s->nar == s->arcap) {
		size_t cap = s->arcap ? 2 * s->arcap : 16;
		struct mb_snap_arena *n = realloc(s->ar, cap * sizeof(*n));
		if (!n)
			return -1;
		s->ar = n;
		s->arcap = cap;
	}
	uint8_t *hot = calloc(size / SNAP_PAGE / 8 + 1, 1);
	if (!hot)
		return -1;
	s->ar[s->nar++] = (struct mb_snap_arena){ host, size, false, hot };
	return 0;
}

void mb_snap_untrack(struct mb_snap *s, uint8_t *host)
{
	for (size_t i = 0; i < s->nar; i++) {
		struct mb_snap_arena *a = &s->ar[i];
		if (a->host != host)
			continue;
		size_t j = 0;
		for (size_t k = 0; k < s->nhot; k++)
			if (!(s->hotp[k] >= a->host && (size_t)(s->hotp[k] - a->host) < a->size))
				s->hotp[j++] = s->hotp[k];
		s->nhot = j;
		make_warm(a);
		free(a->hot);
		s->ar[i] = s->ar[--s->nar];
		return;
	}
}

/* Drops the hot set: its pages become cold again. */
static void cool_all(struct mb_snap *s)
{
	for (size_t i = 0; i < s->nar; i++) {
		struct mb_snap_arena *a = &s->ar[i];
		if (a->cold)
			mprotect(a->host, a->size, PROT_READ);
		memset(a->hot, 0, a->size / SNAP_PAGE / 8 + 1);
	}
	s->nhot = 0;
	s->overflow = false;
}

bool mb_snap_arm(struct mb_snap *s)
{
	if (!s->usable || s->broken)
		return false;
	s->nsaved = 0;
	for (size_t i = 0; i < s->nar; i++) {
		struct mb_snap_arena *a = &s->ar[i];
		if (a->cold)
			continue;
		if (mprotect(a->host, a->size, PROT_READ) != 0)
			return false;
		a->cold = true;
		memset(a->hot, 0, a->size / SNAP_PAGE / 8 + 1);
		size_t j = 0;
		for (size_t k = 0; k < s->nhot; k++)
			if (!(s->hotp[k] >= a->host && (size_t)(s->hotp[k] - a->host) < a->size))
				s->hotp[j++] = s->hotp[k];
		s->nhot = j;
	}
	if (s->nhot > HOT_MAX || s->overflow)
		cool_all(s);
	for (size_t k = 0; k < s->nhot; k++)
		if (!save_page(s, s->hotp[k]))
			return false;
	s->armed = true;
	return true;
}

void mb_snap_disarm(struct mb_snap *s)
{
	s->armed = false;
	s->nsaved = 0;
}

bool mb_snap_restore(struct mb_snap *s)
{
	if (s->broken)
		return false;
	for (size_t i = s->nsaved; i-- > 0;)
		memcpy(s->saved[i].host, s->saved[i].copy, SNAP_PAGE);
	return true;
}
