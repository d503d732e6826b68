#include "harness/session/account.h"

#include <stdlib.h>
#include <string.h>

static const char *const class_names[MB_NPCLASS] = { "rx", "r", "rw", "ro_after_init" };

struct page_ref {
	uint64_t page;   /* address / page_size */
	unsigned class;
};

static int cmp_ref(const void *x, const void *y)
{
	const struct page_ref *a = x, *b = y;
	if (a->page != b->page)
		return a->page < b->page ? -1 : 1;
	return (a->class > b->class) - (a->class < b->class);
}

static bool live(const struct mb_loaded_module *m, int t)
{
	return m->alloc[t].size && !(m->init_freed && mod_mem_type_is_init(t));
}

int mb_account(const struct mb_loader *l, struct mb_account *a)
{
	memset(a, 0, sizeof(*a));
	uint64_t ps = l->place.cfg.page_size, lp = l->place.cfg.large_page_size;
	a->page_size = ps;
	a->large_page_size = lp;
	size_t n = 0, cap = 0;
	struct page_ref *refs = NULL;
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			if (!live(m, t))
				continue;
			unsigned c = mb_pclass_of(t);
			uint64_t base = m->alloc[t].base, size = m->alloc[t].size;
			a->used[c] += m->used[t];
			a->reserved[c] += size;
			for (uint64_t p = base / ps; p <= (base + size - 1) / ps; p++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 4096;
					struct page_ref *r = realloc(refs, cap * sizeof(*refs));
					if (!r) {
						free(refs);
						return -1;
					}
					refs = r;
				}
				refs[n++] = (struct page_ref){ p, c };
			}
		}
	if (n)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	/* walk the large pages: the class mask and rx page count of each */
	for (size_t i = 0; i < n;) {
		uint64_t big = refs[i].page * ps / lp;
		unsigned mask = 0;
		uint64_t rx_pages = 0;
		for (; i < n && refs[i].page * ps / lp == big; i++) {
			if (i > 0 && refs[i].page == refs[i - 1].page && refs[i].class == refs[i - 1].class)
				continue;
			a->pages[refs[i].class]++;
			mask |= 1u << refs[i].class;
			rx_pages += refs[i].class == MB_PCLASS_RX;
		}
		a->large_touched++;
		for (unsigned c = 0; c < MB_NPCLASS; c++)
			a->large_pages[c] += (mask >> c) & 1;
		if (mask & (mask - 1))
			a->large_split++;
		if (mask == 1u << MB_PCLASS_RX)
			a->text_large_entries++;
		else
			a->text_small_entries += rx_pages;
	}
	free(refs);
	for (unsigned c = 0; c < MB_NPCLASS; c++)
		a->padding[c] = a->pages[c] * ps - a->used[c];
	return 0;
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
	fprintf(f, "  large pages touched %llu, split %llu; text entries: %llu large, %llu small\n",
		(unsigned long long)a->large_touched, (unsigned long long)a->large_split,
		(unsigned long long)a->text_large_entries, (unsigned long long)a->text_small_entries);
}
