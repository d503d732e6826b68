#include "harness/cli/trace_record.h"

#include "harness/cli/commands.h"
#include "harness/debug/tracerec.h"
#include "harness/session/runtime.h"
#include "harness/util/diag.h"
#include "core/modmem.h"
#include "arch/map.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the session as options ------------------------------------------------ */

struct args {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct args *a, const char *s)
{
	if (a->n + 1 >= a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		char **n = realloc(a->v, cap * sizeof(*n));
		if (n == NULL) {
			a->oom = true;
			return;
		}
		a->v = n;
		a->cap = cap;
	}
	char *d = strdup(s);
	if (d == NULL)
		a->oom = true;
	else
		a->v[a->n++] = d;
}

static void add_opt(struct args *a, const char *name, const char *value)
{
	if (value) {
		add(a, name);
		add(a, value);
	}
}

static void add_num(struct args *a, const char *name, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add_opt(a, name, buf);
}

/* A file as an absolute path, so --show works from any directory. */
static void add_path(struct args *a, const char *name, const char *path)
{
	char abs[PATH_MAX];
	const char *p = realpath(path, abs) ? abs : path;
	if (name)
		add_opt(a, name, p);
	else
		add(a, p);
}

/* A call argument; a buffer file's path (`buf:@PATH`, `NAME=buf:@PATH`)
 * made absolute like the modules'. */
static void add_call_arg(struct args *a, const char *arg)
{
	const char *v = arg, *eq = strchr(arg, '=');
	if (strncmp(arg, "buf:@", 5) != 0 && eq && !memchr(arg, ':', (size_t)(eq - arg)))
		v = eq + 1;
	char abs[PATH_MAX];
	if (strncmp(v, "buf:@", 5) != 0 || realpath(v + 5, abs) == NULL) {
		add(a, arg);
		return;
	}
	size_t n = (size_t)(v - arg) + 5 + strlen(abs) + 1;
	char *s = malloc(n);
	if (s == NULL) {
		a->oom = true;
		return;
	}
	snprintf(s, n, "%.*sbuf:@%s", (int)(v - arg), arg, abs);
	add(a, s);
	free(s);
}

