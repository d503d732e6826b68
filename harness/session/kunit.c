/* KUnit test modules run by kunit.ko on the machine (kunit.h). */
#include "harness/session/kunit.h"

#include "harness/load/modpath.h"
#include "harness/util/diag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct text { char *p; size_t len, cap; };

static void add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *np = realloc(t->p, cap);
		if (!np)
			return;
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

/* The log from `from` on, each line without its "<N>" printk level. */
static void add_log(struct text *t, struct mb_machine *m, size_t from)
{
	size_t len;
	const char *log = mb_machine_log(m, &len);
	for (size_t i = from; i < len;) {
		const char *nl = memchr(log + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (log + i)) + 1 : len - i;
		const char *s = log + i;
		size_t k = n;
		if (k >= 3 && s[0] == '<' && s[2] == '>' && s[1] >= '0' && s[1] <= '9') {
			s += 3;
			k -= 3;
		}
		add(t, s, k);
		i += n;
	}
}

static size_t log_len(struct mb_machine *m)
{
	size_t len;
	mb_machine_log(m, &len);
	return len;
}

static const struct mb_placed_section *suites_of(const struct mb_loaded_module *mod)
{
	for (size_t i = 0; i < mod->nsections; i++)
		if (strcmp(mod->sections[i].name, ".kunit_test_suites") == 0)
			return &mod->sections[i];
	return NULL;
}

/* Without --modpath, the test modules' directories are the index. */
static int default_modpath(struct mb_runtime *rt, const char *const *paths, size_t npaths, struct mb_err *err)
{
	char **dirs = calloc(npaths ? npaths : 1, sizeof(*dirs));
	size_t n = 0;
	int rc = -1;
	if (!dirs)
		return mb_fail(err, NULL, NULL, "out of memory");
	for (size_t i = 0; i < npaths; i++) {
		const char *slash = strrchr(paths[i], '/');
		char *d = slash ? strndup(paths[i], (size_t)(slash - paths[i]) + (slash == paths[i])) : strdup(".");
		if (!d)
			goto out;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(dirs[j], d) == 0;
		if (seen)
			free(d);
		else
			dirs[n++] = d;
	}
	rc = mb_runtime_open_modpath(rt, (const char *const *)dirs, n, err);
out:
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int call2(struct mb_runtime *rt, uint64_t fn, uint64_t a0, uint64_t a1, struct mb_call_result *res,
		 struct mb_err *err)
{
	uint64_t args[2] = { a0, a1 };
	return mb_machine_call(rt->m, fn, args, 2, &rt->lim, res, err);
}

int mb_kunit_run(struct mb_runtime *rt, const char *const *paths, size_t npaths, struct mb_kunit_run *out,
		 struct mb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!rt->modpath && default_modpath(rt, paths, npaths, err) != 0)
		return -1;
	struct mb_loaded_module **mods = calloc(npaths ? npaths : 1, sizeof(*mods));
	if (!mods)
		return mb_fail(err, NULL, NULL, "out of memory");
	int rc = -1;
	uint64_t init_fn = 0, exit_fn = 0;
	/* Each test module stops where the kernel calls the module notifier
	 * (COMING: formed, init not run, init memory still there: some suites'
	 * cases are __init). Its kunit_* imports load kunit.ko. */
	for (size_t i = 0; i < npaths; i++) {
		rt->defer_init = paths[i];
		int lrc = mb_runtime_load_path(rt, paths[i], &mods[i], NULL, err);
		rt->defer_init = NULL;
		if (lrc != 0)
			goto out;
	}
	unsigned pb = rt->s.arch->ptr_bytes;
	for (size_t i = 0; i < npaths; i++) {
		const struct mb_placed_section *sec = suites_of(mods[i]);
		if (sec)
			out->nsuites_planned += sec->size / pb;
	}
	/* A suite of only compile-time checks imports nothing of kunit.ko. */
	const struct mb_modpath_module *kunit = rt->modpath ? mb_modpath_provider(rt->modpath, "__kunit_test_suites_init") : NULL;
	if (out->nsuites_planned && kunit &&
	    mb_loader_find_symbol(&rt->s.loader, NULL, "__kunit_test_suites_init", &init_fn) != 0 &&
	    mb_runtime_load_path(rt, kunit->path, NULL, NULL, err) != 0)
		goto out;
	if (out->nsuites_planned &&
	    (mb_loader_find_symbol(&rt->s.loader, NULL, "__kunit_test_suites_init", &init_fn) != 0 ||
	     mb_loader_find_symbol(&rt->s.loader, NULL, "__kunit_test_suites_exit", &exit_fn) != 0)) {
		mb_fail(err, npaths ? paths[0] : NULL, NULL,
			"kunit.ko is not loaded: none was found beside the test modules or under --modpath");
		goto out;
	}
	struct text t = { 0 };
	if (out->nsuites_planned) {
		char head[64];
		int hn = snprintf(head, sizeof(head), "KTAP version 1\n1..%zu\n", out->nsuites_planned);
		add(&t, head, (size_t)hn);
	}
	double t0 = now_s();
	for (size_t i = 0; i < npaths && !out->faulted; i++) {
		const struct mb_placed_section *sec = suites_of(mods[i]);
		if (!sec || sec->size < pb)
			continue;
		size_t from = log_len(rt->m);
		struct mb_call_result res;
		if (call2(rt, init_fn, sec->addr, sec->size / pb, &res, err) != 0) {
			free(t.p);
			goto out;
		}
		add_log(&t, rt->m, from);
		if (res.faulted) {
			out->faulted = true;
			out->fault = res.fault;
		}
	}
	out->seconds = now_s() - t0;
	/* LIVE: each module's own init, then its init memory goes. */
	for (size_t i = 0; i < npaths && !out->faulted; i++) {
		struct mb_loaded_module *mod = mods[i];
		mods[i] = NULL;
		if (rt->run_init && mb_runtime_init_module(rt, mod, NULL, err) != 0) {
			free(t.p);
			goto out;
		}
		mods[i] = mod;
	}
	for (size_t i = 0; i < npaths && !out->faulted; i++) {
		const struct mb_placed_section *sec = suites_of(mods[i]);
		struct mb_call_result res;
		if (sec && sec->size >= pb && call2(rt, exit_fn, sec->addr, sec->size / pb, &res, err) != 0) {
			free(t.p);
			goto out;
		}
	}
	out->ktap = t.p ? t.p : strdup("");
	out->len = t.len;
	mb_ktap_parse(&out->parsed, out->ktap);
	rc = 0;
out:
	free(mods);
	return rc;
}

void mb_kunit_run_free(struct mb_kunit_run *out)
{
	free(out->ktap);
	mb_ktap_free(&out->parsed);
	memset(out, 0, sizeof(*out));
}

int mb_kunit_run_cli(struct mb_runtime *rt, const struct mb_cli *cli, struct mb_kunit_run *out, struct mb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!cli->budget)
		rt->lim.budget = MB_KUNIT_BUDGET;
	if (!cli->timeout_ms)
		rt->lim.timeout_ms = MB_KUNIT_TIMEOUT_MS;
	if (mb_runtime_open_modpath(rt, cli->modpath, cli->nmodpath, err) != 0)
		return -1;
	return mb_kunit_run(rt, cli->paths, cli->npaths, out, err);
}
