/* The picture as SVG, written by hand.
 *
 * Layout: one row per large page that holds anything (a live type, a guard,
 * a boot allocation, a hole, free bytes of a mapped arena), in address
 * order; every stretch in between is collapsed into one summary line per
 * region it crosses (map regions, the kernel image, windows, builtin
 * sub-regions), with its addresses and size. Why rows of large pages: the
 * questions the picture answers are per large page (which ones are split,
 * where the holes are), a module set of any size touches a few dozen of
 * them (the 1,121 Debian amd64 modules, init memory freed: 24 rows under
 * `kernel`, 20 under `builtin --pack section`), and inside a row
 * the scale is linear, so a 4 KiB page is 2 px wide at 2 MiB and the guard
 * pages stay visible; the module area itself (GiB) and the rest of the
 * address space (TiB) would leave nothing visible on any linear scale.
 *
 * Geometry (tests/picture/map_svg.py computes pixels from it):
 *   a row is the rect class "lp" with data-lp = its large page's address;
 *   its top is that rect's y, its height ROW_H; byte b of the large page is
 *   at x = LEFT + b * WIDTH / large page size (LEFT 260, WIDTH 1024);
 *   a split row carries a SPLIT_W x SPLIT_W red mark at x = LEFT + WIDTH + 6,
 *   y = row top + 3.
 * Colours: the `style` below, one class per colour (README "modbed map").
 * A live type is drawn in its class's colour, dark for modules at even
 * positions in load order and light for odd ones, so neighbours stay apart;
 * init types still live are drawn as init. A row is split when it holds
 * live types of two or more permission classes ("mixed"), or a live type
 * and a whole small page of a hole ("hole": that page is handed back):
 * one large-page mapping cannot cover it. */
#include "harness/picture/picture.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/modmem.h"

enum { LEFT = 260, WIDTH = 1024, TOP = 96, ROW_H = 16, ROW_GAP = 4, SUM_H = 14, SUM_GAP = 4, SPLIT_W = 10 };
enum { TOTAL_W = LEFT + WIDTH + 70 };

static const char *const colour_names[MB_PIC_NCOLOURS] = { "rx", "r", "rw", "ro_after_init", "init" };
static const char *const colour_css[MB_PIC_NCOLOURS] = { "rx", "r", "rw", "ra", "in" };

static const char style[] =
	"text{font-family:monospace;font-size:10px;fill:#000}\n"
	".rx0{fill:#1f5fa8}.rx1{fill:#6fa8dc}.r0{fill:#2e7d32}.r1{fill:#81c784}\n"
	".rw0{fill:#e65100}.rw1{fill:#ffb74d}.ra0{fill:#6a1b9a}.ra1{fill:#ba68c8}\n"
	".in0{fill:#ad1457}.in1{fill:#f48fb1}\n"
	".g{fill:#212121}.h{fill:#ffd600}.mf{fill:#b2ebf2}.b{fill:#795548}\n"
	".out{fill:#9e9e9e}.win{fill:#ffffff}.res{fill:#e0e0e0}.split{fill:#d50000}\n"
	".lp{fill:none;stroke:#616161;stroke-width:1}\n"
	".s0{fill:#f5f5f5;stroke:#bdbdbd}.s1{fill:#cfd8dc;stroke:#bdbdbd}.s2{fill:#ffffff;stroke:#bdbdbd}.s3{fill:#e0e0e0;stroke:#bdbdbd}\n";

static const char *const kind_css[] = { [MB_PIC_MAPFREE] = "mf", [MB_PIC_HOLE] = "h", [MB_PIC_GUARD] = "g",
					[MB_PIC_BOOT] = "b" };
static const char *const region_kinds[] = { "map region", "kernel image", "window", "builtin sub-region" };

/* "1.5 MiB": the largest binary unit the size reaches, up to 2 decimals. */
static void human(char *buf, size_t len, uint64_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = 0;
	double v = (double)size;
	while (u < 6 && v >= 1024) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f", v);
	char *e = buf + strlen(buf);
	while (e[-1] == '0')
		*--e = '\0';
	if (e[-1] == '.')
		*--e = '\0';
	snprintf(e, len - (size_t)(e - buf), " %s", units[u]);
}

