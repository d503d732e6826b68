#include "core/opstream.h"

/* No struct copies or memset anywhere in this file: each would be a libc
 * call the freestanding core (and the guest driver) has nothing for. */

static const char *const op_names[MB_OP_NCODES] = {
	[MB_OP_RESET] = "reset",
	[MB_OP_LAYOUT] = "layout",
	[MB_OP_SIZES] = "sizes",
	[MB_OP_PLACE] = "place",
	[MB_OP_INSERT] = "insert",
	[MB_OP_REMOVE] = "remove",
	[MB_OP_REMOVE_INIT] = "remove_init",
	[MB_OP_FREE] = "free",
	[MB_OP_FREE_INIT] = "free_init",
	[MB_OP_STATE] = "state",
	[MB_OP_LOOKUP] = "lookup",
	[MB_OP_STATS] = "stats",
};

const char *mb_op_name(unsigned op)
{
	return op > 0 && op < MB_OP_NCODES ? op_names[op] : (const char *)0;
}

/* ---- record headers ---- */

struct mb_oprec mb_op_header(unsigned long word)
{
	struct mb_oprec r = { (unsigned)(word & 0xffu), (unsigned)((word >> 8) & 0xffffffu), 0, 0 };
	return r;
}

struct mb_oprec mb_result_header(unsigned long word)
{
	struct mb_oprec r = { (unsigned)(word & 0xffu), (unsigned)((word >> 8) & 0xffu),
			      (unsigned)((word >> 16) & 0xffu), (unsigned)((word >> 24) & 0xffu) };
	return r;
}

unsigned long mb_result_header_word(unsigned op, unsigned nvals, unsigned status, unsigned flags)
{
	return (unsigned long)(op & 0xffu) | (unsigned long)(nvals & 0xffu) << 8 |
	       (unsigned long)(status & 0xffu) << 16 | (unsigned long)(flags & 0xffu) << 24;
}

/* ---- writing operations ---- */

void mb_opw_init(struct mb_opwriter *w, uint8_t *buf, unsigned long cap, struct mb_opfmt f)
{
	w->buf = buf;
	w->cap = cap;
	w->fmt = f;
	w->rec = 0;
	w->overflow = cap < MB_OPSTREAM_HDR_BYTES;
	w->len = w->overflow ? 0 : MB_OPSTREAM_HDR_BYTES;
	if (!w->overflow)
		mb_ophdr_put(buf, f);
}

void mb_opw_word(struct mb_opwriter *w, unsigned long v)
{
	if (w->cap - w->len < w->fmt.width) {
		w->overflow = true;
		return;
	}
	if (!mb_opword_put(w->buf + w->len, w->fmt, v))
		w->overflow = true;
	w->len += w->fmt.width;
}

void mb_opw_begin(struct mb_opwriter *w, unsigned op)
{
	w->rec = w->len;
	mb_opw_word(w, op);
}

void mb_opw_name(struct mb_opwriter *w, const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	unsigned long words = n / w->fmt.width + 1; /* at least one NUL */
	mb_opw_word(w, words);
	if (w->cap - w->len < words * w->fmt.width) {
		w->overflow = true;
		return;
	}
	for (unsigned long i = 0; i < words * w->fmt.width; i++)
		w->buf[w->len + i] = i < n ? (uint8_t)s[i] : 0;
	w->len += words * w->fmt.width;
}

void mb_opw_end(struct mb_opwriter *w)
{
	if (w->overflow)
		return;
	unsigned long nargs = (w->len - w->rec) / w->fmt.width - 1;
	bool wide = false;
	unsigned long op = mb_opword_get(w->buf + w->rec, w->fmt, &wide) & 0xffu;
	if (nargs > 0xffffffu) {
		w->overflow = true;
		return;
	}
	mb_opword_put(w->buf + w->rec, w->fmt, op | nargs << 8);
}

/* ---- reading arguments, writing results ---- */

