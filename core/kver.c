#include "core/kver.h"

#include "core/util.h"

#define T MB_WIN_TEXT
#define D MB_WIN_DATA

/* The rule sets since module_memory differ only in names, the windows and
 * .static_call_sites. */
#define MODULE_MEMORY(nm, ver, range, reason, scs, ...)                                       \
	{                                                                                     \
		.name = nm, .first = ver, .models = range, .why = reason,                     \
		.static_call_ro_after_init = scs, .page_align_classes = false,                \
		.shape = MB_SHAPE_PER_TYPE, .type_window = { __VA_ARGS__ },                   \
		.block_window = { T, T, D }, .data_tree = false, .data_min_initialised = false, \
	}

/* Before module_memory: blocks; each type's window is what it would use
 * if allocated alone (non-kernel policies): module_alloc() for everything
 * except the core data block. */
#define MODULE_LAYOUT(nm, ver, range, reason, regs_tramp)                                      \
	{                                                                                     \
		.name = nm, .first = ver, .models = range, .why = reason,                     \
		.static_call_ro_after_init = false, .page_align_classes = true,               \
		.ftrace_regs_trampoline = regs_tramp, .shape = MB_SHAPE_BLOCKS,               \
		.type_window = { T, D, D, D, T, T, T },                                       \
		.block_window = { [MB_BLOCK_CORE] = T, [MB_BLOCK_INIT] = T, [MB_BLOCK_DATA] = D }, \
		.data_tree = true, .data_min_initialised = true,                              \
	}

/* Type order in the window tables: TEXT, DATA, RODATA, RO_AFTER_INIT,
 * INIT_TEXT, INIT_DATA, INIT_RODATA. */
const struct mb_kver mb_kvers[] = {
	/* kernel/module/main.c v6.1: layout_sections() with strict_align()
	 * between classes, move_module() with module_alloc() for core and
	 * init, vzalloc() for data_layout; mod_tree + mod_data_tree, both
	 * { .addr_min = -1UL }. arch/arm64/include/asm/ftrace.h v6.1:
	 * NR_FTRACE_PLTS 2. */
	MODULE_LAYOUT("6.1", MB_KVER(5, 18), "5.18-6.1",
		      "module_layout core/init blocks; ARCH_WANTS_MODULES_DATA_IN_VMALLOC (5.18) adds the data block and mod_data_tree",
		      true),
	/* arm64 moved ftrace from WITH_REGS to WITH_ARGS: one ftrace PLT */
	MODULE_LAYOUT("6.2", MB_KVER(6, 2), "6.2-6.3", "arm64: one ftrace trampoline PLT (NR_FTRACE_PLTS 1)",
		      false),
	/* ac3b43283923 "module: replace module_layout with module_memory":
	 * 7 allocations, one mod_tree, data_addr_min left 0;
	 * mod_mem_use_vmalloc() = core data only, init data via module_alloc(). */
	MODULE_MEMORY("6.4", MB_KVER(6, 4), "6.4-6.9",
		      "module_memory: one allocation per type, one tree, data_addr_min uninitialised",
		      false, T, D, D, D, T, T, T),
	/* execmem (Mike Rapoport, 2024): module_memory_alloc() asks
	 * EXECMEM_MODULE_DATA for every mod_mem_type_is_data() type, init
	 * data and init rodata included. */
	MODULE_MEMORY("6.10", MB_KVER(6, 10), "6.10-6.14",
		      "execmem: init data and init rodata come from the data range",
		      false, T, D, D, D, T, D, D),
	/* Petr Pavlu, "module: Make .static_call_sites read-only after init"
	 * (posted 2025-03, modules tree for 6.15): the ro_after_init names gain
	 * .static_call_sites under HAVE_STATIC_CALL_INLINE. */
	MODULE_MEMORY("6.15", MB_KVER(6, 15), "6.15-", ".static_call_sites is ro_after_init",
		      true, T, D, D, D, T, D, D),
};
const size_t mb_nkvers = sizeof(mb_kvers) / sizeof(mb_kvers[0]);

#undef T
#undef D

const struct mb_kver *mb_kver_latest(void)
{
	return &mb_kvers[mb_nkvers - 1];
}

const struct mb_kver *mb_kver_find(unsigned v)
{
	const struct mb_kver *best = NULL;
	for (size_t i = 0; i < mb_nkvers; i++)
		if (mb_kvers[i].first <= v)
			best = &mb_kvers[i];
	return best;
}

/* Reads a decimal number of at most 4 digits; NULL if none. */
static const char *number(const char *s, unsigned *out)
{
	unsigned n = 0;
	int digits = 0;
	while (*s >= '0' && *s <= '9' && digits < 5) {
		n = n * 10 + (unsigned)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || digits > 4)
		return NULL;
	*out = n;
	return s;
}

bool mb_kver_parse(const char *s, unsigned *v)
{
	unsigned major, minor;
	if (!s)
		return false;
	if (mb_streq(s, "latest")) {
		*v = ~0u;
		return true;
	}
	s = number(s, &major);
	if (!s || *s != '.')
		return false;
	s = number(s + 1, &minor);
	/* "6.1", "6.1.0-57-cloud-amd64", "6.13-rc2", "6.1 SMP ..." (vermagic) */
	if (!s || minor >= 1000 || (*s != '\0' && *s != '.' && *s != '-' && *s != ' ' && *s != '+'))
		return false;
	*v = MB_KVER(major, minor);
	return true;
}

const struct mb_kver *mb_kver_lookup(const char *s)
{
	unsigned v;
	return mb_kver_parse(s, &v) ? mb_kver_find(v) : NULL;
}

enum mb_wclass mb_kver_type_window(const struct mb_kver *k, int t)
{
	return t >= 0 && t < MOD_MEM_NUM_TYPES ? k->type_window[t] : MB_WIN_TEXT;
}

enum mb_block mb_kver_block_of(int t, bool data_in_vmalloc)
{
	if (mod_mem_type_is_init(t))
		return MB_BLOCK_INIT;
	if (t != MOD_TEXT && data_in_vmalloc)
		return MB_BLOCK_DATA;
	return MB_BLOCK_CORE;
}

enum mb_wclass mb_kver_window_of(const struct mb_kver *k, int t, bool data_in_vmalloc)
{
	if (k->shape == MB_SHAPE_BLOCKS)
		return k->block_window[mb_kver_block_of(t, data_in_vmalloc)];
	return mb_kver_type_window(k, t);
}
