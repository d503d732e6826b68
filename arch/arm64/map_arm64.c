/* arm64 memory map, VA_BITS=48, 4 KiB pages, no KASLR (arch/arm64/include/
 * asm/memory.h; module_init_limits() and execmem_arch_setup() since v6.5).
 * The module area is the 2 GiB below KIMAGE_VADDR. Modules go to a 128 MiB
 * window ending at the kernel's _end (reachable by CALL26 without PLTs) and
 * fall back to a 2 GiB window ending there too (PLTs needed). The kernel
 * image is a busy vm area, so both windows stop below _text here. Data uses
 * the same windows (PREL32 __ksymtab entries need +-2 GiB). */
#include "arch/map.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

#define MODULES_VADDR 0xffff800000000000ull
#define KIMAGE_VADDR  0xffff800080000000ull /* = MODULES_END = VMALLOC_START */
#define KERNEL_SIZE   (16 * MIB)
#define KERNEL_END    (KIMAGE_VADDR + KERNEL_SIZE)

/* 4 KiB pages, 2 MiB PMD; no DATA_IN_VMALLOC, no inline static calls */
#define ARM64_PAGES_AND_CONFIG                                                                  \
	.page_size = 4 * KIB, .large_page_size = 2 * MIB, .cacheline_size = 64, .data_in_vmalloc = false,             \
	.static_call_inline = false

static const struct mb_map_region regions_48[] = {
	{ "linear map", 0xffff000000000000ull, 0xffff7fffffffffffull },
	{ "modules", MODULES_VADDR, KIMAGE_VADDR - 1 },
	{ "kernel image", KIMAGE_VADDR, KERNEL_END - 1 },
	/* VMALLOC_END = VMEMMAP_START - 8 MiB, derived for 64-byte struct page */
	{ "vmalloc", KIMAGE_VADDR, 0xfffffdffbf7fffffull },
	{ "vmemmap", 0xfffffdffc0000000ull, 0xffffffffbfffffffull },
};

static const struct mb_map map_48 = {
	.name = "arm64-48bit",
	.description = "arm64, 48-bit VA, 4 KiB pages, no KASLR: 128 MiB direct window "
		       "inside the 2 GiB PLT window, both ending at the kernel's _end",
	ARM64_PAGES_AND_CONFIG,
	.text = {
		{ "direct (no PLT)", KERNEL_END - 128 * MIB, KIMAGE_VADDR - 1, 0 },
		{ "PLT window", KERNEL_END - 2 * GIB, KIMAGE_VADDR - 1, 0 },
	},
	.ntext = 2,
	.data = {
		{ "direct (no PLT)", KERNEL_END - 128 * MIB, KIMAGE_VADDR - 1, 0 },
		{ "PLT window", KERNEL_END - 2 * GIB, KIMAGE_VADDR - 1, 0 },
	},
	.ndata = 2,
	.kver_first = MB_KVER(6, 5), /* 3e35d303ab7d: 2 GiB module VA, PLT window */
	.regions = regions_48,
	.nregions = sizeof(regions_48) / sizeof(regions_48[0]),
	.kernel_base = KIMAGE_VADDR,
	.kernel_size = KERNEL_SIZE,
	/* vmalloc, 256 MiB above the kernel image: no window reaches there */
	.scratch_base = KIMAGE_VADDR + 256 * MIB,
	.scratch_size = 16 * MIB,
};

/* Before v6.5 (arch/arm64/kernel/module.c, kaslr.c): MODULES_VSIZE is
 * 128 MiB, KIMAGE_VADDR = MODULES_END = VMALLOC_START = 0xffff800008000000,
 * and module_alloc() takes [module_alloc_base, +128 MiB) with
 * module_alloc_base = _etext - 128 MiB when KASLR is off (kaslr_init());
 * the 2 GiB fallback from the same base reaches past the kernel image, so
 * below the image it adds nothing and is left out here. Debian's
 * 6.1.0-57-cloud-arm64 under nokaslr: the kernel text vm area is
 * [0xffff800008010000, 0xffff800008be0000), so _etext - 128 MiB =
 * 0xffff800000be0000, where its first module landed; vmalloc allocations
 * at boot start at VMALLOC_START, so the window ends below it. */
#define V61_MODULES_END  0xffff800008000000ull
#define V61_ETEXT        0xffff800008be0000ull
#define V61_IMAGE_END    0xffff800009ab0000ull /* _text + the Image header's image_size */

static const struct mb_map_region regions_61[] = {
	{ "linear map", 0xffff000000000000ull, 0xffff7fffffffffffull },
	{ "modules", MODULES_VADDR, V61_MODULES_END - 1 },
	{ "vmalloc", V61_MODULES_END, 0xfffffbffefffffffull },
	{ "kernel image", V61_MODULES_END, V61_IMAGE_END - 1 },
};

static const struct mb_map map_61 = {
	.name = "arm64-48bit-6.1",
	.description = "arm64, 48-bit VA, 4 KiB pages, no KASLR, before v6.5: 128 MiB module "
		       "region [_etext - 128 MiB, MODULES_END) of Debian's 6.1 kernel",
	ARM64_PAGES_AND_CONFIG,
	.text = { { "module_alloc_base", V61_ETEXT - 128 * MIB, V61_MODULES_END - 1, 0 } },
	.ntext = 1,
	.data = { { "module_alloc_base", V61_ETEXT - 128 * MIB, V61_MODULES_END - 1, 0 } },
	.ndata = 1,
	.kver_last = MB_KVER(6, 4),
	.regions = regions_61,
	.nregions = sizeof(regions_61) / sizeof(regions_61[0]),
	.kernel_base = V61_MODULES_END,
	.kernel_size = 16 * MIB, /* what the emulator's stub needs; the image runs to V61_IMAGE_END */
	/* vmalloc, 256 MiB above the kernel image */
	.scratch_base = V61_MODULES_END + 256 * MIB,
	.scratch_size = 16 * MIB,
};

const struct mb_map *const mb_arm64_maps[2] = { &map_48, &map_61 };