struct args {
	const uint8_t *p;
	unsigned long left;    /* words */
	struct mb_opfmt f;
	bool bad;              /* too few words, or a value too wide */
};

static unsigned long arg(struct args *a)
{
	if (a->left == 0) {
		a->bad = true;
		return 0;
	}
	unsigned long v = mb_opword_get(a->p, a->f, &a->bad);
	a->p += a->f.width;
	a->left--;
	return v;
}

/* Everything read and nothing left over: the record had the right shape. */
static bool args_ok(const struct args *a)
{
	return !a->bad && a->left == 0;
}

struct results {
	uint8_t *p;            /* first value slot */
	unsigned n;
	struct mb_opfmt f;
	bool too_wide;
};

static void put(struct results *r, unsigned long v)
{
	if (!mb_opword_fits(r->f, v))
		r->too_wide = true;
	mb_opword_put(r->p + (unsigned long)r->n * r->f.width, r->f, v);
	r->n++;
}

/* The kernel bounds policy keeps an exclusive end that saturates at the top
 * of the address space, so a range ending at 0xffffffff gives 0x100000000 on
 * a 64-bit host and 0xffffffff (saturated) on a 32-bit target: the same
 * bound. Compared saturated at the target's top address. */
static void put_saturated(struct results *r, unsigned long v)
{
	put(r, mb_opword_fits(r->f, v) ? v : ~0UL);
}

static void put_bool(struct results *r, bool b)
{
	put(r, b ? 1 : 0);
}

/* ---- module slots ---- */

static struct mb_ops_module *slot_of(struct mb_ops_state *st, unsigned long slot)
{
	return slot < MB_OPS_MAX_MODULES ? &st->mods[slot] : (struct mb_ops_module *)0;
}

static unsigned long slot_index(const struct mb_ops_state *st, const struct mb_module *mod)
{
	if (!mod)
		return ~0UL;
	const struct mb_ops_module *m = (const struct mb_ops_module *)mod->owner;
	return (unsigned long)(m - st->mods);
}

/* A fresh record, as zeroed storage would be (field by field: no memset). */
static void module_clear(struct mb_ops_module *m)
{
	m->mod.name = "";
	m->mod.state = MB_MODULE_LIVE;
	m->mod.owner = m;
	m->mod.lk_prev = m->mod.lk_next = (struct mb_module *)0;
	m->mod.lk_inserted = false;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		m->mod.mem[t].base = 0;
		m->mod.mem[t].size = 0;
		m->mod.mem[t].node.linked = false;
		m->lay.size[t] = 0;
		m->lay.align[t] = 1;
	}
	m->lay.has_kallsyms = false;
	m->laid_out = m->placed = m->inserted = m->init_freed = false;
}

/* ---- operations ---- */

