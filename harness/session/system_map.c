#include "harness/session/system_map.h"

#include "harness/util/diag.h"
#include "harness/util/lines.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct image {
	uint64_t stext, etext;
	bool have_s, have_e;
};

/* "c0818000 D _etext": the first line naming each symbol counts. */
static void map_line(void *ctx, const char *line)
{
	struct image *im = ctx;
	uint64_t a;
	char type, name[64];
	if (sscanf(line, "%" SCNx64 " %c %63s", &a, &type, name) != 3)
		return;
	if (strcmp(name, "_stext") == 0 && !im->have_s) {
		im->stext = a;
		im->have_s = true;
	} else if (strcmp(name, "_etext") == 0 && !im->have_e) {
		im->etext = a;
		im->have_e = true;
	}
}

int mb_system_map_read(const char *path, uint64_t *stext, uint64_t *etext)
{
	struct image im = { 0, 0, false, false };
	if (mb_read_lines(path, "System.map", map_line, &im) != MB_EXIT_OK)
		return MB_EXIT_ERROR;
	if (!im.have_s || !im.have_e) {
		mb_errorf("%s: no %s symbol (not a System.map?)", path, im.have_e ? "_stext" : "_etext");
		return MB_EXIT_ERROR;
	}
	*stext = im.stext;
	*etext = im.etext;
	return MB_EXIT_OK;
}
