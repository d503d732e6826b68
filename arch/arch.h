/* One ops table per architecture. Nothing outside arch/ switches on an arch:
 * it looks the table up by name or by ELF identity and calls through it.
 *
 * The table is split by concern, each part declared in its own header:
 *   arch/map.h    memory maps (regions, windows, page sizes)       freestanding
 *   arch/reloc.h  relocation types, overflow rules, PLT sizing     freestanding
 *   arch/cpu.h    emulator/disassembler modes, ABI, traps          host only
 *   arch/debug.h  disassembly fixups, branch classes, GDB registers  host only
 */
#ifndef MODBED_ARCH_H
#define MODBED_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_map;
struct mb_reloc_ops;
struct mb_cpu_ops;
struct mb_debug_ops;

struct mb_arch {
	const char *name;          /* "x86_64", "arm64", "powerpc32" */
	uint16_t elf_machine;      /* EM_* */
	uint8_t elf_class;         /* ELFCLASS32 / ELFCLASS64 */
	uint8_t elf_data;          /* ELFDATA2LSB / ELFDATA2MSB */
	uint8_t ptr_bytes;         /* sizeof(unsigned long) on the target */
	bool big_endian;
	/* `struct kernel_symbol` in __ksymtab*: true when the arch selects
	 * HAVE_ARCH_PREL32_RELOCATIONS ({value, name, namespace} as 32-bit
	 * offsets from each field, 12 bytes), false for absolute pointers of
	 * ptr_bytes each, filled by the arch's pointer-sized relocation. */
	bool ksym_prel32;

	const struct mb_map *const *maps; /* maps[0] is the default */
	size_t nmaps;

	const struct mb_reloc_ops *reloc;
	const struct mb_cpu_ops *cpu;     /* NULL in freestanding builds */
	const struct mb_debug_ops *debug; /* arch/debug.h: trace/gdb data; NULL in freestanding builds */
};

/* arch/registry.c: the one place that lists the arches. */
extern const struct mb_arch *const mb_arches[];
extern const size_t mb_narches;

const struct mb_arch *mb_arch_by_name(const char *name);
const struct mb_arch *mb_arch_by_elf(uint16_t machine, uint8_t elf_class, uint8_t elf_data);
/* name == NULL gives the default map; unknown name gives NULL. */
const struct mb_map *mb_arch_map(const struct mb_arch *arch, const char *name);
/* The default map for kernel version v (MB_KVER): the arch's first map
 * that covers it (mb_map_covers), else maps[0]. */
const struct mb_map *mb_arch_map_for_kernel(const struct mb_arch *arch, unsigned v);

#endif
