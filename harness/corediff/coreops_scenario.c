/* What a core-diff stream runs on: a real map of an arch, or the synthetic
 * 32-bit edge scenario. */
#include "harness/corediff/coreops.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "core/lookup.h"
#include "core/opstream.h"

#include <stdio.h>
#include <string.h>

static int parse_options(struct mb_corescenario *sc, const char *policy, const char *bounds, const char *tree,
			 struct mb_err *err)
{
	int p = policy ? mb_policy_parse(policy) : MB_POLICY_KERNEL;
	if (p < 0)
		return mb_fail(err, NULL, NULL, "unknown placement policy '%s' (kernel, packed, builtin)", policy);
	sc->policy = (unsigned)p;
	int b = bounds ? mb_bounds_parse(bounds) : MB_BOUNDS_KERNEL;
	if (b < 0)
		return mb_fail(err, NULL, NULL, "unknown bounds policy '%s' (kernel, split, pertype)", bounds);
	int t = tree ? mb_tree_parse(tree) : MB_TREE_FAST;
	if (t < 0)
		return mb_fail(err, NULL, NULL, "unknown lookup tree '%s' (fast, rbtree)", tree);
	sc->bounds = (unsigned)b;
	sc->tree = (unsigned)t;
	return 0;
}

static void set_format(struct mb_corescenario *sc, const struct mb_arch *arch)
{
	sc->fmt.width = arch->ptr_bytes;
	sc->fmt.big_endian = arch->big_endian;
}

int mb_corescenario_from_map(struct mb_corescenario *sc, const struct mb_arch *arch,
			     const struct mb_map *map, const char *policy, const char *bounds,
			     const char *tree, struct mb_err *err)
{
	memset(sc, 0, sizeof(*sc));
	if (parse_options(sc, policy, bounds, tree, err) != 0)
		return -1;
	set_format(sc, arch);
	snprintf(sc->name, sizeof(sc->name), "%s", map->name);
	struct mb_place_config cfg;
	if (mb_map_place_config(map, false, 0, &cfg) != 0)
		return mb_fail(err, NULL, map->name, "the map does not fit this host's unsigned long");
	sc->data_in_vmalloc = map->data_in_vmalloc;
	sc->layout_flags = MB_OPS_LAYOUT_UNLOAD | MB_OPS_LAYOUT_STRICT_RWX |
			   (map->static_call_inline ? MB_OPS_LAYOUT_STATIC_CALL : 0);
	sc->page_size = cfg.page_size;
	sc->large_page_size = cfg.large_page_size;
	sc->guard_size = cfg.guard_size;
	sc->ntext = cfg.ntext;
	sc->ndata = cfg.ndata;
	for (size_t i = 0; i < cfg.ntext; i++) {
		sc->text[i][0] = cfg.text[i].start;
		sc->text[i][1] = cfg.text[i].last;
	}
	for (size_t i = 0; i < cfg.ndata; i++) {
		sc->data[i][0] = cfg.data[i].start;
		sc->data[i][1] = cfg.data[i].last;
	}
	sc->kernel_base = map->kernel_base;
	sc->kernel_size = map->kernel_size;
	return 0;
}

/* Shaped like a ppc32 map pushed to the top of the space: text windows in
 * the upper half, a small data window ending at 0xffffffff that fills up
 * and falls back to a window spanning almost all 4 GiB, kernel text above
 * 0x80000000, and sizes near 4 GiB. On a 32-bit core every end computed as
 * base + size wraps here; on the 64-bit host it does not. */
int mb_corescenario_edge32(struct mb_corescenario *sc, const struct mb_arch *arch, const char *policy,
			   const char *bounds, const char *tree, struct mb_err *err)
{
	memset(sc, 0, sizeof(*sc));
	if (parse_options(sc, policy, bounds, tree, err) != 0)
		return -1;
	set_format(sc, arch);
	snprintf(sc->name, sizeof(sc->name), "edge32");
	sc->data_in_vmalloc = true;
	sc->layout_flags = MB_OPS_LAYOUT_UNLOAD | MB_OPS_LAYOUT_STRICT_RWX;
	sc->page_size = 0x1000;
	sc->large_page_size = 0x400000;
	/* No guard pages, so allocations can end exactly at 0xffffffff. */
	sc->guard_size = 0;
	sc->ntext = 2;
	sc->text[0][0] = 0xfe000000;
	sc->text[0][1] = 0xffffffff;
	sc->text[1][0] = 0x80000000;
	sc->text[1][1] = 0xffffffff;
	sc->ndata = 2;
	sc->data[0][0] = 0xffe00000;
	sc->data[0][1] = 0xffffffff;
	sc->data[1][0] = 0x00001000;
	sc->data[1][1] = 0xffffffff;
	sc->kernel_base = 0xc0000000;
	sc->kernel_size = 0x01000000;
	sc->huge_sizes = true;
	return 0;
}
