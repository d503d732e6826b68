/* Loads of the real test modules on every arch and map variant, checked
 * against facts read independently (raw section headers via rawelf.h, the
 * map's windows, brute force over the module records):
 *   - every allocated section is placed, inside its type's block, aligned as
 *     the file asks, without overlap; every block inside a window of the map;
 *   - an export of one module resolves in another, at the address its own
 *     symbol table gives; unload is refused while in use;
 *   - a relocation failing at the 3rd entry leaves allocator, tree and space
 *     exactly as before, and the next load lands where it would have;
 *   - unload and free-init give back exactly what they took;
 *   - address lookup agrees with a brute-force scan.
 * argv[1]: the test-module directory (build/tests/modules). */
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/elf/elf.h"
#include "harness/load/loader.h"
#include "harness/load/space.h"
#include "tests/check_main.h"
#include "tests/evidence.h"
#include "tests/elf/rawelf.h"
#include "tests/modfile.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *moddir, *corpusdir = "/nonexistent";
static const char *const arches[] = { "x86_64", "arm64", "powerpc32" };
static const char *const policies[] = { "kernel", "packed", "builtin" };

static struct file module_file(const char *arch, const char *name)
{
	return read_module_file(moddir, arch, name);
}

struct fixture {
	const struct mb_arch *arch;
	const struct mb_map *map;
	struct mb_space space;
	struct mb_loader l;
};

static void open_fx_bounds(struct fixture *fx, const char *arch, const struct mb_map *map, const char *policy,
			   const char *bounds)
{
	fx->arch = mb_arch_by_name(arch);
	ck_assert(fx->arch != NULL);
	fx->map = map ? map : mb_arch_map(fx->arch, NULL);
	mb_space_init(&fx->space, fx->map->page_size);
	struct mb_loader_config cfg = { .arch = fx->arch, .map = fx->map, .policy = policy, .bounds = bounds };
	struct mb_err err;
	ck_assert_msg(mb_loader_init(&fx->l, &cfg, &fx->space, &err) == 0, "%s", err.msg);
}

static void open_fx(struct fixture *fx, const char *arch, const struct mb_map *map, const char *policy)
{
	open_fx_bounds(fx, arch, map, policy, NULL);
}

static void close_fx(struct fixture *fx)
{
	mb_loader_fini(&fx->l);
	mb_space_fini(&fx->space);
}

static struct mb_loaded_module *load(struct fixture *fx, const char *name)
{
	struct file f = module_file(fx->arch->name, name);
	struct mb_loaded_module *m = NULL;
	struct mb_err err;
	char label[64];
	snprintf(label, sizeof(label), "%s.ko", name);
	ck_assert_msg(mb_load_buffer(&fx->l, label, f.b, f.n, &m, &err) == 0, "%s: %s", fx->arch->name, err.msg);
	free(f.b);
	return m;
}

static const char *const loadable[] = { "reloc_all", "plt_calls", "run_life", "run_user" };

/* ---- placement and layout ---------------------------------------------- */

static bool in_window(const struct mb_map *map, int type, uint64_t base, uint64_t size)
{
	size_t n;
	const struct mb_map_window *w = mb_map_windows_for(map, type, &n);
	for (size_t i = 0; i < n; i++)
		if (base >= w[i].start && base + (size - 1) <= w[i].last)
			return true;
	return false;
}

/* Names the kernel takes out of module memory before layout. */
static bool dropped(const char *name)
{
	return !strcmp(name, ".modinfo") || !strcmp(name, "__versions") || !strcmp(name, ".data..percpu");
}

/* The kernel's layout (layout_sections, 5 masks x core/init, each section at
 * its own alignment), written here from kernel/module/main.c's rules over the
 * file's flags and names, with the sizes and alignments the loader used (the
 * arch's PLT sizing changes those). Checks type and offset of every placed
 * section and the bytes used per type. */
