/* `modbed map FILE... --svg OUT.svg`: loads the files as `modbed load` does
 * (same options, same runtime: inits run and init memory is freed unless
 * --no-init) and draws the placement state (harness/picture/). */
#include "harness/cli/commands.h"
#include "harness/picture/picture.h"
#include "harness/session/runtime.h"
#include "harness/util/diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int write_svg(const char *path, const struct mb_loader *l, const struct mb_cli *cli)
{
	struct mb_picture pic;
	if (mb_picture_collect(l, cli->policy, cli->pack, &pic) != 0) {
		mb_errorf("out of memory");
		return MB_EXIT_ERROR;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		mb_errorf("%s: cannot write: %s", path, strerror(errno));
		mb_picture_free(&pic);
		return MB_EXIT_ERROR;
	}
	/* only a regular file is removed after a failed write (never a
	 * device such as /dev/full) */
	struct stat sb;
	bool regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
	struct mb_pic_stats st;
	int rc = mb_picture_svg(f, &pic, &st);
	int werr = ferror(f) ? errno : 0;
	if (fclose(f) != 0 && !werr)
		werr = errno;
	mb_picture_free(&pic);
	if (rc != 0 || werr) {
		/* no half-written picture left behind */
		if (regular)
			remove(path);
		if (rc != 0)
			mb_errorf("out of memory");
		else
			mb_errorf("%s: cannot write: %s", path, strerror(werr ? werr : EIO));
		return MB_EXIT_ERROR;
	}
	printf("%s: %zu modules, %zu large-page rows, %zu split (%zu mixed, %zu hole)\n", path, pic.nmodules, st.rows,
	       st.split_mixed + st.split_hole, st.split_mixed, st.split_hole);
	return MB_EXIT_OK;
}

int cmd_map(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_LOAD_OPTS | MB_OPT_SVG) != 0)
		return MB_EXIT_USAGE;
	if (!cli->svg) {
		mb_errorf("usage: 'map' needs --svg FILE (see modbed --help)");
		return MB_EXIT_USAGE;
	}
	struct mb_runtime rt;
	int rc = mb_runtime_open(&rt, cli);
	if (rc != MB_EXIT_OK)
		return rc;
	rc = mb_runtime_load_all(&rt, cli);
	if (rc == MB_EXIT_OK)
		rc = write_svg(cli->svg, &rt.s.loader, cli);
	mb_runtime_close(&rt);
	return rc;
}
