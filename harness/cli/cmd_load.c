#include "harness/session/account.h"
#include "harness/session/boot.h"
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"
#include "harness/session/load_cli.h"
#include "harness/session/load_report.h"
#include "harness/session/runtime.h"

#include <stdio.h>

/* --dump takes each module's bytes as soon as it is relocated, before its
 * init runs (init memory is gone afterwards). */
struct dump_ctx {
	const char *dir;
	int failed;
	struct mb_err err;
};

static void dump_loaded(void *ctx, struct mb_loader *l, struct mb_loaded_module *mod)
{
	struct dump_ctx *d = ctx;
	if (!d->failed && mb_dump_module(l, mod, d->dir, &d->err) != 0)
		d->failed = 1;
}

int cmd_load(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_LOAD_OPTS | MB_OPT_JSON | MB_OPT_DUMP) != 0)
		return MB_EXIT_USAGE;
	/* The emulator's runtime: each module is loaded, protected and its init
	 * run (unless --no-init) before the next one loads, as the kernel does,
	 * so `load` places modules exactly where `call` does. */
	struct mb_runtime rt;
	int rc = mb_runtime_open(&rt, cli);
	if (rc != MB_EXIT_OK)
		return rc;
	const struct mb_load_session *s = &rt.s;
	struct dump_ctx dump = { .dir = cli->dump };
	if (cli->dump) {
		rt.s.loader.loaded_hook = dump_loaded;
		rt.s.loader.loaded_ctx = &dump;
	}
	rc = mb_runtime_load_all(&rt, cli);
	if (rc == MB_EXIT_OK && cli->dump) {
		if (!dump.failed && mb_dump_layout_json(&s->loader, cli->dump, &dump.err) != 0)
			dump.failed = 1;
		if (dump.failed) {
			mb_report(&dump.err);
			rc = MB_EXIT_ERROR;
		}
	}
	struct mb_account acct;
	const struct mb_boot_stats *boot = rt.boot;
	if (rc == MB_EXIT_OK &&
	    mb_account(&s->loader, boot ? boot->holes : NULL, boot ? boot->nholes : 0, &acct) != 0) {
		mb_errorf("out of memory");
		rc = MB_EXIT_ERROR;
	}
	if (rc == MB_EXIT_OK) {
		if (cli->json) {
			struct mb_json j;
			mb_json_begin_report(&j, stdout, s->arch->name, s->map->name);
			mb_json_str(&j, "policy", cli->policy ? cli->policy : "kernel");
			if (cli->pack)
				mb_json_str(&j, "pack", cli->pack);
			mb_kernel_pick_json(&s->kernel, &j);
			mb_json_array(&j, "modules");
			for (const struct mb_loaded_module *m = s->loader.modules; m; m = m->next)
				mb_report_module_json(&j, m);
			mb_json_end(&j);
			mb_account_json(&j, &acct);
			if (boot)
				mb_boot_json(&j, boot);
			mb_json_finish(&j);
		} else {
			char kernel[512];
			mb_kernel_pick_text(&s->kernel, kernel, sizeof(kernel));
			printf("arch %s, map %s, policy %s, %s\n", s->arch->name, s->map->name,
			       cli->policy ? cli->policy : "kernel", kernel);
			for (const struct mb_loaded_module *m = s->loader.modules; m; m = m->next)
				mb_report_module_text(stdout, m);
			mb_account_text(stdout, &acct);
			if (boot)
				mb_boot_text(stdout, boot);
		}
	}
	mb_runtime_close(&rt);
	return rc;
}
