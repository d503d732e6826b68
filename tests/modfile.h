/* Test modules read whole into memory, for suites that edit or feed the
 * bytes themselves; a missing file fails the test that asked for it. */
#ifndef MODBED_TESTS_MODFILE_H
#define MODBED_TESTS_MODFILE_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct file {
	uint8_t *b;
	size_t n;
};

static inline struct file read_file(const char *path)
{
	struct file f = { 0 };
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	f.n = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.b = malloc(f.n);
	ck_assert(f.b && fread(f.b, 1, f.n, fp) == f.n);
	fclose(fp);
	return f;
}

/* DIR/ARCH/NAME.ko, as the test-module build lays them out */
static inline struct file read_module_file(const char *dir, const char *arch, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s.ko", dir, arch, name);
	return read_file(path);
}

#endif
