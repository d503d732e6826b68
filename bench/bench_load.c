/* Load throughput: modules/s and relocations/s for reading, laying out,
 * placing and relocating objects from memory (mb_load_buffer) and unloading
 * them again, beside `llvm-readelf -r` listing the relocations of the same
 * files (fork/exec, output to /dev/null) as a reference ratio.
 *
 * Sets: the bundled test modules of each arch, loaded in order and unloaded
 * in reverse many times over; and the distribution corpus
 * (MODBED_CORPUS_DIR/<arch>, from tests/corpus/fetch.sh) when present, each
 * module loaded alone (its module dependencies then bind to traps). */
#include "arch/arch.h"
#include "arch/map.h"
#include "bench/bench_dirs.h"
#include "bench/bench_json.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct blob {
	char *path;
	uint8_t *b;
	size_t n;
};

struct set {
	struct blob *v;
	size_t n, cap;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_file(struct set *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return;
	}
	fclose(f);
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct blob){ strdup(path), b, (size_t)n };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .ko under dir, sorted by path (deterministic order). */
static void add_tree(struct set *s, const char *dir)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;
	char **stack = malloc(sizeof(char *));
	size_t sn = 1;
	stack[0] = strdup(dir);
	while (sn) {
		char *d = stack[--sn];
		DIR *dh = opendir(d);
		struct dirent *e;
		while (dh && (e = readdir(dh))) {
			if (e->d_name[0] == '.')
				continue;
			char *p;
			if (asprintf(&p, "%s/%s", d, e->d_name) < 0)
				continue;
			struct stat st;
			size_t len = strlen(e->d_name);
			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
				stack = realloc(stack, (sn + 1) * sizeof(char *));
				stack[sn++] = p;
			} else if (len > 3 && !strcmp(e->d_name + len - 3, ".ko")) {
				if (n == cap) {
					cap = cap ? 2 * cap : 256;
					paths = realloc(paths, cap * sizeof(char *));
				}
				paths[n++] = p;
			} else {
				free(p);
			}
		}
		if (dh)
			closedir(dh);
		free(d);
	}
	free(stack);
	qsort(paths, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		add_file(s, paths[i]);
		free(paths[i]);
	}
	free(paths);
}

static void add_list(struct set *s, const char *list)
{
	FILE *f = fopen(list, "r");
	char line[4096];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			add_file(s, line);
	}
	if (f)
		fclose(f);
}

static void free_set(struct set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].b);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct result {
	size_t loads, failed;
	uint64_t relocs;
	double secs;
};

/* together: load the whole set, then unload it newest first (exports
 * between modules resolve); otherwise each module alone. */
static struct result run(const struct mb_arch *arch, const struct set *s, unsigned rounds, bool together)
{
	struct result r = { 0 };
	struct mb_space space;
	struct mb_loader l;
	struct mb_err err;
	mb_space_init(&space, mb_arch_map(arch, NULL)->page_size);
	struct mb_loader_config cfg = { .arch = arch };
	if (mb_loader_init(&l, &cfg, &space, &err) != 0) {
		fprintf(stderr, "bench_load: %s\n", err.msg);
		exit(1);
	}
	struct mb_loaded_module **mods = calloc(s->n ? s->n : 1, sizeof(*mods));
	double t0 = now();
	for (unsigned k = 0; k < rounds; k++) {
		size_t live = 0;
		for (size_t i = 0; i < s->n; i++) {
			struct mb_loaded_module *m;
			if (mb_load_buffer(&l, s->v[i].path, s->v[i].b, s->v[i].n, &m, &err) != 0) {
				r.failed += k == 0;
				if (k == 0 && getenv("BENCH_LOAD_VERBOSE"))
					fprintf(stderr, "  %s\n", err.msg);
				continue;
			}
			r.loads++;
			r.relocs += m->nrelocs_applied;
			if (together) {
				mods[live++] = m;
			} else if (mb_unload_module(&l, m, &err) != 0) {
				fprintf(stderr, "bench_load: %s\n", err.msg);
				exit(1);
			}
		}
		while (live)
			if (mb_unload_module(&l, mods[--live], &err) != 0) {
				fprintf(stderr, "bench_load: %s\n", err.msg);
				exit(1);
			}
	}
	r.secs = now() - t0;
	free(mods);
	mb_loader_fini(&l);
	mb_space_fini(&space);
	return r;
}