/* Coordinates with at most 3 decimals, no trailing zeros. */
static const char *num(char *buf, double v)
{
	snprintf(buf, 32, "%.3f", v);
	char *e = buf + strlen(buf);
	while (e[-1] == '0')
		*--e = '\0';
	if (e[-1] == '.')
		*--e = '\0';
	return buf;
}

static void rect(FILE *f, const char *cls, double x, double y, double w, double h, const char *extra)
{
	char a[32], b[32], c[32], d[32];
	fprintf(f, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"%s", cls, num(a, x), num(b, y), num(c, w),
		num(d, h), extra ? extra : "/>\n");
}

/* The large pages the picture shows: every one a span touches. Spans are
 * sorted and disjoint, so the pages come out in order. */
static uint64_t *row_pages(const struct mb_picture *p, size_t *n)
{
	size_t cap = 64, k = 0;
	uint64_t *v = malloc(cap * sizeof(*v)), lp = p->large_page_size;
	for (size_t i = 0; v && i < p->nspans; i++) {
		const struct mb_pic_span *s = &p->spans[i];
		for (uint64_t q = s->base / lp; q <= (s->base + s->size - 1) / lp; q++) {
			if (k && v[k - 1] >= q)
				continue;
			if (k == cap) {
				uint64_t *nv = realloc(v, (cap *= 2) * sizeof(*v));
				if (!nv) {
					free(v);
					return NULL;
				}
				v = nv;
			}
			v[k++] = q;
		}
	}
	*n = k;
	return v;
}

/* Summary lines for the regions crossing [lo, hi] (nothing placed there). */
static int summary(FILE *f, const struct mb_picture *p, uint64_t lo, uint64_t hi, int y)
{
	/* in address order of the part shown (regions are few: a selection) */
	bool done[sizeof(p->regions) / sizeof(p->regions[0])] = { false };
	for (;;) {
		const struct mb_pic_region *r = NULL;
		size_t pick = 0;
		for (size_t i = 0; i < p->nregions && lo <= hi; i++) {
			const struct mb_pic_region *q = &p->regions[i];
			if (done[i] || q->last < lo || q->start > hi)
				continue;
			uint64_t qa = q->start > lo ? q->start : lo;
			if (!r || qa < (r->start > lo ? r->start : lo))
				r = q, pick = i;
		}
		if (!r)
			break;
		done[pick] = true;
		uint64_t a = r->start > lo ? r->start : lo, b = r->last < hi ? r->last : hi;
		char sz[32], cls[4] = { 's', (char)('0' + r->kind), 0 };
		human(sz, sizeof sz, b - a + 1);
		rect(f, cls, LEFT, y, WIDTH, SUM_H, NULL);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", 4, y + 11, region_kinds[r->kind]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s 0x%llx-0x%llx (%s, not to scale)</text>\n", LEFT + 6, y + 11,
			r->name, (unsigned long long)a, (unsigned long long)b, sz);
		y += SUM_H + SUM_GAP;
	}
	return y;
}

/* The innermost region holding addr: sub-region, else window, else the
 * map's (regions are listed map first, sub-regions last). */
static const char *region_name(const struct mb_picture *p, uint64_t addr)
{
	const char *name = "";
	for (size_t i = 0; i < p->nregions; i++)
		if (addr >= p->regions[i].start && addr <= p->regions[i].last && p->regions[i].kind != MB_PIC_REG_KERNEL)
			name = p->regions[i].name;
	return name;
}

