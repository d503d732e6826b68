#include "harness/util/strmap.h"

#include <stdlib.h>
#include <string.h>

uint32_t mb_strhash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

void mb_strmap_init(struct mb_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void mb_strmap_fini(struct mb_strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct mb_strmap *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct mb_strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return i;
	}
}

static int grow(struct mb_strmap *m, size_t cap)
{
	struct mb_strmap_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	struct mb_strmap old = *m;
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			m->slots[probe(m, old.slots[i].key, old.slots[i].hash)] = old.slots[i];
	free(old.slots);
	return 0;
}

int mb_strmap_reserve(struct mb_strmap *m, size_t more)
{
	/* At most half full: probes stay short. */
	size_t need = 2 * (m->n + more), cap = m->cap ? m->cap : 16;
	while (cap < need)
		cap *= 2;
	return cap == m->cap ? 0 : grow(m, cap);
}

void *mb_strmap_get(const struct mb_strmap *m, const char *key)
{
	if (!m->n)
		return NULL;
	const struct mb_strmap_slot *s = &m->slots[probe(m, key, mb_strhash(key))];
	return s->key ? s->value : NULL;
}

int mb_strmap_put(struct mb_strmap *m, const char *key, void *value)
{
	if (mb_strmap_reserve(m, 1) != 0)
		return -1;
	uint32_t h = mb_strhash(key);
	struct mb_strmap_slot *s = &m->slots[probe(m, key, h)];
	m->n += s->key == NULL;
	*s = (struct mb_strmap_slot){ key, h, value };
	return 0;
}

bool mb_strmap_del(struct mb_strmap *m, const char *key)
{
	if (!m->n)
		return false;
	size_t mask = m->cap - 1, i = probe(m, key, mb_strhash(key));
	if (!m->slots[i].key)
		return false;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i] = (struct mb_strmap_slot){ 0 };
	m->n--;
	return true;
}
