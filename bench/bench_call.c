/* The call path's cost per arch:
 *   - a CRC-32 loop (64 KiB, bitwise) and fib(22) run by mb_machine_call
 *     with no instruction budget (no hook on guest code: stub-slot hook,
 *     page snapshots, watchdog) and counted (the default budget: block
 *     hook), each beside a bare Unicorn instance running the same bytes at
 *     the same addresses with no hook at all; ratio = call path speed /
 *     bare speed;
 *   - calls per second of a trivial function (call setup + run + checks),
 *     with no budget and counted;
 *   - the cost of one host-implemented kernel call (strlen via the stub).
 * Uses tests/modules/<arch>/run_work.ko from the build tree. */
#include "arch/cpu.h"
#include "arch/debug.h"
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
#define RUNS 21
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

/* The same guest memory (the space's host buffers, mapped in the machine's
 * own regions: mapping whole arenas instead made the bare arm64 fib(22) 1.6x
 * slower than the call path) and registers in a Unicorn with no hooks. */
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
	/* The machine's own regions (split where page permissions change). */
	uc_mem_region *reg;
	uint32_t n;
	if (uc_mem_regions(mb_machine_uc(rt->m), &reg, &n) != UC_ERR_OK) {
		uc_close(uc);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		for (const struct mb_space_arena *a = rt->s.space.arenas; a; a = a->next)
			if (reg[i].begin >= a->base && reg[i].begin - a->base < a->size)
				uc_mem_map_ptr(uc, reg[i].begin, reg[i].end - reg[i].begin + 1,
					       reg[i].perms ? reg[i].perms : UC_PROT_READ, a->host + (reg[i].begin - a->base));
	uc_free(reg);
	/* And its registers (ppc32: the MSR as the machine set it up). */
	const struct mb_debug_ops *d = rt->s.arch->debug;
	for (size_t i = 0; d && i < d->nregs; i++) {
		uint64_t v = 0;
		if (d->regs[i].uc_reg >= 0 && uc_reg_read(mb_machine_uc(rt->m), d->regs[i].uc_reg, &v) == UC_ERR_OK)
			uc_reg_write(uc, d->regs[i].uc_reg, &v);
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
	double counted, craw;  /* the same with an instruction budget (counted) */
};

/* The workload on the machine (with the runtime's limits) and in a bare
 * Unicorn over the same memory, alternately (a busy machine slows both
 * alike), both warm; medians in *tm, *tb. The bare result must match the
 * machine's. */
static void measure(struct mb_runtime *rt, struct workload *w, double *tmachine, double *tbare)
{
	struct mb_err err;
	struct mb_call_result r = call(rt, w->fn, w->args, w->nargs);   /* warm: translated */
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
	*tmachine = median(tm, RUNS);
	*tbare = ok ? median(tb, RUNS) : 0;
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
	/* Counted first (the default budget: insns known), then with no
	 * budget (no hook on guest code); one change of way, one retranslation. */
	uint64_t triv = sym(&rt, "read_ro");
	uint64_t one = 1;
	double calls_s[2], t[RUNS], t0;
	for (int way = 0; way < 2; way++) {
		rt.lim.budget = way ? MB_NO_BUDGET : 0;
		for (int k = 0; k < 2; k++) {
			if (way)
				measure(&rt, &w[k], &w[k].machine, &w[k].raw);
			else {
				w[k].insns = call(&rt, w[k].fn, w[k].args, w[k].nargs).insns;
				measure(&rt, &w[k], &w[k].counted, &w[k].craw);
			}
		}
		call(&rt, triv, &one, 1);
		t0 = now();
		for (unsigned i = 0; i < TRIVIAL_CALLS; i++)
			call(&rt, triv, &one, 1);
		calls_s[way] = TRIVIAL_CALLS / (now() - t0);
	}

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
		const struct workload *x = &w[k];
		double mips = (double)x->insns / x->machine / 1e6, cmips = (double)x->insns / x->counted / 1e6;
		double ratio = x->raw > 0 ? x->raw / x->machine : 0.0, cratio = x->craw > 0 ? x->craw / x->counted : 0.0;
		double bare = x->raw > 0 ? (double)x->insns / x->raw / 1e6 : 0.0;
		bench_cell("bench_call", "s:arch", arch, "s:workload", x->name, "u:insns", x->insns, "f:call_mips", mips,
			   "f:bare_mips", bare, "f:ratio", ratio, "f:counted_mips", cmips, "f:counted_ratio", cratio, NULL);
		if (bench_json)
			continue;
		if (x->raw > 0 && x->craw > 0)
			printf("%-10s  %-10s %8" PRIu64 " insns  no budget %7.1f MIPS  bare Unicorn %7.1f MIPS  ratio %5.2f"
			       "   counted %7.1f MIPS  ratio %5.2f\n",
			       arch, x->name, x->insns, mips, bare, ratio, cmips, cratio);
		else
			printf("%-10s  %-10s %8" PRIu64 " insns  no budget %7.1f MIPS  counted %7.1f MIPS  (bare run failed)\n",
			       arch, x->name, x->insns, mips, cmips);
	}
	bench_cell("bench_call", "s:arch", arch, "s:workload", "trivial", "f:calls_per_s", calls_s[1],
		   "f:counted_calls_per_s", calls_s[0], "f:hostcall_us", (with - base) / HOSTCALLS * 1e6, NULL);
	bench_text("%-10s  trivial calls %8.0f/s (counted %.0f/s)   host-implemented kernel call %.3f us\n", arch,
		   calls_s[1], calls_s[0], (with - base) / HOSTCALLS * 1e6);
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
