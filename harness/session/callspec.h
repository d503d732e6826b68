/* Call checks with expected results (`modbed matrix --spec FILE`), one per
 * line, `#` comments:
 *
 *   [NAME:] FUNC ARG... => EXPECT
 *
 * FUNC and ARG as on `modbed call` (harness/machine/guestcall.h); EXPECT is
 * an integer compared with the return value at the target's word width
 * (negative numbers sign-extended), or `fault:KIND` (write-protect,
 * unmapped, ...) for a call that must stop with that fault. NAME defaults to
 * FUNC. Each check runs on the cell's loaded modules. */
#ifndef MODBED_HARNESS_SESSION_CALLSPEC_H
#define MODBED_HARNESS_SESSION_CALLSPEC_H

#include "harness/session/runtime.h"

struct mb_callcheck {
	char *name;
	char **argv;          /* FUNC ARG... (for mb_callplan_parse) */
	int argc;
	bool want_fault;
	char fault_kind[24];  /* want_fault */
	uint64_t want;        /* !want_fault */
};

struct mb_callspec {
	struct mb_callcheck *checks;
	size_t n;
};

struct mb_callcheck_result {
	bool ok;
	char message[1024];   /* why it failed, or what it returned */
};

/* -1 with err (file:line) on a line that does not parse. */
int mb_callspec_read(struct mb_callspec *s, const char *path, struct mb_err *err);
void mb_callspec_free(struct mb_callspec *s);
/* Runs check c; the result says pass or fail. -1 only when the check cannot
 * run at all (unknown function: err). */
int mb_callcheck_run(struct mb_runtime *rt, const struct mb_callcheck *c, struct mb_callcheck_result *r,
		     struct mb_err *err);

#endif
