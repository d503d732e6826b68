/* The boot sequence of a module set (see boot.h). */
#include "harness/session/boot.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void mb_boot_modname(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".ko") == 0)
		n -= 3;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[n] = '\0';
}

/* splitmix64: the injected failures are a function of the seed alone */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct boot {
	const struct mb_boot_driver *d;
	const struct mb_boot_plan *p;
	struct mb_boot_stats *st;
	char (*picked)[64];            /* module names whose init is made to fail */
	size_t *picked_idx;            /* their index in plan->paths, ascending */
	size_t npicked;
	struct mb_loaded_module *last_done; /* the last module whose init was handled */
};

static bool picked(const struct boot *b, const char *name)
{
	for (size_t i = 0; i < b->npicked; i++)
		if (strcmp(b->picked[i], name) == 0)
			return true;
	const char *f = b->p->fail;
	size_t n = strlen(name);
	while (f && *f) {
		const char *comma = strchr(f, ',');
		size_t len = comma ? (size_t)(comma - f) : strlen(f);
		if (len == n && strncmp(f, name, n) == 0)
			return true;
		f = comma ? comma + 1 : NULL;
	}
	return false;
}

/* round(rate % of npaths) files, by a seeded partial Fisher-Yates shuffle */
static int pick(struct boot *b)
{
	const struct mb_boot_plan *p = b->p;
	if (!p->rate_set || p->npaths == 0)
		return 0;
	size_t k = (size_t)((p->npaths * (p->rate > 100 ? 100 : p->rate) + 50) / 100);
	size_t *idx = malloc(p->npaths * sizeof(*idx));
	b->picked = malloc((k ? k : 1) * sizeof(*b->picked));
	if (!idx || !b->picked) {
		free(idx);
		return -1;
	}
	for (size_t i = 0; i < p->npaths; i++)
		idx[i] = i;
	uint64_t s = p->seed;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)(next_rand(&s) % (p->npaths - i));
		size_t t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		mb_boot_modname(p->paths[idx[i]], b->picked[i], sizeof(b->picked[i]));
	}
	b->npicked = k;
	/* the picked files in link order, for then_picked */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	b->picked_idx = idx;
	return 0;
}

static int add_hole(struct mb_boot_stats *st, uint64_t base, uint64_t size)
{
	if (st->nholes == st->holes_cap) {
		size_t cap = st->holes_cap ? 2 * st->holes_cap : 256;
		struct mb_account_range *v = realloc(st->holes, cap * sizeof(*v));
		if (!v)
			return -1;
		st->holes = v;
		st->holes_cap = cap;
	}
	st->holes[st->nholes++] = (struct mb_account_range){ base, size };
	return 0;
}

static bool live_type(const struct mb_loaded_module *m, int t)
{
	return m->alloc[t].size && !(m->init_freed && mod_mem_type_is_init(t));
}

/* distinct modules expunged (a provider expunged under insmod order is
 * linked again by each module that needs it, and expunged again) */
bool mb_boot_gone(const struct mb_boot_stats *st, const char *name)
{
	for (size_t i = 0; i < st->gone; i++)
		if (strcmp(st->gone_names[i], name) == 0)
			return true;
	return false;
}

static int note_gone(struct boot *b, const char *name)
{
	struct mb_boot_stats *st = b->st;
	if (mb_boot_gone(st, name))
		return 0;
	if (st->gone % 64 == 0) {
		char (*v)[64] = realloc(st->gone_names, (st->gone + 64) * sizeof(*v));
		if (!v)
			return -1;
		st->gone_names = v;
	}
	snprintf(st->gone_names[st->gone++], sizeof(st->gone_names[0]), "%s", name);
	return 0;
}

static bool imports_from(const struct mb_loaded_module *m, struct mb_loaded_module *const *set, size_t n)
{
	for (size_t i = 0; i < m->nundefs; i++)
		for (size_t k = 0; m->undefs[i].from && k < n; k++)
			if (m->undefs[i].from == set[k])
				return true;
	return false;
}

