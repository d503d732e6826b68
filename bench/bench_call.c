/* The call path's cost per arch:
 *   - a CRC-32 loop (64 KiB, bitwise) and fib(22) run by mb_machine_call
 *     (the fast path: block hook, stub-slot hook, page snapshots) beside a
 *     bare Unicorn instance running the same bytes at the same addresses
 *     with no hook at all; ratio = call path speed / bare speed;
 *   - calls per second of a trivial function (call setup + run + checks);
 *   - the cost of one host-implemented kernel call (strlen via the stub).
 * Uses tests/modules/<arch>/run_work.ko from the build tree. */
#include "arch/cpu.h"
#include "bench/bench_dirs.h"
#include "bench/bench_json.h"
#include "harness/session/runtime.h"
#include "harness/load/space.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRC_BYTES 65536u
#define RUNS 9
#define TRIVIAL_CALLS 20000u
#define HOSTCALLS 20000u

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static uint64_t sym(struct mb_runtime *rt, const char *name)
{
	uint64_t a = 0;
	struct mb_err err;
	if (mb_runtime_resolve(rt, name, &a, &err) != 0) {
		fprintf(stderr, "bench_call: %s\n", err.msg);
		exit(1);
	}
	return a;
}

static struct mb_call_result call(struct mb_runtime *rt, uint64_t fn, const uint64_t *args, unsigned n)
{
	struct mb_call_result r;
	struct mb_err err;
	if (mb_machine_call(rt->m, fn, args, n, &rt->lim, &r, &err) != 0 || r.faulted) {
		fprintf(stderr, "bench_call: call failed: %s\n", r.faulted ? r.fault.detail : err.msg);
		exit(1);
	}
	return r;
}

/* The same guest memory (the space's host buffers) in a Unicorn with no hooks. */
static uc_engine *bare_uc(struct mb_runtime *rt)
{
	const struct mb_cpu_ops *c = rt->s.arch->cpu;
	uc_engine *uc;
	if (uc_open(c->uc_arch, c->uc_mode, &uc) != UC_ERR_OK)
		return NULL;
	if (c->uc_cpu_model >= 0)
		uc_ctl_set_cpu_model(uc, c->uc_cpu_model);
#ifdef uc_ctl_tlb_mode
	uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
#endif
	for (const struct mb_space_arena *a = rt->s.space.arenas; a; a = a->next) {
		unsigned p = a->page_perm[0], up = 0;
		if (p & MB_PERM_R) up |= UC_PROT_READ;
		if (p & MB_PERM_W) up |= UC_PROT_WRITE;
		if (p & MB_PERM_X) up |= UC_PROT_EXEC;
		uc_mem_map_ptr(uc, a->base, a->size, up ? up : UC_PROT_READ, a->host);
	}
	return uc;
}

struct workload {
	const char *name;
	uint64_t fn;
	uint64_t *args;
	unsigned nargs;
	uint64_t insns;
	double machine, raw;   /* median seconds; raw 0 if the bare run failed */
};

/* The workload on the machine and in a bare Unicorn over the same memory,
 * alternately (a busy machine slows both alike), both warm; medians. The
 * bare result must match the machine's. */
static void measure(struct mb_runtime *rt, struct workload *w)
{
	struct mb_err err;
	struct mb_call_result r = call(rt, w->fn, w->args, w->nargs);   /* warm: translated */
	w->insns = r.insns;
	uint64_t want = r.ret;
	double tm[RUNS], tb[RUNS];
	uc_engine *uc = bare_uc(rt);
	bool ok = uc != NULL;
	uint64_t sentinel = mb_machine_return_sentinel(rt->m);
	for (int i = 0; i <= RUNS; i++) {
		double t0 = now();
		call(rt, w->fn, w->args, w->nargs);
		if (i > 0)
			tm[i - 1] = now() - t0;
		if (!ok)
			continue;
		mb_call_setup(uc, rt->s.arch, w->fn, w->args, w->nargs, mb_machine_stack_top(rt->m), sentinel, &err);
		t0 = now();
		ok = uc_emu_start(uc, w->fn, sentinel, 0, 0) == UC_ERR_OK;
		if (i > 0)   /* run 0 translates */
			tb[i - 1] = now() - t0;
		uint64_t got;
		mb_cpu_reg_read(uc, rt->s.arch->cpu, rt->s.arch->cpu->reg_ret, &got);
		ok = ok && got == want;
	}
	w->machine = median(tm, RUNS);
	w->raw = ok ? median(tb, RUNS) : 0;
	if (uc)
		uc_close(uc);
}

