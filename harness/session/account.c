#include "harness/session/account.h"

#include <stdlib.h>
#include <string.h>

static const char *const class_names[MB_NPCLASS] = { "rx", "r", "rw", "ro_after_init" };

#define HOLE_CLASS MB_NPCLASS /* a page reference from a hole, not a class */

struct page_ref {
	uint64_t page;   /* address / page_size */
	unsigned class;  /* or HOLE_CLASS */
};

static int cmp_ref(const void *x, const void *y)
{
	const struct page_ref *a = x, *b = y;
	if (a->page != b->page)
		return a->page < b->page ? -1 : 1;
	return (a->class > b->class) - (a->class < b->class);
}

static int cmp_range(const void *x, const void *y)
{
	const struct mb_account_range *a = x, *b = y;
	return (a->base > b->base) - (a->base < b->base);
}

static bool live(const struct mb_loaded_module *m, int t)
{
	return m->alloc[t].size && !(m->init_freed && mod_mem_type_is_init(t));
}

struct refs {
	struct page_ref *v;
	size_t n, cap;
};

static int add_pages(struct refs *r, uint64_t base, uint64_t size, uint64_t ps, unsigned c)
{
	for (uint64_t p = base / ps; p <= (base + size - 1) / ps; p++) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 4096;
			struct page_ref *v = realloc(r->v, cap * sizeof(*v));
			if (!v)
				return -1;
			r->v = v;
			r->cap = cap;
		}
		r->v[r->n++] = (struct page_ref){ p, c };
	}
	return 0;
}