/* Expunges mod and every module importing from it (they follow it in link
 * order), newest first; their ranges become holes. */
static int expunge(struct boot *b, struct mb_loaded_module *mod)
{
	size_t n = 0, cap = 16;
	struct mb_loaded_module **set = malloc(cap * sizeof(*set));
	if (!set)
		return -1;
	set[n++] = mod;
	for (struct mb_loaded_module *m = mod->next; m; m = m->next) {
		if (!imports_from(m, set, n))
			continue;
		if (n == cap) {
			struct mb_loaded_module **v = realloc(set, 2 * cap * sizeof(*set));
			if (!v) {
				free(set);
				return -1;
			}
			set = v;
			cap *= 2;
		}
		set[n++] = m;
	}
	b->st->cascaded += n - 1;
	while (n--) {
		struct mb_loaded_module *m = set[n];
		if (note_gone(b, m->name) != 0) {
			free(set);
			return -1;
		}
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (live_type(m, t)) {
				b->st->expunged_bytes += m->alloc[t].size;
				if (add_hole(b->st, m->alloc[t].base, m->alloc[t].size) != 0) {
					free(set);
					return -1;
				}
			}
		b->d->drop(b->d->ctx, m);
	}
	free(set);
	return 0;
}

/* Runs the init of every module linked since the last one handled, in
 * link order. */
static int run_inits(struct boot *b, bool inject, struct mb_err *err)
{
	struct mb_loader *l = b->d->l;
	for (;;) {
		struct mb_loaded_module *m = b->last_done ? b->last_done->next : l->modules;
		if (!m)
			return 0;
		if (inject && picked(b, m->name)) {
			b->st->injected++;
			if (expunge(b, m) != 0)
				return mb_fail(err, NULL, NULL, "out of memory");
			continue;
		}
		struct mb_account_range init[MOD_MEM_NUM_TYPES];
		size_t ninit = 0;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (mod_mem_type_is_init(t) && live_type(m, t))
				init[ninit++] = (struct mb_account_range){ m->alloc[t].base, m->alloc[t].size };
		int rc = b->d->init(b->d->ctx, m, true, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			b->st->init_failed++;
			if (expunge(b, m) != 0)
				return mb_fail(err, NULL, NULL, "out of memory");
			continue;
		}
		/* freed init memory is freed space inside the region as well */
		for (size_t i = 0; i < ninit; i++)
			if (add_hole(b->st, init[i].base, init[i].size) != 0)
				return mb_fail(err, NULL, NULL, "out of memory");
		b->last_done = m;
	}
}

