#include "arch/arch.h"
#include "arch/map.h"
#include "harness/commands.h"
#include "harness/diag.h"

#include <stdio.h>
#include <string.h>

/* Placeholder until the memory maps land (issue 2): lists the arches. */
int cmd_maps(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_JSON) != 0)
		return MB_EXIT_USAGE;
	for (size_t i = 0; i < mb_narches; i++) {
		const struct mb_arch *a = mb_arches[i];
		if (cli->arch && strcmp(cli->arch, "all") != 0 && strcmp(cli->arch, a->name) != 0)
			continue;
		printf("%s\n", a->name);
	}
	return MB_EXIT_OK;
}
