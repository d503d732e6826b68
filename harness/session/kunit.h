/* KUnit test modules on the machine, run by the real KUnit core: kunit.ko
 * is loaded as the provider of the test modules' kunit_* imports (through
 * the modpath index: --modpath, else the test modules' own directories),
 * and each test module's `.kunit_test_suites` is handed to kunit.ko's
 * __kunit_test_suites_init, as 6.1's module notifier does when the module
 * is COMING, then to __kunit_test_suites_exit. KUnit prints its own KTAP
 * through printk; the document starts with the executor's top-level
 * "KTAP version 1" and "1..N" over all suites of all modules (as
 * lib/kunit/executor.c prints for built-in suites), since every module is
 * loaded before the first suite runs and the suite numbers run on. */
#ifndef MODBED_HARNESS_SESSION_KUNIT_H
#define MODBED_HARNESS_SESSION_KUNIT_H

#include "harness/session/runtime.h"
#include "harness/util/ktap.h"

struct mb_kunit_run {
	char *ktap;               /* the KTAP document, printk levels removed */
	size_t len;
	struct mb_ktap parsed;    /* ktap, read back */
	size_t nsuites_planned;   /* .kunit_test_suites entries over all modules */
	bool faulted;             /* a fault outside a case's kthread ended the run */
	struct mb_fault fault;
	double seconds;           /* wall clock of the suite runs */
};

/* Default limits for a KUnit run (whole suites run in one call). */
#define MB_KUNIT_BUDGET 200000000000ull
#define MB_KUNIT_TIMEOUT_MS (30u * 60u * 1000u)

/* Loads paths (each with its providers), runs every suite, then each
 * module's init; unloads nothing (the runtime's close does). Modules without
 * suites are just loaded (no kunit.ko needed, empty KTAP). -1 with err when
 * a module does not load or kunit.ko cannot be found. */
int mb_kunit_run(struct mb_runtime *rt, const char *const *paths, size_t npaths, struct mb_kunit_run *out,
		 struct mb_err *err);
void mb_kunit_run_free(struct mb_kunit_run *out);
/* mb_kunit_run on cli's files with cli's --modpath dirs and the KUnit
 * default limits unless --budget / --timeout were given. */
int mb_kunit_run_cli(struct mb_runtime *rt, const struct mb_cli *cli, struct mb_kunit_run *out, struct mb_err *err);

#endif
