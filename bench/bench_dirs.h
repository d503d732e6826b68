/* Where a benchmark finds its inputs: the build directory is the parent of
 * bench/, where the program is built (test modules under tests/modules);
 * the source directory is the one
 * that build's CMakeCache.txt records. */
#ifndef MODBED_BENCH_DIRS_H
#define MODBED_BENCH_DIRS_H

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* source gets "" when the cache does not name it */
static inline void bench_dirs(char *build, size_t build_len, char *source, size_t source_len)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(build, build_len, "%s", dirname(dirname(exe)));
	source[0] = '\0';
	char cache[4200];
	snprintf(cache, sizeof(cache), "%s/CMakeCache.txt", build);
	FILE *f = fopen(cache, "r");
	char line[4096];
	static const char key[] = "CMAKE_HOME_DIRECTORY:INTERNAL=";
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, sizeof(key) - 1) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(source, source_len, "%s", line + sizeof(key) - 1);
		}
	if (f)
		fclose(f);
}

#endif
