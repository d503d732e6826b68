/* The guest core: the coreguest driver module loaded by modbed's own loader
 * into an emulated machine (it is just another module), fed the stream in
 * batches through two buffers in the guest heap. */
#include "harness/corediff/coreops.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "core/opstream.h"
#include "harness/session/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MODBED_COREGUEST_DIR
#define MODBED_COREGUEST_DIR ""
#endif

/* A batch: bounded in operations (so the result buffer, sized for the worst
 * case, stays small) and in bytes. */
#define BATCH_OPS 2048u
#define BATCH_OPS_BYTES (256u * 1024u)
/* Generous: a batch is a few million guest instructions. */
#define BATCH_BUDGET 2000000000ull
#define BATCH_TIMEOUT_MS 120000ull

struct mb_coreguest {
	struct mb_runtime rt;
	bool open;
	const struct mb_arch *arch;
	uint64_t run_addr;
	uint64_t ops_buf, res_buf;
	size_t res_cap;
	size_t batch_ops;
	mb_coreguest_batch_fn observer;
	void *observer_ctx;
};

void mb_coreguest_set_observer(struct mb_coreguest *g, mb_coreguest_batch_fn fn, void *ctx)
{
	g->observer = fn;
	g->observer_ctx = ctx;
}

void mb_coreguest_set_batch(struct mb_coreguest *g, size_t nops)
{
	g->batch_ops = nops >= 1 && nops <= BATCH_OPS ? nops : BATCH_OPS;
}

const char *mb_coreguest_default_path(const struct mb_arch *arch, char *buf, size_t len)
{
	const char *dir = getenv("MODBED_COREGUEST_DIR");
	if (!dir || !*dir)
		dir = MODBED_COREGUEST_DIR;
	snprintf(buf, len, "%s/%s/coreguest.ko", dir, arch->name);
	return buf;
}

int mb_coreguest_open(struct mb_coreguest **out, const struct mb_arch *arch, const struct mb_map *map,
		      const char *driver_path, struct mb_err *err)
{
	*out = NULL;
	struct mb_coreguest *g = calloc(1, sizeof(*g));
	if (!g)
		return mb_fail(err, NULL, "core-diff", "out of memory");
	g->arch = arch;
	struct mb_cli cli;
	memset(&cli, 0, sizeof(cli));
	cli.cmd = "core-diff";
	cli.arch = arch->name;
	cli.map = map->name;
	cli.no_init = true;
	const char *paths[1] = { driver_path }; /* the session wants the files it will load */
	cli.paths = paths;
	cli.npaths = 1;
	cli.budget = BATCH_BUDGET;
	cli.timeout_ms = BATCH_TIMEOUT_MS;
	if (mb_runtime_open(&g->rt, &cli) != MB_EXIT_OK) {
		free(g);
		return mb_fail(err, NULL, map->name, "cannot set up the emulated machine for the guest core");
	}
	g->open = true;
	struct mb_loaded_module *mod;
	uint64_t res_bytes = (uint64_t)BATCH_OPS * MB_OPS_MAX_RESULT_WORDS * arch->ptr_bytes + MB_OPSTREAM_HDR_BYTES;
	if (mb_runtime_load(&g->rt, driver_path, &mod, NULL, err) != 0 ||
	    mb_runtime_resolve(&g->rt, "coreguest_run", &g->run_addr, err) != 0 ||
	    mb_machine_alloc(g->rt.m, BATCH_OPS_BYTES + (uint64_t)MB_OPS_MAX_OP_WORDS * 8 + MB_OPSTREAM_HDR_BYTES,
			     &g->ops_buf, err) != 0 ||
	    mb_machine_alloc(g->rt.m, res_bytes, &g->res_buf, err) != 0) {
		mb_coreguest_close(g);
		return -1;
	}
	g->res_cap = (size_t)res_bytes;
	g->batch_ops = BATCH_OPS;
	*out = g;
	return 0;
}

void mb_coreguest_close(struct mb_coreguest *g)
{
	if (!g)
		return;
	if (g->open)
		mb_runtime_close(&g->rt);
	free(g);
}

/* The driver's return value: a C long of the target's width. */
static int64_t target_long(const struct mb_arch *arch, uint64_t ret)
{
	return arch->ptr_bytes == 4 ? (int64_t)(int32_t)(uint32_t)ret : (int64_t)ret;
}

double mb_coreops_cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The end of the next batch [first, end): whole records, within the batch
 * limits (at least one operation). */
