/* The guest address space and its observers (what the emulator mirrors),
 * and the JSON writer, against hand-written expectations; the space's
 * index and the string map against plain scans of the same contents. */
#include "harness/util/json.h"
#include "harness/util/strmap.h"
#include "harness/load/space.h"
#include "tests/check_main.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An observer that logs every event as text and may refuse one. */
struct log {
	char text[4096];
	int refuse_create_at;   /* refuse the arena with this base (0: never) */
	uint64_t refuse_base;
	bool refuse_protect;
};

static void logf_(struct log *l, const char *fmt, unsigned long long a, unsigned long long b, unsigned c)
{
	char line[128];
	snprintf(line, sizeof(line), fmt, a, b, c);
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 1);
}

static int on_create(void *ctx, const struct mb_space_arena *a, struct mb_err *err)
{
	struct log *l = ctx;
	if (l->refuse_create_at && a->base == l->refuse_base)
		return mb_fail(err, NULL, NULL, "refused");
	logf_(l, "c %llx %llx %u;", a->base, a->size, a->perm);
	return 0;
}

static void on_release(void *ctx, const struct mb_space_arena *a)
{
	logf_(ctx, "r %llx %llx %u;", a->base, a->size, 0);
}

static int on_protect(void *ctx, const struct mb_space_arena *a, uint64_t base, uint64_t size, unsigned perm,
		      struct mb_err *err)
{
	struct log *l = ctx;
	(void)a;
	if (l->refuse_protect)
		return mb_fail(err, NULL, NULL, "refused");
	logf_(l, "p %llx %llx %u;", base, size, perm);
	return 0;
}

static struct mb_space_observer obs(struct log *l)
{
	return (struct mb_space_observer){ .ctx = l, .created = on_create, .released = on_release,
					   .protected_ = on_protect };
}

START_TEST(test_create_refused_is_undone)
{
	struct mb_space s;
	struct log a = { .text = "" }, b = { .text = "" };
	struct mb_err err;
	mb_space_init(&s, 4096);
	struct mb_space_observer oa = obs(&a), ob = obs(&b);
	ck_assert_int_eq(mb_space_observe(&s, &oa, &err), 0);
	ck_assert_int_eq(mb_space_observe(&s, &ob, &err), 0);
	ck_assert_int_eq(mb_space_create(&s, 0x10000, 0x1800, MB_PERM_RW, NULL, "one", NULL, &err), 0);
	/* Rounded out to pages. */
	ck_assert_str_eq(a.text, "c 10000 2000 3;");
	uint64_t fp = mb_space_fingerprint(&s);
	b.refuse_create_at = 1;
	b.refuse_base = 0x20000;
	ck_assert_int_eq(mb_space_create(&s, 0x20000, 0x1000, MB_PERM_RX, NULL, "two", NULL, &err), -1);
	/* a saw it created and then released; b never accepted it. */
	ck_assert_str_eq(a.text, "c 10000 2000 3;c 20000 1000 5;r 20000 1000 0;");
	ck_assert_str_eq(b.text, "c 10000 2000 3;");
	ck_assert_uint_eq(s.narenas, 1);
	ck_assert_uint_eq(mb_space_fingerprint(&s), fp);
	ck_assert_ptr_null(mb_space_find(&s, 0x20000));
	mb_space_fini(&s);
	/* fini releases what is left, newest observer first is not required,
	 * but every observer hears it. */
	ck_assert(strstr(a.text, "r 10000 2000 0;") && strstr(b.text, "r 10000 2000 0;"));
}
END_TEST

