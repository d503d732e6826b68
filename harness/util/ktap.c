/* KTAP as KUnit prints it (ktap.h). */
#include "harness/util/ktap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mb_ktap_status_name(enum mb_ktap_status s)
{
	return s == MB_KTAP_PASS ? "pass" : s == MB_KTAP_SKIP ? "skip" : "fail";
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

static void grow(void **p, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return;
	size_t c = *cap ? 2 * *cap : 8;
	void *np = realloc(*p, c * elem);
	if (!np)
		abort();
	memset((char *)np + *cap * elem, 0, (c - *cap) * elem);
	*p = np;
	*cap = c;
}

/* "ok N name # SKIP reason" / "not ok N name": true with the parts. */
static bool result_line(const char *l, bool *ok, char **name, char **reason)
{
	*ok = strncmp(l, "ok ", 3) == 0;
	if (!*ok && strncmp(l, "not ok ", 7) != 0)
		return false;
	l += *ok ? 3 : 7;
	while (*l >= '0' && *l <= '9')
		l++;
	while (*l == ' ')
		l++;
	const char *hash = strstr(l, " # ");
	const char *end = hash ? hash : l + strlen(l);
	*name = dupn(l, (size_t)(end - l));
	*reason = NULL;
	if (hash) {
		const char *d = hash + 3;
		if (strncmp(d, "SKIP", 4) == 0) {
			d += 4;
			while (*d == ' ')
				d++;
			*reason = dupn(d, strlen(d));
		}
	}
	return true;
}

struct pend { char *p; size_t len; };

static void pend_add(struct pend *d, const char *s, size_t n)
{
	char *np = realloc(d->p, d->len + n + 2);
	if (!np)
		return;
	d->p = np;
	if (d->len)
		d->p[d->len++] = '\n';
	memcpy(d->p + d->len, s, n);
	d->len += n;
	d->p[d->len] = 0;
}

void mb_ktap_parse(struct mb_ktap *k, const char *text)
{
	memset(k, 0, sizeof(*k));
	size_t scap = 0, ccap = 0;
	struct mb_ktap_suite *cur = NULL;
	struct pend diag = { NULL, 0 };
	unsigned params = 0, params_failed = 0, params_passed = 0, params_skipped = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char *line = dupn(l, n);
		l += n + (nl ? 1 : 0);
		if (!line)
			break;
		size_t ind = 0;
		while (line[ind] == ' ')
			ind++;
		unsigned level = (unsigned)(ind / 4);
		const char *t = line + ind;
		bool ok;
		char *name, *reason;
		if (strncmp(t, "# Subtest: ", 11) == 0) {
			if (level == 1) {
				grow((void **)&k->suites, k->nsuites, &scap, sizeof(*k->suites));
				cur = &k->suites[k->nsuites++];
				cur->name = dupn(t + 11, strlen(t + 11));
				cur->status = MB_KTAP_PASS;
				ccap = 0;
				free(diag.p);
				diag = (struct pend){ NULL, 0 };
			}
		} else if (strncmp(t, "1..", 3) == 0) {
			size_t v = strtoul(t + 3, NULL, 10);
			if (level == 0)
				k->planned = v;
			else if (level == 1 && cur)
				cur->planned = v;
		} else if (strncmp(t, "KTAP version", 12) == 0 || strncmp(t, "TAP version", 11) == 0) {
			/* headers */
		} else if (result_line(t, &ok, &name, &reason)) {
			enum mb_ktap_status st = reason ? MB_KTAP_SKIP : ok ? MB_KTAP_PASS : MB_KTAP_FAIL;
			if (level == 0 && cur) {
				cur->status = st;
				cur->reason = reason;
				free(name);
				cur = NULL;
			} else if (level == 1 && cur) {
				grow((void **)&cur->cases, cur->ncases, &ccap, sizeof(*cur->cases));
				struct mb_ktap_case *c = &cur->cases[cur->ncases++];
				c->name = name;
				c->status = st;
				c->reason = reason;
				c->diag = diag.p;
				c->nparams = params;
				c->params_failed = params_failed;
				diag = (struct pend){ NULL, 0 };
				if (params) {
					k->tests_passed += params_passed;
					k->tests_failed += params_failed;
					k->tests_skipped += params_skipped;
				} else {
					k->tests_passed += st == MB_KTAP_PASS;
					k->tests_failed += st == MB_KTAP_FAIL;
					k->tests_skipped += st == MB_KTAP_SKIP;
				}
				params = params_failed = params_passed = params_skipped = 0;
				if (st == MB_KTAP_PASS)
					k->passed++;
				else if (st == MB_KTAP_SKIP)
					k->skipped++;
				else
					k->failed++;
			} else {
				if (level >= 2) {
					params++;
					params_failed += st == MB_KTAP_FAIL;
					params_passed += st == MB_KTAP_PASS;
					params_skipped += st == MB_KTAP_SKIP;
					if (st == MB_KTAP_FAIL) {
						char buf[300];
						size_t bl = (size_t)snprintf(buf, sizeof(buf), "param failed: %s", name);
						pend_add(&diag, buf, bl < sizeof(buf) ? bl : sizeof(buf) - 1);
					}
				}
				free(name);
				free(reason);
			}
		} else if (cur && level >= 1 && *t) {
			pend_add(&diag, t, strlen(t));
		}
		free(line);
	}
	free(diag.p);
}

void mb_ktap_free(struct mb_ktap *k)
{
	for (size_t i = 0; i < k->nsuites; i++) {
		struct mb_ktap_suite *s = &k->suites[i];
		for (size_t j = 0; j < s->ncases; j++) {
			free(s->cases[j].name);
			free(s->cases[j].reason);
			free(s->cases[j].diag);
		}
		free(s->cases);
		free(s->name);
		free(s->reason);
	}
	free(k->suites);
	memset(k, 0, sizeof(*k));
}
