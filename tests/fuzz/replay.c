/* Deterministic replay for the ELF fuzz target, built with any compiler:
 * runs each given file (or every .ko under a given directory) and a fixed,
 * seeded set of mutations of it (byte overwrites in the headers and
 * anywhere, truncations) through LLVMFuzzerTestOneInput.
 * usage: replay [-n MUTATIONS] PATH... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long runs;

static void mutate_and_run(const uint8_t *b, size_t n, unsigned count)
{
	uint8_t *m = malloc(n ? n : 1);
	if (!m)
		abort();
	LLVMFuzzerTestOneInput(b, n);
	runs++;
	for (unsigned i = 0; i < count; i++) {
		memcpy(m, b, n);
		size_t len = n;
		unsigned edits = 1 + (unsigned)(next() % 4);
		for (unsigned e = 0; e < edits && n; e++) {
			/* Half the edits hit the first 64 bytes or the section
			 * headers (the end of these files), where damage matters. */
			uint64_t r = next();
			size_t at = (r & 1) ? (size_t)(next() % (n < 64 ? n : 64))
					    : (r & 2) ? n - 1 - (size_t)(next() % (n < 2048 ? n : 2048))
						      : (size_t)(next() % n);
			uint8_t vals[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, (uint8_t)next() };
			m[at] = vals[next() % sizeof(vals)];
		}
		if (next() % 8 == 0)
			len = (size_t)(next() % (n + 1));
		LLVMFuzzerTestOneInput(m, len);
		runs++;
	}
	free(m);
}

static void run_file(const char *path, unsigned count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	mutate_and_run(b, (size_t)n, count);
	free(b);
}

static void run_path(const char *path, unsigned count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s does not exist\n", path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path, count);
		return;
	}
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort); /* sorted: deterministic */
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, name);
		if (name[0] != '.' && stat(sub, &st) == 0 && (S_ISDIR(st.st_mode) || (len > 3 && !strcmp(name + len - 3, ".ko"))))
			run_path(sub, count);
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	unsigned count = 200;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-n")) {
		count = (unsigned)strtoul(argv[i + 1], NULL, 0);
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: replay [-n MUTATIONS] PATH...\n");
		return 2;
	}
	for (; i < argc; i++)
		run_path(argv[i], count);
	printf("replayed %lu inputs, no crash, loader state restored after each\n", runs);
	return 0;
}
