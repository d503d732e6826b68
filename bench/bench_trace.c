/* Traced instructions per second, per arch: the same call untraced, traced
 * as text to a file, traced as JSON lines, with --calls only, recorded
 * (trace --record: the block stream to a file) and the recording rendered
 * as text to a file (trace --show: read the recording, replay the call
 * with the tracer and the replay check). Two workloads from
 * tests/trace/modules/trace_demo.c: tr_sum (a register loop) and tr_calls
 * (a call and a return per iteration).
 * Run from the build tree: it finds the modules next to itself. */
#include "arch/arch.h"
#include "bench/bench_dirs.h"
#include "bench/bench_json.h"
#include "harness/debug/disasm.h"
#include "harness/machine/emu.h"
#include "harness/session/runtime.h"
#include "harness/debug/trace.h"
#include "harness/debug/tracerec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process (user + system): on a machine other jobs keep
 * busy, closer to what the run costs than the wall clock. */
static double cpu_now(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

enum mode { UNTRACED, TEXT, JSONL, CALLS, RECORD, RENDER, NMODES };
static const char *const mode_names[NMODES] = { "untraced", "text", "jsonl", "calls", "record", "render" };

struct bench {
	struct mb_runtime rt;
	struct mb_disasm *d;
};

static void die(const char *what, const struct mb_err *err)
{
	fprintf(stderr, "bench_trace: %s: %s\n", what, err->msg);
	exit(1);
}

/* Best of 3 runs: instructions per second. RECORD writes recpath, which
 * RENDER reads (RECORD runs first). */
static double run(struct bench *b, const char *fn, uint64_t arg, enum mode mode, const char *outpath,
		  const char *recpath, uint64_t *insns, double *cpu_ips)
{
	uint64_t f;
	struct mb_err err;
	if (mb_runtime_resolve(&b->rt, fn, &f, &err) != 0) {
		fprintf(stderr, "bench_trace: %s\n", err.msg);
		exit(1);
	}
	double best = 0;
	*cpu_ips = 0;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = now(), c0 = cpu_now();
		bool traced = mode != UNTRACED && mode != RECORD;
		FILE *out = traced ? fopen(outpath, "w") : NULL;
		if (out)
			setvbuf(out, NULL, _IOFBF, 1 << 20);   /* as trace --output */
		struct mb_trace *t = NULL;
		struct mb_trace_opts o = { .out = out, .jsonl = mode == JSONL, .calls_only = mode == CALLS };
		if (traced && mb_trace_open(&t, b->rt.m, b->d, &o, &err) != 0)
			die("trace", &err);
		struct mb_recorder *rec = NULL;
		struct mb_tracerec hdr = { .arch = (char *)b->rt.s.arch->name, .map = "", .kernel = "" };
		if (mode == RECORD && mb_recorder_open(&rec, recpath, b->rt.m, &hdr, &err) != 0)
			die("record", &err);
		struct mb_tracerec got;
		struct mb_replaycheck *check = NULL;
		if (mode == RENDER && (mb_tracerec_read(&got, recpath, &err) != 0 ||
				       mb_replaycheck_open(&check, b->rt.m, &got, &err) != 0))
			die("render", &err);
		struct mb_call_result res;
		struct mb_call_limits lim = { 1000000000ull, 600000 };
		if (mode != RENDER && mode != RECORD) {
			t0 = now();   /* setup is not the trace's */
			c0 = cpu_now();
		}
		if (rec)
			mb_recorder_call_begin(rec, fn, f);
		if (check)
			mb_replaycheck_call_begin(check, 0);
		if (t)
			mb_trace_call_begin(t, f, &arg, 1);
		if (mb_machine_call(b->rt.m, f, &arg, 1, &lim, &res, &err) != 0 || res.faulted) {
			fprintf(stderr, "bench_trace: %s(%" PRIu64 ") failed\n", fn, arg);
			exit(1);
		}
		if (t)
			mb_trace_call_end(t, &res);
		char why[256];
		if (check && mb_replaycheck_call_end(check, &res, why, sizeof(why)) != 0) {
			fprintf(stderr, "bench_trace: %s: the replay differs from the recording: %s\n", fn, why);
			exit(1);
		}
		if (rec) {
			mb_recorder_call_end(rec, &res);
			if (mb_recorder_close(rec, &err) != 0)
				die("record", &err);
		}
		if (out)
			fflush(out);
		double dt = now() - t0, dc = cpu_now() - c0;
		if ((double)res.insns / dc > *cpu_ips)
			*cpu_ips = (double)res.insns / dc;
		mb_trace_close(t);
		if (check) {
			mb_replaycheck_close(check);
			mb_tracerec_free(&got);
		}
		if (out)
			fclose(out);
		double ips = (double)res.insns / dt;
		if (ips > best)
			best = ips;
		*insns = res.insns;
	}
	return best;
}

