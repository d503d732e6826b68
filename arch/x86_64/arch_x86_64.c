#include "arch/arch.h"
#include "arch/reloc.h"

/* arch/x86_64/map_x86_64.c: default first */
extern const struct mb_map *const mb_x86_64_maps[4];
#include "arch/cpu.h"
#include "arch/debug.h"

extern const struct mb_cpu_ops mb_cpu_x86_64;
extern const struct mb_debug_ops mb_debug_x86_64;

const struct mb_arch mb_arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = 62,
	.elf_class = 2,
	.elf_data = 1,
	.ptr_bytes = 8,
	.maps = mb_x86_64_maps,
	.nmaps = sizeof(mb_x86_64_maps) / sizeof(mb_x86_64_maps[0]),
	.big_endian = false,
	.ksym_prel32 = true, /* arch/x86/Kconfig: HAVE_ARCH_PREL32_RELOCATIONS */
	.reloc = &mb_reloc_x86_64,
	.cpu = &mb_cpu_x86_64,
	.debug = &mb_debug_x86_64,
};
