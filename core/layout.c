#include "core/layout.h"

#include "core/fmt.h"
#include "core/util.h"

/* ARCH_SHF_SMALL is 0 on every arch modbed models (only alpha/ia64 set it). */
#define ARCH_SHF_SMALL 0u

static const struct {
	uint64_t must, mustnot;
	int core_type, init_type;
} masks[] = {
	{ MB_SHF_EXECINSTR | MB_SHF_ALLOC, ARCH_SHF_SMALL, MOD_TEXT, MOD_INIT_TEXT },
	{ MB_SHF_ALLOC, MB_SHF_WRITE | ARCH_SHF_SMALL, MOD_RODATA, MOD_INIT_RODATA },
	{ MB_SHF_RO_AFTER_INIT | MB_SHF_ALLOC, ARCH_SHF_SMALL, MOD_RO_AFTER_INIT, MOD_INVALID },
	{ MB_SHF_WRITE | MB_SHF_ALLOC, ARCH_SHF_SMALL, MOD_DATA, MOD_INIT_DATA },
	{ ARCH_SHF_SMALL | MB_SHF_ALLOC, 0, MOD_DATA, MOD_INIT_DATA },
};
#define NMASKS (sizeof(masks) / sizeof(masks[0]))

static const char *const ro_after_init_names[] = { ".data..ro_after_init", "__jump_table" };

bool mb_layout_is_init_name(const char *name, bool module_unload)
{
	if (mb_strstarts(name, ".init"))
		return true;
	return !module_unload && mb_strstarts(name, ".exit");
}

void mb_layout_rewrite(struct mb_sec *secs, size_t nsecs, const struct mb_layout_opts *opts,
		       struct mb_rewrite_info *info)
{
	const struct mb_kver *k = opts->kver ? opts->kver : mb_kver_latest();
	info->percpu_index = 0;
	for (size_t i = 1; i < nsecs; i++) {
		struct mb_sec *s = &secs[i];
		/* rewrite_section_headers(): loader-only metadata */
		if (mb_streq(s->name, ".modinfo") || mb_streq(s->name, "__versions"))
			s->flags &= ~(uint64_t)MB_SHF_ALLOC;
		/* the per-cpu allocator owns it; only the first one counts, as
		 * find_pcpusec() finds the first */
		if (mb_streq(s->name, ".data..percpu")) {
			s->flags &= ~(uint64_t)MB_SHF_ALLOC;
			if (info->percpu_index == 0)
				info->percpu_index = i;
		}
		/* module_mark_ro_after_init(): by exact name, any section */
		for (size_t k = 0; k < sizeof(ro_after_init_names) / sizeof(ro_after_init_names[0]); k++)
			if (mb_streq(s->name, ro_after_init_names[k]))
				s->flags |= MB_SHF_RO_AFTER_INIT;
		if (opts->static_call_inline && k->static_call_ro_after_init &&
		    mb_streq(s->name, ".static_call_sites"))
			s->flags |= MB_SHF_RO_AFTER_INIT;
	}
}

/* The mask that places a section in the kernel's walk for its class (core
 * or init), or -1: the first mask that takes it, since the walk visits the
 * masks in order and skips a section once placed (its sh_entsize marker). A
 * mask whose type is MOD_INVALID for init (ro_after_init) does not place the
 * section (WARN_ON_ONCE in the kernel), so a later mask may. */
static int section_mask(uint64_t flags, bool is_init)
{
	for (size_t m = 0; m < NMASKS; m++) {
		if ((flags & masks[m].must) != masks[m].must || (flags & masks[m].mustnot))
			continue;
		if ((is_init ? masks[m].init_type : masks[m].core_type) == MOD_INVALID)
			continue;
		return (int)m;
	}
	return -1;
}

/* Running sizes. Under the per-type shape each type has its own
 * accumulator (slot t); under the block shape a type adds to its block's
 * (slot block_of(t)), as module_get_offset() adds to the module_layout's
 * size. */
struct acc {
	const struct mb_kver *k;
	bool blocks;
	bool data_in_vmalloc;
	unsigned long page;        /* strict_align() granule; 0: no class alignment */
	unsigned long pos[MOD_MEM_NUM_TYPES];   /* per slot */
	unsigned long align[MOD_MEM_NUM_TYPES]; /* per type */
	unsigned long start[MOD_MEM_NUM_TYPES]; /* per type: slot position when its class began */
	unsigned long end[MOD_MEM_NUM_TYPES];   /* per type: slot position after its last piece */
	bool started[MOD_MEM_NUM_TYPES];
	/* The section that last grew each type (0: none): when a type's size
	 * overflows, the larger of it and the section being added is blamed
	 * (a size running to the top of the address space shows only when
	 * the next, small section is added). */
	size_t last[MOD_MEM_NUM_TYPES];
};

