/* lib/sort.c's sort() and lib/list_sort.c's list_sort() for the KUnit
 * suites, written on the host from their documented behaviour. They call the
 * guest's compare (and swap) callbacks, so they run as coroutines
 * (hostabi.h). */
#include "harness/kstub/klib_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- callbacks into the guest ------------------------------------------- */

/* A callback that did not return stops the run where the guest faulted (the
 * kernel would oops inside sort(), killing the caller's thread). */
static int callback(struct mb_machine *m, uint64_t fn, const uint64_t *args, unsigned n, uint64_t *ret)
{
	struct mb_guest_result res;
	if (mb_hc_call_guest(m, fn, args, n, &res) != 0) {
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "cannot call back into 0x%" PRIx64, fn);
		return -1;
	}
	if (res.end == MB_GUEST_RETURNED) {
		*ret = res.ret;
		return 0;
	}
	const struct mb_fault *f = &res.fault;
	if (res.end == MB_GUEST_EXITED)
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "callback 0x%" PRIx64 " exited its thread", fn);
	else
		mb_run_fault(m, f->kind, f->pc, f->has_addr, f->addr, f->access, "%s", f->detail);
	return -1;
}

/* The callback's int result, sign-extended from 32 bits. */
static int cmp_call(struct mb_machine *m, uint64_t fn, const uint64_t *args, unsigned n, int *out)
{
	uint64_t r;
	if (callback(m, fn, args, n, &r) != 0)
		return -1;
	*out = (int)(int32_t)(uint32_t)r;
	return 0;
}

/* ---- sort(base, num, size, cmp, swap): heapsort in place ----------------- */

struct sorter {
	struct mb_machine *m;
	uint64_t base, size, cmp, swap;
	uint8_t *ta, *tb;
};

static uint64_t at(const struct sorter *s, uint64_t i)
{
	return s->base + i * s->size;
}

static int s_cmp(struct sorter *s, uint64_t i, uint64_t j, int *out)
{
	uint64_t args[2] = { at(s, i), at(s, j) };
	return cmp_call(s->m, s->cmp, args, 2, out);
}

static int s_swap(struct sorter *s, uint64_t i, uint64_t j)
{
	if (s->swap) {
		uint64_t args[3] = { at(s, i), at(s, j), s->size }, r;
		return callback(s->m, s->swap, args, 3, &r);
	}
	if (mb_guest_read(s->m, at(s, i), s->ta, s->size) || mb_guest_read(s->m, at(s, j), s->tb, s->size) ||
	    mb_guest_write(s->m, at(s, i), s->tb, s->size) || mb_guest_write(s->m, at(s, j), s->ta, s->size))
		return -1;
	return 0;
}

static int sift_down(struct sorter *s, uint64_t root, uint64_t n)
{
	for (;;) {
		uint64_t child = 2 * root + 1;
		if (child >= n)
			return 0;
		int c;
		if (child + 1 < n) {
			if (s_cmp(s, child, child + 1, &c) != 0)
				return -1;
			if (c < 0)
				child++;
		}
		if (s_cmp(s, root, child, &c) != 0)
			return -1;
		if (c >= 0)
			return 0;
		if (s_swap(s, root, child) != 0)
			return -1;
		root = child;
	}
}

static void hc_sort(struct mb_machine *m)
{
	uint64_t a[5];
	mb_hc_args(m, "wwwww", a);
	struct sorter s = { m, a[0], a[2], a[3], a[4], NULL, NULL };
	uint64_t n = a[1];
	if (n < 2 || !s.size)
		return;
	if (n > MAX_ELEMS || s.size > 4096) {
		mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "sort of %" PRIu64 " x %" PRIu64 " bytes (looks wrong)", n, s.size);
		return;
	}
	s.ta = malloc(s.size);
	s.tb = malloc(s.size);
	if (s.ta && s.tb) {
		int rc = 0;
		for (uint64_t i = n / 2; i-- > 0 && rc == 0;)
			rc = sift_down(&s, i, n);
		for (uint64_t end = n - 1; end > 0 && rc == 0; end--) {
			rc = s_swap(&s, 0, end);
			if (rc == 0)
				rc = sift_down(&s, 0, end);
		}
	}
	free(s.ta);
	free(s.tb);
}

/* ---- list_sort(priv, head, cmp): stable merge sort ----------------------- */

static int merge_sort(struct mb_machine *m, uint64_t priv, uint64_t cmp, uint64_t *v, uint64_t *tmp, size_t n)
{
	if (n < 2)
		return 0;
	size_t h = n / 2;
	if (merge_sort(m, priv, cmp, v, tmp, h) || merge_sort(m, priv, cmp, v + h, tmp, n - h))
		return -1;
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		uint64_t args[3] = { priv, v[i], v[j] };
		int c;
		if (cmp_call(m, cmp, args, 3, &c) != 0)
			return -1;
		tmp[k++] = c <= 0 ? v[i++] : v[j++];   /* ties keep the earlier element first */
	}
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
	return 0;
}

static void hc_list_sort(struct mb_machine *m)
{
	uint64_t a[3];
	mb_hc_args(m, "www", a);
	uint64_t priv = a[0], head = a[1], cmp = a[2], w = wb_of(m);
	size_t n = 0, cap = 64;
	uint64_t *v = malloc(cap * sizeof(*v)), *tmp = NULL, p;
	if (!v || word_read(m, head, &p) != 0)
		goto out;
	while (p != head) {
		if (n == MAX_ELEMS) {
			mb_run_fault(m, MB_FAULT_TRAP, 0, false, 0, NULL, "list_sort: list of more than %u entries (a loop?)", MAX_ELEMS);
			goto out;
		}
		if (n == cap) {
			uint64_t *nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv)
				goto out;
			v = nv;
			cap *= 2;
		}
		v[n++] = p;
		if (word_read(m, p, &p) != 0)
			goto out;
	}
	tmp = malloc((n ? n : 1) * sizeof(*tmp));
	if (!tmp || merge_sort(m, priv, cmp, v, tmp, n) != 0)
		goto out;
	/* Relink: head <-> v[0] <-> ... <-> v[n-1] <-> head (next, then prev). */
	uint64_t prev = head;
	for (size_t i = 0; i < n; i++) {
		if (word_write(m, prev, v[i]) || word_write(m, v[i] + w, prev))
			goto out;
		prev = v[i];
	}
	if (word_write(m, prev, head) == 0)
		word_write(m, head + w, prev);
out:
	free(v);
	free(tmp);
}

const struct mb_hostcall mb_hostcalls_klib_co[] = {
	{ "sort", hc_sort }, { "list_sort", hc_list_sort },
	{ NULL, NULL },
};
