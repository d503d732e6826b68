#include "harness/util/json.h"

#include <inttypes.h>
#include <string.h>

void mb_json_init(struct mb_json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
	j->first[0] = true;
}

void mb_json_begin_report(struct mb_json *j, FILE *f, const char *arch, const char *map)
{
	mb_json_init(j, f, true);
	mb_json_object(j, NULL);
	mb_json_str(j, "arch", arch);
	mb_json_str(j, "map", map);
}

static void indent(struct mb_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and "key": before any value. */
static void member(struct mb_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		indent(j);
	}
	j->first[j->depth] = false;
	if (key) {
		put_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open(struct mb_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= MB_JSON_MAX_DEPTH)
		return; /* deeper nesting is a caller bug; stay well-formed at the cap */
	j->depth++;
	j->first[j->depth] = true;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void mb_json_object(struct mb_json *j, const char *key) { open(j, key, '{'); }
void mb_json_array(struct mb_json *j, const char *key) { open(j, key, '['); }

void mb_json_end(struct mb_json *j)
{
	if (j->depth == 0)
		return;
	bool empty = j->first[j->depth];
	char c = j->closer[j->depth];
	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void mb_json_str(struct mb_json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		put_string(j->f, val);
	else
		fputs("null", j->f);
}

void mb_json_hex(struct mb_json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->f, "\"0x%" PRIx64 "\"", val);
}

void mb_json_u64(struct mb_json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void mb_json_i64(struct mb_json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void mb_json_bool(struct mb_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void mb_json_null(struct mb_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void mb_json_finish(struct mb_json *j)
{
	while (j->depth > 0)
		mb_json_end(j);
	fputc('\n', j->f);
}