static void free_args(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* Every option of `call` that decides what the guest runs, and the
 * trace's display options (but --output), which --show uses unless it is
 * given its own. */
static void session_args(struct args *a, const struct mb_cli *cli, const struct mb_runtime *rt)
{
	if (cli->calls_only)
		add(a, "--calls");
	if (cli->trace_json)
		add(a, "--jsonl");
	if (cli->trace_mem)
		add(a, "--mem");
	if (cli->json)
		add(a, "--json");
	add_opt(a, "--filter", cli->filter);
	add_opt(a, "--start", cli->start_addr);
	add_opt(a, "--stop", cli->stop_addr);
	add_opt(a, "--arch", rt->s.arch->name);
	add_opt(a, "--map", cli->map);
	add_opt(a, "--policy", cli->policy);
	add_opt(a, "--pack", cli->pack);
	add_opt(a, "--bounds", cli->bounds);
	add_opt(a, "--tree", cli->tree);
	add_opt(a, "--kernel", cli->kernel);
	/* the kernel's .config and System.map decide layout and windows */
	if (cli->kernel_config)
		add_path(a, "--kernel-config", cli->kernel_config);
	if (cli->system_map)
		add_path(a, "--system-map", cli->system_map);
	if (cli->seed_set)
		add_num(a, "--seed", cli->seed);
	if (cli->no_init)
		add(a, "--no-init");
	if (cli->strict_symbols)
		add(a, "--strict-symbols");
	if (cli->budget)
		add_num(a, "--budget", cli->budget);
	if (cli->timeout_ms)
		add_num(a, "--timeout", cli->timeout_ms);
	for (size_t i = 0; i < cli->nmodpath; i++)
		add_path(a, "--modpath", cli->modpath[i]);
	for (size_t i = 0; i < cli->npaths; i++)
		add_path(a, NULL, cli->paths[i]);
	add(a, "--");
	for (int i = 0; i < cli->nrest; i++)
		add_call_arg(a, cli->rest[i]);
}

/* ---- recording ------------------------------------------------------------- */

int mb_trace_record_open(struct mb_recorder **out, const struct mb_cli *cli, struct mb_runtime *rt)
{
	struct args a = { 0 };
	session_args(&a, cli, rt);
	const struct mb_loader *l = &rt->s.loader;
	struct mb_tracerec hdr = { 0 };
	hdr.args = a.v;
	hdr.nargs = a.n;
	hdr.arch = (char *)rt->s.arch->name;
	hdr.map = (char *)rt->s.map->name;
	hdr.kernel = (char *)rt->s.kernel.kver->name;
	hdr.mods = calloc(l->nmodules + 1, sizeof(*hdr.mods));
	char (*paths)[PATH_MAX] = calloc(l->nmodules + 1, sizeof(*paths));
	struct mb_err err;
	int rc = MB_EXIT_OK;
	if (a.oom || hdr.mods == NULL || paths == NULL) {
		mb_errorf("%s: out of memory for the recording's header", cli->record);
		rc = MB_EXIT_ERROR;
	}
	for (size_t i = 0; rc == MB_EXIT_OK && i < l->nmodules; i++) {
		const struct mb_loaded_module *mod = &l->modules[i];
		struct mb_tracerec_module *h = &hdr.mods[i];
		h->name = (char *)mod->name;
		h->base = mod->alloc[MOD_TEXT].base;
		h->size = mod->alloc[MOD_TEXT].size;
		h->path = paths[i];
		if (mod->path == NULL)
			continue;
		uint64_t size;
		if (realpath(mod->path, paths[i]) == NULL)
			snprintf(paths[i], PATH_MAX, "%s", mod->path);
		if (mb_tracerec_file_hash(mod->path, &h->hash, &size, &err) != 0) {
			mb_report(&err);
			rc = MB_EXIT_ERROR;
		}
	}
	hdr.nmods = l->nmodules;
	if (rc == MB_EXIT_OK && mb_recorder_open(out, cli->record, rt->m, &hdr, &err) != 0) {
		mb_report(&err);
		rc = MB_EXIT_ERROR;
	}
	free(paths);
	free(hdr.mods);
	free_args(&a);
	return rc;
}

/* ---- replay ------------------------------------------------------------------ */

int mb_trace_replay_open(struct mb_replaycheck **out, const struct mb_tracerec *rec, struct mb_runtime *rt)
{
	const struct mb_loader *l = &rt->s.loader;
	if (l->nmodules != rec->nmods) {
		mb_errorf("%s: the replay loaded %zu modules, the recording %zu", rec->path, l->nmodules, rec->nmods);
		return MB_EXIT_ERROR;
	}
	for (size_t i = 0; i < l->nmodules; i++) {
		const struct mb_loaded_module *mod = &l->modules[i];
		if (strcmp(mod->name, rec->mods[i].name) != 0 || mod->alloc[MOD_TEXT].base != rec->mods[i].base) {
			mb_errorf("%s: module %zu is %s at 0x%lx in the replay, %s at 0x%" PRIx64 " in the recording",
				  rec->path, i + 1, mod->name, mod->alloc[MOD_TEXT].base, rec->mods[i].name,
				  rec->mods[i].base);
			return MB_EXIT_ERROR;
		}
	}
	struct mb_err err;
	if (mb_replaycheck_open(out, rt->m, rec, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	return MB_EXIT_OK;
}

/* The module files must be the bytes that ran. */
static int check_files(const struct mb_tracerec *rec)
{
	for (size_t i = 0; i < rec->nmods; i++) {
		const struct mb_tracerec_module *mod = &rec->mods[i];
		if (mod->path[0] == '\0')
			continue;
		uint64_t hash, size;
		struct mb_err err;
		if (mb_tracerec_file_hash(mod->path, &hash, &size, &err) != 0) {
			mb_errorf("%s: module %s: %s", rec->path, mod->name, err.msg);
			return MB_EXIT_ERROR;
		}
		if (hash != mod->hash) {
			mb_errorf("%s: module file %s changed since it was recorded", rec->path, mod->path);
			return MB_EXIT_ERROR;
		}
	}
	return MB_EXIT_OK;
}

/* The display options but --output. */
static bool display_opts(const struct mb_cli *c)
{
	return c->filter || c->calls_only || c->trace_json || c->trace_mem || c->start_addr || c->stop_addr ||
	       c->json;
}

int mb_trace_show(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_TRACE | MB_OPT_JSON | MB_OPT_RECORD) != 0)
		return MB_EXIT_USAGE;
	if (cli->record) {
		mb_errorf("usage: --show and --record: one or the other");
		return MB_EXIT_USAGE;
	}
	struct mb_tracerec rec;
	struct mb_err err;
	if (mb_tracerec_read(&rec, cli->show, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	int rc = check_files(&rec);
	for (size_t i = 0; rc == MB_EXIT_OK && i < rec.ncalls; i++)
		if (rec.calls[i].faulted && rec.calls[i].fault_kind == MB_FAULT_TIMEOUT) {
			mb_errorf("%s: call %zu (%s) was stopped by the wall clock, which does not replay", cli->show,
				  i + 1, rec.calls[i].func);
			rc = MB_EXIT_ERROR;
		}
	/* The parser reorders its argv: give it a copy of the pointers. */
	char **argv = calloc(rec.nargs + 1, sizeof(*argv));
	struct mb_cli s;
	if (rc == MB_EXIT_OK && argv == NULL) {
		mb_errorf("%s: out of memory", cli->show);
		rc = MB_EXIT_ERROR;
	}
	if (rc == MB_EXIT_OK) {
		memcpy(argv, rec.args, rec.nargs * sizeof(*argv));
		if (mb_cli_parse(&s, (int)rec.nargs, argv, 0) != 0 || s.record || s.show || s.gdb || s.output) {
			mb_errorf("%s: corrupted recording: the recorded session is not a valid command line", cli->show);
			rc = MB_EXIT_ERROR;
		}
	}
	if (rc == MB_EXIT_OK) {
		s.cmd = "trace";
		s.output = cli->output;
		if (display_opts(cli)) {   /* --show's own, instead of the recorded ones */
			s.filter = cli->filter;
			s.calls_only = cli->calls_only;
			s.trace_json = cli->trace_json;
			s.trace_mem = cli->trace_mem;
			s.start_addr = cli->start_addr;
			s.stop_addr = cli->stop_addr;
			s.json = cli->json;
		}
		/* The recorded calls ended within their wall-clock limit on the
		 * fast path; their replay, traced, is slower and must not stop
		 * where they did not (a timeout never replays: above). */
		s.timeout_ms = UINT64_MAX;
		rc = mb_calls_run_replay(&s, true, &rec);
	}
	free(argv);
	mb_tracerec_free(&rec);
	return rc;
}