static int op_reset(struct mb_ops_state *st, struct args *a, struct results *r)
{
	unsigned long policy = arg(a), bounds = arg(a), tree = arg(a), div = arg(a);
	unsigned long lflags = arg(a);
	struct mb_place_config *cfg = &st->cfg;
	st->ready = false;
	cfg->page_size = arg(a);
	cfg->large_page_size = arg(a);
	cfg->guard_size = arg(a);
	/* A 32-bit stream describes a 32-bit target, wherever it is run. */
	cfg->addr_last = a->f.width == 4 ? 0xffffffffUL : 0;
	cfg->nboot = 0;
	cfg->ntext = arg(a);
	if (cfg->ntext > MB_MAX_WINDOWS)
		return MB_OPS_TOO_MANY;
	for (size_t i = 0; i < cfg->ntext; i++) {
		cfg->text[i].name = "text";
		cfg->text[i].start = arg(a);
		cfg->text[i].last = arg(a);
	}
	cfg->ndata = arg(a);
	if (cfg->ndata > MB_MAX_WINDOWS)
		return MB_OPS_TOO_MANY;
	for (size_t i = 0; i < cfg->ndata; i++) {
		cfg->data[i].name = "data";
		cfg->data[i].start = arg(a);
		cfg->data[i].last = arg(a);
	}
	unsigned long kidx = (lflags & MB_OPS_LAYOUT_KVER_MASK) >> MB_OPS_LAYOUT_KVER_SHIFT;
	if (!args_ok(a) || policy >= MB_NPOLICIES || bounds >= MB_NBOUNDS || tree >= MB_NTREES ||
	    div > 1 || kidx > mb_nkvers)
		return MB_OPS_BAD_ARGS;
	const struct mb_kver *kver = kidx ? &mb_kvers[kidx - 1] : mb_kver_latest();

	struct mb_place_err perr;
	if (mb_place_init_kver(&st->place, (enum mb_policy)policy, cfg, kver, st->chunks, MB_OPS_MAX_CHUNKS,
			       &perr) != 0)
		return perr.status;
	mb_lookup_init_kver(&st->lookup, (enum mb_bounds)bounds, (enum mb_tree_kind)tree, div != 0, kver, st->slots,
			    sizeof(st->slots) / sizeof(st->slots[0]));
	st->lopts.module_unload = (lflags & MB_OPS_LAYOUT_UNLOAD) != 0;
	st->lopts.strict_rwx = (lflags & MB_OPS_LAYOUT_STRICT_RWX) != 0;
	st->lopts.static_call_inline = (lflags & MB_OPS_LAYOUT_STATIC_CALL) != 0;
	st->lopts.kver = kver;
	st->lopts.data_in_vmalloc = div != 0;
	st->lopts.page_size = cfg->page_size;
	for (unsigned i = 0; i < MB_OPS_MAX_MODULES; i++)
		module_clear(&st->mods[i]);
	st->ready = true;
	(void)r;
	return MB_OPS_OK;
}

/* The slot argument of every per-module operation, checked. */
static int module_arg(struct mb_ops_state *st, struct args *a, struct mb_ops_module **out)
{
	unsigned long slot = arg(a);
	*out = (struct mb_ops_module *)0;
	if (!st->ready)
		return MB_OPS_NOT_READY;
	*out = slot_of(st, slot);
	return *out ? MB_OPS_OK : MB_OPS_BAD_SLOT;
}

/* For operations whose only argument is the module slot. */
static int module_only_arg(struct mb_ops_state *st, struct args *a, struct mb_ops_module **out)
{
	int rc = module_arg(st, a, out);
	if (rc != MB_OPS_OK)
		return rc;
	return args_ok(a) ? MB_OPS_OK : MB_OPS_BAD_ARGS;
}

