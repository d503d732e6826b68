#include "harness/session/load_cli.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "harness/util/diag.h"
#include "harness/elf/elf.h"

#include <stdio.h>
#include <string.h>

const char *mb_perm_str(unsigned perm)
{
	static const char *const s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };
	return s[perm & 7];
}

static void list_maps(const struct mb_arch *arch, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < arch->nmaps && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", arch->maps[i]->name);
		used += w > 0 ? (size_t)w : 0;
	}
}

int mb_session_open(struct mb_load_session *s, const struct mb_cli *cli, const struct mb_symbol_provider *kernel)
{
	memset(s, 0, sizeof(*s));
	struct mb_err err;
	if (cli->npaths == 0) {
		mb_errorf("usage: '%s' needs at least one module file", cli->cmd);
		return MB_EXIT_USAGE;
	}
	if (cli->arch) {
		s->arch = mb_arch_by_name(cli->arch);
		if (!s->arch) {
			mb_errorf("usage: unknown arch '%s' (x86_64, arm64, powerpc32)", cli->arch);
			return MB_EXIT_USAGE;
		}
	} else if (mb_elf_probe_arch(cli->paths[0], &s->arch, &err) != 0) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	int rc = mb_kernel_pick(&s->kernel, cli->kernel, cli->paths[0]);
	if (rc == MB_EXIT_OK)
		rc = mb_kernel_pick_config(&s->kernel, cli->kernel_config);
	if (rc != MB_EXIT_OK)
		return rc;
	s->map = mb_kernel_pick_map(&s->kernel, s->arch, cli->map);
	if (!s->map) {
		char maps[256];
		list_maps(s->arch, maps, sizeof(maps));
		if (cli->map)
			mb_errorf("usage: %s has no map '%s' (%s)", s->arch->name, cli->map, maps);
		else
			mb_errorf("%s has no memory map", s->arch->name);
		return cli->map ? MB_EXIT_USAGE : MB_EXIT_ERROR;
	}
	if (mb_kernel_pick_image(&s->kernel, cli->system_map, &s->map) != MB_EXIT_OK)
		return MB_EXIT_ERROR;
	static const char *const ks_names[] = { [MB_KALLSYMS_OFF] = "off", [MB_KALLSYMS_TEXT] = "text",
						[MB_KALLSYMS_ALL] = "all" };
	int ks = cli->kallsyms ? -1 : MB_KALLSYMS_OFF;
	for (int i = 0; i < 3 && ks < 0; i++)
		if (strcmp(cli->kallsyms, ks_names[i]) == 0)
			ks = i;
	if (ks < 0) {
		mb_errorf("usage: --kallsyms takes off, text or all, not '%s'", cli->kallsyms);
		return MB_EXIT_USAGE;
	}
	if (mb_cli_check_tree(cli, false) != 0)
		return MB_EXIT_USAGE;
	mb_space_init(&s->space, s->map->page_size);
	struct mb_loader_config cfg = {
		.arch = s->arch, .map = s->map, .policy = cli->policy, .pack = cli->pack, .bounds = cli->bounds,
		.tree = cli->tree, .strict_symbols = cli->strict_symbols, .kernel = kernel, .seeded = cli->seed_set,
		.seed = cli->seed, .kallsyms = (enum mb_kallsyms)ks, .kver = s->kernel.kver,
		.kconfig = &s->kernel.config,
	};
	if (mb_loader_init(&s->loader, &cfg, &s->space, &err) != 0) {
		mb_report(&err);
		mb_space_fini(&s->space);
		/* Names of policies are the user's input. */
		return strstr(err.msg, "unknown ") ? MB_EXIT_USAGE : MB_EXIT_ERROR;
	}
	s->ready = true;
	return MB_EXIT_OK;
}

int mb_session_load_all(struct mb_load_session *s, const struct mb_cli *cli)
{
	for (size_t i = 0; i < cli->npaths; i++) {
		struct mb_err err;
		if (mb_load_file(&s->loader, cli->paths[i], NULL, &err) != 0) {
			mb_report(&err);
			return MB_EXIT_ERROR;
		}
	}
	return MB_EXIT_OK;
}

void mb_session_close(struct mb_load_session *s)
{
	if (!s->ready)
		return;
	mb_loader_fini(&s->loader);
	mb_space_fini(&s->space);
	s->ready = false;
}
