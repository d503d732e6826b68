#include "arch/arch.h"
#include "arch/map.h"

#include <string.h>

extern const struct mb_arch mb_arch_x86_64;
extern const struct mb_arch mb_arch_arm64;
extern const struct mb_arch mb_arch_powerpc32;

const struct mb_arch *const mb_arches[] = {
	&mb_arch_x86_64,
	&mb_arch_arm64,
	&mb_arch_powerpc32,
};
const size_t mb_narches = sizeof(mb_arches) / sizeof(mb_arches[0]);

const struct mb_arch *mb_arch_by_name(const char *name)
{
	for (size_t i = 0; i < mb_narches; i++)
		if (strcmp(mb_arches[i]->name, name) == 0)
			return mb_arches[i];
	return NULL;
}

const struct mb_arch *mb_arch_by_elf(uint16_t machine, uint8_t elf_class, uint8_t elf_data)
{
	for (size_t i = 0; i < mb_narches; i++) {
		const struct mb_arch *a = mb_arches[i];
		if (a->elf_machine == machine && a->elf_class == elf_class && a->elf_data == elf_data)
			return a;
	}
	return NULL;
}

const struct mb_map *mb_arch_map(const struct mb_arch *arch, const char *name)
{
	if (arch->nmaps == 0)
		return NULL;
	if (name == NULL)
		return arch->maps[0];
	for (size_t i = 0; i < arch->nmaps; i++)
		if (strcmp(arch->maps[i]->name, name) == 0)
			return arch->maps[i];
	return NULL;
}

const struct mb_map *mb_arch_map_for_kernel(const struct mb_arch *arch, unsigned v)
{
	for (size_t i = 0; i < arch->nmaps; i++)
		if (mb_map_covers(arch->maps[i], v))
			return arch->maps[i];
	return mb_arch_map(arch, NULL);
}