#define SHF_RO_AFTER_INIT 0x00200000ull
static void check_kernel_layout(const struct fixture *fx, const struct mb_loaded_module *m, const struct raw *r)
{
	size_t n = (size_t)raw_eh(r, EH_SHNUM);
	uint64_t *flags = calloc(n, sizeof(*flags));
	int *type = malloc(n * sizeof(*type));
	uint64_t *off = calloc(n, sizeof(*off));
	for (size_t i = 1; i < n; i++) {
		const char *name = raw_secname(r, i);
		flags[i] = raw_sh(r, i, SH_FLAGS);
		type[i] = -1;
		if (!strcmp(name, ".modinfo") || !strcmp(name, "__versions") || !strcmp(name, ".data..percpu"))
			flags[i] &= ~2ull;
		if (!strcmp(name, ".data..ro_after_init") || !strcmp(name, "__jump_table") ||
		    (fx->map->static_call_inline && !strcmp(name, ".static_call_sites")))
			flags[i] |= SHF_RO_AFTER_INIT;
		/* arm64 module_frob_arch_sections: PLTs and ftrace trampolines become AX. */
		if (fx->arch->elf_machine == 183 &&
		    (!strcmp(name, ".plt") || !strcmp(name, ".init.plt") || !strcmp(name, ".text.ftrace_trampoline") ||
		     !strcmp(name, ".init.text.ftrace_trampoline")))
			flags[i] = 2 | 4;
	}
	static const struct { uint64_t must, mustnot; int core, init; } masks[] = {
		{ 4 | 2, 0, MOD_TEXT, MOD_INIT_TEXT },
		{ 2, 1, MOD_RODATA, MOD_INIT_RODATA },
		{ SHF_RO_AFTER_INIT | 2, 0, MOD_RO_AFTER_INIT, -1 },
		{ 1 | 2, 0, MOD_DATA, MOD_INIT_DATA },
		{ 2, 0, MOD_DATA, MOD_INIT_DATA },
	};
	uint64_t size[MOD_MEM_NUM_TYPES] = { 0 };
	for (int init = 0; init < 2; init++)
		for (size_t k = 0; k < 5; k++)
			for (size_t i = 1; i < n; i++) {
				const char *name = raw_secname(r, i);
				if (type[i] != -1 || (flags[i] & masks[k].must) != masks[k].must || (flags[i] & masks[k].mustnot) ||
				    (strncmp(name, ".init", 5) == 0) != init)
					continue;
				int t = init ? masks[k].init : masks[k].core;
				if (t < 0)
					continue;
				const struct mb_placed_section *p = NULL;
				for (size_t q = 0; q < m->nsections; q++)
					if (m->sections[q].shndx == i)
						p = &m->sections[q];
				ck_assert_msg(p != NULL, "%s: %s should be placed", m->name, name);
				uint64_t align = p->addralign ? p->addralign : 1;
				off[i] = (size[t] + align - 1) & ~(align - 1);
				size[t] = off[i] + p->size;
				type[i] = t;
			}
	for (size_t q = 0; q < m->nsections; q++) {
		const struct mb_placed_section *p = &m->sections[q];
		ck_assert_msg(type[p->shndx] == p->type, "%s: %s in %s, the kernel puts it in %s", m->name, p->name,
			      mod_mem_type_name(p->type), mod_mem_type_name(type[p->shndx]));
		ck_assert_msg(p->addr - m->alloc[p->type].base == off[p->shndx], "%s: %s at +0x%" PRIx64 ", kernel +0x%" PRIx64,
			      m->name, p->name, p->addr - m->alloc[p->type].base, off[p->shndx]);
	}
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		ck_assert_msg(m->used[t] == size[t], "%s: %s uses 0x%lx, kernel 0x%" PRIx64, m->name, mod_mem_type_name(t),
			      m->used[t], size[t]);
	free(flags);
	free(type);
	free(off);
}