static int slot_of(const struct acc *a, int t)
{
	return a->blocks ? (int)mb_kver_block_of(t, a->data_in_vmalloc) : t;
}

/* A class of type t begins: remember where (the first time only: mask 4
 * continues mask 3's data class). */
static void class_begins(struct acc *a, int t)
{
	if (t == MOD_INVALID || a->started[t])
		return;
	a->started[t] = true;
	a->start[t] = a->end[t] = a->pos[slot_of(a, t)];
}

/* strict_align() of type t's slot; false on overflow. */
static bool strict_align(struct acc *a, int t)
{
	if (!a->page)
		return true;
	unsigned long *p = &a->pos[slot_of(a, t)];
	return mb_align_up(*p, a->page, p);
}

/* module_get_offset(): offset of a new piece of `size` bytes at `align` in
 * type t (relative to the type's start). false on overflow. */
static bool append(struct acc *a, int t, unsigned long size, unsigned long align, unsigned long *offset)
{
	unsigned long off, *p = &a->pos[slot_of(a, t)];
	if (align == 0)
		align = 1;
	class_begins(a, t);
	if (!mb_align_up(*p, align, &off) || size > ~0UL - off)
		return false;
	*offset = off - a->start[t];
	*p = off + size;
	a->end[t] = *p;
	if (align > a->align[t])
		a->align[t] = align;
	return true;
}

static int fail(struct mb_layout_err *err, enum mb_layout_status st, const struct mb_sec *secs,
		size_t i, unsigned long value)
{
	err->status = st;
	err->index = i;
	err->name = secs ? secs[i].name : "";
	err->flags = secs ? secs[i].flags : 0;
	err->value = value;
	return -1;
}

/* The classes the kernel's layout_sections() rounds up after each mask
 * (strict_align), per pass: core text after mask 0; rodata, ro_after_init
 * and data (data_layout) after masks 1, 2 and 4; init after 0, 1 and 4. */
static int aligned_after(int m, bool is_init)
{
	switch (m) {
	case 0: return is_init ? MOD_INIT_TEXT : MOD_TEXT;
	case 1: return is_init ? MOD_INIT_RODATA : MOD_RODATA;
	case 2: return is_init ? MOD_INVALID : MOD_RO_AFTER_INIT;
	case 4: return is_init ? MOD_INIT_DATA : MOD_DATA;
	default: return MOD_INVALID;
	}
}

/* Block shape: each block's types in address order. */
static const int block_order[] = { MOD_TEXT, MOD_RODATA, MOD_RO_AFTER_INIT, MOD_DATA,
				   MOD_INIT_TEXT, MOD_INIT_RODATA, MOD_INIT_DATA };

static void commit_shape(const struct acc *a, struct mb_layout *out)
{
	out->shape = a->blocks ? MB_SHAPE_BLOCKS : MB_SHAPE_PER_TYPE;
	for (int b = 0; b < MB_NBLOCKS; b++)
		out->block_size[b] = a->blocks ? a->pos[b] : 0;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		out->size[t] = a->end[t] - a->start[t];
		out->align[t] = a->align[t];
		out->block[t] = a->blocks ? (int)mb_kver_block_of(t, a->data_in_vmalloc) : -1;
		out->start[t] = a->blocks ? a->start[t] : 0;
		out->extent[t] = out->size[t];
	}
	if (!a->blocks)
		return;
	/* tile: a type owns its block up to the next type's start */
	for (size_t i = 0; i < sizeof(block_order) / sizeof(block_order[0]); i++) {
		int t = block_order[i];
		unsigned long next = out->block_size[out->block[t]];
		for (size_t j = i + 1; j < sizeof(block_order) / sizeof(block_order[0]); j++)
			if (out->block[block_order[j]] == out->block[t]) {
				next = out->start[block_order[j]];
				break;
			}
		out->extent[t] = next - out->start[t];
	}
}

