/* A map from NUL-terminated names to pointers: open addressing, linear
 * probing, deletion by backward shift (no tombstones). Keys are not copied:
 * each must stay valid and unchanged while it is in the map. One name
 * appears at most once.
 *
 * Why: symbol resolution asks, for every undefined symbol of every module,
 * the loaded modules' exports, the kernel provider and the trap list; with
 * a thousand modules loaded, lists scanned with strcmp made whole-tree loads
 * quadratic. */
#ifndef MODBED_HARNESS_STRMAP_H
#define MODBED_HARNESS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_strmap_slot {
	const char *key;        /* NULL: empty */
	uint32_t hash;
	void *value;
};

struct mb_strmap {
	struct mb_strmap_slot *slots;
	size_t cap;             /* 0 or a power of two */
	size_t n;
};

/* FNV-1a over the bytes of s. */
uint32_t mb_strhash(const char *s);

/* A zeroed map is an empty one; init only zeroes. */
void mb_strmap_init(struct mb_strmap *m);
void mb_strmap_fini(struct mb_strmap *m);
/* Room for `more` new keys without allocating: a put of that many new keys
 * after this cannot fail. -1 when out of memory (the map is unchanged). */
int mb_strmap_reserve(struct mb_strmap *m, size_t more);
/* The value of key, or NULL when absent (store no NULL values). */
void *mb_strmap_get(const struct mb_strmap *m, const char *key);
/* Adds key or replaces its value (and key pointer). -1 when out of memory. */
int mb_strmap_put(struct mb_strmap *m, const char *key, void *value);
/* Removes key; false when it was absent. */
bool mb_strmap_del(struct mb_strmap *m, const char *key);

#endif
