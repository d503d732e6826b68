/* Fuzz target on the ELF path: any bytes through the reader and, when they
 * pass, the whole load (layout, placement, relocation, the __ksymtab /
 * __ksymtab_gpl exports) and unload; the same bytes through what `modbed
 * info` parses: the appended signature trailer and its PKCS#7 blob (and the
 * whole input as a PKCS#7 blob), `.modinfo` with its parameters, and
 * `__versions`. Beyond "no crash, no sanitizer report" it checks the
 * loader's promise: a failed load, and a load followed by its unload, leave
 * the loader state exactly as it was (split bounds, which shrink on
 * removal, so unload can restore all). */
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/elf/elf.h"
#include "harness/elf/modinfo.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* What `modbed info` reads besides the ELF structure. Errors are fine;
 * only crashes, sanitizer reports and hangs are findings. */
static void fuzz_info(const struct mb_elf *obj, const uint8_t *data, size_t size)
{
	struct mb_err err;
	struct mb_modsig sig;
	memset(&sig, 0, sizeof(sig));
	if (mb_modsig_find(&sig, data, size, "fuzz.ko", &err) == 0 && sig.present &&
	    sig.sig_offset <= size && sig.sig_len <= size - sig.sig_offset)
		mb_modsig_pkcs7(&sig, data + sig.sig_offset, sig.sig_len, "fuzz.ko", &err);
	memset(&sig, 0, sizeof(sig));
	mb_modsig_pkcs7(&sig, data, size, "fuzz.ko", &err);
	if (!obj)
		return;
	uint32_t mi = mb_elf_find_section(obj, ".modinfo");
	if (mi && obj->secs[mi].data) {
		struct mb_modinfo info;
		if (mb_modinfo_parse(&info, obj->secs[mi].data, obj->secs[mi].size, obj->path, &err) == 0) {
			struct mb_modparam *params;
			size_t n;
			if (mb_modinfo_params(&info, &params, &n, obj->path, &err) == 0)
				free(params);
			mb_modinfo_get(&info, "depends", 0);
			mb_modinfo_free(&info);
		}
	}
	uint32_t vs = mb_elf_find_section(obj, "__versions");
	if (vs && obj->secs[vs].data) {
		struct mb_modversion *v;
		size_t n;
		if (mb_versions_parse(obj->secs[vs].data, obj->secs[vs].size, obj->is64, obj->big_endian, &v, &n,
				      obj->path, &err) == 0)
			free(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mb_elf obj;
	struct mb_err err;
	if (mb_elf_open_mem(&obj, "fuzz.ko", data, size, NULL, &err) != 0) {
		fuzz_info(NULL, data, size);
		return 0;
	}
	fuzz_info(&obj, data, size);
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
