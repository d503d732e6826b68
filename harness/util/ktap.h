/* Reading KTAP (Documentation/dev-tools/ktap.rst) as KUnit prints it: a
 * top-level plan of suites, each suite a subtest indented by four spaces
 * with its cases, a parameterised case a subtest of its own (its params one
 * level deeper). What `modbed kunit` and `modbed matrix` count, report as
 * JUnit and JSON. Diagnostic lines ("# ...") before a result belong to it. */
#ifndef MODBED_UTIL_KTAP_H
#define MODBED_UTIL_KTAP_H

#include <stdbool.h>
#include <stddef.h>

enum mb_ktap_status { MB_KTAP_PASS, MB_KTAP_FAIL, MB_KTAP_SKIP };

struct mb_ktap_case {
	char *name;
	enum mb_ktap_status status;
	char *reason;        /* SKIP reason, else NULL */
	char *diag;          /* the "# " lines before the result, joined by '\n' (NULL: none) */
	unsigned nparams, params_failed;
};

struct mb_ktap_suite {
	char *name;
	enum mb_ktap_status status;
	char *reason;
	struct mb_ktap_case *cases;
	size_t ncases;
	size_t planned;      /* the suite's "1..N" */
};

struct mb_ktap {
	struct mb_ktap_suite *suites;
	size_t nsuites;
	size_t planned;      /* the top-level "1..N" (0: none) */
	unsigned passed, failed, skipped;   /* over cases */
	/* Over tests as kunit.py counts them: a parameterised case's params
	 * instead of the case. */
	unsigned tests_passed, tests_failed, tests_skipped;
};

/* Parses text (NUL-terminated). Lines that are not KTAP are ignored. */
void mb_ktap_parse(struct mb_ktap *k, const char *text);
void mb_ktap_free(struct mb_ktap *k);
const char *mb_ktap_status_name(enum mb_ktap_status s);

#endif
