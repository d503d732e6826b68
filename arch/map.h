/* Per-arch memory maps: named variants of where a kernel puts modules, the
 * kernel image and everything else, as data. Each arch lists its variants in
 * its ops table (struct mb_arch .maps, default first).
 *
 * Addresses here are uint64_t so that one host build can describe every
 * arch; mb_map_place_config() turns a map into the core's unsigned long
 * placement config (and refuses a map that does not fit the host's long).
 *
 * Variants (arch/<arch>/map_<arch>.c; `modbed maps` prints them):
 *   x86_64              non-KASLR build: modules [0xffffffffa0000000,
 *                       0xffffffffff000000), no random offset
 *   x86_64-kaslr        KASLR build: modules from 0xffffffffc0000000 plus
 *                       1..1024 pages; the offset is drawn from --seed when
 *                       one is given, else it is 1 page (deterministic)
 *   x86_64-nokaslr      KASLR build (Debian) booted with nokaslr: modules
 *                       from 0xffffffffc0000000, and the 2 MiB bpf_prog_pack
 *                       the kernel allocates there at boot comes first
 *   x86_64-nokaslr-bare the same without the boot allocation
 *   arm64-48bit-6.1     before v6.5: 128 MiB module region ending at _etext
 *                       (module_alloc_base = _etext - 128 MiB), _etext of
 *                       Debian's 6.1 cloud kernel
 *   arm64-48bit         48-bit VA, 4 KiB pages, no KASLR: 128 MiB direct window
 *                       below the kernel end, falling back to the 2 GiB PLT
 *                       window (both clipped below the kernel image)
 *   powerpc32-book3s32  text [_etext-32M, 0xc0000000) falling back to
 *                       [MODULES_VADDR, 0xc0000000); data in vmalloc
 *   powerpc32-8xx       the same rule with the 8xx's 32 MiB module area
 *   powerpc32-book3s32-6.1, powerpc32-8xx-6.1
 *                       before the Aug 2024 shrink: the module area is the
 *                       256 MiB [0xb0000000, 0xc0000000) on both
 *
 * A map can say which kernels it describes (kver_first/kver_last); the
 * default map for a kernel version is the arch's first map that covers it
 * (mb_arch_map_for_kernel in arch/arch.h). */
#ifndef MODBED_ARCH_MAP_H
#define MODBED_ARCH_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kver.h"
#include "core/place.h"

/* A named piece of the address space, both ends inclusive. */
struct mb_map_region {
	const char *name;        /* "kernel text", "modules", "vmalloc", ... */
	uint64_t start;
	uint64_t last;
};

/* Something the kernel allocates in the text windows at boot, before any
 * module (placed lowest fit with its guard page, never freed). */
struct mb_map_boot {
	const char *name;        /* "bpf_prog_pack" */
	uint64_t size;
};

/* A placement window (execmem range), both ends inclusive. */
struct mb_map_window {
	const char *name;
	uint64_t start;
	uint64_t last;
	/* > 0: start is _etext - below_etext (the kernel image end,
	 * kernel_base + kernel_size), as ppc32's module_alloc() computes it
	 * at run time; mb_map_set_kernel_image() moves it with the image. */
	uint64_t below_etext;
};

struct mb_map {
	const char *name;        /* "x86_64-kaslr", ... (unique across arches) */
	const char *description;
	uint64_t page_size;
	uint64_t large_page_size;  /* PMD/huge-vmap size: packed pool chunks */
	uint64_t cacheline_size;   /* L1_CACHE_BYTES: --pack cacheline */
	/* ARCH_WANTS_MODULES_DATA_IN_VMALLOC: the data types are allocated
	 * away from module text, and the kernel lookup keeps a data pair. */
	bool data_in_vmalloc;
	/* CONFIG_HAVE_STATIC_CALL_INLINE (layout: .static_call_sites). */
	bool static_call_inline;
	/* module_alloc() (execmem's text ranges since 6.10) maps
	 * PAGE_KERNEL_EXEC when the kernel has no STRICT_MODULE_RWX (powerpc:
	 * strict_module_rwx_enabled() ? PAGE_KERNEL : PAGE_KERNEL_EXEC), so
	 * there every byte from the text windows stays writable and
	 * executable. false: PAGE_KERNEL (RW) either way (x86_64, arm64). */
	bool text_alloc_exec_unless_strict;

	/* Text types (MOD_TEXT, MOD_INIT_TEXT) use text[], every data type
	 * data[]: primary window first, then fallbacks. */
	struct mb_map_window text[MB_MAX_WINDOWS];
	size_t ntext;
	struct mb_map_window data[MB_MAX_WINDOWS];
	size_t ndata;
	/* KASLR-style module offset: when > 0, every window starting at
	 * random_base moves up by 1..random_pages pages (all by the same
	 * amount, computed once per seed; 1 page without a seed). */
	uint32_t random_pages;
	uint64_t random_base;

	/* Boot allocations in the text windows, in allocation order. */
	struct mb_map_boot boot[MB_MAX_BOOT];
	size_t nboot;

	/* The kernels this map describes, as MB_KVER numbers; 0: no bound. */
	unsigned kver_first, kver_last;

	/* The regions `modbed maps` lists, in address order. */
	const struct mb_map_region *regions;
	size_t nregions;

	/* For the emulator: the kernel image (the kernel stub goes at
	 * kernel_base; on ppc32 _etext = kernel_base + kernel_size is what the
	 * module text window derives from) and a scratch area for stacks, heap
	 * and per-CPU data, in the direct map or vmalloc, overlapping no
	 * window. */
	uint64_t kernel_base;
	uint64_t kernel_size;
	uint64_t scratch_base;
	uint64_t scratch_size;
};

/* The core placement config for a map: its windows (moved by the random
 * offset, see random_pages; seeded/seed choose it), page sizes, and a guard
 * of one page after each allocation as vmalloc leaves. Returns 0, or -1 if
 * an address does not fit an unsigned long on this host. */
int mb_map_place_config(const struct mb_map *map, bool seeded, uint64_t seed,
			struct mb_place_config *out);

/* Adds the map's boot allocations (what the kernel allocated in the module
 * area before the first module) to a config from mb_map_place_config,
 * which leaves them out. Returns 0, or -1 if a size does not fit. */
int mb_map_boot_config(const struct mb_map *map, struct mb_place_config *cfg);

/* The kernel image of a real build (its System.map's _stext and _etext)
 * in place of the map's: kernel_base/kernel_size become the pages of
 * [stext, etext), and every window with below_etext starts at
 * _etext - below_etext (page-aligned up, as vmalloc aligns its range).
 * Returns 0, or -1 with *why set when the image or a moved window is
 * empty or the image overlaps a window or the scratch area. */
int mb_map_set_kernel_image(struct mb_map *map, uint64_t stext, uint64_t etext, const char **why);

/* The offset in bytes the random_pages rule gives (0 if the map has none). */
uint64_t mb_map_random_offset(const struct mb_map *map, bool seeded, uint64_t seed);

/* Does the map describe kernel version v (MB_KVER)? */
bool mb_map_covers(const struct mb_map *map, unsigned v);

/* Which window list a mod_mem type uses in this map (latest rule set). */
const struct mb_map_window *mb_map_windows_for(const struct mb_map *map, int mem_type, size_t *n);

#endif