static size_t batch_end(const struct mb_coreguest *g, const struct mb_corestream *s, size_t first)
{
	size_t last = first;
	size_t from = s->op_off[first];
	while (last < s->nops && last - first < g->batch_ops) {
		size_t end = last + 1 < s->nops ? s->op_off[last + 1] : s->ops_len;
		if (end - from > BATCH_OPS_BYTES && last > first)
			break;
		last++;
	}
	return last;
}

/* Runs operations [first, last) on the guest; *out gets the guest's result
 * buffer for them (header first), *n its length. */
static int run_batch(struct mb_coreguest *g, const struct mb_corestream *s, size_t first, size_t last,
		     uint8_t *batch, uint8_t *out, size_t *n, struct mb_coreguest_stats *stats, struct mb_err *err)
{
	size_t from = s->op_off[first], to = last < s->nops ? s->op_off[last] : s->ops_len;
	memcpy(batch, s->ops, MB_OPSTREAM_HDR_BYTES);
	memcpy(batch + MB_OPSTREAM_HDR_BYTES, s->ops + from, to - from);
	size_t blen = MB_OPSTREAM_HDR_BYTES + (to - from);
	if (mb_machine_write(g->rt.m, g->ops_buf, batch, blen, err) != 0)
		return -1;
	uint64_t args[4] = { g->ops_buf, blen, g->res_buf, g->res_cap };
	struct mb_call_result cr;
	double t0 = mb_coreops_cpu_seconds();
	if (mb_machine_call(g->rt.m, g->run_addr, args, 4, &g->rt.lim, &cr, err) != 0)
		return -1;
	stats->seconds += mb_coreops_cpu_seconds() - t0;
	stats->calls++;
	stats->insns += cr.insns;
	if (cr.faulted)
		return mb_fail(err, NULL, "core-diff", "guest fault (%s) at %s running operations %zu..%zu: %s",
			       mb_fault_kind_name(cr.fault.kind), cr.fault.pc_sym, first, last - 1, cr.fault.detail);
	int64_t ret = target_long(g->arch, cr.ret);
	if (ret < (int64_t)MB_OPSTREAM_HDR_BYTES || (uint64_t)ret > g->res_cap)
		return mb_fail(err, NULL, "core-diff", "the guest driver refused operations %zu..%zu (error %lld)",
			       first, last - 1, (long long)ret);
	*n = (size_t)ret;
	if (g->observer) {
		struct mb_coreguest_batch b = { g->rt.m, first, last - first, cr.insns, g->res_buf, *n };
		g->observer(g->observer_ctx, &b);
	}
	return mb_machine_read(g->rt.m, g->res_buf, out, *n, err);
}

int mb_coreguest_run(struct mb_coreguest *g, const struct mb_corestream *s, uint8_t **res_out, size_t *res_len,
		     struct mb_coreguest_stats *stats, struct mb_err *err)
{
	memset(stats, 0, sizeof(*stats));
	*res_out = NULL;
	*res_len = 0;
	if (s->fmt.width != g->arch->ptr_bytes || s->fmt.big_endian != g->arch->big_endian)
		return mb_fail(err, NULL, "core-diff", "the stream's format (%u-byte %s-endian words) is not %s's",
			       s->fmt.width, s->fmt.big_endian ? "big" : "little", g->arch->name);
	/* The host's results are the right size unless the guest differs. */
	size_t cap = s->res_len + g->res_cap;
	uint8_t *res = malloc(cap);
	uint8_t *batch = malloc(BATCH_OPS_BYTES + (size_t)MB_OPS_MAX_OP_WORDS * 8 + MB_OPSTREAM_HDR_BYTES);
	uint8_t *out = malloc(g->res_cap);
	int rc = res && batch && out ? 0 : mb_fail(err, NULL, "core-diff", "out of memory");
	size_t len = MB_OPSTREAM_HDR_BYTES;
	if (rc == 0)
		memcpy(res, s->ops, MB_OPSTREAM_HDR_BYTES); /* the same header for results */
	for (size_t first = 0, last; rc == 0 && first < s->nops; first = last) {
		last = batch_end(g, s, first);
		size_t n;
		rc = run_batch(g, s, first, last, batch, out, &n, stats, err);
		if (rc != 0)
			break;
		size_t body = n - MB_OPSTREAM_HDR_BYTES;
		if (len + body > cap) {
			uint8_t *bigger = realloc(res, 2 * cap + body);
			if (!bigger) {
				rc = mb_fail(err, NULL, "core-diff", "out of memory");
				break;
			}
			res = bigger;
			cap = 2 * cap + body;
		}
		memcpy(res + len, out + MB_OPSTREAM_HDR_BYTES, body);
		len += body;
	}
	free(batch);
	free(out);
	if (rc != 0) {
		free(res);
		return -1;
	}
	*res_out = res;
	*res_len = len;
	return 0;
}