int main(int argc, char **argv)
{
	if (!bench_args(argc, argv))
		return 2;
	char build[4096], source[4096];
	bench_dirs(build, sizeof(build), source, sizeof(source));
	char tmpl[] = "/tmp/bench_trace_XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (tmp == NULL) {
		perror("bench_trace: mkdtemp");
		return 1;
	}
	char outpath[4200], recpath[4200];
	snprintf(outpath, sizeof(outpath), "%s/trace.out", tmp);
	snprintf(recpath, sizeof(recpath), "%s/trace.rec", tmp);
	double load[3] = { 0, 0, 0 };
	getloadavg(load, 3);
	bench_text("bench_trace: guest instructions per second (best of 3), trace and recording written to files;\n"
		   "record: wall time of the call and the file; render: reading the recording, the replay with the\n"
		   "text trace and the replay check; load average %.1f at the start\n", load[0]);
	bench_text("%-10s %-16s %9s", "arch", "call", "insns");
	for (int m = 0; m < NMODES; m++)
		bench_text(" %9s", mode_names[m]);
	bench_text("\n");
	for (size_t a = 0; a < mb_narches; a++) {
		const struct mb_arch *arch = mb_arches[a];
		char ko[4300];
		snprintf(ko, sizeof(ko), "%s/tests/modules/%s/trace_demo.ko", build, arch->name);
		if (access(ko, R_OK) != 0) {
			bench_text("%-10s (no %s: build the test modules first)\n", arch->name, ko);
			continue;
		}
		struct bench b;
		struct mb_cli cli;
		memset(&cli, 0, sizeof(cli));
		cli.cmd = argv[0];
		cli.arch = arch->name;
		cli.no_init = true;
		cli.paths = (const char *const[]){ ko };
		cli.npaths = 1;
		struct mb_err err;
		if (mb_runtime_open(&b.rt, &cli) != 0 || mb_runtime_load(&b.rt, ko, NULL, NULL, &err) != 0 ||
		    mb_disasm_open(&b.d, arch, &err) != 0) {
			fprintf(stderr, "bench_trace: %s: cannot set up\n", arch->name);
			return 1;
		}
		static const struct { const char *fn; uint64_t arg; } work[] = {
			{ "tr_sum", 500000 }, { "tr_calls", 200000 },
		};
		for (size_t w = 0; w < sizeof(work) / sizeof(work[0]); w++) {
			double ips[NMODES], cpu[NMODES];
			uint64_t insns = 0;
			for (int m = 0; m < NMODES; m++)
				ips[m] = run(&b, work[w].fn, work[w].arg, (enum mode)m, outpath, recpath, &insns, &cpu[m]);
			char label[64];
			snprintf(label, sizeof(label), "%s(%" PRIu64 ")", work[w].fn, work[w].arg);
			for (int m = 0; m < NMODES; m++)
				bench_cell("bench_trace", "s:arch", arch->name, "s:call", label, "u:insns", insns, "s:mode",
					   mode_names[m], "f:insns_per_s", ips[m], "f:insns_per_cpu_s", cpu[m], NULL);
			bench_text("%-10s %-16s %9" PRIu64, arch->name, label, insns);
			for (int m = 0; m < NMODES; m++)
				bench_text(" %8.*f M", ips[m] >= 1e7 ? 0 : 2, ips[m] / 1e6);
			bench_text("\n%-10s %-16s %9s", "", "  per CPU second", "");
			for (int m = 0; m < NMODES; m++)
				bench_text(" %8.*f M", cpu[m] >= 1e7 ? 0 : 2, cpu[m] / 1e6);
			bench_text("\n");
		}
		mb_disasm_close(b.d);
		mb_runtime_close(&b.rt);
	}
	unlink(outpath);
	unlink(recpath);
	rmdir(tmp);
	return 0;
}
