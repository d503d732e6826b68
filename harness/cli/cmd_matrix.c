/* modbed matrix FILE.ko... [--arch A,..|all] [--map M,..|all] [--policy P,..|all]
 *               [--bounds B,..|all] [--kernel V,..] [--modpath DIR]... [--spec FILE]
 *               [-j N] [--junit FILE] [--json] [--ktap-dir DIR]
 *
 * One cell per arch x map x policy x bounds x kernel. Each cell runs in its
 * own forked process (a crash or a hang of one cell stays in it): it loads
 * the files built for its arch (the others are skipped, so one command line
 * can name each arch's build of a module), runs their KUnit suites with the
 * real kunit.ko (harness/session/kunit.h) and the call checks of --spec
 * (harness/session/callspec.h), and leaves its KTAP and results in a
 * scratch directory the parent reads back. Progress: one rewritten line on a
 * terminal, a plain line per finished cell otherwise. Exit 1 if any cell
 * failed (a case or call check failed, a module did not load, a fault).
 *
 * --kernel V,..: the kernel-version rule set of each cell (as --kernel on
 * load); without it one value, "vermagic": each module's own version. */
#include "harness/cli/commands.h"
#include "harness/cli/matrix_priv.h"
#include "arch/arch.h"
#include "arch/map.h"
#include "core/lookup.h"
#include "core/place.h"
#include "harness/elf/elf.h"
#include "harness/session/callspec.h"
#include "harness/session/kunit.h"
#include "harness/util/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_AXIS 16

struct axes {
	const struct mb_arch *arch[MAX_AXIS];
	size_t narch;
	const char *map[MAX_AXIS], *policy[MAX_AXIS], *bounds[MAX_AXIS], *kernel[MAX_AXIS];
	size_t nmap, npolicy, nbounds, nkernel;
	char *buf[5];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Splits a comma list in place. */
static int split(char *s, const char **out, size_t *n, const char *what)
{
	*n = 0;
	for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
		if (*n == MAX_AXIS) {
			mb_errorf("usage: more than %d values for %s", MAX_AXIS, what);
			return -1;
		}
		out[(*n)++] = t;
	}
	return 0;
}

static int parse_axes(struct axes *a, const struct mb_cli *cli)
{
	memset(a, 0, sizeof(*a));
	const char *src[5] = { cli->arch ? cli->arch : NULL, cli->map, cli->policy, cli->bounds, cli->kernel };
	for (int i = 0; i < 5; i++)
		a->buf[i] = src[i] ? strdup(src[i]) : NULL;
	/* arch: a list, all, or (absent) the arches of the files. */
	if (!a->buf[0] || strcmp(a->buf[0], "all") == 0) {
		for (size_t i = 0; i < mb_narches; i++) {
			bool used = !!a->buf[0];
			for (size_t p = 0; p < cli->npaths && !used; p++) {
				const struct mb_arch *fa;
				struct mb_err err;
				used = mb_elf_probe_arch(cli->paths[p], &fa, &err) == 0 && fa == mb_arches[i];
			}
			if (used)
				a->arch[a->narch++] = mb_arches[i];
		}
	} else {
		const char *names[MAX_AXIS];
		size_t n;
		if (split(a->buf[0], names, &n, "--arch") != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (!(a->arch[a->narch++] = mb_arch_by_name(names[i]))) {
				mb_errorf("usage: unknown arch '%s' (x86_64, arm64, powerpc32, all)", names[i]);
				return -1;
			}
		}
	}
	/* map: a list, all (every map of each arch), or (absent) each default. */
	if (a->buf[1] && split(a->buf[1], a->map, &a->nmap, "--map") != 0)
		return -1;
	if (a->buf[2] && strcmp(a->buf[2], "all") != 0 && split(a->buf[2], a->policy, &a->npolicy, "--policy") != 0)
		return -1;
	if (a->buf[2] && strcmp(a->buf[2], "all") == 0)
		for (int p = 0; p < MB_NPOLICIES; p++)
			a->policy[a->npolicy++] = mb_policy_name((enum mb_policy)p);
	if (!a->npolicy)
		a->policy[a->npolicy++] = mb_policy_name(MB_POLICY_KERNEL);
	if (a->buf[3] && strcmp(a->buf[3], "all") != 0 && split(a->buf[3], a->bounds, &a->nbounds, "--bounds") != 0)
		return -1;
	if (a->buf[3] && strcmp(a->buf[3], "all") == 0)
		for (int b = 0; b < MB_NBOUNDS; b++)
			a->bounds[a->nbounds++] = mb_bounds_name((enum mb_bounds)b);
	if (!a->nbounds)
		a->bounds[a->nbounds++] = mb_bounds_name(MB_BOUNDS_KERNEL);
	if (a->buf[4] && split(a->buf[4], a->kernel, &a->nkernel, "--kernel") != 0)
		return -1;
	if (!a->nkernel)
		a->kernel[a->nkernel++] = "vermagic";
	for (size_t i = 0; i < a->npolicy; i++)
		if (mb_policy_parse(a->policy[i]) < 0) {
			mb_errorf("usage: unknown placement policy '%s' (kernel, packed, builtin, all)", a->policy[i]);
			return -1;
		}
	for (size_t i = 0; i < a->nbounds; i++)
		if (mb_bounds_parse(a->bounds[i]) < 0) {
			mb_errorf("usage: unknown bounds policy '%s' (kernel, split, pertype, all)", a->bounds[i]);
			return -1;
		}
	if (!a->narch) {
		mb_errorf("usage: none of the files is a module of a known arch");
		return -1;
	}
	return 0;
}