static void check_module_layout(const struct fixture *fx, const struct mb_loaded_module *m, const struct file *f)
{
	struct raw r;
	raw_init(&r, f->b, f->n);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!m->alloc[t].size)
			continue;
		ck_assert_msg(m->alloc[t].base % fx->map->page_size == 0 || fx->l.place.policy == MB_POLICY_PACKED,
			      "%s %s base not page aligned", m->name, mod_mem_type_name(t));
		ck_assert_msg(in_window(fx->map, t, m->alloc[t].base, m->alloc[t].size), "%s %s at 0x%lx outside %s windows",
			      m->name, mod_mem_type_name(t), m->alloc[t].base, fx->map->name);
		ck_assert_uint_ge(m->alloc[t].size, m->used[t]);
		/* The bytes are backed by guest memory. */
		ck_assert(mb_space_host(&fx->space, m->alloc[t].base, m->alloc[t].size) != NULL);
	}
	/* Every SHF_ALLOC section of the file is placed, and only those. */
	size_t nalloc = 0;
	for (size_t i = 1; i < raw_eh(&r, EH_SHNUM); i++) {
		const char *name = raw_secname(&r, i);
		if (!(raw_sh(&r, i, SH_FLAGS) & 2) || dropped(name))
			continue;
		nalloc++;
		const struct mb_placed_section *p = NULL;
		for (size_t k = 0; k < m->nsections; k++)
			if (m->sections[k].shndx == i)
				p = &m->sections[k];
		ck_assert_msg(p != NULL, "%s: %s not placed", m->name, name);
		ck_assert_str_eq(p->name, name);
		uint64_t align = raw_sh(&r, i, SH_ALIGN);
		ck_assert_msg(align <= 1 || p->addr % align == 0, "%s: %s at 0x%" PRIx64 " not %" PRIu64 "-aligned", m->name,
			      name, p->addr, align);
		const struct mb_alloc *a = &m->alloc[p->type];
		ck_assert_msg(p->addr >= a->base && p->addr + p->size <= a->base + m->used[p->type],
			      "%s: %s outside its %s block", m->name, name, mod_mem_type_name(p->type));
		/* Executable sections in text types, writable ones never in read-only types. */
		uint64_t fl = raw_sh(&r, i, SH_FLAGS);
		if (fl & 4)
			ck_assert(mod_mem_type_is_text(p->type));
		if (fl & 1) /* writable: data, or ro_after_init (checked by name below) */
			ck_assert(p->type == MOD_DATA || p->type == MOD_INIT_DATA || p->type == MOD_RO_AFTER_INIT);
		/* Contents as in the file where nothing relocates them: first byte of
		 * a non-relocated PROGBITS section is a weak but independent probe. */
		for (size_t k = 0; k < m->nsections; k++) {
			const struct mb_placed_section *q = &m->sections[k];
			if (q == p || !q->size || !p->size)
				continue;
			ck_assert_msg(q->addr + q->size <= p->addr || p->addr + p->size <= q->addr,
				      "%s: %s overlaps %s", m->name, name, q->name);
		}
	}
	/* Sizing may add PLT sections the file only has as placeholders. */
	ck_assert_uint_ge(m->nsections, nalloc);
	check_kernel_layout(fx, m, &r);
}

static void layout_all(const char *arch, const struct mb_map *map, const char *policy)
{
	struct fixture fx;
	open_fx(&fx, arch, map, policy);
	for (size_t i = 0; i < sizeof(loadable) / sizeof(loadable[0]); i++) {
		struct mb_loaded_module *m = load(&fx, loadable[i]);
		struct file f = module_file(arch, loadable[i]);
		check_module_layout(&fx, m, &f);
		free(f.b);
	}
	/* Blocks of different modules never overlap. */
	for (struct mb_loaded_module *a = fx.l.modules; a; a = a->next)
		for (struct mb_loaded_module *b = a->next; b; b = b->next)
			for (int s = 0; s < MOD_MEM_NUM_TYPES; s++)
				for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
					if (!a->alloc[s].size || !b->alloc[t].size)
						continue;
					ck_assert(a->alloc[s].base + a->alloc[s].size <= b->alloc[t].base ||
						  b->alloc[t].base + b->alloc[t].size <= a->alloc[s].base);
				}
	close_fx(&fx);
}

START_TEST(test_layout_every_map)
{
	const struct mb_arch *a = mb_arch_by_name(arches[_i]);
	for (size_t m = 0; m < a->nmaps; m++)
		for (size_t p = 0; p < 2; p++)
			layout_all(arches[_i], a->maps[m], policies[p]);
}
END_TEST

/* ---- exports between modules -------------------------------------------- */