static int link_one(struct boot *b, const char *path, struct mb_err *err)
{
	char name[64];
	mb_boot_modname(path, name, sizeof(name));
	if (mb_loader_find_module(b->d->l, name))
		return 0; /* linked already, as a provider */
	size_t before = b->d->l->nmodules;
	if (b->d->link(b->d->ctx, path, err) != 0) {
		if (!b->p->keep_going)
			return -1;
		b->st->link_failed++;
		return 0;
	}
	b->st->linked += b->d->l->nmodules - before;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The survivors out and in again, in link order, hole-free. */
static int compact(struct boot *b, struct mb_err *err)
{
	struct mb_loader *l = b->d->l;
	size_t n = l->nmodules, k = 0;
	char **paths = calloc(n ? n : 1, sizeof(*paths));
	struct mb_loaded_module **mods = calloc(n ? n : 1, sizeof(*mods));
	int rc = -1;
	if (!paths || !mods)
		goto oom;
	for (struct mb_loaded_module *m = l->modules; m; m = m->next, k++) {
		mods[k] = m;
		if (!(paths[k] = strdup(m->path)))
			goto oom;
	}
	struct mb_account a;
	if (mb_account(l, b->st->holes, b->st->nholes, &a) != 0)
		goto oom;
	b->st->compact_hole_bytes = a.hole_bytes;
	while (k--)
		b->d->drop(b->d->ctx, mods[k]);
	if (mb_place_compact_begin(&l->place) != 0) {
		mb_fail(err, NULL, NULL, "compaction: placement not empty after releasing the modules");
		goto out;
	}
	double t0 = now();
	for (size_t i = 0; i < n; i++)
		if (b->d->link(b->d->ctx, paths[i], err) != 0)
			goto out;
	b->st->compact_ns = (uint64_t)((now() - t0) * 1e9);
	for (struct mb_loaded_module *m = l->modules; m; m = m->next) {
		b->st->compact_relocs += m->nrelocs_applied;
		b->st->compact_modules++;
		if (b->d->init(b->d->ctx, m, false, err) != 0)
			goto out;
	}
	b->st->nholes = 0;
	b->st->compacted = true;
	/* the relinked modules' paths point at these copies */
	b->st->compact_paths = paths;
	b->st->ncompact_paths = n;
	paths = NULL;
	rc = 0;
	goto out;
oom:
	mb_fail(err, NULL, NULL, "out of memory");
out:
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	free(mods);
	return rc;
}

static int then_phase(struct boot *b, struct mb_err *err)
{
	struct mb_loader *l = b->d->l;
	size_t nboot_holes = b->st->nholes, linked = b->st->linked;
	size_t nthen = b->p->then_picked ? b->npicked : b->p->nthen;
	for (size_t i = 0; i < nthen; i++) {
		size_t before = l->nmodules;
		const char *path = b->p->then_picked ? b->p->paths[b->picked_idx[i]] : b->p->then[i];
		if (link_one(b, path, err) != 0)
			return -1;
		if (l->nmodules == before) {
			b->st->then_failed++;
			continue;
		}
		size_t failed = b->st->init_failed;
		if (run_inits(b, false, err) != 0)
			return -1;
		b->st->then_failed += b->st->init_failed - failed;
		b->st->init_failed = failed;
	}
	b->st->linked = linked;
	/* what the --then modules took, and how much of it lies in the boot's holes */
	struct mb_loaded_module *m = l->modules;
	for (size_t i = 0; m && i < b->st->survivors; i++)
		m = m->next;
	for (; m; m = m->next) {
		b->st->then_loaded++;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (live_type(m, t)) {
				b->st->then_bytes += m->alloc[t].size;
				b->st->then_reused +=
					mb_account_overlap(b->st->holes, nboot_holes, m->alloc[t].base, m->alloc[t].size);
			}
	}
	return 0;
}

int mb_boot_run(const struct mb_boot_driver *d, const struct mb_boot_plan *p, struct mb_boot_stats *st,
		struct mb_err *err)
{
	memset(st, 0, sizeof(*st));
	struct boot b = { .d = d, .p = p, .st = st };
	struct mb_place *pl = &d->l->place;
	st->prelinked = pl->policy == MB_POLICY_BUILTIN && pl->pack != MB_PACK_NONE;
	int rc = -1;
	if (pick(&b) != 0) {
		mb_fail(err, NULL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->npaths; i++) {
		if (link_one(&b, p->paths[i], err) != 0)
			goto out;
		if (!st->prelinked && run_inits(&b, true, err) != 0)
			goto out;
	}
	if (st->prelinked && run_inits(&b, true, err) != 0)
		goto out;
	st->survivors = d->l->nmodules;
	if (mb_account(d->l, st->holes, st->nholes, &st->after_expunge) != 0) {
		mb_fail(err, NULL, NULL, "out of memory");
		goto out;
	}
	if (st->prelinked)
		mb_place_seal(pl);
	if (p->compact && st->prelinked) {
		if (compact(&b, err) != 0)
			goto out;
		mb_place_seal(pl);
		b.last_done = NULL;
		for (struct mb_loaded_module *m = d->l->modules; m; m = m->next)
			b.last_done = m;
	}
	st->booted = true;
	if (then_phase(&b, err) != 0)
		goto out;
	rc = 0;
out:
	free(b.picked);
	free(b.picked_idx);
	return rc;
}

void mb_boot_stats_free(struct mb_boot_stats *st)
{
	free(st->gone_names);
	st->gone_names = NULL;
	st->gone = 0;
	for (size_t i = 0; i < st->ncompact_paths; i++)
		free(st->compact_paths[i]);
	free(st->compact_paths);
	st->compact_paths = NULL;
	st->ncompact_paths = 0;
	free(st->holes);
	st->holes = NULL;
	st->nholes = st->holes_cap = 0;
}

void mb_boot_json(struct mb_json *j, const struct mb_boot_stats *st)
{
	mb_json_object(j, "boot");
	mb_json_bool(j, "prelinked", st->prelinked);
	mb_json_u64(j, "linked", st->linked);
	mb_json_u64(j, "link_failed", st->link_failed);
	mb_json_u64(j, "injected", st->injected);
	mb_json_u64(j, "init_failed", st->init_failed);
	mb_json_u64(j, "cascaded", st->cascaded);
	mb_json_u64(j, "expunged_modules", st->gone);
	mb_json_u64(j, "survivors", st->survivors);
	mb_json_u64(j, "expunged_bytes", st->expunged_bytes);
	mb_json_u64(j, "holes_after_expunge", st->after_expunge.hole_bytes);
	mb_json_u64(j, "handed_back_after_expunge", st->after_expunge.handed_back);
	mb_json_u64(j, "large_pages_split_after_expunge", st->after_expunge.large_split);
	mb_json_u64(j, "large_pages_split_hole_after_expunge", st->after_expunge.large_split_hole);
	mb_json_object(j, "text_entries_after_expunge");
	mb_json_u64(j, "large", st->after_expunge.text_large_entries);
	mb_json_u64(j, "small", st->after_expunge.text_small_entries);
	mb_json_end(j);
	if (st->compacted) {
		mb_json_object(j, "compact");
		mb_json_u64(j, "modules", st->compact_modules);
		mb_json_u64(j, "relocs", st->compact_relocs);
		mb_json_u64(j, "ns", st->compact_ns);
		mb_json_u64(j, "holes_closed", st->compact_hole_bytes);
		mb_json_end(j);
	}
	mb_json_u64(j, "then_loaded", st->then_loaded);
	mb_json_u64(j, "then_failed", st->then_failed);
	mb_json_u64(j, "then_bytes", st->then_bytes);
	mb_json_u64(j, "then_reused", st->then_reused);
	mb_json_end(j);
}

void mb_boot_text(FILE *f, const struct mb_boot_stats *st)
{
	fprintf(f, "boot (%s): %zu linked, %zu expunged (%zu injected, %zu init failed, %zu importing from them), %zu survived\n",
		st->prelinked ? "whole set linked before the inits" : "each init right after its link", st->linked,
		st->gone, st->injected, st->init_failed, st->cascaded,
		st->survivors);
	fprintf(f, "  after the inits: %llu bytes expunged, %llu bytes in holes, %llu pages handed back, %llu large pages split (%llu by holes)\n",
		(unsigned long long)st->expunged_bytes, (unsigned long long)st->after_expunge.hole_bytes,
		(unsigned long long)st->after_expunge.handed_back, (unsigned long long)st->after_expunge.large_split,
		(unsigned long long)st->after_expunge.large_split_hole);
	if (st->compacted)
		fprintf(f, "  compact: %zu modules re-linked, %llu relocations re-applied in %.3f ms, %llu hole bytes closed\n",
			st->compact_modules, (unsigned long long)st->compact_relocs, (double)st->compact_ns / 1e6,
			(unsigned long long)st->compact_hole_bytes);
	if (st->then_loaded || st->then_failed)
		fprintf(f, "  then: %zu loaded (%zu failed), %llu bytes, %llu of them reused from holes\n", st->then_loaded,
			st->then_failed, (unsigned long long)st->then_bytes, (unsigned long long)st->then_reused);
}