static void bench_arch(const char *arch, const char *modules)
{
	char path[PATH_MAX + 64];
	if (snprintf(path, sizeof(path), "%s/%s/run_work.ko", modules, arch) >= (int)sizeof(path)) {
		fprintf(stderr, "bench_call: module path too long under %s\n", modules);
		return;
	}
	struct mb_cli cli;
	memset(&cli, 0, sizeof(cli));
	cli.cmd = "bench";
	cli.arch = arch;
	cli.paths = (const char *const[]){ path };
	cli.npaths = 1;
	struct mb_runtime rt;
	if (mb_runtime_open(&rt, &cli) != MB_EXIT_OK || mb_runtime_load_all(&rt, &cli) != MB_EXIT_OK) {
		bench_text("%-10s  (cannot load %s)\n", arch, path);
		mb_runtime_close(&rt);
		return;
	}
	rt.lim.budget = UINT64_MAX;
	struct mb_err err;
	uint64_t buf;
	mb_machine_alloc(rt.m, CRC_BYTES, &buf, &err);
	uint8_t *bytes = malloc(CRC_BYTES);
	for (uint32_t i = 0; i < CRC_BYTES; i++)
		bytes[i] = (uint8_t)(i * 7 + (i >> 9));
	mb_machine_write(rt.m, buf, bytes, CRC_BYTES, &err);
	free(bytes);

	uint64_t crc_args[2] = { buf, CRC_BYTES }, fib_args[1] = { 22 };
	struct workload w[2] = {
		{ .name = "crc 64KiB", .fn = sym(&rt, "crc32_buf"), .args = crc_args, .nargs = 2 },
		{ .name = "fib(22)", .fn = sym(&rt, "fib"), .args = fib_args, .nargs = 1 },
	};
	for (int k = 0; k < 2; k++)
		measure(&rt, &w[k]);
	double t[RUNS], t0;
	uint64_t triv = sym(&rt, "read_ro");
	uint64_t one = 1;
	call(&rt, triv, &one, 1);
	t0 = now();
	for (unsigned i = 0; i < TRIVIAL_CALLS; i++)
		call(&rt, triv, &one, 1);
	double calls_s = TRIVIAL_CALLS / (now() - t0);

	uint64_t loop = sym(&rt, "hostcall_loop"), n0 = 0, n1 = HOSTCALLS;
	call(&rt, loop, &n1, 1);
	double base = 0, with = 0;
	for (int i = 0; i < RUNS; i++) {
		t0 = now();
		call(&rt, loop, &n0, 1);
		t[i] = now() - t0;
	}
	base = median(t, RUNS);
	for (int i = 0; i < RUNS; i++) {
		t0 = now();
		call(&rt, loop, &n1, 1);
		t[i] = now() - t0;
	}
	with = median(t, RUNS);

	for (int k = 0; k < 2; k++) {
		bench_cell("bench_call", "s:arch", arch, "s:workload", w[k].name, "u:insns", w[k].insns, "f:call_mips",
			   (double)w[k].insns / w[k].machine / 1e6, "f:bare_mips",
			   w[k].raw > 0 ? (double)w[k].insns / w[k].raw / 1e6 : 0.0, "f:ratio",
			   w[k].raw > 0 ? w[k].raw / w[k].machine : 0.0, NULL);
		if (bench_json)
			continue;
		if (w[k].raw > 0)
			printf("%-10s  %-10s %8" PRIu64 " insns  call path %7.1f MIPS  bare Unicorn %7.1f MIPS  ratio %5.2f\n",
			       arch, w[k].name, w[k].insns, (double)w[k].insns / w[k].machine / 1e6,
			       (double)w[k].insns / w[k].raw / 1e6, w[k].raw / w[k].machine);
		else
			printf("%-10s  %-10s %8" PRIu64 " insns  call path %7.1f MIPS  (bare run failed)\n", arch,
			       w[k].name, w[k].insns, (double)w[k].insns / w[k].machine / 1e6);
	}
	bench_cell("bench_call", "s:arch", arch, "s:workload", "trivial", "f:calls_per_s", calls_s, "f:hostcall_us",
		   (with - base) / HOSTCALLS * 1e6, NULL);
	bench_text("%-10s  trivial calls %8.0f/s   host-implemented kernel call %.3f us\n", arch, calls_s,
		   (with - base) / HOSTCALLS * 1e6);
	mb_runtime_close(&rt);
}

int main(int argc, char **argv)
{
	if (!bench_args(argc, argv))
		return 2;
	char build[4096], source[4096];
	bench_dirs(build, sizeof(build), source, sizeof(source));
	char modules[4200];
	snprintf(modules, sizeof(modules), "%s/tests/modules", build);
	bench_text("bench_call: Unicorn %u.%u.%u\n", UC_VERSION_MAJOR, UC_VERSION_MINOR, UC_VERSION_PATCH);
	for (size_t i = 0; i < mb_narches; i++)
		bench_arch(mb_arches[i]->name, modules);
	return 0;
}
