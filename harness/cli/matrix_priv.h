/* What harness/cli/cmd_matrix.c (running the cells) and
 * harness/cli/matrix_report.c (the JUnit and JSON reports) share. */
#ifndef MODBED_HARNESS_CLI_MATRIX_PRIV_H
#define MODBED_HARNESS_CLI_MATRIX_PRIV_H

#include "arch/arch.h"
#include "harness/session/callspec.h"
#include "harness/session/kunit.h"
#include "harness/util/diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cell {
	const struct mb_arch *arch;
	const char *map, *policy, *bounds, *kernel;
	char label[160];
	/* filled after the run */
	pid_t pid;
	bool done;
	int status;             /* the cell's own exit status */
	double seconds;
	char *ktap;
	struct mb_ktap parsed;
	struct mb_callcheck_result *calls;
	size_t ncalls;
	char *error;            /* load error or fault, for people */
};

static inline bool cell_failed(const struct cell *c)
{
	return c->status != MB_EXIT_OK;
}

/* --junit FILE: one testsuite per cell; -1 if FILE cannot be written. */
int mb_matrix_write_junit(const char *path, const struct cell *cells, size_t n, size_t ncalls);
/* --json: the run's summary and every cell's results on stdout. */
void mb_matrix_write_json(const struct cell *cells, size_t n, size_t nfailed, double wall);

#endif
