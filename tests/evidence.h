/* Skipping a test for want of evidence (the Debian corpus, an oracle):
 * normally exit status 77, which CTest reports as skipped; with
 * MODBED_REQUIRE_EVIDENCE=1 in the environment (set by .ci/run) a failure,
 * so CI cannot go green without the evidence. Both say what is missing. */
#ifndef MODBED_TESTS_EVIDENCE_H
#define MODBED_TESTS_EVIDENCE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool evidence_required(void)
{
	const char *v = getenv("MODBED_REQUIRE_EVIDENCE");
	return v && strcmp(v, "1") == 0;
}

/* The exit status for a test that cannot run: 77, or 1 when required. */
static inline int evidence_missing(const char *what)
{
	if (evidence_required()) {
		printf("FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: %s\n", what);
		return 1;
	}
	printf("SKIP: %s\n", what);
	return 77;
}

#endif