/* Sorts and merges r in place; returns the number of disjoint ranges. */
static size_t merge(struct mb_account_range *r, size_t n)
{
	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (r[i].base <= r[k].base + r[k].size) {
			uint64_t end = r[i].base + r[i].size;
			if (end > r[k].base + r[k].size)
				r[k].size = end - r[k].base;
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

uint64_t mb_account_overlap(const struct mb_account_range *r, size_t n, uint64_t base, uint64_t size)
{
	struct mb_account_range *c = n ? malloc(n * sizeof(*c)) : NULL;
	if (!c)
		return 0;
	memcpy(c, r, n * sizeof(*c));
	size_t m = merge(c, n);
	uint64_t sum = 0;
	for (size_t i = 0; i < m; i++) {
		uint64_t lo = c[i].base > base ? c[i].base : base;
		uint64_t hi = c[i].base + c[i].size < base + size ? c[i].base + c[i].size : base + size;
		if (hi > lo)
			sum += hi - lo;
	}
	free(c);
	return sum;
}

/* |U(holes) \ U(live)| by a sweep over the two merged lists. */
static uint64_t hole_bytes(struct mb_account_range *h, size_t nh, struct mb_account_range *lv, size_t nl)
{
	nh = merge(h, nh);
	nl = merge(lv, nl);
	uint64_t sum = 0;
	size_t j = 0;
	for (size_t i = 0; i < nh; i++) {
		uint64_t cur = h[i].base, end = h[i].base + h[i].size;
		while (j < nl && lv[j].base + lv[j].size <= cur)
			j++;
		for (size_t k = j; k < nl && lv[k].base < end && cur < end; k++) {
			if (lv[k].base > cur)
				sum += lv[k].base - cur;
			if (lv[k].base + lv[k].size > cur)
				cur = lv[k].base + lv[k].size;
		}
		if (cur < end)
			sum += end - cur;
	}
	return sum;
}

int mb_account(const struct mb_loader *l, const struct mb_account_range *holes, size_t nholes,
	       struct mb_account *a)
{
	memset(a, 0, sizeof(*a));
	uint64_t ps = l->place.cfg.page_size, lp = l->place.cfg.large_page_size;
	a->page_size = ps;
	a->large_page_size = lp;
	struct refs refs = { 0 };
	struct mb_account_range *lv = NULL, *h = NULL;
	size_t nl = 0, cap = 0;
	int rc = -1;
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			if (!live(m, t))
				continue;
			unsigned c = mb_pclass_of(t);
			uint64_t base = m->alloc[t].base, size = m->alloc[t].size;
			a->used[c] += m->used[t];
			a->reserved[c] += size;
			if (add_pages(&refs, base, size, ps, c) != 0)
				goto out;
			if (nl == cap) {
				cap = cap ? 2 * cap : 1024;
				struct mb_account_range *v = realloc(lv, cap * sizeof(*v));
				if (!v)
					goto out;
				lv = v;
			}
			lv[nl++] = (struct mb_account_range){ base, size };
		}
	for (size_t i = 0; i < nholes; i++)
		if (holes[i].size && add_pages(&refs, holes[i].base, holes[i].size, ps, HOLE_CLASS) != 0)
			goto out;
	if (nholes) {
		h = malloc(nholes * sizeof(*h));
		if (!h)
			goto out;
		memcpy(h, holes, nholes * sizeof(*h));
		a->hole_bytes = hole_bytes(h, nholes, lv, nl);
	}
	if (refs.n)
		qsort(refs.v, refs.n, sizeof(*refs.v), cmp_ref);
	/* walk the large pages: the class mask, rx pages and handed-back
	 * pages of each (a page's refs are adjacent, classes before holes) */
	for (size_t i = 0; i < refs.n;) {
		uint64_t big = refs.v[i].page * ps / lp;
		unsigned mask = 0;
		uint64_t rx_pages = 0, back = 0;
		for (; i < refs.n && refs.v[i].page * ps / lp == big; i++) {
			const struct page_ref *r = &refs.v[i];
			if (i > 0 && r->page == refs.v[i - 1].page && r->class == refs.v[i - 1].class)
				continue;
			if (r->class == HOLE_CLASS) {
				/* handed back only if no class holds a byte of the page */
				if (i == 0 || refs.v[i - 1].page != r->page)
					back++;
				continue;
			}
			a->pages[r->class]++;
			mask |= 1u << r->class;
			rx_pages += r->class == MB_PCLASS_RX;
		}
		a->handed_back += back;
		if (!mask)
			continue; /* nothing live: the large page goes back whole */
		a->large_touched++;
		for (unsigned c = 0; c < MB_NPCLASS; c++)
			a->large_pages[c] += (mask >> c) & 1;
		bool mixed = mask & (mask - 1), hole = back != 0;
		a->large_split_mixed += mixed;
		a->large_split_hole += hole;
		a->large_split += mixed || hole;
		if (mask == 1u << MB_PCLASS_RX && !hole)
			a->text_large_entries++;
		else
			a->text_small_entries += rx_pages;
	}
	for (unsigned c = 0; c < MB_NPCLASS; c++)
		a->padding[c] = a->pages[c] * ps - a->used[c];
	rc = 0;
out:
	free(refs.v);
	free(lv);
	free(h);
	return rc;
}

void mb_account_json(struct mb_json *j, const struct mb_account *a)
{
	mb_json_object(j, "accounting");
	mb_json_u64(j, "page_size", a->page_size);
	mb_json_u64(j, "large_page_size", a->large_page_size);
	mb_json_object(j, "classes");
	for (unsigned c = 0; c < MB_NPCLASS; c++) {
		mb_json_object(j, class_names[c]);
		mb_json_u64(j, "used", a->used[c]);
		mb_json_u64(j, "reserved", a->reserved[c]);
		mb_json_u64(j, "pages", a->pages[c]);
		mb_json_u64(j, "padding", a->padding[c]);
		mb_json_u64(j, "large_pages", a->large_pages[c]);
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_u64(j, "large_pages_touched", a->large_touched);
	mb_json_u64(j, "large_pages_split", a->large_split);
	mb_json_u64(j, "large_pages_split_mixed", a->large_split_mixed);
	mb_json_u64(j, "large_pages_split_hole", a->large_split_hole);
	mb_json_u64(j, "hole_bytes", a->hole_bytes);
	mb_json_u64(j, "handed_back_pages", a->handed_back);
	mb_json_object(j, "text_entries");
	mb_json_u64(j, "large", a->text_large_entries);
	mb_json_u64(j, "small", a->text_small_entries);
	mb_json_end(j);
	mb_json_end(j);
}

void mb_account_text(FILE *f, const struct mb_account *a)
{
	fprintf(f, "accounting (page %llu, large page %llu):\n", (unsigned long long)a->page_size,
		(unsigned long long)a->large_page_size);
	fprintf(f, "  %-14s %12s %12s %8s %12s %6s\n", "class", "used", "reserved", "pages", "padding", "large");
	for (unsigned c = 0; c < MB_NPCLASS; c++)
		fprintf(f, "  %-14s %12llu %12llu %8llu %12llu %6llu\n", class_names[c],
			(unsigned long long)a->used[c], (unsigned long long)a->reserved[c],
			(unsigned long long)a->pages[c], (unsigned long long)a->padding[c],
			(unsigned long long)a->large_pages[c]);
	fprintf(f, "  large pages touched %llu, split %llu (%llu mixed permissions, %llu holes); text entries: %llu large, %llu small\n",
		(unsigned long long)a->large_touched, (unsigned long long)a->large_split,
		(unsigned long long)a->large_split_mixed, (unsigned long long)a->large_split_hole,
		(unsigned long long)a->text_large_entries, (unsigned long long)a->text_small_entries);
	if (a->hole_bytes || a->handed_back)
		fprintf(f, "  holes: %llu bytes, %llu pages handed back\n", (unsigned long long)a->hole_bytes,
			(unsigned long long)a->handed_back);
}
