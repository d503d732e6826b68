/* modbed call FILE... -- FUNC ARG... [-- FUNC ARG...]
 * Loads the modules (running init unless --no-init), then calls each FUNC in
 * order on the arch's CPU. Stops at the first guest fault (exit 3). */
#include "harness/cli/commands.h"
#include "harness/cli/debugrun.h"
#include "harness/util/diag.h"
#include "harness/machine/guestcall.h"
#include "harness/util/json.h"
#include "harness/session/runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call_out {
	bool ran;
	struct mb_call_result res;
};

static void json_fault(struct mb_json *j, const struct mb_fault *f, struct mb_machine *m, struct mb_disasm *d)
{
	mb_json_object(j, "fault");
	mb_json_str(j, "kind", mb_fault_kind_name(f->kind));
	mb_json_hex(j, "pc", f->pc);
	mb_json_str(j, "pc_sym", f->pc_sym);
	if (f->has_addr) {
		mb_json_hex(j, "addr", f->addr);
		mb_json_str(j, "addr_sym", f->addr_sym);
		mb_json_str(j, "access", f->access);
	} else {
		mb_json_null(j, "addr");
		mb_json_null(j, "addr_sym");
		mb_json_null(j, "access");
	}
	mb_json_str(j, "detail", f->detail);
	mb_oops_json(j, f, m, d); /* bug, regs, backtrace, last_insns */
	mb_json_end(j);
}

static char *hex_of(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = 0;
	return s;
}

static void print_json(const struct mb_callplan *p, const struct call_out *outs, struct mb_machine *m,
		       struct mb_disasm *d)
{
	struct mb_json j;
	mb_json_init(&j, stdout, false);
	mb_json_object(&j, NULL);
	mb_json_array(&j, "calls");
	for (size_t i = 0; i < p->ncalls && outs[i].ran; i++) {
		const struct mb_call_result *r = &outs[i].res;
		mb_json_object(&j, NULL);
		mb_json_str(&j, "func", p->calls[i].func);
		if (r->faulted)
			mb_json_null(&j, "ret");
		else
			mb_json_hex(&j, "ret", r->ret);
		if (r->uncounted)
			mb_json_null(&j, "insns");
		else
			mb_json_u64(&j, "insns", r->insns);
		if (r->faulted)
			json_fault(&j, &r->fault, m, d);
		else
			mb_json_null(&j, "fault");
		mb_json_end(&j);
	}
	mb_json_end(&j);
	mb_json_object(&j, "buffers");
	for (size_t b = 0; b < p->nbufs; b++) {
		if (!p->bufs[b].shown)
			continue;
		uint8_t *bytes = mb_callplan_read(p, m, b);
		char *hex = bytes ? hex_of(bytes, p->bufs[b].len) : NULL;
		mb_json_str(&j, p->bufs[b].name, hex);
		free(hex);
		free(bytes);
	}
	mb_json_end(&j);
	mb_json_finish(&j);
}

static void print_text(const struct mb_callplan *p, const struct call_out *outs, struct mb_machine *m)
{
	unsigned bits = 8 * mb_machine_arch(m)->ptr_bytes;
	for (size_t i = 0; i < p->ncalls && outs[i].ran; i++) {
		const struct mb_call_result *r = &outs[i].res;
		char n[40] = "insns not counted";
		if (!r->uncounted)
			snprintf(n, sizeof(n), "%" PRIu64 " insns", r->insns);
		if (r->faulted) {
			printf("%s: fault %s (%s)\n", p->calls[i].func, mb_fault_kind_name(r->fault.kind), n);
			continue;
		}
		int64_t s = bits == 32 ? (int64_t)(int32_t)(uint32_t)r->ret : (int64_t)r->ret;
		printf("%s = 0x%" PRIx64 " (%" PRId64 ", %s)\n", p->calls[i].func, r->ret, s, n);
	}
	for (size_t b = 0; b < p->nbufs; b++) {
		if (!p->bufs[b].shown)
			continue;
		uint8_t *bytes = mb_callplan_read(p, m, b);
		char *hex = bytes ? hex_of(bytes, p->bufs[b].len) : NULL;
		printf("%s: %s\n", p->bufs[b].name, hex ? hex : "?");
		free(hex);
		free(bytes);
	}
}

