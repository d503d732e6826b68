#include "arch/arch.h"
#include "arch/map.h"
#include "harness/commands.h"
#include "harness/diag.h"
#include "harness/json.h"
#include "harness/load_cli.h"
#include "harness/load_report.h"

#include <stdio.h>

int cmd_load(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON |
				       MB_OPT_SEED | MB_OPT_DUMP | MB_OPT_STRICT | MB_OPT_NO_INIT | MB_OPT_PATHS) != 0)
		return MB_EXIT_USAGE;
	struct mb_load_session s;
	int rc = mb_session_open(&s, cli, NULL);
	if (rc != MB_EXIT_OK)
		return rc;
	rc = mb_session_load_all(&s, cli);
	if (rc == MB_EXIT_OK && cli->dump) {
		/* After relocation, before any code runs. */
		struct mb_err err;
		if (mb_dump_layout(&s.loader, cli->dump, &err) != 0) {
			mb_report(&err);
			rc = MB_EXIT_ERROR;
		}
	}
	/* Seam for the emulator: permissions (mb_module_protect), init unless
	 * --no-init, ro_after_init and free init (mb_module_free_init) go here,
	 * module by module in load order. */
	if (rc == MB_EXIT_OK) {
		if (cli->json) {
			struct mb_json j;
			mb_json_init(&j, stdout, true);
			mb_json_object(&j, NULL);
			mb_json_str(&j, "arch", s.arch->name);
			mb_json_str(&j, "map", s.map->name);
			mb_json_str(&j, "policy", cli->policy ? cli->policy : "kernel");
			mb_json_array(&j, "modules");
			for (const struct mb_loaded_module *m = s.loader.modules; m; m = m->next)
				mb_report_module_json(&j, m);
			mb_json_finish(&j);
		} else {
			printf("arch %s, map %s, policy %s\n", s.arch->name, s.map->name,
			       cli->policy ? cli->policy : "kernel");
			for (const struct mb_loaded_module *m = s.loader.modules; m; m = m->next)
				mb_report_module_text(stdout, m);
		}
	}
	mb_session_close(&s);
	return rc;
}
