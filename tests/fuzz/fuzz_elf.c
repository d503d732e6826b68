/* Fuzz target on the ELF path: any bytes through the reader and, when they
 * pass, the whole load (layout, placement, relocation) and unload. Beyond
 * "no crash, no sanitizer report" it checks the loader's promise: a failed
 * load, and a load followed by its unload, leave the loader state exactly as
 * it was (split bounds, which shrink on removal, so unload can restore all). */
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/elf/elf.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct arch_loader {
	struct mb_space space;
	struct mb_loader l;
	int state; /* 0 not yet, 1 ready, -1 unavailable */
};

static struct arch_loader *loader_for(const struct mb_arch *arch)
{
	static struct arch_loader per[8];
	for (size_t i = 0; i < mb_narches && i < 8; i++) {
		if (mb_arches[i] != arch)
			continue;
		struct arch_loader *al = &per[i];
		if (al->state == 0) {
			struct mb_err err;
			const struct mb_map *map = mb_arch_map(arch, NULL);
			mb_space_init(&al->space, map ? map->page_size : 4096);
			struct mb_loader_config cfg = { .arch = arch, .bounds = "split" };
			al->state = mb_loader_init(&al->l, &cfg, &al->space, &err) == 0 ? 1 : -1;
		}
		return al->state == 1 ? al : NULL;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mb_elf obj;
	struct mb_err err;
	if (mb_elf_open_mem(&obj, "fuzz.ko", data, size, NULL, &err) != 0)
		return 0;
	struct arch_loader *al = loader_for(obj.arch);
	if (!al) {
		mb_elf_close(&obj);
		return 0;
	}
	uint64_t before = mb_loader_fingerprint(&al->l);
	struct mb_loaded_module *m;
	if (mb_load_object(&al->l, &obj, &m, &err) == 0 && mb_unload_module(&al->l, m, &err) != 0)
		abort(); /* nothing else is loaded, so nothing can use it */
	if (mb_loader_fingerprint(&al->l) != before)
		abort(); /* a load left something behind */
	return 0;
}