static int op_layout(struct mb_ops_state *st, struct args *a, struct results *r)
{
	struct mb_ops_module *m;
	int rc = module_arg(st, a, &m);
	unsigned long kallsyms = arg(a), ndst = arg(a), strsize = arg(a), nsecs = arg(a);
	if (rc != MB_OPS_OK)
		return rc;
	if (nsecs > MB_OPS_MAX_SECS)
		return MB_OPS_TOO_MANY;
	size_t symtab = 0;
	for (unsigned long i = 0; i < nsecs; i++) {
		struct mb_sec *s = &st->secs[i];
		s->type = (uint32_t)arg(a);
		s->flags = arg(a);
		s->size = arg(a);
		s->addralign = arg(a);
		unsigned long words = arg(a);
		if (a->bad || words == 0 || words > a->left || words * a->f.width > MB_OPS_MAX_NAME)
			return MB_OPS_BAD_ARGS;
		s->name = (const char *)a->p;
		a->p += words * a->f.width;
		a->left -= words;
		if (s->name[words * a->f.width - 1] != '\0')
			return MB_OPS_BAD_ARGS;
		s->mem_type = MOD_INVALID;
		s->offset = 0;
		if (s->type == MB_SHT_SYMTAB)
			symtab = i;
	}
	if (!args_ok(a) || kallsyms > 1)
		return MB_OPS_BAD_ARGS;
	if (m->placed)
		return MB_OPS_BUSY;
	module_clear(m); /* a new module in this slot */

	struct mb_kallsyms_in kin;
	kin.symtab_index = symtab;
	kin.strtab_index = symtab + 1;
	/* The target's sizes, from the stream's word width, not this core's. */
	kin.sym_size = a->f.width == 8 ? 24 : 16;
	kin.ptr_bytes = a->f.width;
	kin.ndst = ndst;
	kin.core_strtab_size = strsize;

	struct mb_rewrite_info info;
	struct mb_layout_err lerr;
	mb_layout_rewrite(st->secs, nsecs, &st->lopts, &info);
	if (mb_layout_sections(st->secs, nsecs, &st->lopts, kallsyms ? &kin : (struct mb_kallsyms_in *)0,
			       &m->lay, &lerr) != 0) {
		put(r, lerr.index);
		put(r, lerr.value);
		return lerr.status;
	}
	m->laid_out = true;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		put(r, m->lay.size[t]);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		put(r, m->lay.align[t]);
	for (unsigned long i = 0; i < nsecs; i++) {
		put(r, (unsigned long)(long)st->secs[i].mem_type);
		put(r, st->secs[i].offset);
	}
	if (m->lay.has_kallsyms) {
		put(r, m->lay.kallsyms.symoffs);
		put(r, m->lay.kallsyms.stroffs);
		put(r, m->lay.kallsyms.core_typeoffs);
		put(r, m->lay.kallsyms.init_kallsyms_off);
		put(r, m->lay.kallsyms.init_typeoffs);
	}
	return MB_OPS_OK;
}

static int op_sizes(struct mb_ops_state *st, struct args *a, struct results *r)
{
	struct mb_ops_module *m;
	int rc = module_arg(st, a, &m);
	unsigned long size[MOD_MEM_NUM_TYPES], align[MOD_MEM_NUM_TYPES];
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		size[t] = arg(a);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
		align[t] = arg(a);
	if (rc != MB_OPS_OK)
		return rc;
	if (!args_ok(a))
		return MB_OPS_BAD_ARGS;
	if (m->placed)
		return MB_OPS_BUSY;
	module_clear(m);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		m->lay.size[t] = size[t];
		m->lay.align[t] = align[t];
	}
	m->lay.has_kallsyms = false;
	if (!mb_layout_shape_from_sizes(&m->lay, st->lopts.kver, st->lopts.data_in_vmalloc, st->cfg.page_size,
					st->cfg.addr_last))
		return MB_LAYOUT_TOO_BIG;
	m->laid_out = true;
	(void)r;
	return MB_OPS_OK;
}

static int op_place(struct mb_ops_state *st, struct args *a, struct results *r)
{
	struct mb_ops_module *m;
	int rc = module_only_arg(st, a, &m);
	if (rc != MB_OPS_OK)
		return rc;
	if (m->placed)
		return MB_OPS_BUSY;
	if (!m->laid_out)
		return MB_OPS_NOT_LAID_OUT;
	struct mb_place_err perr;
	if (mb_place_module(&st->place, &m->lay, m->alloc, &perr) != 0) {
		put(r, (unsigned long)(long)perr.type);
		put(r, perr.size);
		put(r, perr.align);
		return perr.status;
	}
	m->placed = true;
	m->init_freed = false;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		const struct mb_alloc *al = &m->alloc[t];
		m->mod.mem[t].base = al->base;
		m->mod.mem[t].size = al->size;
		put(r, al->base);
		put(r, al->size);
		put(r, al->arena ? al->arena->base : 0);
		put(r, al->arena ? al->arena->size : 0);
		put_bool(r, al->arena && al->arena_created);
	}
	return MB_OPS_OK;
}

