/* Per-arch memory maps: placeholder, owned by the core/maps work (issue 2). */
#ifndef MODBED_ARCH_MAP_H
#define MODBED_ARCH_MAP_H
#include <stdbool.h>
#include <stddef.h>
struct mb_map {
	const char *name;
};
#endif
