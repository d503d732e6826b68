#include "arch/arch.h"
#include "arch/reloc.h"

/* arch/powerpc32/map_powerpc32.c: default first */
extern const struct mb_map *const mb_powerpc32_maps[4];
#include "arch/cpu.h"
#include "arch/debug.h"

extern const struct mb_cpu_ops mb_cpu_powerpc32;
extern const struct mb_debug_ops mb_debug_powerpc32;

const struct mb_arch mb_arch_powerpc32 = {
	.name = "powerpc32",
	.elf_machine = 20,
	.elf_class = 1,
	.elf_data = 2,
	.ptr_bytes = 4,
	.maps = mb_powerpc32_maps,
	.nmaps = sizeof(mb_powerpc32_maps) / sizeof(mb_powerpc32_maps[0]),
	.big_endian = true,
	.ksym_prel32 = false, /* arch/powerpc/Kconfig: HAVE_ARCH_PREL32_RELOCATIONS not selected */
	.reloc = &mb_reloc_powerpc32,
	.cpu = &mb_cpu_powerpc32,
	.debug = &mb_debug_powerpc32,
};