/* llvm-readelf -r over the set, in batches of 128 files per process. */
static double readelf_secs(const struct set *s, unsigned rounds)
{
	const char *tool = getenv("LLVM_READELF") ? getenv("LLVM_READELF") : "llvm-readelf";
	double t0 = now();
	for (unsigned k = 0; k < rounds; k++) {
		for (size_t i = 0; i < s->n; i += 128) {
			size_t n = s->n - i < 128 ? s->n - i : 128;
			char **argv = calloc(n + 3, sizeof(char *));
			argv[0] = (char *)tool;
			argv[1] = "-r";
			for (size_t j = 0; j < n; j++)
				argv[2 + j] = s->v[i + j].path;
			fflush(stdout); /* the child must not inherit unwritten output */
			pid_t pid = fork();
			if (pid == 0) {
				if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
					_exit(127);
				execvp(tool, argv);
				_exit(127);
			}
			int st;
			waitpid(pid, &st, 0);
			free(argv);
			if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
				return -1;
		}
	}
	return now() - t0;
}

static void row(const char *arch, const char *set, const struct set *s, const struct result *r, unsigned rounds,
		double ref)
{
	double mps = r->loads / r->secs, rps = (double)r->relocs / r->secs;
	double refmps = ref > 0 ? (double)(s->n * rounds) / ref : 0;
	bench_cell("bench_load", "s:arch", arch, "s:set", set, "u:files", (uint64_t)s->n, "u:failed", (uint64_t)r->failed,
		   "u:rounds", (uint64_t)rounds, "f:modules_per_s", mps, "f:relocations_per_s", rps,
		   "f:readelf_modules_per_s", refmps, "f:ratio", refmps > 0 ? mps / refmps : 0.0, NULL);
	bench_text("%-10s %-8s %6zu %6zu %8u %12.0f %14.0f %14.0f %8.1fx\n", arch, set, s->n, r->failed, rounds, mps, rps,
	       refmps, refmps > 0 ? mps / refmps : 0);
}

int main(int argc, char **argv)
{
	if (!bench_args(argc, argv))
		return 2;
	char build[4096], src[4096];
	bench_dirs(build, sizeof(build), src, sizeof(src));
	bench_text("modbed load benchmark: read + layout + place + relocate from memory, then unload\n");
	bench_text("(reference: llvm-readelf -r over the same files, fork/exec, 128 files per process)\n\n");
	bench_text("%-10s %-8s %6s %6s %8s %12s %14s %14s %9s\n", "arch", "set", "files", "failed", "rounds", "modules/s",
	       "relocations/s", "readelf mod/s", "ratio");
	for (size_t a = 0; a < mb_narches; a++) {
		const struct mb_arch *arch = mb_arches[a];
		char path[8300];
		struct set s = { 0 };
		snprintf(path, sizeof(path), "%s/tests/modules/%s/modules.txt", build, arch->name);
		add_list(&s, path);
		if (s.n) {
			unsigned rounds = 300;
			struct result r = run(arch, &s, rounds, true);
			row(arch->name, "modules", &s, &r, rounds, readelf_secs(&s, 3) / 3 * rounds);
		}
		free_set(&s);
		snprintf(path, sizeof(path), "%s/%s", MODBED_CORPUS_DIR, arch->name);
		add_tree(&s, path);
		if (s.n) {
			struct result r = run(arch, &s, 3, false);
			row(arch->name, "corpus", &s, &r, 3, readelf_secs(&s, 1) * 3);
		}
		free_set(&s);
	}
	return 0;
}
