/* The kernel image of a real build from its System.map (`nm -n vmlinux`
 * as kbuild writes it: "ADDRESS TYPE NAME" per line): _stext and _etext,
 * which ppc32's module_alloc() derives its near window from. */
#ifndef MODBED_HARNESS_SYSTEM_MAP_H
#define MODBED_HARNESS_SYSTEM_MAP_H

#include <stdint.h>

/* Returns MB_EXIT_OK, or MB_EXIT_ERROR after `modbed: FILE: ...` when the
 * file cannot be read or names no _stext or no _etext. */
int mb_system_map_read(const char *path, uint64_t *stext, uint64_t *etext);

#endif