START_TEST(test_exports_resolve)
{
	struct fixture fx;
	open_fx(&fx, arches[_i], NULL, NULL);
	struct mb_loaded_module *life = load(&fx, "run_life");
	struct mb_loaded_module *user = load(&fx, "run_user");
	ck_assert_uint_ge(life->nexports, 1);
	size_t matched = 0;
	for (size_t i = 0; i < user->nundefs; i++) {
		const struct mb_module_undef *u = &user->undefs[i];
		uint64_t own;
		if (mb_loader_find_symbol(&fx.l, life, u->name, &own) != 0)
			continue;
		/* The address decoded from the exporter's __ksymtab (PREL32) is
		 * the address its symbol table gives. */
		ck_assert_int_eq(u->kind, MB_UNDEF_MODULE);
		ck_assert_ptr_eq(u->from, life);
		ck_assert_str_eq(u->provider, "run_life");
		ck_assert_uint_eq(u->addr, own);
		matched++;
	}
	ck_assert_uint_ge(matched, 1);
	ck_assert_uint_eq(life->refcount, 1);
	struct mb_err err;
	ck_assert_int_eq(mb_unload_module(&fx.l, life, &err), -1);
	ck_assert_msg(strstr(err.msg, "module run_life is in use by run_user"), "%s", err.msg);
	ck_assert_int_eq(mb_unload_module(&fx.l, user, &err), 0);
	ck_assert_uint_eq(life->refcount, 0);
	ck_assert_int_eq(mb_unload_module(&fx.l, life, &err), 0);
	ck_assert_uint_eq(fx.l.nmodules, 0);
	ck_assert_uint_eq(fx.space.narenas, 0);
	close_fx(&fx);
}
END_TEST

/* ---- a failure at the 3rd relocation ------------------------------------- */

static void break_third(struct raw *r, const struct mb_arch *arch, char *want, size_t wn)
{
	size_t s = raw_find(r, ".rela.text");
	ck_assert(s && raw_nrelas(r, s) >= 3);
	uint32_t sym = raw_rela_sym(r, s, 2);
	if (arch->elf_machine == 62) { /* R_X86_64_32S with a value far outside 32 bits */
		raw_set_rela_info(r, s, 2, sym, 11);
		raw_set_rela_addend(r, s, 2, 0x40000000000ll);
		snprintf(want, wn, ".rela.text: entry 2: R_X86_64_32S against");
	} else if (arch->elf_machine == 183) { /* R_AARCH64_ABS16 of a 64-bit address */
		raw_set_rela_info(r, s, 2, sym, 259);
		snprintf(want, wn, ".rela.text: entry 2: R_AARCH64_ABS16 against");
	} else { /* powerpc32 checks no value: a type the kernel refuses */
		raw_set_rela_info(r, s, 2, sym, 249);
		snprintf(want, wn, ".rela.text: entry 2: unsupported relocation type 249");
	}
}

START_TEST(test_third_reloc_rolls_back)
{
	for (size_t p = 0; p < 2; p++) {
		struct fixture fx, ref;
		open_fx(&fx, arches[_i], NULL, policies[p]);
		open_fx(&ref, arches[_i], NULL, policies[p]);
		load(&fx, "run_life");
		load(&ref, "run_life");
		uint64_t before = mb_loader_fingerprint(&fx.l);
		struct mb_lookup lk_before = fx.l.lookup;
		struct file f = module_file(arches[_i], "reloc_all");
		struct raw r;
		raw_init(&r, f.b, f.n);
		char want[128];
		break_third(&r, fx.arch, want, sizeof(want));
		struct mb_err err;
		ck_assert_int_eq(mb_load_buffer(&fx.l, "reloc_all.ko", r.b, r.n, NULL, &err), -1);
		ck_assert_msg(strstr(err.msg, want), "%s lacks %s", err.msg, want);
		ck_assert_uint_eq(mb_loader_fingerprint(&fx.l), before);
		ck_assert_uint_eq(fx.l.lookup.addr_min, lk_before.addr_min);
		ck_assert_uint_eq(fx.l.lookup.addr_max, lk_before.addr_max);
		ck_assert_uint_eq(fx.l.lookup.nnodes, lk_before.nnodes);
		ck_assert_uint_eq(fx.l.nmodules, 1);
		/* The next load lands exactly where it lands without the failure. */
		struct mb_loaded_module *a = load(&fx, "plt_calls");
		struct mb_loaded_module *b = load(&ref, "plt_calls");
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			ck_assert_uint_eq(a->alloc[t].base, b->alloc[t].base);
			ck_assert_uint_eq(a->alloc[t].size, b->alloc[t].size);
		}
		ck_assert_uint_eq(fx.space.narenas, ref.space.narenas);
		free(f.b);
		close_fx(&fx);
		close_fx(&ref);
	}
}
END_TEST