START_TEST(test_overlap_and_host)
{
	struct mb_space s;
	struct mb_err err;
	mb_space_init(&s, 4096);
	struct mb_space_arena *x;
	ck_assert_int_eq(mb_space_create(&s, 0x40000, 0x3000, MB_PERM_RW, NULL, "mod:text", &x, &err), 0);
	ck_assert_int_eq(mb_space_create(&s, 0x42000, 0x1000, MB_PERM_RW, NULL, "other", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "guest space: other [0x42000, 0x42fff] overlaps mod:text [0x40000, 0x42fff]");
	/* Host bytes are the arena's, zeroed; ranges must stay inside it. */
	uint8_t *h = mb_space_host(&s, 0x40000, 0x3000);
	ck_assert_ptr_eq(h, x->host);
	for (size_t i = 0; i < 0x3000; i++)
		ck_assert_uint_eq(h[i], 0);
	ck_assert_ptr_eq(mb_space_host(&s, 0x41ffc, 4), h + 0x1ffc);
	ck_assert_ptr_null(mb_space_host(&s, 0x42ffc, 8));
	ck_assert_ptr_null(mb_space_host(&s, 0x3ffff, 1));
	/* The very top of a 64-bit space: no wrap in the arithmetic. */
	ck_assert_int_eq(mb_space_create(&s, 0xfffffffffffff000ull, 0x1000, MB_PERM_R, NULL, "top", NULL, &err), 0);
	ck_assert_ptr_nonnull(mb_space_host(&s, 0xffffffffffffffffull, 1));
	ck_assert_ptr_null(mb_space_host(&s, 0xffffffffffffffffull, 2));
	ck_assert_int_eq(mb_space_create(&s, 0xffffffffffffe000ull, 0x2000, MB_PERM_R, NULL, "below", NULL, &err), -1);
	ck_assert_int_eq(mb_space_create(&s, 0xfffffffffffff800ull, 0x1000, MB_PERM_R, NULL, "wrap", NULL, &err), -1);
	ck_assert(strstr(err.msg, "wraps around"));
	ck_assert_uint_eq(mb_space_perm(&s, 0xffffffffffffffffull), MB_PERM_R);
	mb_space_fini(&s);
}
END_TEST

START_TEST(test_protect_refused_restores)
{
	struct mb_space s;
	struct log a = { .text = "" }, b = { .text = "" };
	struct mb_err err;
	mb_space_init(&s, 4096);
	struct mb_space_observer oa = obs(&a), ob = obs(&b);
	mb_space_observe(&s, &oa, &err);
	mb_space_observe(&s, &ob, &err);
	ck_assert_int_eq(mb_space_create(&s, 0x100000, 0x4000, MB_PERM_RW, NULL, "m", NULL, &err), 0);
	ck_assert_int_eq(mb_space_protect(&s, 0x101000, 0x1000, MB_PERM_RX, &err), 0);
	ck_assert_uint_eq(mb_space_perm(&s, 0x101800), MB_PERM_RX);
	ck_assert_uint_eq(mb_space_perm(&s, 0x102000), MB_PERM_RW);
	a.text[0] = b.text[0] = '\0';
	b.refuse_protect = true;
	uint64_t fp = mb_space_fingerprint(&s);
	/* Two pages: one RX, one RW before. a is put back page by page. */
	ck_assert_int_eq(mb_space_protect(&s, 0x101000, 0x2000, MB_PERM_R, &err), -1);
	ck_assert_str_eq(a.text, "p 101000 2000 1;p 101000 1000 5;p 102000 1000 3;");
	ck_assert_uint_eq(mb_space_fingerprint(&s), fp);
	ck_assert_uint_eq(mb_space_perm(&s, 0x101000), MB_PERM_RX);
	/* Outside any arena, or across its end. */
	ck_assert_int_eq(mb_space_protect(&s, 0x103000, 0x2000, MB_PERM_R, &err), -1);
	ck_assert(strstr(err.msg, "not inside one arena"));
	/* A late observer gets the arena and its changed pages replayed. */
	struct log c = { .text = "" };
	struct mb_space_observer oc = obs(&c);
	ck_assert_int_eq(mb_space_replay(&s, &oc, &err), 0);
	ck_assert_str_eq(c.text, "c 100000 4000 3;p 101000 1000 5;");
	b.refuse_protect = false;
	mb_space_fini(&s);
}
END_TEST

START_TEST(test_json_writer)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mb_json j;
	mb_json_init(&j, f, false);
	mb_json_object(&j, NULL);
	mb_json_str(&j, "name", "a\"b\\c\n\x01");
	mb_json_hex(&j, "addr", 0xffffffffa0000000ull);
	mb_json_array(&j, "list");
	mb_json_u64(&j, NULL, 1);
	mb_json_i64(&j, NULL, -2);
	mb_json_bool(&j, NULL, true);
	mb_json_null(&j, NULL);
	mb_json_object(&j, NULL);
	mb_json_end(&j);
	mb_json_end(&j);
	mb_json_array(&j, "empty");
	mb_json_end(&j);
	mb_json_str(&j, "none", NULL);
	mb_json_finish(&j);
	fclose(f);
	ck_assert_str_eq(buf, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"addr\":\"0xffffffffa0000000\","
			      "\"list\":[1,-2,true,null,{}],\"empty\":[],\"none\":null}\n");
	free(buf);
}
END_TEST

/* A small deterministic generator (the tests replay the same streams). */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random creates (some overlapping), releases and lookups on a space,
 * each checked against a scan of a plain array of the live ranges: the
 * arena found for an address, the overlap message (the lowest overlapping
 * range named, as a walk in address order names it) and the list order. */