static int op_insert(struct mb_ops_state *st, struct args *a, struct results *r)
{
	struct mb_ops_module *m;
	int rc = module_only_arg(st, a, &m);
	if (rc != MB_OPS_OK)
		return rc;
	if (!m->placed)
		return MB_OPS_NOT_PLACED;
	struct mb_lookup_err lerr;
	if (mb_lookup_insert(&st->lookup, &m->mod, &lerr) != 0) {
		put(r, (unsigned long)(long)lerr.type);
		put(r, slot_index(st, lerr.other));
		put(r, (unsigned long)(long)lerr.other_type);
		return lerr.status;
	}
	m->inserted = true;
	return MB_OPS_OK;
}

static int op_remove(struct mb_ops_state *st, struct args *a, bool init_only)
{
	struct mb_ops_module *m;
	int rc = module_only_arg(st, a, &m);
	if (rc != MB_OPS_OK)
		return rc;
	if (init_only) {
		mb_lookup_remove_init(&st->lookup, &m->mod);
	} else {
		mb_lookup_remove(&st->lookup, &m->mod);
		m->inserted = false;
	}
	return MB_OPS_OK;
}

static int op_free(struct mb_ops_state *st, struct args *a, struct results *r, bool init_only)
{
	struct mb_ops_module *m;
	int rc = module_only_arg(st, a, &m);
	if (rc != MB_OPS_OK)
		return rc;
	if (!m->placed)
		return MB_OPS_NOT_PLACED;
	if (init_only) {
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (mod_mem_type_is_init(t))
				put_bool(r, !m->init_freed && mb_place_free(&st->place, &m->alloc[t]));
		m->init_freed = true;
		return MB_OPS_OK;
	}
	if (m->inserted)
		return MB_OPS_BUSY;
	mb_place_free_module(&st->place, m->alloc);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		bool freed_before = mod_mem_type_is_init(t) && m->init_freed;
		put_bool(r, !freed_before && m->alloc[t].arena_released);
		m->mod.mem[t].base = 0;
		m->mod.mem[t].size = 0;
	}
	m->placed = false;
	m->init_freed = false;
	return MB_OPS_OK;
}

static int op_state(struct mb_ops_state *st, struct args *a)
{
	struct mb_ops_module *m;
	int rc = module_arg(st, a, &m);
	unsigned long state = arg(a);
	if (rc != MB_OPS_OK)
		return rc;
	if (!args_ok(a) || state > MB_MODULE_UNFORMED)
		return MB_OPS_BAD_ARGS;
	m->mod.state = (enum mb_module_state)state;
	return MB_OPS_OK;
}

static int op_lookup(struct mb_ops_state *st, struct args *a, struct results *r)
{
	unsigned long addr = arg(a);
	if (!st->ready)
		return MB_OPS_NOT_READY;
	if (!args_ok(a))
		return MB_OPS_BAD_ARGS;
	bool in_bounds = mb_lookup_in_bounds(&st->lookup, addr);
	int type = MOD_INVALID;
	struct mb_module *mod = mb_module_address(&st->lookup, addr, &type);
	struct mb_module *text = mb_module_text_address(&st->lookup, addr);
	unsigned long flags = in_bounds ? MB_OPS_IN_BOUNDS : 0;
	if (mod && mb_within_module_core(addr, mod))
		flags |= MB_OPS_IN_CORE;
	if (mod && mb_within_module_init(addr, mod))
		flags |= MB_OPS_IN_INIT;
	put(r, slot_index(st, mod));
	put(r, mod ? (unsigned long)(long)type : ~0UL);
	put(r, slot_index(st, text));
	put(r, flags);
	return MB_OPS_OK;
}

static int op_stats(struct mb_ops_state *st, struct args *a, struct results *r)
{
	if (!st->ready)
		return MB_OPS_NOT_READY;
	if (!args_ok(a))
		return MB_OPS_BAD_ARGS;
	const struct mb_lookup *lk = &st->lookup;
	/* Counters are 64-bit in the core; a stream never runs 2^32 lookups. */
	put(r, (unsigned long)lk->stats.lookups);
	put(r, (unsigned long)lk->stats.fast_rejects);
	put(r, (unsigned long)lk->stats.tree_searches);
	put(r, (unsigned long)lk->stats.tree_misses);
	put(r, lk->addr_min);
	put_saturated(r, lk->addr_max);
	put(r, lk->data_addr_min);
	put_saturated(r, lk->data_addr_max);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		put(r, lk->pair[t].min);
		put(r, lk->pair[t].last);
	}
	put(r, lk->nnodes);
	return MB_OPS_OK;
}

