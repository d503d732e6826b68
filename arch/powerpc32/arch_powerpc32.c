#include "arch/arch.h"

const struct mb_arch mb_arch_powerpc32 = {
	.name = "powerpc32",
	.elf_machine = 20,
	.elf_class = 1,
	.elf_data = 2,
	.ptr_bytes = 4,
	.big_endian = true,
};