START_TEST(test_index_against_scan)
{
	struct mb_space s;
	mb_space_init(&s, 0x1000);
	struct { uint64_t base, size; struct mb_space_arena *a; } live[512];
	size_t n = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int step = 0; step < 20000; step++) {
		uint64_t r = rng_next(&x);
		if (r % 3 != 0 || n == 0) {
			uint64_t base = 0x100000 + (rng_next(&x) % 4096) * 0x1000;
			uint64_t size = (1 + rng_next(&x) % 8) * 0x1000;
			const char *hit = NULL;
			uint64_t hb = 0;
			for (size_t i = 0; i < n; i++)
				if (base < live[i].base + live[i].size && live[i].base < base + size &&
				    (!hit || live[i].base < hb)) {
					hit = live[i].a->name;
					hb = live[i].base;
				}
			struct mb_err err = { "" };
			struct mb_space_arena *a = NULL;
			char name[32];
			snprintf(name, sizeof(name), "r%d", step);
			int rc = n < 512 || hit ? mb_space_create(&s, base, size, MB_PERM_RW, NULL, name, &a, &err) : -2;
			if (rc == -2)
				continue;
			if (hit) {
				char want[512];
				snprintf(want, sizeof(want), "guest space: %s [0x%llx, 0x%llx] overlaps %s [0x%llx, 0x%llx]",
					 name, (unsigned long long)base, (unsigned long long)(base + size - 1), hit,
					 (unsigned long long)hb, (unsigned long long)(hb + mb_space_find(&s, hb)->size - 1));
				ck_assert_int_eq(rc, -1);
				ck_assert_str_eq(err.msg, want);
			} else {
				ck_assert_int_eq(rc, 0);
				live[n].base = base;
				live[n].size = size;
				live[n++].a = a;
			}
		} else {
			size_t i = rng_next(&x) % n;
			mb_space_release(&s, live[i].a);
			live[i] = live[--n];
		}
		for (int q = 0; q < 8; q++) {
			uint64_t addr = 0x100000 + rng_next(&x) % (4104 * 0x1000);
			struct mb_space_arena *want = NULL;
			for (size_t i = 0; i < n; i++)
				if (addr - live[i].base < live[i].size)
					want = live[i].a;
			ck_assert_ptr_eq(mb_space_find(&s, addr), want);
		}
		ck_assert_uint_eq(s.narenas, n);
	}
	size_t count = 0;
	for (const struct mb_space_arena *a = s.arenas; a; a = a->next, count++)
		ck_assert(!a->next || a->base < a->next->base);
	ck_assert_uint_eq(count, n);
	mb_space_fini(&s);
}
END_TEST

/* Random puts, replacements and deletions of 600 names (many colliding in
 * a small table), checked after every step against a plain array. */
START_TEST(test_strmap_against_scan)
{
	enum { NAMES = 600 };
	static char names[NAMES][16];
	void *want[NAMES];
	for (int i = 0; i < NAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "sym_%d", i * 7919 % 1000);
		want[i] = NULL;
	}
	struct mb_strmap m;
	mb_strmap_init(&m);
	uint64_t x = 12345;
	size_t live = 0;
	for (int step = 0; step < 60000; step++) {
		int i = (int)(rng_next(&x) % NAMES);
		/* a copy of the name: the map compares contents, not pointers */
		char key[16];
		memcpy(key, names[i], sizeof(key));
		if (rng_next(&x) % 3 == 0) {
			ck_assert(mb_strmap_del(&m, key) == (want[i] != NULL));
			live -= want[i] != NULL;
			want[i] = NULL;
		} else {
			ck_assert_int_eq(mb_strmap_put(&m, names[i], &want[(i + step) % NAMES]), 0);
			live += want[i] == NULL;
			want[i] = &want[(i + step) % NAMES];
		}
		ck_assert_uint_eq(m.n, live);
		for (int k = 0; k < 4; k++) {
			int j = (int)(rng_next(&x) % NAMES);
			ck_assert_ptr_eq(mb_strmap_get(&m, names[j]), want[j]);
		}
	}
	for (int i = 0; i < NAMES; i++)
		ck_assert_ptr_eq(mb_strmap_get(&m, names[i]), want[i]);
	ck_assert_ptr_null(mb_strmap_get(&m, "sym_1000"));
	ck_assert_int_eq(mb_strmap_reserve(&m, 1000), 0);
	size_t cap = m.cap;
	for (int i = 0; i < 1000; i++) {
		char *k = malloc(16);
		snprintf(k, 16, "new_%d", i);
		ck_assert_int_eq(mb_strmap_put(&m, k, k), 0);
	}
	ck_assert_uint_eq(m.cap, cap); /* reserved: no growth */
	for (size_t i = 0; i < m.cap; i++)
		if (m.slots[i].key && strncmp(m.slots[i].key, "new_", 4) == 0)
			free(m.slots[i].value);
	mb_strmap_fini(&m);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(test_create_refused_is_undone),
		CHECK_TEST(test_overlap_and_host),
		CHECK_TEST(test_protect_refused_restores),
		CHECK_TEST(test_json_writer),
		CHECK_TEST(test_index_against_scan),
		CHECK_TEST(test_strmap_against_scan),
	};
	const struct check_suite cs = { .suite = "space", .tcase = "space" };
	return CHECK_RUN(&cs, tests);
}
