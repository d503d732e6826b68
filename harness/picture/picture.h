/* A picture of a placed module set: the address space as an SVG.
 *
 * harness/picture/: mb_picture_collect() reads the placement state of a
 * loader (picture_collect.c) into a flat list of spans and regions;
 * mb_picture_svg() draws that list (picture_svg.c, hand-written SVG). Uses
 * load/ (the loader and its core allocator) and arch/ (the map); no
 * emulator: the picture is of whatever the loader holds, so anything that
 * frees or moves module memory (init freed, a module expunged or unloaded,
 * a compaction) shows up as it is in the allocator.
 *
 * What a span is, from the allocator alone:
 *   TYPE      a live mod_mem type of a module: [alloc.base, +alloc.size)
 *   GUARD     the address space an arena or boot allocation keeps free after
 *             itself (range span - arena size: vmalloc's guard page)
 *   BOOT      what the kernel allocated in the text windows at boot
 *   HOLE      inside a reserved builtin sub-region (`--pack`): in a chunk,
 *             the free runs below the chunk's last live type (types handed
 *             back: freed init, expunged modules; and alignment gaps); below
 *             the class's bump cursor, what no chunk covers any more (chunks
 *             whose every type went: unmapped)
 *   MAPFREE   bytes of a mapped arena no live type holds, elsewhere (the end
 *             of a builtin chunk after its last live type, packed pool
 *             space, page padding inside a block)
 * Regions are the map's named regions, the kernel image, the placement
 * windows and the builtin sub-regions. */
#ifndef MODBED_HARNESS_PICTURE_H
#define MODBED_HARNESS_PICTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mb_loader;

enum mb_pic_kind { MB_PIC_MAPFREE = 0, MB_PIC_HOLE, MB_PIC_GUARD, MB_PIC_BOOT, MB_PIC_TYPE };

/* Colour classes: the four permission classes (enum mb_pclass order) and
 * init (any init type while it is still live). */
enum { MB_PIC_INIT = 4, MB_PIC_NCOLOURS = 5 };

struct mb_pic_span {
	uint64_t base, size;
	enum mb_pic_kind kind;
	int pclass;              /* TYPE: enum mb_pclass (for the split rule) */
	int colour;              /* TYPE: pclass, or MB_PIC_INIT for init types */
	int shade;               /* TYPE: module index in load order & 1 */
	int type;                /* TYPE: enum mod_mem_type */
	const char *owner;       /* TYPE: module name; BOOT: the allocation's name */
};

enum mb_pic_region_kind { MB_PIC_REG_MAP = 0, MB_PIC_REG_KERNEL, MB_PIC_REG_WINDOW, MB_PIC_REG_SUB };

struct mb_pic_region {
	const char *name;
	uint64_t start, last;    /* inclusive */
	enum mb_pic_region_kind kind;
};

struct mb_picture {
	char title[256];
	uint64_t page_size, large_page_size;
	size_t nmodules;
	struct mb_pic_span *spans;   /* sorted by base, not overlapping */
	size_t nspans;
	struct mb_pic_region regions[32];
	size_t nregions;
};

/* Reads the loader's placement state. policy/pack name the policy for the
 * title (NULL: kernel / none). 0, or -1 when out of memory. */
int mb_picture_collect(const struct mb_loader *l, const char *policy, const char *pack, struct mb_picture *p);
void mb_picture_free(struct mb_picture *p);

/* What mb_picture_svg drew, for the command's summary line. */
struct mb_pic_stats {
	size_t rows;             /* large-page rows */
	size_t split_mixed;      /* rows holding live bytes of two or more classes */
	size_t split_hole;       /* other rows holding a hole and live bytes */
};

/* Writes the SVG (geometry in picture_svg.c's header comment). 0, or -1
 * when out of memory (the caller checks f for write errors). */
int mb_picture_svg(FILE *f, const struct mb_picture *p, struct mb_pic_stats *st);

#endif
