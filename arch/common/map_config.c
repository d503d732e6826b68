/* Turning a map (uint64_t data, any arch) into the core's placement config. */
#include "arch/map.h"

static bool fits_ulong(uint64_t v)
{
	return (uint64_t)(unsigned long)v == v;
}

/* splitmix64's finaliser: a seed of 1, 2, 3 ... still spreads over the range. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t mb_map_random_offset(const struct mb_map *map, bool seeded, uint64_t seed)
{
	if (map->random_pages == 0)
		return 0;
	/* the kernel draws get_random_u32_inclusive(1, 1024) pages; without a
	 * seed modbed takes the smallest draw so runs are reproducible */
	uint64_t pages = seeded ? 1 + mix(seed) % map->random_pages : 1;
	return pages * map->page_size;
}

static int convert(const struct mb_map_window *in, size_t n, uint64_t random_base, uint64_t off,
		   struct mb_window *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t start = in[i].start;
		if (off && start == random_base)
			start += off;
		if (!fits_ulong(start) || !fits_ulong(in[i].last) || start > in[i].last)
			return -1;
		out[i].name = in[i].name;
		out[i].start = (unsigned long)start;
		out[i].last = (unsigned long)in[i].last;
	}
	return 0;
}

int mb_map_place_config(const struct mb_map *map, bool seeded, uint64_t seed,
			struct mb_place_config *out)
{
	uint64_t off = mb_map_random_offset(map, seeded, seed);
	if (!fits_ulong(map->page_size) || !fits_ulong(map->large_page_size) ||
	    map->ntext > MB_MAX_WINDOWS || map->ndata > MB_MAX_WINDOWS)
		return -1;
	out->page_size = (unsigned long)map->page_size;
	out->large_page_size = (unsigned long)map->large_page_size;
	out->cacheline_size = (unsigned long)map->cacheline_size;
	out->guard_size = (unsigned long)map->page_size; /* vmalloc's guard page */
	out->addr_last = 0; /* this host's ~0UL */
	out->ntext = map->ntext;
	out->ndata = map->ndata;
	if (convert(map->text, map->ntext, map->random_base, off, out->text) != 0 ||
	    convert(map->data, map->ndata, map->random_base, off, out->data) != 0 || map->nboot > MB_MAX_BOOT)
		return -1;
	out->nboot = 0; /* mb_map_boot_config adds them */
	return 0;
}

int mb_map_boot_config(const struct mb_map *map, struct mb_place_config *cfg)
{
	if (map->nboot > MB_MAX_BOOT)
		return -1;
	cfg->nboot = map->nboot;
	for (size_t i = 0; i < map->nboot; i++) {
		if (!fits_ulong(map->boot[i].size))
			return -1;
		cfg->boot_size[i] = (unsigned long)map->boot[i].size;
		cfg->boot_name[i] = map->boot[i].name;
	}
	return 0;
}

bool mb_map_covers(const struct mb_map *map, unsigned v)
{
	return (!map->kver_first || v >= map->kver_first) && (!map->kver_last || v <= map->kver_last);
}

const struct mb_map_window *mb_map_windows_for(const struct mb_map *map, int mem_type, size_t *n)
{
	if (mod_mem_type_is_text(mem_type)) {
		*n = map->ntext;
		return map->text;
	}
	*n = map->ndata;
	return map->data;
}

static bool overlaps(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_last)
{
	return a <= b_last && b <= a_last;
}

static int move_windows(struct mb_map_window *w, size_t n, uint64_t etext, uint64_t page, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		if (!w[i].below_etext)
			continue;
		if (etext < w[i].below_etext) {
			*why = "_etext is below the module window's reach";
			return -1;
		}
		uint64_t start = (etext - w[i].below_etext + page - 1) & ~(page - 1);
		if (start > w[i].last) {
			*why = "_etext leaves the module window near it empty";
			return -1;
		}
		w[i].start = start;
	}
	return 0;
}

int mb_map_set_kernel_image(struct mb_map *map, uint64_t stext, uint64_t etext, const char **why)
{
	uint64_t page = map->page_size;
	uint64_t base = stext & ~(page - 1), end = (etext + page - 1) & ~(page - 1);
	if (etext <= stext || end < etext) {
		*why = "_etext is not above _stext";
		return -1;
	}
	if (map->scratch_size && overlaps(base, end - 1, map->scratch_base, map->scratch_base + map->scratch_size - 1)) {
		*why = "the kernel image [_stext, _etext) overlaps the map's scratch area";
		return -1;
	}
	if (move_windows(map->text, map->ntext, etext, page, why) != 0 ||
	    move_windows(map->data, map->ndata, etext, page, why) != 0)
		return -1;
	const struct mb_map_window *lists[2] = { map->text, map->data };
	const size_t counts[2] = { map->ntext, map->ndata };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (overlaps(base, end - 1, lists[l][i].start, lists[l][i].last)) {
				*why = "the kernel image [_stext, _etext) overlaps a module window of the map";
				return -1;
			}
	map->kernel_base = base;
	map->kernel_size = end - base;
	return 0;
}
