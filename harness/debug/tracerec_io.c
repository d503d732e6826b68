/* Reading and validating trace recordings (format: tracerec.h), and the
 * file hash that ties a recording to the module files it ran. */
#include "harness/debug/tracerec.h"
#include "harness/debug/tracerec_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger recordings than this are refused rather than read into memory. */
#define MAX_FILE (1ull << 32)

int mb_tracerec_file_hash(const char *path, uint64_t *hash, uint64_t *size, struct mb_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mb_fail(err, path, NULL, "cannot read: %s", strerror(errno));
	uint64_t h = 0xcbf29ce484222325ull, n = 0;
	unsigned char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < got; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		n += got;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad)
		return mb_fail(err, path, NULL, "read error");
	*hash = h;
	*size = n;
	return 0;
}

/* ---- a cursor over the file's bytes -------------------------------------- */

struct cur {
	const uint8_t *p, *end;
	const uint8_t *start;
	const char *path;
	struct mb_err *err;
	bool bad;
};

static int cur_fail(struct cur *c, const char *what)
{
	if (!c->bad)
		mb_fail(c->err, c->path, NULL, "truncated or corrupted recording: %s (at byte %zu)", what,
			(size_t)(c->p - c->start));
	c->bad = true;
	return -1;
}

static bool need(struct cur *c, size_t n, const char *what)
{
	if (c->bad)
		return false;
	if ((size_t)(c->end - c->p) < n) {
		cur_fail(c, what);
		return false;
	}
	return true;
}

static uint64_t get_le(struct cur *c, unsigned n, const char *what)
{
	if (!need(c, n, what))
		return 0;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static char *get_str(struct cur *c, const char *what)
{
	uint64_t n = get_le(c, 4, what);
	if (c->bad)
		return NULL;
	if (n > MB_TRACEREC_STR_MAX) {
		cur_fail(c, what);
		return NULL;
	}
	if (!need(c, (size_t)n, what))
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s == NULL) {
		cur_fail(c, "out of memory");
		return NULL;
	}
	memcpy(s, c->p, (size_t)n);
	s[n] = '\0';
	c->p += n;
	if (strlen(s) != n) {   /* an embedded NUL */
		free(s);
		cur_fail(c, what);
		return NULL;
	}
	return s;
}

/* A count of items of at least `least` bytes each: never more than the
 * bytes left could hold, so a corrupted count cannot make us allocate. */
static size_t get_count(struct cur *c, unsigned width, size_t least, const char *what)
{
	uint64_t n = get_le(c, width, what);
	if (c->bad)
		return 0;
	if (n > (uint64_t)(c->end - c->p) / least) {
		cur_fail(c, what);
		return 0;
	}
	return (size_t)n;
}

bool mb_tracerec_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Decodes the whole stream once: it must hold exactly nblocks pairs. */
static bool blocks_valid(const struct mb_tracerec_call *call)
{
	const uint8_t *p = call->blocks, *end = p + call->nbytes;
	uint64_t idx = 0, v;
	for (uint64_t k = 0; k < call->nblocks; k++) {
		if (!mb_tracerec_varint(&p, end, &v) || v > call->insns - idx)
			return false;
		idx += v;
		if (!mb_tracerec_varint(&p, end, &v))
			return false;
	}
	return p == end;
}

static int read_call(struct cur *c, struct mb_tracerec_call *call)
{
	call->func = get_str(c, "call function name");
	call->addr = get_le(c, 8, "call address");
	call->ret = get_le(c, 8, "call return value");
	call->insns = get_le(c, 8, "call instruction count");
	call->faulted = get_le(c, 1, "call fault flag") != 0;
	call->fault_kind = (uint8_t)get_le(c, 1, "call fault kind");
	call->fault_pc = get_le(c, 8, "call fault pc");
	call->nblocks = get_le(c, 8, "block count");
	uint64_t nbytes = get_le(c, 8, "block stream length");
	if (c->bad)
		return -1;
	/* Two bytes at least per block; the stream must fit what is left. */
	if (nbytes > (uint64_t)(c->end - c->p) || call->nblocks > nbytes / 2)
		return cur_fail(c, "block count or stream length");
	call->blocks = c->p;
	call->nbytes = (size_t)nbytes;
	c->p += nbytes;
	if (!blocks_valid(call))
		return cur_fail(c, "block stream");
	return 0;
}