static void free_axes(struct axes *a)
{
	for (int i = 0; i < 5; i++)
		free(a->buf[i]);
}

/* Every cell of the axes; maps that an arch does not have make no cell. */
static struct cell *make_cells(const struct axes *a, size_t *n)
{
	size_t cap = 64;
	struct cell *cells = calloc(cap, sizeof(*cells));
	*n = 0;
	for (size_t ai = 0; cells && ai < a->narch; ai++) {
		const struct mb_arch *arch = a->arch[ai];
		const char *maps[MAX_AXIS * 4];
		size_t nmaps = 0;
		if (!a->nmap)
			maps[nmaps++] = arch->maps[0]->name;
		for (size_t i = 0; i < a->nmap; i++) {
			if (strcmp(a->map[i], "all") == 0) {
				for (size_t k = 0; k < arch->nmaps && nmaps < MAX_AXIS * 4; k++)
					maps[nmaps++] = arch->maps[k]->name;
			} else if (mb_arch_map(arch, a->map[i])) {
				maps[nmaps++] = a->map[i];
			}
		}
		for (size_t mi = 0; mi < nmaps; mi++)
			for (size_t pi = 0; pi < a->npolicy; pi++)
				for (size_t bi = 0; bi < a->nbounds; bi++)
					for (size_t ki = 0; ki < a->nkernel; ki++) {
						if (*n == cap) {
							struct cell *nc = realloc(cells, 2 * cap * sizeof(*nc));
							if (!nc) {
								free(cells);
								return NULL;
							}
							memset(nc + cap, 0, cap * sizeof(*nc));
							cells = nc;
							cap *= 2;
						}
						struct cell *c = &cells[(*n)++];
						c->arch = arch;
						c->map = maps[mi];
						c->policy = a->policy[pi];
						c->bounds = a->bounds[bi];
						c->kernel = a->kernel[ki];
						snprintf(c->label, sizeof(c->label), "%s/%s/%s/%s/%s", arch->name, c->map,
							 c->policy, c->bounds, c->kernel);
					}
	}
	return cells;
}

/* ---- one cell, in the child ------------------------------------------------ */

static void write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(s, 1, n, f);
		fclose(f);
	}
}

/* The child: runs the cell, writes DIR/N.ktap and DIR/N.res, exits with the
 * cell's status. */