static void piece(FILE *f, const struct mb_picture *p, const struct mb_pic_span *s, uint64_t lpbase, int y)
{
	uint64_t lp = p->large_page_size, lo = s->base > lpbase ? s->base : lpbase;
	uint64_t end = s->base + s->size, hi = end < lpbase + lp ? end : lpbase + lp;
	double x = LEFT + (double)(lo - lpbase) * WIDTH / (double)lp, w = (double)(hi - lo) * WIDTH / (double)lp;
	if (s->kind != MB_PIC_TYPE) {
		if (s->kind == MB_PIC_BOOT) {
			char t[160];
			snprintf(t, sizeof t, "><title>%s (boot) 0x%llx +0x%llx</title></rect>\n", s->owner,
				 (unsigned long long)s->base, (unsigned long long)s->size);
			rect(f, "b", x, y, w, ROW_H, t);
		} else {
			rect(f, kind_css[s->kind], x, y, w, ROW_H, NULL);
		}
		return;
	}
	char cls[8], t[200];
	snprintf(cls, sizeof cls, "%s%d", colour_css[s->colour], s->shade);
	snprintf(t, sizeof t, "><title>%s %s 0x%llx +0x%llx</title></rect>\n", s->owner, mod_mem_type_name(s->type),
		 (unsigned long long)s->base, (unsigned long long)s->size);
	rect(f, cls, x, y, w, ROW_H, lo == s->base ? t : NULL);
}

/* One row: background, the spans in it, the frame, the split mark. *i is
 * the first span that may reach into this row; it is advanced past the
 * spans that end inside it. Returns 1 (mixed), 2 (hole) or 0. */
static int row(FILE *f, const struct mb_picture *p, uint64_t q, int y, size_t *i)
{
	uint64_t lp = p->large_page_size, base = q * lp, last = base + (lp - 1);
	rect(f, "out", LEFT, y, WIDTH, ROW_H, NULL);
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < p->nregions; k++) {
			const struct mb_pic_region *r = &p->regions[k];
			bool want = pass == 0 ? r->kind == MB_PIC_REG_WINDOW : r->kind == MB_PIC_REG_SUB;
			if (!want || r->last < base || r->start > last)
				continue;
			uint64_t a = r->start > base ? r->start : base, b = r->last < last ? r->last : last;
			rect(f, pass ? "res" : "win", LEFT + (double)(a - base) * WIDTH / (double)lp, y,
			     (double)(b - a + 1) * WIDTH / (double)lp, ROW_H, NULL);
		}
	unsigned classes = 0;
	bool hole = false;
	size_t k = *i;
	for (; k < p->nspans && p->spans[k].base <= last; k++) {
		const struct mb_pic_span *s = &p->spans[k];
		if (s->base + s->size <= base)
			continue;
		piece(f, p, s, base, y);
		if (s->kind == MB_PIC_TYPE)
			classes |= 1u << s->pclass;
		if (s->kind == MB_PIC_HOLE && !hole) {
			/* a whole small page of the hole in this row: it would be
			 * unmapped (a smaller gap stays mapped, as padding) */
			uint64_t ps = p->page_size, lo = s->base > base ? s->base : base;
			uint64_t hi = s->base + s->size - 1 < last ? s->base + s->size : last + 1;
			hole = (lo + ps - 1) / ps * ps + ps <= hi;
		}
	}
	/* the next row starts at the last span that reached past this one */
	while (*i < k && p->spans[*i].base + p->spans[*i].size - 1 <= last)
		(*i)++;
	int split = classes & (classes - 1) ? 1 : hole && classes ? 2 : 0;
	char extra[96];
	snprintf(extra, sizeof extra, " data-lp=\"0x%llx\" data-split=\"%s\"/>\n", (unsigned long long)base,
		 split == 1 ? "mixed" : split == 2 ? "hole" : "no");
	rect(f, "lp", LEFT, y, WIDTH, ROW_H, extra);
	fprintf(f, "<text x=\"4\" y=\"%d\">%s</text>\n", y + 12, region_name(p, base));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0x%llx</text>\n", LEFT - 6, y + 12,
		(unsigned long long)base);
	if (split) {
		rect(f, "split", LEFT + WIDTH + 6, y + 3, SPLIT_W, SPLIT_W, NULL);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + WIDTH + 20, y + 12, split == 1 ? "mixed" : "hole");
	}
	return split;
}

