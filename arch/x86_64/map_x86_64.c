/* x86_64 memory maps, 4-level paging (arch/x86/include/asm/pgtable_64_types.h,
 * page_64_types.h, Documentation/arch/x86/x86_64/mm.rst). Modules sit in the
 * top 2 GiB (R_X86_64_32S) within +-2 GiB of kernel text (PC32), and text
 * and data share one range (execmem_arch_setup gives every type the same
 * start and end). */
#include "arch/map.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

#define START_KERNEL_MAP 0xffffffff80000000ull
#define MODULES_END_INCL 0xfffffffffeffffffull /* MODULES_END 0xffffffffff000000, fixmap above */
#define KERNEL_TEXT      0xffffffff81000000ull /* _text: __START_KERNEL_map + 16 MiB (physical start) */
#define VMALLOC_START    0xffffc90000000000ull
#define VMALLOC_LAST     0xffffe8ffffffffffull

/* Non-KASLR build: KERNEL_IMAGE_SIZE 512 MiB, so MODULES_VADDR 0xffffffffa0000000. */
static const struct mb_map_region regions_plain[] = {
	{ "direct map", 0xffff888000000000ull, 0xffffc87fffffffffull },
	{ "vmalloc", VMALLOC_START, VMALLOC_LAST },
	{ "vmemmap", 0xffffea0000000000ull, 0xffffeaffffffffffull },
	{ "kernel text mapping", START_KERNEL_MAP, 0xffffffff9fffffffull },
	{ "modules", 0xffffffffa0000000ull, MODULES_END_INCL },
	{ "fixmap", 0xffffffffff000000ull, 0xffffffffffffffffull },
};

static const struct mb_map map_plain = {
	.name = "x86_64",
	.description = "x86_64, 4-level paging, no KASLR: 1520 MiB module area at 0xffffffffa0000000",
	.page_size = 4 * KIB,
	.large_page_size = 2 * MIB, .cacheline_size = 64,
	.data_in_vmalloc = false,
	.static_call_inline = true,
	.text = { { "modules", 0xffffffffa0000000ull, MODULES_END_INCL, 0 } },
	.ntext = 1,
	.data = { { "modules", 0xffffffffa0000000ull, MODULES_END_INCL, 0 } },
	.ndata = 1,
	.regions = regions_plain,
	.nregions = sizeof(regions_plain) / sizeof(regions_plain[0]),
	.kernel_base = KERNEL_TEXT,
	.kernel_size = 16 * MIB,
	.scratch_base = VMALLOC_START,
	.scratch_size = 16 * MIB,
};

/* KASLR build: KERNEL_IMAGE_SIZE 1 GiB, MODULES_VADDR 0xffffffffc0000000,
 * and execmem starts 1..1024 pages above it. */
static const struct mb_map_region regions_kaslr[] = {
	{ "direct map", 0xffff888000000000ull, 0xffffc87fffffffffull },
	{ "vmalloc", VMALLOC_START, VMALLOC_LAST },
	{ "vmemmap", 0xffffea0000000000ull, 0xffffeaffffffffffull },
	{ "kernel text mapping", START_KERNEL_MAP, 0xffffffffbfffffffull },
	{ "modules", 0xffffffffc0000000ull, MODULES_END_INCL },
	{ "fixmap", 0xffffffffff000000ull, 0xffffffffffffffffull },
};

static const struct mb_map map_kaslr = {
	.name = "x86_64-kaslr",
	.description = "x86_64, 4-level paging, KASLR: 1008 MiB module area at 0xffffffffc0000000 "
		       "+ 1..1024 pages (from --seed; 1 page without)",
	.page_size = 4 * KIB,
	.large_page_size = 2 * MIB, .cacheline_size = 64,
	.data_in_vmalloc = false,
	.static_call_inline = true,
	.text = { { "modules", 0xffffffffc0000000ull, MODULES_END_INCL, 0 } },
	.ntext = 1,
	.data = { { "modules", 0xffffffffc0000000ull, MODULES_END_INCL, 0 } },
	.ndata = 1,
	.random_pages = 1024,
	.random_base = 0xffffffffc0000000ull,
	.regions = regions_kaslr,
	.nregions = sizeof(regions_kaslr) / sizeof(regions_kaslr[0]),
	.kernel_base = KERNEL_TEXT,
	.kernel_size = 16 * MIB,
	.scratch_base = VMALLOC_START,
	.scratch_size = 16 * MIB,
};

/* The KASLR build booted with nokaslr: execmem/module_alloc starts at
 * MODULES_VADDR itself (the random offset is 0 when !kaslr_enabled()).
 * Debian's 6.1.0 cloud kernel, booted so under QEMU, had put a 2 MiB
 * bpf_prog_pack (module_alloc(BPF_PROG_PACK_SIZE)) at 0xffffffffc0000000
 * before the first module, so with its guard page the first module starts
 * at 0xffffffffc0201000 (/proc/vmallocinfo). */
#define NOKASLR_MAP(var, nm, desc, nb)                                                         \
	static const struct mb_map var = {                                                     \
		.name = nm,                                                                    \
		.description = desc,                                                           \
		.page_size = 4 * KIB,                                                          \
		.large_page_size = 2 * MIB, .cacheline_size = 64,                                                    \
		.data_in_vmalloc = false,                                                      \
		.static_call_inline = true,                                                    \
		.text = { { "modules", 0xffffffffc0000000ull, MODULES_END_INCL, 0 } },         \
		.ntext = 1,                                                                    \
		.data = { { "modules", 0xffffffffc0000000ull, MODULES_END_INCL, 0 } },         \
		.ndata = 1,                                                                    \
		.boot = { { "bpf_prog_pack", 2 * MIB } },                                      \
		.nboot = nb,                                                                   \
		.regions = regions_kaslr,                                                      \
		.nregions = sizeof(regions_kaslr) / sizeof(regions_kaslr[0]),                  \
		.kernel_base = KERNEL_TEXT,                                                    \
		.kernel_size = 16 * MIB,                                                       \
		.scratch_base = VMALLOC_START,                                                 \
		.scratch_size = 16 * MIB,                                                      \
	}
NOKASLR_MAP(map_nokaslr, "x86_64-nokaslr",
	    "x86_64, 4-level paging, KASLR build booted with nokaslr (Debian): module area at "
	    "0xffffffffc0000000, a 2 MiB bpf_prog_pack allocated there at boot",
	    1);
NOKASLR_MAP(map_nokaslr_bare, "x86_64-nokaslr-bare",
	    "x86_64, 4-level paging, KASLR build booted with nokaslr: module area at "
	    "0xffffffffc0000000, nothing allocated there before the first module",
	    0);

const struct mb_map *const mb_x86_64_maps[4] = { &map_plain, &map_kaslr, &map_nokaslr, &map_nokaslr_bare };