static int run_cell(const struct mb_cli *cli, const struct cell *c, const struct mb_callspec *spec,
		    const char *dir, size_t idx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%zu.res", dir, idx);
	FILE *res = fopen(path, "w");
	if (!res)
		return MB_EXIT_ERROR;
	snprintf(path, sizeof(path), "%s/%zu.err", dir, idx);
	if (!freopen(path, "w", stderr))
		return MB_EXIT_ERROR;
	struct mb_cli cc = *cli;
	cc.arch = c->arch->name;
	cc.map = c->map;
	cc.policy = c->policy;
	cc.bounds = c->bounds;
	cc.kernel = strcmp(c->kernel, "vermagic") == 0 ? NULL : c->kernel;
	/* The cell's own arch's files (a forked child: freed at its exit;
	 * static, so still reachable then). */
	static const char **mine;
	mine = calloc(cli->npaths ? cli->npaths : 1, sizeof(*mine));
	if (!mine) {
		fclose(res);
		return MB_EXIT_ERROR;
	}
	cc.npaths = 0;
	for (size_t i = 0; i < cli->npaths; i++) {
		const struct mb_arch *fa;
		struct mb_err err;
		if (mb_elf_probe_arch(cli->paths[i], &fa, &err) == 0 && fa == c->arch)
			mine[cc.npaths++] = cli->paths[i];
	}
	cc.paths = mine;
	double t0 = now_s();
	int rc = MB_EXIT_OK;
	struct mb_runtime rt;
	if (cc.npaths == 0) {
		fprintf(res, "error\tno module given for %s\n", c->arch->name);
		fclose(res);
		return MB_EXIT_ERROR;
	}
	if ((rc = mb_runtime_open(&rt, &cc)) != MB_EXIT_OK) {
		fprintf(res, "error\tcannot open the %s runtime\n", c->label);
		fclose(res);
		return rc;
	}
	struct mb_err err = { "" };
	struct mb_kunit_run run;
	if (mb_kunit_run_cli(&rt, &cc, &run, &err) != 0) {
		fprintf(res, "error\t%s\n", err.msg);
		rc = MB_EXIT_ERROR;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%zu.ktap", dir, idx);
	write_file(path, run.ktap, run.len);
	if (run.faulted) {
		fprintf(res, "error\tguest fault %s at %s: %s\n", mb_fault_kind_name(run.fault.kind), run.fault.pc_sym,
			run.fault.detail);
		rc = MB_EXIT_FAULT;
	} else if (run.parsed.failed || run.parsed.nsuites < run.nsuites_planned) {
		rc = MB_EXIT_ERROR;
	}
	mb_kunit_run_free(&run);
	for (size_t i = 0; spec && i < spec->n && rc != MB_EXIT_FAULT; i++) {
		struct mb_callcheck_result r;
		if (mb_callcheck_run(&rt, &spec->checks[i], &r, &err) != 0) {
			r.ok = false;
			snprintf(r.message, sizeof(r.message), "%s", err.msg);
		}
		for (char *p = r.message; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		fprintf(res, "call\t%s\t%s\t%s\n", spec->checks[i].name, r.ok ? "ok" : "fail", r.message);
		if (!r.ok)
			rc = MB_EXIT_ERROR;
	}
out:
	fprintf(res, "seconds\t%.3f\n", now_s() - t0);
	fclose(res);
	mb_runtime_close(&rt);
	return rc;
}

/* ---- the parent -------------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	size_t k;
	while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (n + 1 == cap) {
			char *ns = realloc(s, cap * 2);
			if (!ns) {
				free(s);
				s = NULL;
				break;
			}
			s = ns;
			cap *= 2;
		}
	}
	fclose(f);
	if (s)
		s[n] = 0;
	return s;
}

static void collect(struct cell *c, const struct mb_callspec *spec, const char *dir, size_t idx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%zu.ktap", dir, idx);
	c->ktap = slurp(path);
	if (!c->ktap)
		c->ktap = strdup("");
	mb_ktap_parse(&c->parsed, c->ktap);
	c->calls = calloc(spec && spec->n ? spec->n : 1, sizeof(*c->calls));
	snprintf(path, sizeof(path), "%s/%zu.res", dir, idx);
	char *res = slurp(path);
	for (char *line = res ? strtok(res, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab++ = 0;
		if (strcmp(line, "seconds") == 0) {
			c->seconds = strtod(tab, NULL);
		} else if (strcmp(line, "error") == 0 && !c->error) {
			c->error = strdup(tab);
		} else if (strcmp(line, "call") == 0 && c->calls && spec && c->ncalls < spec->n) {
			char *st = strchr(tab, '\t');
			char *msg = st ? strchr(st + 1, '\t') : NULL;
			if (!st || !msg)
				continue;
			struct mb_callcheck_result *r = &c->calls[c->ncalls++];
			r->ok = strncmp(st + 1, "ok", 2) == 0;
			snprintf(r->message, sizeof(r->message), "%s", msg + 1);
		}
	}
	free(res);
	if (!c->error && c->status != MB_EXIT_OK && c->status != MB_EXIT_ERROR) {
		snprintf(path, sizeof(path), "%s/%zu.err", dir, idx);
		char *e = slurp(path);
		c->error = e && *e ? e : strdup("the cell's process died");
		if (e && !*e)
			free(e);
	}
}

static void progress(bool tty, const struct cell *cells, size_t n, size_t done, size_t running, size_t failed,
		     const struct cell *just)
{
	if (tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %zu running, %zu failed%s%s", done, n, running, failed,
			just ? "  last: " : "", just ? just->label : "");
		if (done == n)
			fputc('\n', stderr);
	} else if (just) {
		fprintf(stderr, "modbed: matrix: [%zu/%zu] %s: %s (%u passed, %u skipped, %u failed, %zu calls; %.2f s)\n",
			done, n, just->label, cell_failed(just) ? "FAIL" : "ok", just->parsed.tests_passed,
			just->parsed.tests_skipped, just->parsed.tests_failed, just->ncalls, just->seconds);
	}
	(void)cells;
}

static int rm_scratch(const char *dir, size_t n)
{
	static const char *const ext[] = { "ktap", "res", "err" };
	char path[4096];
	for (size_t i = 0; i < n; i++)
		for (int e = 0; e < 3; e++) {
			snprintf(path, sizeof(path), "%s/%zu.%s", dir, i, ext[e]);
			unlink(path);
		}
	return rmdir(dir);
}

int cmd_matrix(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON | MB_OPT_SEED |
				       MB_OPT_STRICT | MB_OPT_BUDGET | MB_OPT_TIMEOUT | MB_OPT_PATHS | MB_OPT_MODPATH |
				       MB_OPT_MATRIX | MB_OPT_KERNEL) != 0)
		return MB_EXIT_USAGE;
	if (cli->npaths == 0) {
		mb_errorf("usage: modbed matrix FILE.ko... [--arch A,..|all] [--policy P,..|all] [--bounds B,..|all] [-j N]");
		return MB_EXIT_USAGE;
	}
	if (cli->tree) {
		mb_errorf("usage: matrix takes --bounds, not --tree");
		return MB_EXIT_USAGE;
	}
	/* Every file must be a module of some arch before any cell runs. */
	for (size_t i = 0; i < cli->npaths; i++) {
		const struct mb_arch *fa;
		struct mb_err perr;
		if (mb_elf_probe_arch(cli->paths[i], &fa, &perr) != 0) {
			mb_report(&perr);
			return MB_EXIT_ERROR;
		}
	}
	struct axes ax;
	if (parse_axes(&ax, cli) != 0) {
		free_axes(&ax);
		return MB_EXIT_USAGE;
	}
	struct mb_callspec spec = { 0 };
	struct mb_err err = { "" };
	if (cli->spec && mb_callspec_read(&spec, cli->spec, &err) != 0) {
		mb_report(&err);
		free_axes(&ax);
		return MB_EXIT_ERROR;
	}
	size_t n;
	struct cell *cells = make_cells(&ax, &n);
	if (!cells || n == 0) {
		mb_errorf("matrix: no cell (no map of the arches given matches --map)");
		free(cells);
		mb_callspec_free(&spec);
		free_axes(&ax);
		return MB_EXIT_USAGE;
	}
	char dir[] = "/tmp/modbed-matrix.XXXXXX";
	if (!mkdtemp(dir)) {
		mb_errorf("matrix: cannot make a scratch directory: %s", strerror(errno));
		return MB_EXIT_ERROR;
	}
	size_t jobs = cli->jobs ? (size_t)cli->jobs : 1;
	bool tty = isatty(2);
	double t0 = now_s();
	size_t next = 0, running = 0, done = 0, failed = 0;
	fflush(stdout);
	fflush(stderr);
	while (done < n) {
		while (running < jobs && next < n) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(run_cell(cli, &cells[next], &spec, dir, next));
			if (pid < 0) {
				cells[next].status = MB_EXIT_ERROR;
				cells[next].error = strdup("fork failed");
				cells[next].done = true;
				done++;
				failed++;
			} else {
				cells[next].pid = pid;
				running++;
			}
			next++;
		}
		progress(tty, cells, n, done, running, failed, NULL);
		int st;
		pid_t pid = wait(&st);
		if (pid < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			struct cell *c = &cells[i];
			if (c->pid != pid || c->done)
				continue;
			c->done = true;
			c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			collect(c, &spec, dir, i);
			running--;
			done++;
			failed += cell_failed(c);
			if (cli->ktap_dir) {
				char path[4096];
				mkdir(cli->ktap_dir, 0777);
				snprintf(path, sizeof(path), "%s/%s.ktap", cli->ktap_dir, c->label);
				for (char *p = path + strlen(cli->ktap_dir) + 1; *p; p++)
					if (*p == '/')
						*p = '_';
				write_file(path, c->ktap, strlen(c->ktap));
			}
			progress(tty, cells, n, done, running, failed, c);
		}
	}
	double wall = now_s() - t0;
	rm_scratch(dir, n);
	int rc = failed ? MB_EXIT_ERROR : MB_EXIT_OK;
	if (cli->junit && mb_matrix_write_junit(cli->junit, cells, n, spec.n) != 0) {
		mb_errorf("%s: cannot write the JUnit file", cli->junit);
		rc = MB_EXIT_ERROR;
	}
	if (cli->json)
		mb_matrix_write_json(cells, n, failed, wall);
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += cells[i].seconds;
		if (cell_failed(&cells[i]))
			fprintf(stderr, "modbed: matrix: %s failed%s%s\n", cells[i].label, cells[i].error ? ": " : "",
				cells[i].error ? cells[i].error : "");
	}
	fprintf(stderr, "modbed: matrix: %zu cells, %zu failed; %.2f s wall with -j %zu, %.2f s per cell\n", n, failed,
		wall, jobs, sum / (double)n);
	for (size_t i = 0; i < n; i++) {
		free(cells[i].ktap);
		mb_ktap_free(&cells[i].parsed);
		free(cells[i].calls);
		free(cells[i].error);
	}
	free(cells);
	mb_callspec_free(&spec);
	free_axes(&ax);
	return rc;
}
