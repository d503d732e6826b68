/* A tiny streaming JSON writer (no allocation). Keys are given with each
 * value (NULL inside arrays); commas and escaping are handled here, so
 * callers cannot produce invalid JSON by forgetting one. */
#ifndef MODBED_HARNESS_JSON_H
#define MODBED_HARNESS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MB_JSON_MAX_DEPTH 32

struct mb_json {
	FILE *f;
	int depth;
	bool first[MB_JSON_MAX_DEPTH]; /* no member written yet at this depth */
	char closer[MB_JSON_MAX_DEPTH]; /* "}" or "]" for the container open at this depth */
	bool pretty;
};

void mb_json_init(struct mb_json *j, FILE *f, bool pretty);
/* A report's opening, the same for load, corpus and study: a pretty
 * top-level object whose first members are "arch" and "map". */
void mb_json_begin_report(struct mb_json *j, FILE *f, const char *arch, const char *map);
/* key is NULL at the top level and inside arrays. */
void mb_json_object(struct mb_json *j, const char *key);
void mb_json_array(struct mb_json *j, const char *key);
void mb_json_end(struct mb_json *j);   /* closes the innermost object or array */
void mb_json_str(struct mb_json *j, const char *key, const char *val);  /* NULL val: null */
void mb_json_hex(struct mb_json *j, const char *key, uint64_t val);     /* "0x..." string */
void mb_json_u64(struct mb_json *j, const char *key, uint64_t val);
void mb_json_i64(struct mb_json *j, const char *key, int64_t val);
void mb_json_bool(struct mb_json *j, const char *key, bool val);
void mb_json_null(struct mb_json *j, const char *key);
/* Ends the document with a newline. */
void mb_json_finish(struct mb_json *j);

#endif