static int dispatch(struct mb_ops_state *st, unsigned op, struct args *a, struct results *r)
{
	switch (op) {
	case MB_OP_RESET: return op_reset(st, a, r);
	case MB_OP_LAYOUT: return op_layout(st, a, r);
	case MB_OP_SIZES: return op_sizes(st, a, r);
	case MB_OP_PLACE: return op_place(st, a, r);
	case MB_OP_INSERT: return op_insert(st, a, r);
	case MB_OP_REMOVE: return op_remove(st, a, false);
	case MB_OP_REMOVE_INIT: return op_remove(st, a, true);
	case MB_OP_FREE: return op_free(st, a, r, false);
	case MB_OP_FREE_INIT: return op_free(st, a, r, true);
	case MB_OP_STATE: return op_state(st, a);
	case MB_OP_LOOKUP: return op_lookup(st, a, r);
	case MB_OP_STATS: return op_stats(st, a, r);
	default: return MB_OPS_BAD_ARGS;
	}
}

int mb_ops_step(struct mb_ops_state *st, struct mb_opfmt f, const uint8_t *op, unsigned long avail,
		uint8_t *res, unsigned long res_avail, unsigned long *op_bytes,
		unsigned long *res_bytes)
{
	*op_bytes = *res_bytes = 0;
	if (res_avail < (unsigned long)MB_OPS_MAX_RESULT_WORDS * f.width)
		return -1;
	struct results r = { res + f.width, 0, f, false };
	struct mb_oprec h = { 0, 0, 0, 0 };
	int status;
	if (avail < f.width) {
		status = MB_OPS_BAD_ARGS;
	} else {
		bool wide = false;
		h = mb_op_header(mb_opword_get(op, f, &wide));
		if (wide || h.nwords > (avail - f.width) / f.width) {
			status = MB_OPS_BAD_ARGS;
		} else {
			struct args a = { op + f.width, h.nwords, f, false };
			status = dispatch(st, h.op, &a, &r);
			*op_bytes = (1ul + h.nwords) * f.width;
		}
	}
	/* A failed operation reports only its error values; a malformed one none. */
	if (status == MB_OPS_BAD_ARGS || status == MB_OPS_BAD_SLOT || status == MB_OPS_NOT_READY)
		r.n = 0;
	mb_opword_put(res, f, mb_result_header_word(h.op, r.n, (unsigned)status,
						     r.too_wide ? MB_OPS_FLAG_TOO_WIDE : 0));
	*res_bytes = (1ul + r.n) * f.width;
	return status;
}

long mb_ops_run(struct mb_ops_state *st, const uint8_t *ops, unsigned long len, uint8_t *res,
		unsigned long cap)
{
	struct mb_opfmt f;
	if (len < MB_OPSTREAM_HDR_BYTES || cap < MB_OPSTREAM_HDR_BYTES || !mb_ophdr_get(ops, &f) ||
	    !mb_opfmt_usable(f))
		return MB_OPS_RUN_BAD_HEADER;
	mb_ophdr_put(res, f);
	unsigned long in = MB_OPSTREAM_HDR_BYTES, out = MB_OPSTREAM_HDR_BYTES;
	while (len - in >= f.width) {
		unsigned long used, written;
		int status = mb_ops_step(st, f, ops + in, len - in, res + out, cap - out, &used, &written);
		if (status < 0)
			return MB_OPS_RUN_RESULTS_FULL;
		out += written;
		if (used == 0)
			return MB_OPS_RUN_BAD_RECORD;
		in += used;
	}
	return (long)out;
}
