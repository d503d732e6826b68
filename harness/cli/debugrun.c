#include "harness/cli/debugrun.h"

#include "harness/util/diag.h"
#include "harness/debug/disasm.h"
#include "harness/machine/emu.h"
#include "harness/debug/gdb/gdbstub.h"
#include "harness/load/loader.h"
#include "harness/machine/guestcall.h"
#include "harness/session/runtime.h"
#include "harness/debug/trace.h"
#include "harness/debug/tracerec.h"
#include "harness/cli/trace_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How long the stub waits for GDB to connect. */
#define GDB_ACCEPT_MS 120000u

/* --start/--stop take an address or a symbol with an optional offset
 * ("FUNC", "MODULE:FUNC", "FUNC+0x10"), as trace lines print them. */
static int trace_addr(struct mb_runtime *rt, const char *opt, const char *s, uint64_t *out)
{
	if (mb_parse_u64(s, out))
		return 0;
	char name[256];
	uint64_t off = 0;
	snprintf(name, sizeof(name), "%s", s);
	char *plus = strrchr(name, '+');
	if (plus) {
		*plus = '\0';
		if (!mb_parse_u64(plus + 1, &off)) {
			mb_errorf("usage: %s %s: '%s' is not an offset", opt, s, plus + 1);
			return -1;
		}
	}
	struct mb_err err;
	if (mb_runtime_resolve(rt, name, out, &err) == 0) {
		*out += off;
		return 0;
	}
	mb_errorf("usage: %s %s: neither an address nor a symbol of a loaded module", opt, s);
	return -1;
}

