/* Call checks with expected results (callspec.h). */
#include "harness/session/callspec.h"

#include "harness/machine/guestcall.h"
#include "harness/util/cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_check(struct mb_callcheck *c)
{
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c->name);
}

void mb_callspec_free(struct mb_callspec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free_check(&s->checks[i]);
	free(s->checks);
	memset(s, 0, sizeof(*s));
}

static int parse_line(struct mb_callcheck *c, char *line, const char *path, unsigned lineno, struct mb_err *err)
{
	char where[64];
	snprintf(where, sizeof(where), "line %u", lineno);
	char *arrow = strstr(line, "=>");
	if (!arrow)
		return mb_fail(err, path, where, "no '=> EXPECT' (FUNC ARG... => VALUE or fault:KIND)");
	*arrow = 0;
	char *expect = arrow + 2;
	while (*expect == ' ' || *expect == '\t')
		expect++;
	expect[strcspn(expect, " \t\r\n")] = 0;
	if (strncmp(expect, "fault:", 6) == 0) {
		c->want_fault = true;
		snprintf(c->fault_kind, sizeof(c->fault_kind), "%s", expect + 6);
	} else if (!mb_parse_u64(expect, &c->want)) {
		return mb_fail(err, path, where, "expected value '%s' is neither an integer nor fault:KIND", expect);
	}
	char *colon = strchr(line, ':');
	char *space = line + strcspn(line, " \t");
	char *words = line;
	if (colon && colon < space) {
		*colon = 0;
		c->name = strdup(line);
		words = colon + 1;
	}
	for (char *w = strtok(words, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		char **nv = realloc(c->argv, (size_t)(c->argc + 1) * sizeof(*nv));
		if (!nv)
			return mb_fail(err, path, where, "out of memory");
		c->argv = nv;
		c->argv[c->argc++] = strdup(w);
	}
	if (c->argc == 0)
		return mb_fail(err, path, where, "no function to call");
	if (!c->name)
		c->name = strdup(c->argv[0]);
	/* Syntax errors of the arguments now, before any cell runs. */
	struct mb_callplan plan;
	if (mb_callplan_parse(&plan, c->argv, c->argc, err) != 0)
		return -1;
	mb_callplan_free(&plan);
	return 0;
}

int mb_callspec_read(struct mb_callspec *s, const char *path, struct mb_err *err)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen(path, "r");
	if (!f)
		return mb_fail(err, path, NULL, "cannot open the call spec");
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == 0)
			continue;
		struct mb_callcheck *nc = realloc(s->checks, (s->n + 1) * sizeof(*nc));
		if (!nc) {
			rc = mb_fail(err, path, NULL, "out of memory");
			break;
		}
		s->checks = nc;
		struct mb_callcheck *c = &s->checks[s->n];
		memset(c, 0, sizeof(*c));
		if (parse_line(c, p, path, lineno, err) != 0) {
			free_check(c);
			rc = -1;
			break;
		}
		s->n++;
	}
	fclose(f);
	if (rc != 0)
		mb_callspec_free(s);
	return rc;
}

int mb_callcheck_run(struct mb_runtime *rt, const struct mb_callcheck *c, struct mb_callcheck_result *r,
		     struct mb_err *err)
{
	memset(r, 0, sizeof(*r));
	struct mb_callplan plan;
	if (mb_callplan_parse(&plan, c->argv, c->argc, err) != 0)
		return -1;
	int rc = -1;
	uint64_t fn, args[MB_CALL_MAX_ARGS];
	struct mb_call_result res;
	if (mb_callplan_place(&plan, rt->m, err) != 0 || mb_runtime_resolve(rt, plan.calls[0].func, &fn, err) != 0)
		goto out;
	mb_callplan_args(&plan, 0, args);
	if (mb_machine_call(rt->m, fn, args, plan.calls[0].nargs, &rt->lim, &res, err) != 0)
		goto out;
	rc = 0;
	unsigned bits = 8 * rt->s.arch->ptr_bytes;
	uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	char want[48];
	if (c->want_fault)
		snprintf(want, sizeof(want), "fault %s", c->fault_kind);
	else
		snprintf(want, sizeof(want), "0x%" PRIx64, c->want & mask);
	if (res.faulted) {
		const char *kind = mb_fault_kind_name(res.fault.kind);
		r->ok = c->want_fault && strcmp(c->fault_kind, kind) == 0;
		snprintf(r->message, sizeof(r->message), "%s: fault %s at %s: %s%s%s", c->name, kind, res.fault.pc_sym,
			 res.fault.detail, r->ok ? "" : "; expected ", r->ok ? "" : want);
	} else {
		r->ok = !c->want_fault && (res.ret & mask) == (c->want & mask);
		snprintf(r->message, sizeof(r->message), "%s returned 0x%" PRIx64 "%s%s", c->name, res.ret & mask,
			 r->ok ? "" : "; expected ", r->ok ? "" : want);
	}
out:
	mb_callplan_free(&plan);
	return rc;
}
