/* The one runner every Check suite's main() hands its tests to: one suite,
 * one tcase, Check's normal report (its closing "N%: Checks: ..." line
 * included) and exit status 1 when any test failed or erred, or when no
 * test ran at all (a group filter that selects nothing, "Checks: 0"),
 * else 0. */
#ifndef MODBED_TESTS_CHECK_MAIN_H
#define MODBED_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct check_test {
	const TTest *fn;
	/* _i runs 0..loops-1; a plain test is a loop of one, as in Check */
	int loops;
	/* NULL: always run; else only when the suite's `only` is NULL or this */
	const char *group;
};

#define CHECK_TEST(fn) { (fn), 1, NULL }
#define CHECK_LOOP(fn, n) { (fn), (int)(n), NULL }
#define CHECK_GROUP_TEST(group, fn) { (fn), 1, (group) }

struct check_suite {
	const char *suite, *tcase;
	/* seconds; 0 keeps Check's default (or CK_DEFAULT_TIMEOUT) */
	double timeout;
	/* a checked fixture (run in the forked child), or NULL */
	SFun setup, teardown;
	/* CK_FORK_GETENV (0, the default) lets CK_FORK in the environment decide */
	enum fork_status fork;
	/* selects the tests of one group (e.g. an arch name from argv), or NULL */
	const char *only;
};

static inline int check_run(const struct check_suite *cs, const struct check_test *tests,
			    size_t ntests)
{
	Suite *su = suite_create(cs->suite);
	TCase *tc = tcase_create(cs->tcase);
	if (cs->setup || cs->teardown)
		tcase_add_checked_fixture(tc, cs->setup, cs->teardown);
	if (cs->timeout > 0)
		tcase_set_timeout(tc, cs->timeout);
	int selected = 0;
	for (size_t i = 0; i < ntests; i++) {
		const struct check_test *t = &tests[i];
		if (t->group && cs->only && strcmp(t->group, cs->only) != 0)
			continue;
		tcase_add_loop_test(tc, t->fn, 0, t->loops);
		selected += t->loops;
	}
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_set_fork_status(sr, cs->fork);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr), ran = srunner_ntests_run(sr);
	srunner_free(sr);
	if (selected == 0 || ran == 0) {
		printf("%s: no test ran (group filter '%s' selects nothing): failed\n", cs->suite,
		       cs->only ? cs->only : "");
		return 1;
	}
	return failed ? 1 : 0;
}

#define CHECK_RUN(cs, tests) check_run((cs), (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
