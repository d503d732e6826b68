#include "arch/arch.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"
#include "harness/session/load_cli.h"

#include <inttypes.h>
#include <stdio.h>

int cmd_lookup(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON |
				       MB_OPT_SEED | MB_OPT_STRICT | MB_OPT_NO_INIT | MB_OPT_PATHS | MB_OPT_REST |
				       MB_OPT_KERNEL | MB_OPT_KCONFIG) != 0)
		return MB_EXIT_USAGE;
	if (cli->nrest == 0) {
		mb_errorf("usage: modbed lookup FILE... -- ADDR...");
		return MB_EXIT_USAGE;
	}
	uint64_t addrs[256];
	if (cli->nrest > (int)(sizeof(addrs) / sizeof(addrs[0]))) {
		mb_errorf("usage: at most %zu addresses", sizeof(addrs) / sizeof(addrs[0]));
		return MB_EXIT_USAGE;
	}
	for (int i = 0; i < cli->nrest; i++) {
		if (!mb_parse_u64(cli->rest[i], &addrs[i])) {
			mb_errorf("usage: '%s' is not an address", cli->rest[i]);
			return MB_EXIT_USAGE;
		}
	}
	struct mb_load_session s;
	int rc = mb_session_open(&s, cli, NULL);
	if (rc != MB_EXIT_OK)
		return rc;
	rc = mb_session_load_all(&s, cli);
	if (rc != MB_EXIT_OK) {
		mb_session_close(&s);
		return rc;
	}
	/* Count only the lookups asked for here. */
	mb_lookup_reset_stats(&s.loader.lookup);
	struct mb_json j;
	if (cli->json) {
		mb_json_init(&j, stdout, true);
		mb_json_object(&j, NULL);
		mb_json_str(&j, "bounds", mb_bounds_name(s.loader.lookup.bounds));
		mb_json_str(&j, "tree", mb_tree_name(s.loader.lookup.tree));
		mb_kernel_pick_json(&s.kernel, &j);
		mb_json_array(&j, "lookups");
	}
	for (int i = 0; i < cli->nrest; i++) {
		struct mb_where w;
		bool hit = mb_loader_where(&s.loader, addrs[i], &w);
		if (cli->json) {
			mb_json_object(&j, NULL);
			mb_json_hex(&j, "addr", addrs[i]);
			mb_json_str(&j, "module", hit ? w.mod->name : NULL);
			mb_json_str(&j, "type", hit ? mod_mem_type_name(w.type) : NULL);
			mb_json_str(&j, "symbol", hit && w.sym ? w.sym->name : NULL);
			if (hit)
				mb_json_hex(&j, "offset", w.offset);
			else
				mb_json_null(&j, "offset");
			mb_json_end(&j);
		} else if (!hit) {
			printf("0x%" PRIx64 ": not in a module\n", addrs[i]);
		} else if (w.sym) {
			printf("0x%" PRIx64 ": %s %s %s+0x%" PRIx64 "\n", addrs[i], w.mod->name, mod_mem_type_name(w.type),
			       w.sym->name, w.offset);
		} else {
			printf("0x%" PRIx64 ": %s %s +0x%" PRIx64 "\n", addrs[i], w.mod->name, mod_mem_type_name(w.type),
			       w.offset);
		}
	}
	struct mb_lookup_counters c;
	mb_loader_counters(&s.loader, &c);
	if (cli->json) {
		mb_json_end(&j);
		mb_json_object(&j, "counters");
		mb_json_u64(&j, "lookups", c.lookups);
		mb_json_u64(&j, "fast_rejects", c.fast_rejects);
		mb_json_u64(&j, "tree_searches", c.tree_searches);
		mb_json_u64(&j, "empty_searches", c.empty_searches);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		printf("bounds %s: %" PRIu64 " lookups, %" PRIu64 " fast rejects, %" PRIu64 " tree searches, %" PRIu64
		       " empty searches\n",
		       mb_bounds_name(s.loader.lookup.bounds), c.lookups, c.fast_rejects, c.tree_searches,
		       c.empty_searches);
		char kernel[512];
		mb_kernel_pick_text(&s.kernel, kernel, sizeof(kernel));
		printf("%s\n", kernel);
	}
	mb_session_close(&s);
	return MB_EXIT_OK;
}
