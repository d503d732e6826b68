/* matrix reports: --junit FILE (JUnit XML, one testsuite per cell) and
 * --json (the summary and each cell's results on stdout). */
#include "harness/cli/matrix_priv.h"
#include "harness/util/json.h"

#include <stdio.h>
#include <string.h>

static void xml_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* XML 1.0 allows no other control characters. */
			if (ch < 0x20 && ch != '\n' && ch != '\t')
				fputc('?', f);
			else
				fputc(ch, f);
		}
	}
}

static const char *first_line(const char *s, char *buf, size_t n)
{
	if (!s)
		return "";
	size_t k = strcspn(s, "\n");
	snprintf(buf, n, "%.*s", (int)(k < n - 1 ? k : n - 1), s);
	return buf;
}

/* JUnit (the schema of tests/matrix/junit.xsd): one <testsuite> per cell,
 * one <testcase> per KUnit case (classname CELL.SUITE) and per call check
 * (classname CELL.calls); a cell that did not run is one failed testcase. */
int mb_matrix_write_junit(const char *path, const struct cell *cells, size_t n, size_t ncalls)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	unsigned tt = 0, tf = 0, ts = 0;
	double tsec = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		tt += c->parsed.passed + c->parsed.failed + c->parsed.skipped + (unsigned)c->ncalls + (c->error ? 1 : 0);
		tf += c->parsed.failed + (c->error ? 1 : 0);
		ts += c->parsed.skipped;
		for (size_t k = 0; k < c->ncalls; k++)
			tf += !c->calls[k].ok;
		tsec += c->seconds;
	}
	(void)ncalls;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"modbed matrix\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
		tt, tf, ts, tsec);
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		unsigned t = c->parsed.passed + c->parsed.failed + c->parsed.skipped + (unsigned)c->ncalls + (c->error ? 1 : 0);
		unsigned fl = c->parsed.failed + (c->error ? 1 : 0);
		for (size_t k = 0; k < c->ncalls; k++)
			fl += !c->calls[k].ok;
		fprintf(f, "  <testsuite name=\"");
		xml_escaped(f, c->label);
		fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n", t, fl,
			c->parsed.skipped, c->seconds);
		fprintf(f, "    <properties>\n");
		const char *pk[5] = { "arch", "map", "policy", "bounds", "kernel" };
		const char *pv[5] = { c->arch->name, c->map, c->policy, c->bounds, c->kernel };
		for (int p = 0; p < 5; p++) {
			fprintf(f, "      <property name=\"%s\" value=\"", pk[p]);
			xml_escaped(f, pv[p]);
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "    </properties>\n");
		if (c->error) {
			char b[256];
			fprintf(f, "    <testcase classname=\"");
			xml_escaped(f, c->label);
			fprintf(f, "\" name=\"cell\" time=\"0\">\n      <failure message=\"");
			xml_escaped(f, first_line(c->error, b, sizeof(b)));
			fprintf(f, "\" type=\"cell\">");
			xml_escaped(f, c->error);
			fprintf(f, "</failure>\n    </testcase>\n");
		}
		for (size_t s = 0; s < c->parsed.nsuites; s++) {
			const struct mb_ktap_suite *su = &c->parsed.suites[s];
			for (size_t k = 0; k < su->ncases; k++) {
				const struct mb_ktap_case *kc = &su->cases[k];
				fprintf(f, "    <testcase classname=\"");
				xml_escaped(f, c->label);
				fputc('.', f);
				xml_escaped(f, su->name);
				fprintf(f, "\" name=\"");
				xml_escaped(f, kc->name);
				fprintf(f, "\" time=\"0\"");
				if (kc->status == MB_KTAP_PASS && !kc->diag) {
					fprintf(f, "/>\n");
					continue;
				}
				fprintf(f, ">\n");
				if (kc->status == MB_KTAP_FAIL) {
					char b[256];
					fprintf(f, "      <failure message=\"");
					xml_escaped(f, kc->diag ? first_line(kc->diag, b, sizeof(b)) : "not ok");
					fprintf(f, "\" type=\"kunit\">");
					xml_escaped(f, kc->diag ? kc->diag : "not ok");
					fprintf(f, "</failure>\n");
				} else if (kc->status == MB_KTAP_SKIP) {
					fprintf(f, "      <skipped message=\"");
					xml_escaped(f, kc->reason);
					fprintf(f, "\"/>\n");
				}
				if (kc->diag) {
					fprintf(f, "      <system-out>");
					xml_escaped(f, kc->diag);
					fprintf(f, "</system-out>\n");
				}
				fprintf(f, "    </testcase>\n");
			}
		}
		for (size_t k = 0; k < c->ncalls; k++) {
			fprintf(f, "    <testcase classname=\"");
			xml_escaped(f, c->label);
			fprintf(f, ".calls\" name=\"call %zu\" time=\"0\"", k + 1);
			if (c->calls[k].ok) {
				fprintf(f, "/>\n");
				continue;
			}
			fprintf(f, ">\n      <failure message=\"");
			xml_escaped(f, c->calls[k].message);
			fprintf(f, "\" type=\"call\"/>\n    </testcase>\n");
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	return fclose(f) == 0 ? 0 : -1;
}

void mb_matrix_write_json(const struct cell *cells, size_t n, size_t nfailed, double wall)
{
	struct mb_json j;
	mb_json_init(&j, stdout, false);
	mb_json_object(&j, NULL);
	mb_json_u64(&j, "cells", n);
	mb_json_u64(&j, "failed_cells", nfailed);
	mb_json_str(&j, "kernel_axis", "label only (kernel-version rule sets not applied)");
	char w[32];
	snprintf(w, sizeof(w), "%.3f", wall);
	mb_json_str(&j, "wall_seconds", w);
	mb_json_array(&j, "results");
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		mb_json_object(&j, NULL);
		mb_json_str(&j, "cell", c->label);
		mb_json_str(&j, "arch", c->arch->name);
		mb_json_str(&j, "map", c->map);
		mb_json_str(&j, "policy", c->policy);
		mb_json_str(&j, "bounds", c->bounds);
		mb_json_str(&j, "kernel", c->kernel);
		mb_json_str(&j, "status", cell_failed(c) ? "fail" : "pass");
		snprintf(w, sizeof(w), "%.3f", c->seconds);
		mb_json_str(&j, "seconds", w);
		mb_json_str(&j, "error", c->error);
		mb_json_u64(&j, "suites", c->parsed.nsuites);
		mb_json_u64(&j, "cases_passed", c->parsed.passed);
		mb_json_u64(&j, "cases_skipped", c->parsed.skipped);
		mb_json_u64(&j, "cases_failed", c->parsed.failed);
		mb_json_u64(&j, "tests_passed", c->parsed.tests_passed);
		mb_json_u64(&j, "tests_skipped", c->parsed.tests_skipped);
		mb_json_u64(&j, "tests_failed", c->parsed.tests_failed);
		mb_json_array(&j, "calls");
		for (size_t k = 0; k < c->ncalls; k++) {
			mb_json_object(&j, NULL);
			mb_json_str(&j, "status", c->calls[k].ok ? "pass" : "fail");
			mb_json_str(&j, "message", c->calls[k].message);
			mb_json_end(&j);
		}
		mb_json_end(&j);
		mb_json_end(&j);
	}
	mb_json_end(&j);
	mb_json_end(&j);
	mb_json_finish(&j);
}