/* ---- unload, free init ------------------------------------------------------ */

START_TEST(test_unload_restores)
{
	for (size_t p = 0; p < 2; p++) {
		/* split bounds shrink on removal, so the whole state can return; the
		 * kernel's bounds never shrink (tests/core checks that quirk). */
		struct fixture fx;
		open_fx_bounds(&fx, arches[_i], NULL, policies[p], "split");
		load(&fx, "run_life");
		uint64_t before = mb_loader_fingerprint(&fx.l);
		struct mb_loaded_module *m = load(&fx, "reloc_all");
		uint64_t base[MOD_MEM_NUM_TYPES];
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			base[t] = m->alloc[t].base;
		struct mb_err err;
		ck_assert_int_eq(mb_unload_module(&fx.l, m, &err), 0);
		ck_assert_uint_eq(mb_loader_fingerprint(&fx.l), before);
		m = load(&fx, "reloc_all");
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			ck_assert_uint_eq(m->alloc[t].base, base[t]);
		/* Free init: the init blocks leave the tree and the space. */
		uint64_t init_text = m->alloc[MOD_INIT_TEXT].base;
		ck_assert(init_text != 0);
		struct mb_where w;
		ck_assert(mb_loader_where(&fx.l, init_text, &w) && w.mod == m && w.type == MOD_INIT_TEXT);
		mb_module_free_init(&fx.l, m);
		ck_assert(!mb_loader_where(&fx.l, init_text, &w));
		if (fx.l.place.policy == MB_POLICY_KERNEL)
			ck_assert(mb_space_host(&fx.space, init_text, 1) == NULL);
		ck_assert_int_eq(mb_unload_module(&fx.l, m, &err), 0);
		ck_assert_uint_eq(mb_loader_fingerprint(&fx.l), before);
		close_fx(&fx);
	}
}
END_TEST

/* ---- lookup against a brute-force scan ------------------------------------ */

static void check_where(struct fixture *fx, uint64_t a)
{
	struct mb_loaded_module *owner = NULL;
	int type = -1;
	for (struct mb_loaded_module *m = fx->l.modules; m; m = m->next)
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (m->alloc[t].size && a - m->alloc[t].base < m->alloc[t].size) {
				owner = m;
				type = t;
			}
	struct mb_where w;
	bool hit = mb_loader_where(&fx->l, a, &w);
	ck_assert_msg(hit == (owner != NULL), "0x%" PRIx64, a);
	if (!hit)
		return;
	ck_assert_ptr_eq(w.mod, owner);
	ck_assert_int_eq(w.type, type);
	if (w.sym) {
		ck_assert_uint_le(w.sym->addr, a);
		ck_assert_uint_eq(w.offset, a - w.sym->addr);
	}
}

START_TEST(test_where_brute_force)
{
	struct fixture fx;
	open_fx(&fx, arches[_i], NULL, NULL);
	for (size_t i = 0; i < sizeof(loadable) / sizeof(loadable[0]); i++)
		load(&fx, loadable[i]);
	/* Every 61st byte from a page below to a page above each block (blocks
	 * may be a whole window apart, as text and data on powerpc32). */
	for (struct mb_loaded_module *bm = fx.l.modules; bm; bm = bm->next)
		for (int bt = 0; bt < MOD_MEM_NUM_TYPES; bt++) {
			if (!bm->alloc[bt].size)
				continue;
			uint64_t lo = bm->alloc[bt].base - 4096, hi = bm->alloc[bt].base + bm->alloc[bt].size + 4096;
			for (uint64_t a = lo; a < hi; a += 61)
				check_where(&fx, a);
		}
	/* A function's own address names it (or an alias at that address). */
	for (struct mb_loaded_module *m = fx.l.modules; m; m = m->next)
		for (size_t i = 0; i < m->nsymbols; i++) {
			if (m->symbols[i].type != 2 /* STT_FUNC */)
				continue;
			struct mb_where w;
			ck_assert(mb_loader_where(&fx.l, m->symbols[i].addr, &w));
			ck_assert_ptr_eq(w.mod, m);
			ck_assert(w.sym && w.sym->addr == m->symbols[i].addr && w.offset == 0);
		}
	struct mb_lookup_counters c;
	mb_loader_counters(&fx.l, &c);
	ck_assert_uint_eq(c.fast_rejects + c.tree_searches, c.lookups);
	close_fx(&fx);
}
END_TEST

