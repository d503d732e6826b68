#include "core/modmem.h"

const char *mod_mem_type_name(int t)
{
	static const char *const names[MOD_MEM_NUM_TYPES] = {
		"text", "data", "rodata", "ro_after_init", "init_text", "init_data", "init_rodata",
	};
	if (t < 0 || t >= MOD_MEM_NUM_TYPES)
		return "invalid";
	return names[t];
}
