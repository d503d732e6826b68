/* Traced instructions per second, per arch: the same call untraced, traced
 * as text to a file, traced as JSON lines, and with --calls only. Two
 * workloads from tests/trace/modules/trace_demo.c: tr_sum (a register loop)
 * and tr_calls (a call and a return per iteration).
 * Run from the build tree: it finds the modules next to itself. */
#include "arch/arch.h"
#include "bench/bench_dirs.h"
#include "bench/bench_json.h"
#include "harness/debug/disasm.h"
#include "harness/machine/emu.h"
#include "harness/session/runtime.h"
#include "harness/debug/trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum mode { UNTRACED, TEXT, JSONL, CALLS, NMODES };
static const char *const mode_names[NMODES] = { "untraced", "text", "jsonl", "calls" };

struct bench {
	struct mb_runtime rt;
	struct mb_disasm *d;
};

/* Best of 3 runs: instructions per second. */
static double run(struct bench *b, const char *fn, uint64_t arg, enum mode mode, const char *outpath,
		  uint64_t *insns)
{
	uint64_t f;
	struct mb_err err;
	if (mb_runtime_resolve(&b->rt, fn, &f, &err) != 0) {
		fprintf(stderr, "bench_trace: %s\n", err.msg);
		exit(1);
	}
	double best = 0;
	for (int rep = 0; rep < 3; rep++) {
		FILE *out = mode == UNTRACED ? NULL : fopen(outpath, "w");
		struct mb_trace *t = NULL;
		struct mb_trace_opts o = { .out = out, .jsonl = mode == JSONL, .calls_only = mode == CALLS };
		if (mode != UNTRACED && mb_trace_open(&t, b->rt.m, b->d, &o, &err) != 0) {
			fprintf(stderr, "bench_trace: %s\n", err.msg);
			exit(1);
		}
		struct mb_call_result res;
		struct mb_call_limits lim = { 1000000000ull, 600000 };
		double t0 = now();
		if (t)
			mb_trace_call_begin(t, f, &arg, 1);
		if (mb_machine_call(b->rt.m, f, &arg, 1, &lim, &res, &err) != 0 || res.faulted) {
			fprintf(stderr, "bench_trace: %s(%" PRIu64 ") failed\n", fn, arg);
			exit(1);
		}
		if (t)
			mb_trace_call_end(t, &res);
		if (out)
			fflush(out);
		double dt = now() - t0;
		mb_trace_close(t);
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
	char outpath[4200];
	snprintf(outpath, sizeof(outpath), "%s/trace.out", tmp);
	bench_text("bench_trace: guest instructions per second (best of 3), trace written to a file\n");
	bench_text("%-10s %-16s %10s %12s %12s %12s %12s\n", "arch", "call", "insns", mode_names[0], mode_names[1],
	       mode_names[2], mode_names[3]);
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
			double ips[NMODES];
			uint64_t insns = 0;
			for (int m = 0; m < NMODES; m++)
				ips[m] = run(&b, work[w].fn, work[w].arg, (enum mode)m, outpath, &insns);
			char label[64];
			snprintf(label, sizeof(label), "%s(%" PRIu64 ")", work[w].fn, work[w].arg);
			for (int m = 0; m < NMODES; m++)
				bench_cell("bench_trace", "s:arch", arch->name, "s:call", label, "u:insns", insns, "s:mode",
					   mode_names[m], "f:insns_per_s", ips[m], NULL);
			bench_text("%-10s %-16s %10" PRIu64 " %10.1f M %10.2f M %10.2f M %10.1f M\n", arch->name, label, insns,
			       ips[0] / 1e6, ips[1] / 1e6, ips[2] / 1e6, ips[3] / 1e6);
		}
		mb_disasm_close(b.d);
		mb_runtime_close(&b.rt);
	}
	unlink(outpath);
	rmdir(tmp);
	return 0;
}
