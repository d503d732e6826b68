/* The seven kinds of module memory (include/linux/module.h, since v6.4). */
#ifndef MODBED_CORE_MODMEM_H
#define MODBED_CORE_MODMEM_H

#include <stdbool.h>

enum mod_mem_type {
	MOD_TEXT = 0,
	MOD_DATA,
	MOD_RODATA,
	MOD_RO_AFTER_INIT,
	MOD_INIT_TEXT,
	MOD_INIT_DATA,
	MOD_INIT_RODATA,
	MOD_MEM_NUM_TYPES,
	MOD_INVALID = -1,
};

static inline bool mod_mem_type_is_init(int t)
{
	return t == MOD_INIT_TEXT || t == MOD_INIT_DATA || t == MOD_INIT_RODATA;
}
static inline bool mod_mem_type_is_core(int t) { return !mod_mem_type_is_init(t); }
static inline bool mod_mem_type_is_text(int t) { return t == MOD_TEXT || t == MOD_INIT_TEXT; }
static inline bool mod_mem_type_is_data(int t) { return !mod_mem_type_is_text(t); }
static inline bool mod_mem_type_is_core_data(int t)
{
	return mod_mem_type_is_core(t) && mod_mem_type_is_data(t);
}

/* "text", "data", ... as the kernel's kdb and modbed's output name them. */
const char *mod_mem_type_name(int t);

#endif
