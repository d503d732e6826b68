#include "arch/arch.h"

const struct mb_arch mb_arch_arm64 = {
	.name = "arm64",
	.elf_machine = 183,
	.elf_class = 2,
	.elf_data = 1,
	.ptr_bytes = 8,
	.big_endian = false,
};