static void legend(FILE *f, int y)
{
	int x = 4;
	for (int c = 0; c < MB_PIC_NCOLOURS; c++) {
		fprintf(f, "<rect class=\"%s0\" x=\"%d\" y=\"%d\" width=\"7\" height=\"12\"/>", colour_css[c], x, y);
		fprintf(f, "<rect class=\"%s1\" x=\"%d\" y=\"%d\" width=\"7\" height=\"12\"/>", colour_css[c], x + 7, y);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 18, y + 10, colour_names[c]);
		x += 18 + 7 * (int)strlen(colour_names[c]) + 14;
	}
	static const struct { const char *cls, *label; } other[] = {
		{ "g", "guard" }, { "h", "hole" }, { "mf", "mapped, free" }, { "b", "boot allocation" },
		{ "win", "free (window)" }, { "res", "reserved sub-region" }, { "out", "outside windows" },
		{ "split", "split large page" },
	};
	x = 4;
	y += 18;
	for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
		fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" stroke=\"#616161\"/>", other[k].cls,
			x, y);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 18, y + 10, other[k].label);
		x += 18 + 7 * (int)strlen(other[k].label) + 14;
	}
}

/* Offsets inside a large page, every eighth, above the first row. */
static void axis(FILE *f, uint64_t lp, int y)
{
	for (int k = 0; k <= 8; k++) {
		int x = LEFT + k * WIDTH / 8;
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", x, y + 4, x, y + 10);
		if (k % 2)
			continue;
		char sz[32];
		human(sz, sizeof sz, lp / 8 * (uint64_t)k);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">+%s</text>\n", x, y, k ? sz : "0");
	}
}

int mb_picture_svg(FILE *f, const struct mb_picture *p, struct mb_pic_stats *st)
{
	memset(st, 0, sizeof(*st));
	size_t nrows;
	uint64_t *rows = row_pages(p, &nrows), lp = p->large_page_size;
	if (!rows)
		return -1;
	/* the body first, into memory, as the height is known only after it */
	char *body = NULL;
	size_t blen = 0;
	FILE *b = open_memstream(&body, &blen);
	if (!b) {
		free(rows);
		return -1;
	}
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t k = 0; k < p->nregions; k++) {
		lo = p->regions[k].start < lo ? p->regions[k].start : lo;
		hi = p->regions[k].last > hi ? p->regions[k].last : hi;
	}
	int y = TOP;
	size_t si = 0;
	for (size_t r = 0; r < nrows; r++) {
		uint64_t from = r ? (rows[r - 1] + 1) * lp : lo;
		if (rows[r] * lp > from || (r == 0 && lo < rows[0] * lp))
			y = summary(b, p, from, rows[r] * lp - 1, y);
		int split = row(b, p, rows[r], y, &si);
		st->split_mixed += split == 1;
		st->split_hole += split == 2;
		y += ROW_H + ROW_GAP;
	}
	if (nrows && rows[nrows - 1] * lp + (lp - 1) < hi)
		y = summary(b, p, rows[nrows - 1] * lp + lp, hi, y);
	else if (!nrows && lo <= hi)
		y = summary(b, p, lo, hi, y);
	st->rows = nrows;
	free(rows);
	if (fclose(b) != 0) {
		free(body);
		return -1;
	}
	char lps[32];
	human(lps, sizeof lps, lp);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "shape-rendering=\"crispEdges\">\n", TOTAL_W, y + 8, TOTAL_W, y + 8);
	fprintf(f, "<style>\n%s</style>\n", style);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", TOTAL_W, y + 8);
	fprintf(f, "<text x=\"4\" y=\"14\" style=\"font-size:12px\">modbed map: %s</text>\n", p->title);
	fprintf(f, "<text x=\"4\" y=\"28\">one row per %s large page holding anything placed; between rows, each "
		   "region crossed (not to scale). %zu rows, %zu split (%zu mixed, %zu hole)</text>\n",
		lps, st->rows, st->split_mixed + st->split_hole, st->split_mixed, st->split_hole);
	legend(f, 38);
	axis(f, lp, TOP - 8);
	fwrite(body, 1, blen, f);
	free(body);
	fprintf(f, "</svg>\n");
	return 0;
}
