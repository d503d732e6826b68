#include "arch/arch.h"
#include "arch/reloc.h"

/* arch/arm64/map_arm64.c: default first */
extern const struct mb_map *const mb_arm64_maps[2];
#include "arch/cpu.h"
#include "arch/debug.h"

extern const struct mb_cpu_ops mb_cpu_arm64;
extern const struct mb_debug_ops mb_debug_arm64;

const struct mb_arch mb_arch_arm64 = {
	.name = "arm64",
	.elf_machine = 183,
	.elf_class = 2,
	.elf_data = 1,
	.ptr_bytes = 8,
	.maps = mb_arm64_maps,
	.nmaps = sizeof(mb_arm64_maps) / sizeof(mb_arm64_maps[0]),
	.big_endian = false,
	.ksym_prel32 = true, /* arch/arm64/Kconfig: HAVE_ARCH_PREL32_RELOCATIONS */
	.reloc = &mb_reloc_arm64,
	.cpu = &mb_cpu_arm64,
	.debug = &mb_debug_arm64,
};
