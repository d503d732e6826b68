/* modbed kunit FILE.ko... [--arch A] [--map M] [--policy P] [--bounds B]
 *                        [--modpath DIR] [--json] [--budget N] [--timeout MS]
 * Runs the KUnit suites of test modules with the real kunit.ko on the arch's
 * CPU (harness/session/kunit.h) and prints KUnit's KTAP on stdout (with
 * --json a document with the KTAP and every case instead). A summary goes to
 * stderr. Exit 0 when every case passed or was skipped, 1 when one failed
 * or a suite's cases are missing, 3 when a fault outside a case ended the
 * run. */
#include "harness/cli/commands.h"
#include "harness/session/kunit.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_json(const struct mb_runtime *rt, const struct mb_kunit_run *r)
{
	struct mb_json j;
	mb_json_init(&j, stdout, false);
	mb_json_object(&j, NULL);
	mb_json_str(&j, "arch", rt->s.arch->name);
	mb_json_u64(&j, "suites_planned", r->nsuites_planned);
	mb_json_u64(&j, "passed", r->parsed.passed);
	mb_json_u64(&j, "failed", r->parsed.failed);
	mb_json_u64(&j, "skipped", r->parsed.skipped);
	mb_json_object(&j, "tests");
	mb_json_u64(&j, "passed", r->parsed.tests_passed);
	mb_json_u64(&j, "failed", r->parsed.tests_failed);
	mb_json_u64(&j, "skipped", r->parsed.tests_skipped);
	mb_json_end(&j);
	mb_json_array(&j, "suites");
	for (size_t i = 0; i < r->parsed.nsuites; i++) {
		const struct mb_ktap_suite *s = &r->parsed.suites[i];
		mb_json_object(&j, NULL);
		mb_json_str(&j, "name", s->name);
		mb_json_str(&j, "status", mb_ktap_status_name(s->status));
		mb_json_array(&j, "cases");
		for (size_t c = 0; c < s->ncases; c++) {
			const struct mb_ktap_case *k = &s->cases[c];
			mb_json_object(&j, NULL);
			mb_json_str(&j, "name", k->name);
			mb_json_str(&j, "status", mb_ktap_status_name(k->status));
			if (k->reason)
				mb_json_str(&j, "reason", k->reason);
			if (k->diag)
				mb_json_str(&j, "diagnostic", k->diag);
			if (k->nparams)
				mb_json_u64(&j, "params", k->nparams);
			mb_json_end(&j);
		}
		mb_json_end(&j);
		mb_json_end(&j);
	}
	mb_json_end(&j);
	if (r->faulted)
		mb_json_str(&j, "fault", r->fault.detail);
	mb_json_str(&j, "ktap", r->ktap);
	mb_json_end(&j);
	mb_json_finish(&j);
}

/* Cases missing from a suite's plan count as failures. */
static size_t missing_cases(const struct mb_kunit_run *r)
{
	size_t miss = r->parsed.nsuites < r->nsuites_planned ? r->nsuites_planned - r->parsed.nsuites : 0;
	for (size_t i = 0; i < r->parsed.nsuites; i++) {
		const struct mb_ktap_suite *s = &r->parsed.suites[i];
		if (s->ncases < s->planned)
			miss += s->planned - s->ncases;
	}
	return miss;
}

int cmd_kunit(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON |
				       MB_OPT_SEED | MB_OPT_STRICT | MB_OPT_BUDGET | MB_OPT_TIMEOUT | MB_OPT_PATHS |
				       MB_OPT_MODPATH) != 0)
		return MB_EXIT_USAGE;
	if (cli->npaths == 0) {
		mb_errorf("usage: modbed kunit FILE.ko... [--arch A] [--map M] [--policy P] [--modpath DIR]");
		return MB_EXIT_USAGE;
	}
	struct mb_runtime rt;
	int rc = mb_runtime_open(&rt, cli);
	if (rc != MB_EXIT_OK)
		return rc;
	struct mb_err err = { "" };
	struct mb_kunit_run run;
	if (mb_kunit_run_cli(&rt, cli, &run, &err) != 0) {
		mb_report(&err);
		mb_runtime_close(&rt);
		return MB_EXIT_ERROR;
	}
	if (cli->json)
		print_json(&rt, &run);
	else
		fputs(run.ktap, stdout);
	fflush(stdout);
	size_t miss = missing_cases(&run);
	const struct mb_ktap *k = &run.parsed;
	fprintf(stderr,
		"modbed: kunit: %s: %zu suites, %u cases: %u passed, %u skipped, %u failed%s; "
		"%u tests (params counted): %u passed, %u skipped, %u failed (%.2f s)\n",
		rt.s.arch->name, k->nsuites, k->passed + k->skipped + k->failed, k->passed, k->skipped, k->failed,
		miss ? ", some missing" : "", k->tests_passed + k->tests_skipped + k->tests_failed, k->tests_passed,
		k->tests_skipped, k->tests_failed, run.seconds);
	rc = MB_EXIT_OK;
	if (run.faulted) {
		mb_fault_print(stderr, &run.fault);
		rc = MB_EXIT_FAULT;
	} else if (run.parsed.failed || miss) {
		rc = MB_EXIT_ERROR;
	}
	mb_kunit_run_free(&run);
	mb_runtime_close(&rt);
	return rc;
}
