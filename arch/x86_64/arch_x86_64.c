#include "arch/arch.h"

const struct mb_arch mb_arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = 62,
	.elf_class = 2,
	.elf_data = 1,
	.ptr_bytes = 8,
	.big_endian = false,
};
