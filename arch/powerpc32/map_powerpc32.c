/* 32-bit powerpc memory maps (arch/powerpc/include/asm/book3s/32/pgtable.h,
 * nohash/32/mmu-8xx.h, arch/powerpc/mm/mem.c execmem_arch_setup, v6.12+
 * module area sizes). Module text lives below the kernel at 0xc0000000,
 * first within 32 MiB of _etext (REL24 reach without trampolines), falling
 * back to the whole module area; data lives in vmalloc
 * (ARCH_WANTS_MODULES_DATA_IN_VMALLOC). _etext here is the end of the
 * kernel image the emulator's stub occupies (kernel_base + kernel_size). */
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

static const struct mb_map map_book3s32 = {
	.name = "powerpc32-book3s32",
	.description = "32-bit book3s (603/604/G3/G4), hash MMU: 64 MiB module text area below "
		       "0xc0000000 (exec per 256 MiB segment), data in vmalloc",
	.page_size = 4 * KIB,
	/* no huge vmap on book3s/32: pool chunks are one page-table page (PGDIR_SIZE) */
	.large_page_size = 4 * MIB,
	.data_in_vmalloc = true,
	.static_call_inline = false,
	.text = {
		{ "modules near _etext", NEAR_ETEXT, PAGE_OFFSET - 1 },
		{ "modules", B_MODULES_VADDR, PAGE_OFFSET - 1 },
	},
	.ntext = 2,
	.data = { { "vmalloc", B_VMALLOC_START, B_VMALLOC_LAST } },
	.ndata = 1,
	.regions = regions_book3s32,
	.nregions = sizeof(regions_book3s32) / sizeof(regions_book3s32[0]),
	.kernel_base = PAGE_OFFSET,
	.kernel_size = KERNEL_SIZE,
	.scratch_base = PAGE_OFFSET + 16 * MIB, /* lowmem, above the image */
	.scratch_size = 16 * MIB,
};

/* 8xx: MODULES_END = PAGE_OFFSET, MODULES_SIZE 32 MiB default, TASK_SIZE
 * 0x80000000; 128 MiB lowmem gives VMALLOC_START 0xc9000000 (derived). */
#define X_MODULES_VADDR 0xbe000000ull
#define X_VMALLOC_START 0xc9000000ull
#define X_VMALLOC_LAST  0xf7ffffffull

static const struct mb_map_region regions_8xx[] = {
	{ "user (TASK_SIZE)", 0x00000000ull, 0x7fffffffull },
	{ "modules", X_MODULES_VADDR, PAGE_OFFSET - 1 },
	{ "kernel image", PAGE_OFFSET, ETEXT - 1 },
	{ "lowmem (linear map)", ETEXT, X_VMALLOC_START - 16 * MIB - 1 },
	{ "vmalloc", X_VMALLOC_START, X_VMALLOC_LAST },
	{ "ioremap, fixmap", 0xf8000000ull, 0xffffffffull },
};

static const struct mb_map map_8xx = {
	.name = "powerpc32-8xx",
	.description = "32-bit 8xx (MPC8xx), per-page exec: 32 MiB module text area below "
		       "0xc0000000, data in vmalloc",
	.page_size = 4 * KIB,
	.large_page_size = 512 * KIB, /* 8xx huge vmap page */
	.data_in_vmalloc = true,
	.static_call_inline = false,
	.text = {
		{ "modules near _etext", NEAR_ETEXT, PAGE_OFFSET - 1 },
		{ "modules", X_MODULES_VADDR, PAGE_OFFSET - 1 },
	},
	.ntext = 2,
	.data = { { "vmalloc", X_VMALLOC_START, X_VMALLOC_LAST } },
	.ndata = 1,
	.regions = regions_8xx,
	.nregions = sizeof(regions_8xx) / sizeof(regions_8xx[0]),
	.kernel_base = PAGE_OFFSET,
	.kernel_size = KERNEL_SIZE,
	.scratch_base = PAGE_OFFSET + 16 * MIB,
	.scratch_size = 16 * MIB,
};

const struct mb_map *const mb_powerpc32_maps[2] = { &map_book3s32, &map_8xx };
