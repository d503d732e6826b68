/* A boot (harness/session/boot.h) on the emulator: links through the
 * runtime with every init deferred, runs the real inits on the CPU, and
 * expunges by releasing a module without its exit. */
#include "harness/session/boot.h"
#include "harness/session/runtime.h"

#include "harness/util/diag.h"

#include <stdlib.h>
#include <string.h>

static int rt_link(void *ctx, const char *path, struct mb_err *err)
{
	struct mb_runtime *rt = ctx;
	rt->defer_all = true;
	int rc = mb_runtime_load_path(rt, path, NULL, NULL, err);
	rt->defer_all = false;
	return rc;
}

static int rt_init(void *ctx, struct mb_loaded_module *mod, bool run, struct mb_err *err)
{
	struct mb_runtime *rt = ctx;
	if (run && !rt->run_init)
		return 0; /* --no-init: the module stays as while its init would run */
	bool skip = rt->skip_init;
	rt->keep_failed = true;
	rt->skip_init = skip || !run || !rt->run_init;
	int rc = mb_runtime_init_module(rt, mod, NULL, err);
	rt->keep_failed = false;
	rt->skip_init = skip;
	return rc == 0 ? 0 : 1;
}

static void rt_drop(void *ctx, struct mb_loaded_module *mod)
{
	struct mb_runtime *rt = ctx;
	struct mb_err ignored;
	mb_unload_module(&rt->s.loader, mod, &ignored);
}

bool mb_runtime_wants_boot(const struct mb_runtime *rt, const struct mb_cli *cli)
{
	const struct mb_place *pl = &rt->s.loader.place;
	return (pl->policy == MB_POLICY_BUILTIN && pl->pack != MB_PACK_NONE) || cli->fail || cli->fail_rate_set ||
	       cli->compact || cli->then_set;
}

int mb_runtime_boot(struct mb_runtime *rt, const struct mb_cli *cli)
{
	const struct mb_place *pl = &rt->s.loader.place;
	if (cli->compact && !(pl->policy == MB_POLICY_BUILTIN && pl->pack != MB_PACK_NONE)) {
		mb_errorf("usage: --compact needs --policy builtin --pack MODE");
		return MB_EXIT_USAGE;
	}
	if (cli->fail_rate_set && cli->fail_rate > 100) {
		mb_errorf("usage: --fail-rate takes a percentage (0..100), not %llu", (unsigned long long)cli->fail_rate);
		return MB_EXIT_USAGE;
	}
	rt->boot = calloc(1, sizeof(*rt->boot));
	if (!rt->boot) {
		mb_errorf("out of memory");
		return MB_EXIT_ERROR;
	}
	size_t nboot = cli->then_set ? cli->then_from : cli->npaths;
	const struct mb_boot_driver d = { rt, &rt->s.loader, rt_link, rt_init, rt_drop };
	const struct mb_boot_plan p = {
		.paths = cli->paths, .npaths = nboot, .then = cli->paths + nboot, .nthen = cli->npaths - nboot,
		.fail = cli->fail, .rate_set = cli->fail_rate_set, .rate = cli->fail_rate, .seed = cli->seed,
		.compact = cli->compact,
	};
	struct mb_err err = { "" };
	if (mb_boot_run(&d, &p, rt->boot, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	return MB_EXIT_OK;
}

void mb_runtime_boot_free(struct mb_runtime *rt)
{
	if (!rt->boot)
		return;
	mb_boot_stats_free(rt->boot);
	free(rt->boot);
	rt->boot = NULL;
}
