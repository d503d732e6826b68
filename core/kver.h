/* Kernel-version rule sets: what changed in how Linux lays out, allocates
 * and finds module memory, as data in one table (core/kver.c). The layout
 * (core/layout.c), placement (core/place.c) and lookup (core/lookup.c) ask
 * the rule set; no other code tests a kernel version.
 *
 * A rule set is named after the first release it models ("6.1" models
 * 5.18-6.3). mb_kver_find() gives the nearest modelled rule set at or below
 * a version; "latest" is the newest. Freestanding. */
#ifndef MODBED_CORE_KVER_H
#define MODBED_CORE_KVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/modmem.h"

/* A kernel version as one comparable number: 6.1 -> 6001, 6.13 -> 6013. */
#define MB_KVER(major, minor) ((unsigned)(major) * 1000u + (unsigned)(minor))

/* How module memory is allocated. */
enum mb_shape {
	MB_SHAPE_PER_TYPE = 0, /* v6.4+ (ac3b43283923): one allocation per non-empty mod_mem type */
	MB_SHAPE_BLOCKS,       /* before v6.4: one core block, one init block, and with
				  DATA_IN_VMALLOC a data block (module_layout) */
};

/* The blocks of MB_SHAPE_BLOCKS (struct module_layout core/init/data). */
enum mb_block { MB_BLOCK_CORE = 0, MB_BLOCK_INIT, MB_BLOCK_DATA, MB_NBLOCKS };

/* Which of a map's window lists an allocation uses. */
enum mb_wclass {
	MB_WIN_TEXT = 0,  /* module_alloc() / EXECMEM_MODULE_TEXT: the module area */
	MB_WIN_DATA,      /* vzalloc() / EXECMEM_MODULE_DATA: vmalloc under DATA_IN_VMALLOC */
};

struct mb_kver {
	const char *name;      /* "6.1": what --kernel and the JSON say */
	unsigned first;        /* MB_KVER of the first release with these rules */
	const char *models;    /* "5.18-6.3", for summaries */
	const char *why;       /* the change that starts this rule set */

	/* -- section rules (module_mark_ro_after_init / find_sec) -- */
	/* .static_call_sites is ro_after_init (with HAVE_STATIC_CALL_INLINE);
	 * before, it stays in data with everything after it. */
	bool static_call_ro_after_init;

	/* -- layout_sections / layout_symtab -- */
	/* strict_align(): with STRICT_MODULE_RWX each class (text, rodata,
	 * ro_after_init, data; init text, init rodata, init data) starts on a
	 * page inside its block, and layout_symtab() appends .symtab/.strtab
	 * and the core kallsyms copy to the page-aligned init/data sizes. */
	bool page_align_classes;

	/* -- arch sizing (module_frob_arch_sections) -- */
	/* DYNAMIC_FTRACE_WITH_REGS kept a second ftrace trampoline
	 * (ftrace_regs_caller): arm64's .text.ftrace_trampoline holds
	 * NR_FTRACE_PLTS = 2 PLT entries; 1 since v6.2 (WITH_ARGS). */
	bool ftrace_regs_trampoline;

	/* -- allocation -- */
	enum mb_shape shape;
	/* Per-type shape: the window each type is allocated from. */
	enum mb_wclass type_window[MOD_MEM_NUM_TYPES];
	/* Block shape: the window of each block. */
	enum mb_wclass block_window[MB_NBLOCKS];

	/* -- __module_address bounds -- */
	/* Under DATA_IN_VMALLOC a second tree (mod_data_tree) holds the core
	 * data: a lookup searches mod_tree if its bounds pass, else the data
	 * tree if its bounds pass, never both (5.18-6.3). false: one tree
	 * holds every type and either bound pair sends the lookup into it. */
	bool data_tree;
	/* The data bound pair starts empty (min -1UL). false: data_addr_min is
	 * never initialised and stays 0 (v6.4+), so every address below the
	 * highest core data end passes the data check. */
	bool data_min_initialised;
};

/* The rule sets, oldest first; mb_kver_latest() is the last. */
extern const struct mb_kver mb_kvers[];
extern const size_t mb_nkvers;

const struct mb_kver *mb_kver_latest(void);

/* Nearest modelled rule set at or below version v (MB_KVER); NULL if v is
 * older than every rule set. */
const struct mb_kver *mb_kver_find(unsigned v);

/* Parses "6.1", "6.13", "6.1.0-57-cloud-amd64" (a vermagic/uname release:
 * the first two numbers count) or "latest" into a version; false if the
 * text does not start with MAJOR.MINOR. */
bool mb_kver_parse(const char *s, unsigned *v);

/* mb_kver_parse + mb_kver_find; NULL if unparsable or too old. */
const struct mb_kver *mb_kver_lookup(const char *s);

/* The window a per-type allocation of type t uses under k. */
enum mb_wclass mb_kver_type_window(const struct mb_kver *k, int t);

/* Block shape: the block a type lives in. With data_in_vmalloc the core
 * data types (rodata, ro_after_init, data) form the data block; without,
 * they share the core block with text (data_layout is core_layout). */
enum mb_block mb_kver_block_of(int t, bool data_in_vmalloc);

/* The window class type t's memory comes from under k, whatever the shape:
 * its block's window (block shape) or its own (per type). What the kernel
 * mapped that memory with before any permission step depends on it
 * (module_alloc()/execmem text vs vzalloc()/execmem data). */
enum mb_wclass mb_kver_window_of(const struct mb_kver *k, int t, bool data_in_vmalloc);

#endif