/* Relocations whose target is not allocated are skipped, as the kernel's
 * apply_relocations() skips them, and not validated either. */
START_TEST(test_nonalloc_target_skipped)
{
	struct fixture fx;
	open_fx(&fx, arches[_i], NULL, NULL);
	struct file f = module_file(arches[_i], "reloc_all");
	struct raw r;
	raw_init(&r, f.b, f.n);
	size_t rs = raw_find(&r, ".rela.text"), strtab = raw_find(&r, ".strtab");
	ck_assert(rs && strtab && !(raw_sh(&r, strtab, SH_FLAGS) & 2));
	size_t n = raw_nrelas(&r, rs);
	raw_set_sh(&r, rs, SH_INFO, strtab);
	/* An offset far past .strtab: fine, since nothing reads it. */
	raw_set_rela_offset(&r, rs, 0, 0x7fffffff);
	struct mb_loaded_module *m;
	struct mb_err err;
	ck_assert_msg(mb_load_buffer(&fx.l, "reloc_all.ko", r.b, r.n, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m->nrelocs_skipped, n);
	size_t total = 0;
	for (size_t i = 1; i < raw_eh(&r, EH_SHNUM); i++)
		if (raw_sh(&r, i, SH_TYPE) == 4 && (raw_sh(&r, (size_t)raw_sh(&r, i, SH_INFO), SH_FLAGS) & 2) &&
		    strcmp(raw_secname(&r, (size_t)raw_sh(&r, i, SH_INFO)), ".modinfo") != 0)
			total += raw_nrelas(&r, i);
	ck_assert_uint_eq(m->nrelocs_applied, total);
	free(f.b);
	close_fx(&fx);
}
END_TEST

/* kallsyms copies (layout_symtab): the full .symtab/.strtab are placed at the
 * end of MOD_INIT_DATA with the file's bytes, and MOD_DATA grows by at least
 * the core symbols (counted here from the raw symbol table) times the entry
 * size, plus their names. */
START_TEST(test_kallsyms_sizes)
{
	struct fixture off, on;
	open_fx(&off, arches[_i], NULL, NULL);
	mb_space_init(&on.space, 4096);
	on.arch = off.arch;
	on.map = off.map;
	struct mb_loader_config cfg = { .arch = on.arch, .kallsyms = MB_KALLSYMS_ALL };
	struct mb_err err;
	ck_assert_msg(mb_loader_init(&on.l, &cfg, &on.space, &err) == 0, "%s", err.msg);
	struct mb_loaded_module *a = load(&off, "reloc_all"), *b = load(&on, "reloc_all");
	struct file f = module_file(arches[_i], "reloc_all");
	struct raw r;
	raw_init(&r, f.b, f.n);
	size_t st = raw_find_type(&r, 2), str = (size_t)raw_sh(&r, st, SH_LINK);
	/* The tables are in init data, with the file's bytes. */
	for (size_t want = 0; want < 2; want++) {
		size_t idx = want ? str : st;
		const struct mb_placed_section *p = NULL;
		for (size_t k = 0; k < b->nsections; k++)
			if (b->sections[k].shndx == idx)
				p = &b->sections[k];
		ck_assert_msg(p && p->type == MOD_INIT_DATA, "%s not in init data", raw_secname(&r, idx));
		const uint8_t *bytes = mb_space_host(&on.space, p->addr, p->size);
		ck_assert(bytes && memcmp(bytes, r.b + raw_sh(&r, idx, SH_OFFSET), (size_t)p->size) == 0);
	}
	/* Core symbols: named, defined in an allocated section that is not init. */
	size_t ndst = 1, names = 1;
	for (size_t i = 1; i < raw_nsyms(&r); i++) {
		size_t shndx = (size_t)raw_sym(&r, i, SYM_SHNDX);
		const char *name = raw_symname(&r, i);
		if (!name[0] || shndx == 0 || shndx >= raw_eh(&r, EH_SHNUM) || !(raw_sh(&r, shndx, SH_FLAGS) & 2) ||
		    !strncmp(raw_secname(&r, shndx), ".init", 5) || !strcmp(raw_secname(&r, shndx), ".modinfo"))
			continue;
		ndst++;
		names += strlen(name) + 1;
	}
	ck_assert_uint_ge(b->used[MOD_DATA], a->used[MOD_DATA] + ndst * raw_symsize(&r) + names);
	ck_assert_uint_ge(b->used[MOD_INIT_DATA],
			  a->used[MOD_INIT_DATA] + raw_sh(&r, st, SH_SIZE) + raw_sh(&r, str, SH_SIZE));
	free(f.b);
	close_fx(&off);
	close_fx(&on);
}
END_TEST

/* The same layout check over every distribution module (MODBED_CORPUS_DIR,
 * when fetched): real objects carry every special section kmod-corpus.md
 * lists. Each is loaded alone; its module dependencies bind to traps. */
#include <dirent.h>
#include <sys/stat.h>
static void corpus_walk(struct fixture *fx, const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		size_t len = strlen(e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			corpus_walk(fx, path, count);
			continue;
		}
		if (len < 4 || strcmp(e->d_name + len - 3, ".ko"))
			continue;
		FILE *fp = fopen(path, "rb");
		ck_assert(fp);
		uint8_t *b = malloc((size_t)st.st_size);
		ck_assert(fread(b, 1, (size_t)st.st_size, fp) == (size_t)st.st_size);
		fclose(fp);
		struct mb_loaded_module *m;
		struct mb_err err;
		ck_assert_msg(mb_load_buffer(&fx->l, path, b, (size_t)st.st_size, &m, &err) == 0, "%s", err.msg);
		struct file f = { b, (size_t)st.st_size };
		check_module_layout(fx, m, &f);
		ck_assert_int_eq(mb_unload_module(&fx->l, m, &err), 0);
		free(b);
		(*count)++;
	}
	if (d)
		closedir(d);
}

