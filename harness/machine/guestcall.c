#include "harness/machine/guestcall.h"

#include "harness/util/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_BUF (64u << 20)

/* The whole file, at most MAX_FILE_BUF bytes (a file of exactly that size
 * is fine); a directory, a read error or a larger file is an error saying
 * which. */
static int read_file(const char *path, uint8_t **out, size_t *len, struct mb_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return mb_fail(err, path, NULL, "cannot open buffer file: %s", strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return mb_fail(err, path, NULL, "is a directory, not a buffer file");
	}
	size_t cap = 0, n = 0;
	uint8_t *b = NULL;
	for (;;) {
		if (n == cap) {
			/* One byte past the limit tells a file of exactly the
			 * limit from a larger one. */
			size_t ncap = cap ? 2 * cap : 4096;
			if (ncap > (size_t)MAX_FILE_BUF + 1)
				ncap = (size_t)MAX_FILE_BUF + 1;
			uint8_t *nb = ncap > cap ? realloc(b, ncap) : NULL;
			if (!nb)
				break;
			b = nb;
			cap = ncap;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0 || n > MAX_FILE_BUF)
			break;
	}
	int rerr = ferror(f) ? errno : 0;
	bool eof = feof(f) != 0;
	fclose(f);
	if (rerr || n > MAX_FILE_BUF || !eof) {
		free(b);
		if (rerr)
			return mb_fail(err, path, NULL, "read error: %s", strerror(rerr));
		if (n > MAX_FILE_BUF)
			return mb_fail(err, path, NULL, "buffer file larger than %u bytes", MAX_FILE_BUF);
		return mb_fail(err, path, NULL, "out of memory");
	}
	*out = b ? b : malloc(1);
	*len = n;
	return *out ? 0 : mb_fail(err, path, NULL, "out of memory");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int add_buf(struct mb_callplan *p, const char *name, uint8_t *bytes, size_t len, bool shown,
		   struct mb_err *err)
{
	struct mb_gbuf *n = realloc(p->bufs, (p->nbufs + 1) * sizeof(*n));
	if (!n) {
		free(bytes);
		return mb_fail(err, NULL, NULL, "out of memory");
	}
	p->bufs = n;
	struct mb_gbuf *b = &p->bufs[p->nbufs];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->bytes = bytes;
	b->len = len;
	b->shown = shown;
	return (int)p->nbufs++;
}

static int find_buf(const struct mb_callplan *p, const char *name)
{
	for (size_t i = 0; i < p->nbufs; i++)
		if (strcmp(p->bufs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* One ARG without a NAME= prefix. Buffers get `name` (NULL: anonymous). */
static int parse_value(struct mb_callplan *p, const char *a, const char *name, struct mb_garg *out,
		       struct mb_err *err)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	bool shown = name != NULL;
	char anon[32] = "";
	if (strncmp(a, "buf:@", 5) == 0) {
		if (read_file(a + 5, &bytes, &len, err) != 0)
			return -1;
	} else if (strncmp(a, "hex:", 4) == 0) {
		size_t n = strlen(a + 4);
		if (n % 2)
			return mb_fail(err, NULL, NULL, "usage: '%s': hex: needs an even number of hex digits", a);
		bytes = malloc(n / 2 + 1);
		if (!bytes)
			return mb_fail(err, NULL, NULL, "out of memory");
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(a[4 + 2 * i]), lo = hexval(a[5 + 2 * i]);
			if (hi < 0 || lo < 0) {
				free(bytes);
				return mb_fail(err, NULL, NULL, "usage: '%s': '%c%c' is not a hex byte", a,
					       a[4 + 2 * i], a[5 + 2 * i]);
			}
			bytes[i] = (uint8_t)(hi << 4 | lo);
		}
		len = n / 2;
	} else if (strncmp(a, "str:", 4) == 0) {
		len = strlen(a + 4) + 1;
		bytes = (uint8_t *)strdup(a + 4);
		if (!bytes)
			return mb_fail(err, NULL, NULL, "out of memory");
	} else if (strncmp(a, "out:", 4) == 0) {
		uint64_t n;
		if (!mb_parse_count(a + 4, &n) || n == 0 || n > MAX_FILE_BUF)
			return mb_fail(err, NULL, NULL, "usage: '%s': out: needs a size from 1 to %u", a, MAX_FILE_BUF);
		len = (size_t)n;
		bytes = calloc(1, len);
		if (!bytes)
			return mb_fail(err, NULL, NULL, "out of memory");
		shown = true;
		if (!name) {
			size_t k = 0;
			for (size_t i = 0; i < p->nbufs; i++)
				k += strncmp(p->bufs[i].name, "out", 3) == 0 && p->bufs[i].name[3] >= '0' &&
				     p->bufs[i].name[3] <= '9';
			snprintf(anon, sizeof(anon), "out%zu", k);
		}
	} else if (a[0] == '@') {
		if (name)
			return mb_fail(err, NULL, NULL, "usage: '%s=%s': @NAME passes a buffer, it cannot be renamed", name, a);
		int b = find_buf(p, a + 1);
		if (b < 0)
			return mb_fail(err, NULL, NULL, "usage: '%s': no buffer named %s before this argument", a, a + 1);
		*out = (struct mb_garg){ true, (uint64_t)b };
		return 0;
	} else {
		uint64_t v;
		if (!mb_parse_u64(a, &v))
			return mb_fail(err, NULL, NULL,
				       "usage: '%s' is not an argument (integer, buf:@PATH, hex:, str:, out:N, NAME=ARG, @NAME)", a);
		if (name)
			return mb_fail(err, NULL, NULL, "usage: '%s=%s': only buffers can be named", name, a);
		*out = (struct mb_garg){ false, v };
		return 0;
	}
	if (name && find_buf(p, name) >= 0) {
		free(bytes);
		return mb_fail(err, NULL, NULL, "usage: buffer name %s is used twice", name);
	}
	int b = add_buf(p, name ? name : anon, bytes, len, shown, err);
	if (b < 0)
		return -1;
	*out = (struct mb_garg){ true, (uint64_t)b };
	return 0;
}

static int parse_arg(struct mb_callplan *p, const char *a, struct mb_garg *out, struct mb_err *err)
{
	const char *eq = strchr(a, '=');
	const char *colon = strchr(a, ':');
	if (!eq || (colon && colon < eq) || a[0] == '@')
		return parse_value(p, a, NULL, out, err);
	char name[32];
	size_t n = (size_t)(eq - a);
	if (n == 0 || n >= sizeof(name))
		return mb_fail(err, NULL, NULL, "usage: '%s': a buffer name has 1 to %zu characters", a, sizeof(name) - 1);
	memcpy(name, a, n);
	name[n] = 0;
	return parse_value(p, eq + 1, name, out, err);
}

int mb_callplan_parse(struct mb_callplan *p, char **rest, int nrest, struct mb_err *err)
{
	memset(p, 0, sizeof(*p));
	int i = 0;
	while (i < nrest) {
		if (strcmp(rest[i], "--") == 0) {
			i++;
			continue;
		}
		struct mb_gcall *n = realloc(p->calls, (p->ncalls + 1) * sizeof(*n));
		if (!n)
			goto oom;
		p->calls = n;
		struct mb_gcall *c = &p->calls[p->ncalls++];
		memset(c, 0, sizeof(*c));
		c->func = rest[i++];
		for (; i < nrest && strcmp(rest[i], "--") != 0; i++) {
			if (c->nargs == MB_CALL_MAX_ARGS) {
				mb_fail(err, NULL, NULL, "usage: %s: more than %d arguments", c->func, MB_CALL_MAX_ARGS);
				goto fail;
			}
			if (parse_arg(p, rest[i], &c->args[c->nargs++], err) != 0)
				goto fail;
		}
	}
	if (p->ncalls == 0) {
		mb_fail(err, NULL, NULL, "usage: no function to call (FILE... -- FUNC ARG...)");
		goto fail;
	}
	return 0;
oom:
	mb_fail(err, NULL, NULL, "out of memory");
fail:
	mb_callplan_free(p);
	return -1;
}

int mb_callplan_place(struct mb_callplan *p, struct mb_machine *m, struct mb_err *err)
{
	for (size_t i = 0; i < p->nbufs; i++) {
		struct mb_gbuf *b = &p->bufs[i];
		if (mb_machine_alloc(m, b->len ? b->len : 1, &b->addr, err) != 0)
			return -1;
		if (b->len && mb_machine_write(m, b->addr, b->bytes, b->len, err) != 0)
			return -1;
	}
	return 0;
}

void mb_callplan_args(const struct mb_callplan *p, size_t i, uint64_t *out)
{
	const struct mb_gcall *c = &p->calls[i];
	for (unsigned k = 0; k < c->nargs; k++)
		out[k] = c->args[k].is_buf ? p->bufs[c->args[k].value].addr : c->args[k].value;
}

uint8_t *mb_callplan_read(const struct mb_callplan *p, struct mb_machine *m, size_t b)
{
	const struct mb_gbuf *g = &p->bufs[b];
	uint8_t *out = malloc(g->len ? g->len : 1);
	struct mb_err err;
	if (out && g->len && mb_machine_read(m, g->addr, out, g->len, &err) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void mb_callplan_free(struct mb_callplan *p)
{
	for (size_t i = 0; i < p->nbufs; i++)
		free(p->bufs[i].bytes);
	free(p->bufs);
	free(p->calls);
	memset(p, 0, sizeof(*p));
}
