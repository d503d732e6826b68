#include "harness/util/lines.h"

#include "harness/util/diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

int mb_read_lines(const char *path, const char *what, void (*each)(void *ctx, const char *line), void *ctx)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		mb_errorf("%s: cannot read the %s: %s", path, what, strerror(errno));
		return MB_EXIT_ERROR;
	}
	char line[512];
	while (fgets(line, sizeof(line), f))
		each(ctx, line);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		mb_errorf("%s: read error", path);
		return MB_EXIT_ERROR;
	}
	return MB_EXIT_OK;
}