bool mb_layout_shape_from_sizes(struct mb_layout *lay, const struct mb_kver *k, bool data_in_vmalloc,
				unsigned long page_size, unsigned long addr_last)
{
	unsigned long last = addr_last ? addr_last : ~0UL;
	k = k ? k : mb_kver_latest();
	bool blocks = k->shape == MB_SHAPE_BLOCKS;
	lay->shape = k->shape;
	for (int b = 0; b < MB_NBLOCKS; b++)
		lay->block_size[b] = 0;
	for (size_t i = 0; i < sizeof(block_order) / sizeof(block_order[0]); i++) {
		int t = block_order[i];
		lay->block[t] = -1;
		lay->start[t] = 0;
		lay->extent[t] = lay->size[t];
		if (!blocks)
			continue;
		int b = (int)mb_kver_block_of(t, data_in_vmalloc);
		unsigned long rounded;
		if (!mb_align_up(lay->size[t], page_size, &rounded) || rounded > last - lay->block_size[b])
			return false;
		lay->block[t] = b;
		lay->start[t] = lay->block_size[b];
		lay->extent[t] = rounded;
		lay->block_size[b] += rounded;
	}
	return true;
}

/* One pass of layout_sections() + layout_symtab(). With commit false it only
 * checks that every size fits; with commit true it writes the results. */
static int walk(struct mb_sec *secs, size_t nsecs, const struct mb_layout_opts *opts,
		const struct mb_kallsyms_in *ks, struct mb_layout *out, struct mb_layout_err *err,
		bool commit)
{
	struct acc a;
	a.k = opts->kver ? opts->kver : mb_kver_latest();
	a.blocks = a.k->shape == MB_SHAPE_BLOCKS;
	a.data_in_vmalloc = opts->data_in_vmalloc;
	a.page = a.k->page_align_classes && opts->strict_rwx ? (opts->page_size ? opts->page_size : 4096) : 0;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		a.pos[t] = a.start[t] = a.end[t] = 0;
		a.align[t] = 1;
		a.started[t] = false;
		a.last[t] = 0;
	}
	uint64_t symflags = 0, strflags = 0;
	if (ks) {
		symflags = secs[ks->symtab_index].flags;
		strflags = secs[ks->strtab_index].flags;
	}
	for (int pass = 0; pass < 2; pass++) {
		bool is_init = pass == 1;
		for (size_t m = 0; m < NMASKS; m++) {
			int ct = is_init ? masks[m].init_type : masks[m].core_type;
			class_begins(&a, ct);
			for (size_t i = 1; i < nsecs; i++) {
				struct mb_sec *s = &secs[i];
				if (mb_layout_is_init_name(s->name, opts->module_unload) != is_init)
					continue;
				if (section_mask(s->flags, is_init) != (int)m)
					continue;
				unsigned long off;
				if (!append(&a, ct, s->size, s->addralign, &off)) {
					size_t who = a.last[ct] && secs[a.last[ct]].size > s->size ? a.last[ct] : i;
					return fail(err, MB_LAYOUT_TOO_BIG, secs, who, secs[who].size);
				}
				a.last[ct] = i;
				if (commit) {
					s->mem_type = ct;
					s->offset = off;
				}
			}
			int at = aligned_after((int)m, is_init);
			if (at != MOD_INVALID && !strict_align(&a, at))
				return fail(err, MB_LAYOUT_TOO_BIG, secs, 0, 0);
		}
	}

	if (ks) {
		const struct mb_sec *sym = &secs[ks->symtab_index], *str = &secs[ks->strtab_index];
		struct mb_kallsyms_out ko;
		unsigned long symoff, stroff;
		unsigned long nsrc = sym->size / ks->sym_size;
		unsigned long kallsyms_size = 4 * ks->ptr_bytes; /* symtab, num_symtab (padded), strtab, typetab */
		if (!append(&a, MOD_INIT_DATA, sym->size, sym->addralign, &symoff))
			return fail(err, MB_LAYOUT_TOO_BIG, secs, ks->symtab_index, sym->size);
		/* the core copy: symbols, their names, their type chars */
		if (ks->ndst > ~0UL / ks->sym_size ||
		    !append(&a, MOD_DATA, ks->ndst * ks->sym_size, sym->addralign, &ko.symoffs) ||
		    !append(&a, MOD_DATA, ks->core_strtab_size, 1, &ko.stroffs) ||
		    !append(&a, MOD_DATA, ks->ndst, 1, &ko.core_typeoffs) || !strict_align(&a, MOD_DATA))
			return fail(err, MB_LAYOUT_TOO_BIG, secs, ks->symtab_index, ks->ndst);
		if (!append(&a, MOD_INIT_DATA, str->size, str->addralign, &stroff) ||
		    !append(&a, MOD_INIT_DATA, kallsyms_size, ks->ptr_bytes, &ko.init_kallsyms_off) ||
		    !append(&a, MOD_INIT_DATA, nsrc, 1, &ko.init_typeoffs) || !strict_align(&a, MOD_INIT_DATA))
			return fail(err, MB_LAYOUT_TOO_BIG, secs, ks->strtab_index, str->size);
		if (commit) {
			secs[ks->symtab_index].flags = symflags | MB_SHF_ALLOC;
			secs[ks->symtab_index].mem_type = MOD_INIT_DATA;
			secs[ks->symtab_index].offset = symoff;
			secs[ks->strtab_index].flags = strflags | MB_SHF_ALLOC;
			secs[ks->strtab_index].mem_type = MOD_INIT_DATA;
			secs[ks->strtab_index].offset = stroff;
			out->kallsyms = ko;
		}
	}
	if (commit) {
		commit_shape(&a, out);
		out->has_kallsyms = ks != NULL;
	}
	return 0;
}

