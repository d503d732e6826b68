/* A module's exports: Linux 6.1 `struct kernel_symbol` {value, name,
 * namespace} in __ksymtab (EXPORT_SYMBOL) and __ksymtab_gpl
 * (EXPORT_SYMBOL_GPL); the strings live in __ksymtab_strings. The layout is
 * the arch's (arch.h ksym_prel32): three 32-bit offsets each relative to its
 * own field with HAVE_ARCH_PREL32_RELOCATIONS, else three absolute pointers.
 * Read from the relocated, staged bytes: both are only known after
 * relocation. */
#include "arch/arch.h"
#include "core/byteorder.h"
#include "harness/load/ksymtab.h"

#include "arch/arch.h"
#include "core/modmem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The file bytes of a string at guest address addr: strings are never
 * relocated, so the object's own copy stays valid after the load. */
static const char *string_at(const struct mb_export_source *ld, uint64_t addr)
{
	const struct mb_elf *obj = ld->obj;
	for (size_t i = 1; i < obj->nsecs; i++) {
		const struct mb_elf_section *s = &obj->secs[i];
		if (ld->sectype[i] == MOD_INVALID || !s->data || addr - ld->secaddr[i] >= s->size)
			continue;
		uint64_t off = addr - ld->secaddr[i];
		const char *p = (const char *)s->data + off;
		return memchr(p, '\0', (size_t)(s->size - off)) ? p : NULL;
	}
	return NULL;
}

static int read_table(const struct mb_export_source *ld, struct mb_loaded_module *mod,
		      const char *secname, bool gpl, struct mb_err *err)
{
	const struct mb_elf *obj = ld->obj;
	uint32_t idx = mb_elf_find_section(obj, secname);
	if (!idx || ld->sectype[idx] == MOD_INVALID)
		return 0;
	const struct mb_elf_section *s = &obj->secs[idx];
	uint32_t kstr = mb_elf_find_section(obj, "__ksymtab_strings");
	if (kstr && ld->sectype[kstr] == MOD_INVALID)
		kstr = 0;
	const bool prel32 = obj->arch->ksym_prel32;
	const unsigned field_bytes = prel32 ? 4 : obj->arch->ptr_bytes;
	const unsigned entry = 3 * field_bytes;
	if (s->size % entry)
		return mb_fail(err, obj->path, secname,
			       "size 0x%" PRIx64 " is not a multiple of %u (Linux 6.1 %s kernel_symbol entries)",
			       s->size, entry, prel32 ? "PREL32" : "absolute");
	uint64_t mask = obj->is64 ? UINT64_MAX : UINT32_MAX;
	size_t n = (size_t)(s->size / entry);
	struct mb_module_export *ex = realloc(mod->exports, (mod->nexports + n) * sizeof(*ex));
	if (n && !ex)
		return mb_fail(err, obj->path, secname, "out of memory");
	if (n)
		mod->exports = ex;
	for (size_t k = 0; k < n; k++) {
		uint64_t at = ld->secaddr[idx] + k * entry;
		const uint8_t *p = ld->read(ld->ctx, at, entry);
		if (!p)
			return mb_fail(err, obj->path, secname, "entry %zu not in placed memory", k);
		uint64_t field[3];
		for (unsigned f = 0; f < 3; f++) {
			uint64_t v = mb_load(p + field_bytes * f, field_bytes, obj->big_endian);
			if (prel32)
				v = at + field_bytes * (uint64_t)f + (uint64_t)(int64_t)(int32_t)(uint32_t)v;
			field[f] = v & mask;
		}
		/* The names are __ksymtab_strings' (EXPORT_SYMBOL puts them
		 * there); one pointing elsewhere reads some other section. */
		if (!kstr || field[1] - ld->secaddr[kstr] >= obj->secs[kstr].size)
			return mb_fail(err, obj->path, secname,
				       "entry %zu: name at 0x%" PRIx64 " is not inside __ksymtab_strings (%s)", k,
				       field[1], !kstr ? "no such section" : obj->secs[kstr].size ? "elsewhere" : "size 0");
		const char *name = string_at(ld, field[1]);
		if (!name || !name[0])
			return mb_fail(err, obj->path, secname, "entry %zu: name at 0x%" PRIx64 " is not a string in the module",
				       k, field[1]);
		const char *ns = string_at(ld, field[2]);
		mod->exports[mod->nexports++] = (struct mb_module_export){
			.name = name, .ns = ns ? ns : "", .addr = field[0], .gpl = gpl };
	}
	return 0;
}

int mb_read_exports(const struct mb_export_source *ld, struct mb_loaded_module *mod, struct mb_err *err)
{
	if (read_table(ld, mod, "__ksymtab", false, err) != 0 || read_table(ld, mod, "__ksymtab_gpl", true, err) != 0)
		return -1;
	/* Two exports of one name in one module: the kernel refuses it too. */
	for (size_t i = 0; i < mod->nexports; i++)
		for (size_t k = i + 1; k < mod->nexports; k++)
			if (strcmp(mod->exports[i].name, mod->exports[k].name) == 0)
				return mb_fail(err, ld->obj->path, NULL, "exports %s twice", mod->exports[i].name);
	return 0;
}
