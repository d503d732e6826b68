/* 32-bit powerpc memory maps (arch/powerpc/include/asm/book3s/32/pgtable.h,
 * nohash/32/mmu-8xx.h, arch/powerpc/mm/mem.c execmem_arch_setup, v6.12+
 * module area sizes). Module text lives below the kernel at 0xc0000000,
 * first within 32 MiB of _etext (REL24 reach without trampolines), falling
 * back to the whole module area; data lives in vmalloc
 * (ARCH_WANTS_MODULES_DATA_IN_VMALLOC). _etext here is the end of the
 * kernel image the emulator's stub occupies (kernel_base + kernel_size):
 * 8 MiB unless --system-map gives a real build's _stext/_etext, which
 * moves the near window with it (below_etext). */
#include "arch/map.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

#define PAGE_OFFSET  0xc0000000ull
#define KERNEL_SIZE  (8 * MIB)
#define ETEXT        (PAGE_OFFSET + KERNEL_SIZE)
#define NEAR_ETEXT   (ETEXT - 32 * MIB)  /* limit = _etext - SZ_32M */

/* book3s/32: MODULES_END = ALIGN_DOWN(PAGE_OFFSET, 256M), MODULES_SIZE 64 MiB
 * default; 768 MiB lowmem gives high_memory 0xf0000000 and VMALLOC_START
 * 0xf1000000 (+16 MiB, aligned); vmalloc ends where ioremap/pkmap/fixmap
 * begin (derived, not a kernel constant). */
#define B_MODULES_VADDR 0xbc000000ull
#define B_VMALLOC_START 0xf1000000ull
#define B_VMALLOC_LAST  0xfdffffffull

static const struct mb_map_region regions_book3s32[] = {
	{ "user (TASK_SIZE)", 0x00000000ull, 0xafffffffull },
	{ "module segment (exec)", 0xb0000000ull, B_MODULES_VADDR - 1 },
	{ "modules", B_MODULES_VADDR, PAGE_OFFSET - 1 },
	{ "kernel image", PAGE_OFFSET, ETEXT - 1 },
	{ "lowmem (linear map)", ETEXT, 0xefffffffull },
	{ "vmalloc", B_VMALLOC_START, B_VMALLOC_LAST },
	{ "ioremap, pkmap, fixmap", 0xfe000000ull, 0xffffffffull },
};

/* 8xx: MODULES_END = PAGE_OFFSET, MODULES_SIZE 32 MiB default, TASK_SIZE
 * 0x80000000; 128 MiB lowmem gives VMALLOC_START 0xc9000000 (derived). */
#define X_MODULES_VADDR 0xbe000000ull
#define X_VMALLOC_START 0xc9000000ull
#define X_VMALLOC_LAST  0xf7ffffffull

#define REGIONS_8XX(var, modules_vaddr)                                                       \
	static const struct mb_map_region var[] = {                                           \
		{ "user (TASK_SIZE)", 0x00000000ull, 0x7fffffffull },                         \
		{ "modules", modules_vaddr, PAGE_OFFSET - 1 },                                \
		{ "kernel image", PAGE_OFFSET, ETEXT - 1 },                                   \
		{ "lowmem (linear map)", ETEXT, X_VMALLOC_START - 16 * MIB - 1 },             \
		{ "vmalloc", X_VMALLOC_START, X_VMALLOC_LAST },                               \
		{ "ioremap, fixmap", 0xf8000000ull, 0xffffffffull },                          \
	}
REGIONS_8XX(regions_8xx, X_MODULES_VADDR);

/* The module areas before Aug 2024 (see OLD_MODULES_VADDR below). */
static const struct mb_map_region regions_book3s32_61[] = {
	{ "user (TASK_SIZE)", 0x00000000ull, 0xb0000000ull - 1 },
	{ "modules", 0xb0000000ull, PAGE_OFFSET - 1 },
	{ "kernel image", PAGE_OFFSET, ETEXT - 1 },
	{ "lowmem (linear map)", ETEXT, 0xefffffffull },
	{ "vmalloc", B_VMALLOC_START, B_VMALLOC_LAST },
	{ "ioremap, pkmap, fixmap", 0xfe000000ull, 0xffffffffull },
};