int mb_layout_sections(struct mb_sec *secs, size_t nsecs, const struct mb_layout_opts *opts,
		       const struct mb_kallsyms_in *ks, struct mb_layout *out, struct mb_layout_err *err)
{
	for (size_t i = 1; i < nsecs; i++) {
		const struct mb_sec *s = &secs[i];
		/* module_enforce_rwx_sections() looks at every section, allocated or not */
		if (opts->strict_rwx && (s->flags & (MB_SHF_WRITE | MB_SHF_EXECINSTR)) ==
						(MB_SHF_WRITE | MB_SHF_EXECINSTR))
			return fail(err, MB_LAYOUT_WX, secs, i, 0);
		if ((s->flags & MB_SHF_ALLOC) && s->addralign != 0 && !mb_is_pow2(s->addralign))
			return fail(err, MB_LAYOUT_BAD_ALIGN, secs, i, s->addralign);
	}
	if (ks) {
		if (ks->symtab_index == 0 || ks->symtab_index >= nsecs || ks->strtab_index == 0 ||
		    ks->strtab_index >= nsecs || ks->sym_size == 0 || !mb_is_pow2(ks->ptr_bytes))
			return fail(err, MB_LAYOUT_BAD_KALLSYMS, NULL, 0, 0);
		/* they are not allocated yet, so the loop above did not check them */
		for (size_t k = 0; k < 2; k++) {
			size_t i = k ? ks->strtab_index : ks->symtab_index;
			if (secs[i].addralign != 0 && !mb_is_pow2(secs[i].addralign))
				return fail(err, MB_LAYOUT_BAD_ALIGN, secs, i, secs[i].addralign);
		}
	}
	if (walk(secs, nsecs, opts, ks, out, err, false) != 0)
		return -1;
	for (size_t i = 0; i < nsecs; i++) {
		secs[i].mem_type = MOD_INVALID;
		secs[i].offset = 0;
	}
	return walk(secs, nsecs, opts, ks, out, err, true);
}

void mb_layout_strerror(const struct mb_layout_err *err, char *buf, size_t len)
{
	struct mb_fmtbuf b;
	mb_fmt_init(&b, buf, len);
	switch (err->status) {
	case MB_LAYOUT_OK:
		mb_fmt_str(&b, "no error");
		break;
	case MB_LAYOUT_WX:
		mb_fmt_str(&b, "section ");
		mb_fmt_str(&b, err->name);
		mb_fmt_str(&b, " (index ");
		mb_fmt_dec(&b, err->index);
		mb_fmt_str(&b, ") has invalid WRITE|EXEC flags (");
		mb_fmt_hex(&b, err->flags);
		mb_fmt_str(&b, ")");
		break;
	case MB_LAYOUT_BAD_ALIGN:
		mb_fmt_str(&b, "section ");
		mb_fmt_str(&b, err->name);
		mb_fmt_str(&b, " (index ");
		mb_fmt_dec(&b, err->index);
		mb_fmt_str(&b, ") has alignment ");
		mb_fmt_dec(&b, err->value);
		mb_fmt_str(&b, ", not a power of two");
		break;
	case MB_LAYOUT_TOO_BIG:
		mb_fmt_str(&b, "section ");
		mb_fmt_str(&b, err->name);
		mb_fmt_str(&b, " (index ");
		mb_fmt_dec(&b, err->index);
		mb_fmt_str(&b, "): size ");
		mb_fmt_hex(&b, err->value);
		mb_fmt_str(&b, " overflows its module memory type");
		break;
	case MB_LAYOUT_BAD_KALLSYMS:
		mb_fmt_str(&b, "kallsyms layout: symbol or string table index out of range");
		break;
	}
}