static int parse(struct mb_tracerec *rec, struct cur *c)
{
	if (!need(c, 8, "magic") || memcmp(c->p, MB_TRACEREC_MAGIC, 8) != 0)
		return mb_fail(c->err, c->path, NULL, "not a modbed trace recording (bad magic)");
	c->p += 8;
	uint64_t version = get_le(c, 4, "version");
	if (!c->bad && version != MB_TRACEREC_VERSION)
		return mb_fail(c->err, c->path, NULL, "recording format version %" PRIu64 "; this modbed reads version %u",
			       version, MB_TRACEREC_VERSION);
	if (get_le(c, 4, "flags") != 0 && !c->bad)
		return mb_fail(c->err, c->path, NULL, "recording flags this modbed does not know");
	rec->nargs = get_count(c, 4, 4, "argument count");
	rec->args = calloc(rec->nargs + 1, sizeof(*rec->args));
	for (size_t i = 0; rec->args && i < rec->nargs && !c->bad; i++)
		rec->args[i] = get_str(c, "session argument");
	rec->arch = get_str(c, "arch");
	rec->map = get_str(c, "map");
	rec->kernel = get_str(c, "kernel");
	rec->nmods = get_count(c, 4, 4 + 4 + 24, "module count");
	rec->mods = calloc(rec->nmods + 1, sizeof(*rec->mods));
	for (size_t i = 0; rec->mods && i < rec->nmods && !c->bad; i++) {
		struct mb_tracerec_module *mod = &rec->mods[i];
		mod->name = get_str(c, "module name");
		mod->path = get_str(c, "module path");
		mod->base = get_le(c, 8, "module base");
		mod->size = get_le(c, 8, "module size");
		mod->hash = get_le(c, 8, "module hash");
	}
	if (!rec->args || !rec->mods)
		return cur_fail(c, "out of memory");
	size_t cap = 0;
	for (;;) {
		uint64_t tag = get_le(c, 1, "call record or end");
		if (c->bad)
			return -1;
		if (tag == 'E')
			break;
		if (tag != 'C')
			return cur_fail(c, "call record tag");
		if (rec->ncalls == cap) {
			cap = cap ? 2 * cap : 8;
			struct mb_tracerec_call *n = realloc(rec->calls, cap * sizeof(*n));
			if (n == NULL)
				return cur_fail(c, "out of memory");
			rec->calls = n;
		}
		memset(&rec->calls[rec->ncalls], 0, sizeof(rec->calls[0]));
		if (read_call(c, &rec->calls[rec->ncalls++]) != 0)
			return -1;
	}
	uint64_t n = get_le(c, 4, "call count");
	if (c->bad)
		return -1;
	if (n != rec->ncalls)
		return mb_fail(c->err, c->path, NULL, "corrupted recording: %zu calls, the end says %" PRIu64,
			       rec->ncalls, n);
	if (c->p != c->end)
		return cur_fail(c, "bytes after the end");
	return 0;
}

int mb_tracerec_read(struct mb_tracerec *rec, const char *path, struct mb_err *err)
{
	memset(rec, 0, sizeof(*rec));
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mb_fail(err, path, NULL, "cannot read: %s", strerror(errno));
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *n = cap < MAX_FILE ? realloc(buf, cap * 2) : NULL;
			if (n == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
			cap *= 2;
		}
	}
	bool bad = ferror(f);
	fclose(f);
	if (buf == NULL)
		return mb_fail(err, path, NULL, "recording too large to read");
	if (bad) {
		free(buf);
		return mb_fail(err, path, NULL, "read error");
	}
	rec->buf = buf;
	rec->path = path;
	struct cur c = { buf, buf + len, buf, path, err, false };
	if (parse(rec, &c) != 0) {
		mb_tracerec_free(rec);
		return -1;
	}
	return 0;
}

void mb_tracerec_free(struct mb_tracerec *rec)
{
	for (size_t i = 0; rec->args && i < rec->nargs; i++)
		free(rec->args[i]);
	free(rec->args);
	free(rec->arch);
	free(rec->map);
	free(rec->kernel);
	for (size_t i = 0; rec->mods && i < rec->nmods; i++) {
		free(rec->mods[i].name);
		free(rec->mods[i].path);
	}
	free(rec->mods);
	for (size_t i = 0; i < rec->ncalls; i++)
		free(rec->calls[i].func);
	free(rec->calls);
	free(rec->buf);
	memset(rec, 0, sizeof(*rec));
}