int cmd_call(struct mb_cli *cli)
{
	return mb_calls_run(cli, false);
}

/* Shared with `modbed trace` (cmd_trace.c): the same calls, traced. */
int mb_calls_run(struct mb_cli *cli, bool tracing)
{
	return mb_calls_run_replay(cli, tracing, NULL);
}

int mb_calls_run_replay(struct mb_cli *cli, bool tracing, const struct mb_tracerec *replay)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON |
				       MB_OPT_SEED | MB_OPT_NO_INIT | MB_OPT_STRICT | MB_OPT_BUDGET |
				       MB_OPT_TIMEOUT | MB_OPT_PATHS | MB_OPT_MODPATH | MB_OPT_REST | MB_OPT_GDB | MB_OPT_KERNEL | MB_OPT_KCONFIG |
				       (tracing ? MB_OPT_TRACE | MB_OPT_RECORD : 0) | MB_OPT_BOOT) != 0)
		return MB_EXIT_USAGE;
	struct mb_err err;
	struct mb_callplan plan;
	if (mb_callplan_parse(&plan, cli->rest, cli->nrest, &err) != 0) {
		mb_report(&err);
		return strncmp(err.msg, "usage:", 6) == 0 ? MB_EXIT_USAGE : MB_EXIT_ERROR;
	}
	struct mb_runtime rt;
	int rc = mb_runtime_open(&rt, cli);
	if (rc != MB_EXIT_OK) {
		mb_callplan_free(&plan);
		return rc;
	}
	rc = mb_runtime_load_all(&rt, cli);
	if (rc == MB_EXIT_OK && mb_callplan_place(&plan, rt.m, &err) != 0) {
		mb_report(&err);
		rc = MB_EXIT_ERROR;
	}
	struct mb_debugrun dbg = { 0 };
	if (rc == MB_EXIT_OK)
		rc = mb_debugrun_open(&dbg, cli, &rt, &plan, tracing, replay);
	struct call_out *outs = calloc(plan.ncalls, sizeof(*outs));
	for (size_t i = 0; rc == MB_EXIT_OK && outs && i < plan.ncalls; i++) {
		uint64_t fn, args[MB_CALL_MAX_ARGS];
		if (mb_runtime_resolve(&rt, plan.calls[i].func, &fn, &err) != 0) {
			mb_report(&err);
			rc = MB_EXIT_ERROR;
			break;
		}
		mb_callplan_args(&plan, i, args);
		mb_debugrun_before(&dbg, i, fn, args, plan.calls[i].nargs);
		if (mb_machine_call(rt.m, fn, args, plan.calls[i].nargs, &rt.lim, &outs[i].res, &err) != 0) {
			mb_report(&err);
			rc = MB_EXIT_ERROR;
			break;
		}
		mb_debugrun_after(&dbg, &outs[i].res);
		outs[i].ran = true;
		if (dbg.failed) {   /* a replay that differs from its recording (reported) */
			rc = MB_EXIT_ERROR;
			break;
		}
		if (outs[i].res.faulted && outs[i].res.fault.kind == MB_FAULT_STOPPED) {
			/* Stopped from outside (gdb): no guest fault to report. */
			mb_errorf("%s: run stopped: %s", plan.calls[i].func, outs[i].res.fault.detail);
			rc = MB_EXIT_ERROR;
			break;
		}
		if (outs[i].res.faulted) {
			mb_fault_print(stderr, &outs[i].res.fault);
			mb_debugrun_report(&dbg, stderr, &outs[i].res);
			rc = MB_EXIT_FAULT;
		}
	}
	if (outs && (rc == MB_EXIT_OK || rc == MB_EXIT_FAULT)) {
		if (cli->json)
			print_json(&plan, outs, rt.m, dbg.d);
		else
			print_text(&plan, outs, rt.m);
	}
	/* printk output, kept off stdout so --json stays one document. */
	size_t loglen;
	const char *log = mb_machine_log(rt.m, &loglen);
	if (loglen)
		fputs(log, stderr);
	free(outs);
	if (mb_debugrun_close(&dbg) != 0 && rc == MB_EXIT_OK)
		rc = MB_EXIT_ERROR;
	mb_runtime_close(&rt);
	mb_callplan_free(&plan);
	return rc;
}