REGIONS_8XX(regions_8xx_61, 0xb0000000ull);

/* Every ppc32 map: text near _etext first, then the module area; data in
 * vmalloc; the kernel image at PAGE_OFFSET, scratch in lowmem above it. */
#define PPC32_MAP(var, nm, desc, large, modules_vaddr, vm_start, vm_last, regs, first, last)      \
	static const struct mb_map var = {                                                        \
		.name = nm,                                                                       \
		.description = desc,                                                              \
		.page_size = 4 * KIB,                                                             \
		.large_page_size = large, .cacheline_size = 32, /* book3s/32 and 8xx L1_CACHE_BYTES */                                                         \
		.data_in_vmalloc = true,                                                          \
		.static_call_inline = false,                                                      \
		.text_alloc_exec_unless_strict = true, /* module_alloc: PAGE_KERNEL_EXEC */         \
		.text = {                                                                         \
			{ "modules near _etext", NEAR_ETEXT, PAGE_OFFSET - 1, 32 * MIB },         \
			{ "modules", modules_vaddr, PAGE_OFFSET - 1, 0 },                         \
		},                                                                                \
		.ntext = 2,                                                                       \
		.data = { { "vmalloc", vm_start, vm_last, 0 } },                                  \
		.ndata = 1,                                                                       \
		.kver_first = first,                                                              \
		.kver_last = last,                                                                \
		.regions = regs,                                                                  \
		.nregions = sizeof(regs) / sizeof(regs[0]),                                       \
		.kernel_base = PAGE_OFFSET,                                                       \
		.kernel_size = KERNEL_SIZE,                                                       \
		.scratch_base = PAGE_OFFSET + 16 * MIB, /* lowmem, above the image */             \
		.scratch_size = 16 * MIB,                                                         \
	}

/* "powerpc/32s: Reduce default size of module/execmem area" (Aug 2024,
 * about v6.12) gave the sizes above; before it both had MODULES_VADDR
 * 0xb0000000 (v6.1 book3s/32/pgtable.h: MODULES_END - 256M, the segment
 * below PAGE_OFFSET; nohash/32/mmu-8xx.h: PAGE_OFFSET - 256M), so the
 * fallback window was the whole 256 MiB; module_alloc() tried _etext - 32M
 * first as execmem does. */
#define OLD_MODULES_VADDR 0xb0000000ull
#define NEW_AREA MB_KVER(6, 12)

/* no huge vmap on book3s/32: pool chunks are one page-table page (PGDIR_SIZE);
 * 512 KiB is the 8xx huge vmap page */
PPC32_MAP(map_book3s32, "powerpc32-book3s32",
	  "32-bit book3s (603/604/G3/G4), hash MMU: 64 MiB module text area below "
	  "0xc0000000 (exec per 256 MiB segment), data in vmalloc",
	  4 * MIB, B_MODULES_VADDR, B_VMALLOC_START, B_VMALLOC_LAST, regions_book3s32, NEW_AREA, 0);
PPC32_MAP(map_8xx, "powerpc32-8xx",
	  "32-bit 8xx (MPC8xx), per-page exec: 32 MiB module text area below 0xc0000000, data in vmalloc",
	  512 * KIB, X_MODULES_VADDR, X_VMALLOC_START, X_VMALLOC_LAST, regions_8xx, NEW_AREA, 0);
PPC32_MAP(map_book3s32_61, "powerpc32-book3s32-6.1",
	  "32-bit book3s before Aug 2024: 256 MiB module segment 0xb0000000-0xbfffffff, data in vmalloc",
	  4 * MIB, OLD_MODULES_VADDR, B_VMALLOC_START, B_VMALLOC_LAST, regions_book3s32_61, 0, NEW_AREA - 1);
PPC32_MAP(map_8xx_61, "powerpc32-8xx-6.1",
	  "32-bit 8xx before Aug 2024: 256 MiB module area 0xb0000000-0xbfffffff, data in vmalloc",
	  512 * KIB, OLD_MODULES_VADDR, X_VMALLOC_START, X_VMALLOC_LAST, regions_8xx_61, 0, NEW_AREA - 1);

const struct mb_map *const mb_powerpc32_maps[4] = { &map_book3s32, &map_8xx, &map_book3s32_61, &map_8xx_61 };