/* Debian ships amd64 and arm64 kernels: the corpus run covers those two. */
static const char *const corpus_arches[] = { "x86_64", "arm64" };

START_TEST(test_corpus_layout)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", corpusdir, corpus_arches[_i]);
	struct fixture fx;
	open_fx(&fx, corpus_arches[_i], NULL, NULL);
	size_t count = 0;
	corpus_walk(&fx, dir, &count);
	ck_assert_uint_gt(count, 0);
	close_fx(&fx);
}
END_TEST

/*   test_load MODULE_DIR                  the test modules
 *   test_load --corpus CORPUS_DIR         every corpus module's layout
 *                                         (exit 77 when absent; see tests/evidence.h) */
int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0) {
		corpusdir = argv[2];
		for (size_t a = 0; a < 2; a++) {
			char dir[4096], what[4200];
			struct stat st;
			snprintf(dir, sizeof(dir), "%s/%s", corpusdir, corpus_arches[a]);
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				snprintf(what, sizeof(what), "corpus: %s not present (run tests/corpus/fetch.sh)", dir);
				return evidence_missing(what);
			}
		}
		const struct check_test tests[] = { CHECK_LOOP(test_corpus_layout, 2) };
		const struct check_suite cs = { .suite = "load", .tcase = "corpus", .timeout = 600 };
		return CHECK_RUN(&cs, tests);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE_DIR | --corpus CORPUS_DIR\n", argv[0]);
		return 2;
	}
	moddir = argv[1];
	const struct check_test tests[] = {
		CHECK_LOOP(test_layout_every_map, 3),
		CHECK_LOOP(test_exports_resolve, 3),
		CHECK_LOOP(test_third_reloc_rolls_back, 3),
		CHECK_LOOP(test_unload_restores, 3),
		CHECK_LOOP(test_where_brute_force, 3),
		CHECK_LOOP(test_nonalloc_target_skipped, 3),
		CHECK_LOOP(test_kallsyms_sizes, 3),
	};
	const struct check_suite cs = { .suite = "load", .tcase = "load", .timeout = 120 };
	return CHECK_RUN(&cs, tests);
}