static int open_trace(struct mb_debugrun *r)
{
	const struct mb_cli *cli = r->cli;
	struct mb_trace_opts o = { 0 };
	/* trace --record checks the display options it records, and opens
	 * nothing. */
	if (r->tracing || cli->record) {
		r->out = r->tracing ? stdout : NULL;
		if (cli->output && r->tracing) {
			r->out = fopen(cli->output, "w");
			r->out_name = cli->output;
			if (r->out == NULL) {
				mb_errorf("%s: cannot write the trace: %s", cli->output, strerror(errno));
				return MB_EXIT_ERROR;
			}
			r->close_out = true;
			/* ~100 bytes per instruction: fewer, larger writes. */
			setvbuf(r->out, NULL, _IOFBF, 1 << 20);
		}
		o.out = r->out;
		o.jsonl = cli->trace_json;
		o.mem = cli->trace_mem;
		o.calls_only = cli->calls_only;
		mb_trace_parse_filter(cli->filter, r->filter, sizeof(r->filter), &o);
		/* A filter that names nothing loaded would trace nothing. */
		if (o.module && strcmp(o.module, "kernel") != 0) {
			struct mb_loaded_module *fm = mb_loader_find_module(&r->rt->s.loader, o.module);
			uint64_t a;
			if (!fm) {
				mb_errorf("usage: --filter %s: no loaded module named %s", cli->filter, o.module);
				return MB_EXIT_USAGE;
			}
			if (o.func && mb_loader_find_symbol(&r->rt->s.loader, fm, o.func, &a) != 0) {
				mb_errorf("usage: --filter %s: module %s has no symbol %s", cli->filter, o.module, o.func);
				return MB_EXIT_USAGE;
			}
		}
		if (cli->start_addr && trace_addr(r->rt, "--start", cli->start_addr, &o.start) != 0)
			return MB_EXIT_USAGE;
		if (cli->stop_addr && trace_addr(r->rt, "--stop", cli->stop_addr, &o.stop) != 0)
			return MB_EXIT_USAGE;
		o.has_start = cli->start_addr != NULL;
		o.has_stop = cli->stop_addr != NULL;
	}
	struct mb_err err;
	if (r->tracing && mb_trace_open(&r->t, r->rt->m, r->d, &o, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	return MB_EXIT_OK;
}

static int open_gdb(struct mb_debugrun *r)
{
	struct mb_err err;
	if (mb_gdb_listen(&r->gdb, r->cli->gdb, r->cli->gdb_any_addr, r->rt->s.arch, &err) != 0) {
		mb_report(&err);
		return strncmp(err.msg, "usage:", 6) == 0 ? MB_EXIT_USAGE : MB_EXIT_ERROR;
	}
	/* What GDB needs to know, where a person (or a script) can copy it. */
	mb_gdb_print_symbol_files(stderr, &r->rt->s.loader);
	fprintf(stderr, "modbed: gdb: listening on port %u (target remote %.*s:%u); stops before %s\n",
		mb_gdb_port(r->gdb), (int)(strrchr(r->cli->gdb, ':') - r->cli->gdb), r->cli->gdb, mb_gdb_port(r->gdb),
		r->plan->ncalls ? r->plan->calls[0].func : "the first call");
	fflush(stderr);
	if (mb_gdb_accept(r->gdb, GDB_ACCEPT_MS, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	return MB_EXIT_OK;
}

int mb_debugrun_open(struct mb_debugrun *r, const struct mb_cli *cli, struct mb_runtime *rt,
		     const struct mb_callplan *plan, bool tracing, const struct mb_tracerec *replay)
{
	memset(r, 0, sizeof(*r));
	r->cli = cli;
	r->rt = rt;
	r->plan = plan;
	r->tracing = tracing && !cli->record;
	r->replay = replay;
	struct mb_err err;
	if (mb_disasm_open(&r->d, rt->s.arch, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	int rc = open_trace(r);
	if (rc == MB_EXIT_OK && tracing && cli->record)
		rc = mb_trace_record_open(&r->rec, cli, rt);
	if (rc == MB_EXIT_OK && replay)
		rc = mb_trace_replay_open(&r->check, replay, rt);
	if (rc == MB_EXIT_OK && cli->gdb)
		rc = open_gdb(r);
	return rc;
}

void mb_debugrun_before(struct mb_debugrun *r, size_t i, uint64_t fn, const uint64_t *args, unsigned nargs)
{
	r->call = i;
	if (r->rec)
		mb_recorder_call_begin(r->rec, r->plan->calls[i].func, fn);
	if (r->check)
		mb_replaycheck_call_begin(r->check, i);
	if (r->t)
		mb_trace_call_begin(r->t, fn, args, nargs);
	if (r->gdb)
		mb_gdb_call_begin(r->gdb, r->rt->m, r->d, r->plan->calls[i].func);
}

/* Runs the session again up to call `upto`, that one under a call-stack
 * tracer, and takes its backtrace if it faults where the original did. */
static void replay_backtrace(struct mb_debugrun *r, struct mb_fault *orig)
{
	struct mb_cli cli = *r->cli;
	cli.gdb = NULL;
	struct mb_runtime rt;
	if (mb_runtime_open(&rt, &cli) != MB_EXIT_OK)
		return;
	struct mb_callplan *plan = (struct mb_callplan *)r->plan;
	uint64_t *saved = malloc(plan->nbufs * sizeof(*saved) + 1);
	struct mb_err err;
	struct mb_trace *t = NULL;
	struct mb_trace_opts o = { 0 };
	if (saved == NULL || mb_runtime_load_all(&rt, &cli) != MB_EXIT_OK)
		goto out;
	for (size_t b = 0; b < plan->nbufs; b++)
		saved[b] = plan->bufs[b].addr;
	int placed = mb_callplan_place(plan, rt.m, &err);
	if (placed != 0 || mb_trace_open(&t, rt.m, r->d, &o, &err) != 0)
		goto restore;
	for (size_t i = 0; i <= r->call; i++) {
		uint64_t fn, args[MB_CALL_MAX_ARGS];
		struct mb_call_result res;
		if (mb_runtime_resolve(&rt, plan->calls[i].func, &fn, &err) != 0)
			break;
		mb_callplan_args(plan, i, args);
		if (i == r->call)
			mb_trace_call_begin(t, fn, args, plan->calls[i].nargs);
		if (mb_machine_call(rt.m, fn, args, plan->calls[i].nargs, &rt.lim, &res, &err) != 0)
			break;
		if (i < r->call)
			continue;
		if (res.faulted && res.fault.pc == orig->pc && res.fault.kind == orig->kind) {
			struct mb_fault_context c;
			struct mb_fault_context *oc = &orig->ctx;
			mb_fault_context_fill(&c, &res.fault, rt.m, t, NULL);
			memcpy(oc->frame_func, c.frame_func, sizeof(c.frame_func));
			memcpy(oc->frame_site, c.frame_site, sizeof(c.frame_site));
			oc->nframes = c.nframes;
			oc->frames_truncated = c.frames_truncated;
			oc->has_backtrace = true;
		}
		mb_trace_call_end(t, &res);
	}
restore:
	for (size_t b = 0; b < plan->nbufs; b++)
		plan->bufs[b].addr = saved[b];
out:
	mb_trace_close(t);
	free(saved);
	mb_runtime_close(&rt);
}

void mb_debugrun_after(struct mb_debugrun *r, struct mb_call_result *res)
{
	if (r->rec)
		mb_recorder_call_end(r->rec, res);
	char why[256];
	if (r->check && mb_replaycheck_call_end(r->check, res, why, sizeof(why)) != 0) {
		mb_errorf("%s: call %zu (%s): the replay differs from the recording: %s", r->replay->path,
			  r->call + 1, r->plan->calls[r->call].func, why);
		r->failed = true;
	}
	if (res->faulted)
		mb_fault_context_fill(&res->fault.ctx, &res->fault, r->rt->m, r->t, &r->rt->s.loader);
	if (r->t)
		mb_trace_call_end(r->t, res);
	if (r->gdb)
		mb_gdb_call_end(r->gdb, res, res->faulted || r->call + 1 == r->plan->ncalls);
	if (res->faulted && !res->fault.ctx.has_backtrace)
		replay_backtrace(r, &res->fault);
}

void mb_debugrun_report(struct mb_debugrun *r, FILE *f, const struct mb_call_result *res)
{
	if (res->faulted)
		mb_oops_print(f, &res->fault, r->rt->m, r->d);
}

int mb_debugrun_close(struct mb_debugrun *r)
{
	mb_trace_close(r->t);
	r->t = NULL;
	mb_replaycheck_close(r->check);
	r->check = NULL;
	int rc = 0;
	struct mb_err err;
	if (mb_recorder_close(r->rec, &err) != 0) {
		mb_report(&err);
		rc = -1;
	}
	r->rec = NULL;
	if (r->out) {
		/* A trace that could not be written in full is an error. */
		bool bad = ferror(r->out) != 0;
		bad |= (r->close_out ? fclose(r->out) : fflush(r->out)) != 0;
		if (bad && r->close_out) {
			mb_errorf("%s: cannot write the trace: %s", r->out_name, strerror(errno ? errno : EIO));
			rc = -1;
		}
	}
	r->out = NULL;
	mb_gdb_close(r->gdb);
	r->gdb = NULL;
	mb_disasm_close(r->d);
	r->d = NULL;
	return rc;
}
