#include "harness/debug/trace.h"

#include "arch/cpu.h"
#include "arch/debug.h"
#include "harness/debug/disasm.h"
#include "harness/debug/trace_mem.h"
#include "harness/machine/emu.h"
#include "harness/util/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define MAX_TRACED 48

struct mb_trace {
	struct mb_machine *m;
	struct mb_disasm *d;
	const struct mb_arch *arch;
	const struct mb_debug_ops *dbg;
	struct mb_trace_opts o;
	uc_engine *uc;

	/* Traced registers: ids, names (indexes into dbg->regs). */
	int ids[MAX_TRACED];
	size_t idx[MAX_TRACED];
	size_t ntraced;
	uint64_t before[MAX_TRACED], now[MAX_TRACED];
	void *ptrs[MAX_TRACED];
	const char *names[MAX_TRACED];
	size_t name_len[MAX_TRACED];
	uint64_t mask[MAX_TRACED];   /* the register's width */
	bool narrow;                 /* some register is narrower than 64 bits */

	bool active;          /* between --start and --stop */
	bool stop_seen;

	/* The previous instruction: its flow decides the call/return events
	 * once the next pc is known, and its line waits for register values. */
	const struct mb_insn *prev;
	bool prev_pending;    /* its line is still to be written */

	struct mb_frame *frames;
	uint64_t *ret_addrs;
	size_t nframes, cap;
	uint64_t lines;
	int pad_sym;

	bool mem_on;                 /* --mem: accesses collected per instruction */
	struct mb_trace_mem mem;

	/* Per-address line prefixes (see cached_prefix). */
	struct line_slot *slots;
	size_t nslots, nlines;
	char *arena;
	size_t arena_len, arena_cap;
};

static int digits(const struct mb_trace *t)
{
	return t->arch->ptr_bytes * 2;
}

void mb_trace_parse_filter(const char *filter, char *buf, size_t len, struct mb_trace_opts *opts)
{
	opts->module = opts->func = NULL;
	if (filter == NULL || *filter == '\0')
		return;
	snprintf(buf, len, "%s", filter);
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		opts->func = colon[1] ? colon + 1 : NULL;
	}
	opts->module = buf;
}

int mb_trace_open(struct mb_trace **out, struct mb_machine *m, struct mb_disasm *d,
		  const struct mb_trace_opts *opts, struct mb_err *err)
{
	const struct mb_arch *arch = mb_machine_arch(m);
	if (arch->debug == NULL)
		return mb_fail(err, NULL, NULL, "%s: no trace data for this arch", arch->name);
	struct mb_trace *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return mb_fail(err, NULL, NULL, "out of memory for the tracer");
	t->m = m;
	t->d = d;
	t->arch = arch;
	t->dbg = arch->debug;
	t->o = *opts;
	if (t->o.call_args == 0)
		t->o.call_args = 4;
	t->uc = (uc_engine *)mb_machine_uc(m);
	for (size_t i = 0; i < t->dbg->nregs && t->ntraced < MAX_TRACED; i++) {
		if (!t->dbg->regs[i].traced || t->dbg->regs[i].uc_reg < 0)
			continue;
		t->ids[t->ntraced] = t->dbg->regs[i].uc_reg;
		t->idx[t->ntraced] = i;
		t->ptrs[t->ntraced] = &t->now[t->ntraced];
		t->names[t->ntraced] = t->dbg->regs[i].name;
		t->name_len[t->ntraced] = strlen(t->dbg->regs[i].name);
		unsigned bits = t->dbg->regs[i].bits;
		t->mask[t->ntraced] = bits < 64 ? (1ull << bits) - 1 : UINT64_MAX;
		t->narrow |= bits < 64;
		t->ntraced++;
	}
	t->pad_sym = 34;
	if (t->o.mem && t->o.out && !t->o.calls_only) {
		if (mb_trace_mem_open(&t->mem, t->uc, arch->big_endian) != 0) {
			free(t);
			return mb_fail(err, NULL, NULL, "cannot hook %s memory accesses", arch->name);
		}
		t->mem_on = true;
	}
	*out = t;
	return 0;
}

/* Current values of the traced registers into t->now. Unicorn writes
 * the register's width only (e.g. 4 bytes of a 32-bit register): the rest
 * of the slot is cleared first, then masked. */
static void snapshot(struct mb_trace *t)
{
	if (t->narrow)
		memset(t->now, 0, sizeof(t->now[0]) * t->ntraced);
	uc_reg_read_batch(t->uc, t->ids, t->ptrs, (int)t->ntraced);
	if (t->narrow)
		for (size_t i = 0; i < t->ntraced; i++)
			t->now[i] &= t->mask[i];
}

static bool sym_matches(const struct mb_trace *t, const char *sym, bool entry_only)
{
	if (t->o.module == NULL)
		return true;
	size_t ml = strlen(t->o.module);
	if (strncmp(sym, t->o.module, ml) != 0 || sym[ml] != ':')
		return false;
	if (t->o.func == NULL)
		return true;
	const char *f = sym + ml + 1;
	size_t fl = strlen(t->o.func);
	if (strncmp(f, t->o.func, fl) != 0)
		return false;
	return f[fl] == '\0' || (!entry_only && f[fl] == '+');
}

/* The part of an instruction's line that never changes (address, symbol,
 * bytes, text; in JSON up to the opening of "regs"), formatted on first
 * use and kept per address: a trace line then costs one lookup, a copy and
 * the register changes, not a printf of every field. */
struct line_slot {
	uint64_t pc;
	uint32_t off, len;  /* in the arena; len 0: empty slot */
};

static const char *cached_prefix(struct mb_trace *t, const struct mb_insn *in, size_t *len)
{
	if ((t->nlines + 1) * 2 > t->nslots) {
		size_t n = t->nslots ? t->nslots * 2 : 4096;
		struct line_slot *ns = calloc(n, sizeof(*ns));
		if (ns == NULL)
			return NULL;
		for (size_t i = 0; i < t->nslots; i++) {
			if (t->slots[i].len == 0)
				continue;
			size_t k = (size_t)(t->slots[i].pc * 0x9e3779b97f4a7c15ull >> 20) & (n - 1);
			while (ns[k].len)
				k = (k + 1) & (n - 1);
			ns[k] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->nslots = n;
	}
	size_t mask = t->nslots - 1;
	size_t k = (size_t)(in->addr * 0x9e3779b97f4a7c15ull >> 20) & mask;
	for (; t->slots[k].len; k = (k + 1) & mask)
		if (t->slots[k].pc == in->addr) {
			*len = t->slots[k].len;
			return t->arena + t->slots[k].off;
		}
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);
	if (m == NULL)
		return NULL;
	char hex[64];
	mb_insn_hex(in, hex, sizeof(hex));
	if (t->o.jsonl) {
		/* Written whole by the JSON writer (one place for escaping), then
		 * cut after `"regs":{`. */
		struct mb_json j;
		mb_json_init(&j, m, false);
		mb_json_object(&j, NULL);
		mb_json_hex(&j, "pc", in->addr);
		mb_json_str(&j, "sym", in->sym);
		mb_json_str(&j, "bytes", hex);
		mb_json_str(&j, "insn", in->text);
		if (in->note)
			mb_json_str(&j, "note", in->note);
		mb_json_object(&j, "regs");
		mb_json_end(&j);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		fprintf(m, "%0*" PRIx64 "  %-*s %-*s %-32s", digits(t), in->addr, t->pad_sym, in->sym,
			t->dbg->insn_max > 4 ? 21 : 12, hex, in->text);
	}
	fclose(m);
	if (t->o.jsonl) {
		if (blen < 4 || strcmp(buf + blen - 4, "{}}\n") != 0) {
			free(buf);
			return NULL;
		}
		blen -= 3;
	}
	if (t->arena_len + blen > t->arena_cap) {
		size_t cap = (t->arena_cap ? t->arena_cap * 2 : 1 << 16) + blen;
		char *a = realloc(t->arena, cap);
		if (a == NULL) {
			free(buf);
			return NULL;
		}
		t->arena = a;
		t->arena_cap = cap;
	}
	memcpy(t->arena + t->arena_len, buf, blen);
	free(buf);
	t->slots[k] = (struct line_slot){ in->addr, (uint32_t)t->arena_len, (uint32_t)blen };
	t->arena_len += blen;
	t->nlines++;
	*len = blen;
	return t->arena + t->slots[k].off;
}

/* One line, built whole and written with one unlocked fwrite (the stream
 * is this thread's; a line costs a copy of its cached prefix and the
 * register changes, no formatting call per field). */
static void write_insn_line(struct mb_trace *t, const struct mb_insn *in, bool have_after)
{
	FILE *f = t->o.out;
	size_t plen;
	const char *prefix = cached_prefix(t, in, &plen);
	if (prefix == NULL)
		return;
	/* Changes: at most MAX_TRACED of " name=0x" + 16 digits (JSON: quoted),
	 * then the note or the JSON's end. */
	char buf[4096 + MAX_TRACED * 40 + MB_TRACE_MEM_BYTES + 128], *p = buf;
	if (plen > 4096) {
		fwrite_unlocked(prefix, 1, plen, f);
	} else {
		memcpy(p, prefix, plen);
		p += plen;
	}
	bool first = true;
	for (size_t i = 0; have_after && i < t->ntraced; i++) {
		if (t->now[i] == t->before[i])
			continue;
		const char *name = t->names[i];
		size_t nl = t->name_len[i];
		if (t->o.jsonl) {
			if (!first)
				*p++ = ',';
			*p++ = '"';
			memcpy(p, name, nl);
			p += nl;
			memcpy(p, "\":\"", 3);
			p = mb_trace_put_hex(p + 3, t->now[i]);
			*p++ = '"';
		} else {
			*p++ = ' ';
			memcpy(p, name, nl);
			p += nl;
			*p++ = '=';
			p = mb_trace_put_hex(p, t->now[i]);
		}
		first = false;
	}
	if (t->o.jsonl)
		*p++ = '}';
	if (t->mem_on)
		p = mb_trace_mem_put(&t->mem, p, t->o.jsonl);
	if (t->o.jsonl) {
		memcpy(p, "}\n", 2);
		p += 2;
	} else if (in->note) {
		fwrite_unlocked(buf, 1, (size_t)(p - buf), f);
		fprintf(f, "  ; %s\n", in->note);
		t->lines++;
		return;
	} else {
		*p++ = '\n';
	}
	fwrite_unlocked(buf, 1, (size_t)(p - buf), f);
	t->lines++;
}

static bool push_frame(struct mb_trace *t, uint64_t func, uint64_t site, uint64_t ret)
{
	if (t->nframes == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct mb_frame *f = realloc(t->frames, cap * sizeof(*f));
		if (f == NULL)
			return false;
		t->frames = f;
		uint64_t *r = realloc(t->ret_addrs, cap * sizeof(*r));
		if (r == NULL)
			return false;
		t->ret_addrs = r;
		t->cap = cap;
	}
	t->frames[t->nframes] = (struct mb_frame){ func, site };
	t->ret_addrs[t->nframes] = ret;
	t->nframes++;
	return true;
}

static void arg_values(struct mb_trace *t, uint64_t *v, unsigned n)
{
	const struct mb_cpu_ops *c = t->arch->cpu;
	for (unsigned i = 0; i < n; i++)
		mb_cpu_reg_read(t->uc, c, c->arg_regs[i], &v[i]);
}

/* The symbol of a code address, from the decode cache (one symbolization
 * per address, not one per call event). */
static void code_sym(struct mb_trace *t, uint64_t addr, char *buf, size_t len, bool strip_zero)
{
	const struct mb_insn *in = mb_disasm_machine(t->d, t->m, addr, 0);
	if (in)
		snprintf(buf, len, "%s", in->sym);
	else
		mb_machine_symbolize(t->m, addr, buf, len);
	char *plus = strip_zero ? strstr(buf, "+0x0") : NULL;
	if (plus && plus[4] == '\0')
		*plus = '\0';
}

/* The symbol a call or return event of func shows; false when the trace
 * is inactive or its filter leaves the event out. */
static bool frame_event_sym(struct mb_trace *t, uint64_t func, char *sym, size_t len)
{
	if (!t->active)
		return false;
	code_sym(t, func, sym, len, true);
	return sym_matches(t, sym, true);
}

/* Opens a JSON line {"event": EVENT, "depth": DEPTH, ...} for a frame event. */
static void json_frame_event(struct mb_json *j, FILE *f, const char *event, int depth)
{
	mb_json_init(j, f, false);
	mb_json_object(j, NULL);
	mb_json_str(j, "event", event);
	mb_json_u64(j, "depth", (uint64_t)depth);
}

static void write_call(struct mb_trace *t, uint64_t func, uint64_t site, const uint64_t *args, unsigned nargs,
		       bool tail)
{
	char sym[MB_SYM_LEN], from[MB_SYM_LEN];
	if (!frame_event_sym(t, func, sym, sizeof(sym)))
		return;
	FILE *f = t->o.out;
	int depth = (int)t->nframes - 1;
	if (site)
		code_sym(t, site, from, sizeof(from), false);
	if (t->o.jsonl) {
		struct mb_json j;
		json_frame_event(&j, f, "call", depth);
		mb_json_hex(&j, "func", func);
		mb_json_str(&j, "sym", sym);
		mb_json_array(&j, "args");
		for (unsigned i = 0; i < nargs; i++)
			mb_json_hex(&j, NULL, args[i]);
		mb_json_end(&j);
		if (site)
			mb_json_str(&j, "from", from);
		if (tail)
			mb_json_bool(&j, "tail", true);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		fprintf(f, "%*s-> %s(", 2 * depth, "", sym);
		for (unsigned i = 0; i < nargs; i++)
			fprintf(f, "%s0x%" PRIx64, i ? ", " : "", args[i]);
		fputc(')', f);
		if (site)
			fprintf(f, "  %sfrom %s", tail ? "tail call " : "", from);
		fputc('\n', f);
	}
	t->lines++;
}

static void write_ret(struct mb_trace *t, uint64_t func, uint64_t value)
{
	char sym[MB_SYM_LEN];
	if (!frame_event_sym(t, func, sym, sizeof(sym)))
		return;
	FILE *f = t->o.out;
	int depth = (int)t->nframes - 1;
	if (t->o.jsonl) {
		struct mb_json j;
		json_frame_event(&j, f, "ret", depth);
		mb_json_str(&j, "sym", sym);
		mb_json_hex(&j, "ret", value);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		fprintf(f, "%*s<- %s = 0x%" PRIx64 "\n", 2 * depth, "", sym, value);
	}
	t->lines++;
}

static uint64_t ret_value(struct mb_trace *t)
{
	uint64_t v;
	mb_cpu_reg_read(t->uc, t->arch->cpu, t->arch->cpu->reg_ret, &v);
	return v;
}

/* A jump to the first instruction of another function is a tail call (and
 * how x86 indirect-call thunks reach the callee): the frame now runs that
 * function and returns its value. A jump to a function that only returns
 * (x86's __x86_return_thunk) is the frame's own return, not a call. */
static void tail_call(struct mb_trace *t, const struct mb_insn *p, uint64_t pc)
{
	if (t->nframes == 0 || pc == t->frames[t->nframes - 1].func)
		return;
	struct mb_frame *top = &t->frames[t->nframes - 1];
	const struct mb_insn *to = mb_disasm_machine(t->d, t->m, pc, 0);
	size_t n = to ? strlen(to->sym) : 0;
	if (to == NULL || to->flow == MB_FLOW_RET || n < 4 || strcmp(to->sym + n - 4, "+0x0") != 0)
		return;
	top->func = pc;
	if (t->o.calls_only && t->o.out) {
		uint64_t args[MB_CPU_MAX_ARG_REGS];
		unsigned na = t->o.call_args < t->arch->cpu->narg_regs ? t->o.call_args : t->arch->cpu->narg_regs;
		arg_values(t, args, na);
		write_call(t, pc, p->addr, args, na, true);
	}
}

/* The previous instruction's control flow, now that the next pc is known.
 * A call is a linking branch that went somewhere else than the next
 * instruction; a return is one that landed on a return address the stack
 * holds (so conditional returns not taken, and longjmp-like unwinds, are
 * handled). */
static void settle_flow(struct mb_trace *t, uint64_t pc)
{
	const struct mb_insn *p = t->prev;
	if (p == NULL)
		return;
	if (p->flow == MB_FLOW_CALL && pc != p->addr + p->size) {
		push_frame(t, pc, p->addr, p->addr + p->size);
		if (t->o.calls_only && t->o.out) {
			uint64_t args[MB_CPU_MAX_ARG_REGS];
			unsigned n = t->o.call_args < t->arch->cpu->narg_regs ? t->o.call_args : t->arch->cpu->narg_regs;
			arg_values(t, args, n);
			write_call(t, pc, p->addr, args, n, false);
		}
	} else if (p->flow == MB_FLOW_RET || p->flow == MB_FLOW_JUMP) {
		/* x86 `ret` pops; arm64/ppc return through lr; some code returns
		 * with a plain indirect jump: match the address, not the opcode. */
		for (size_t k = t->nframes; k-- > 1;) {
			if (t->ret_addrs[k] != pc)
				continue;
			while (t->nframes > k) {
				if (t->o.calls_only && t->o.out)
					write_ret(t, t->frames[t->nframes - 1].func, ret_value(t));
				t->nframes--;
			}
			return;
		}
		if (p->flow == MB_FLOW_JUMP)
			tail_call(t, p, pc);
	}
}

static void observe(void *ctx, struct mb_machine *m, uint64_t pc, uint32_t size)
{
	struct mb_trace *t = ctx;
	settle_flow(t, pc);
	bool lines = t->o.out && !t->o.calls_only;
	t->mem.collecting = false;
	if (lines && t->prev_pending) {
		snapshot(t);
		write_insn_line(t, t->prev, true);
		memcpy(t->before, t->now, sizeof(t->now[0]) * t->ntraced);
		t->prev_pending = false;
	} else {
		t->prev_pending = false;
	}
	if (t->o.has_start && pc == t->o.start && !t->stop_seen)
		t->active = true;
	bool was_active = t->active;
	if (t->o.has_stop && pc == t->o.stop) {
		t->active = false;
		t->stop_seen = true;
	}
	const struct mb_insn *in = mb_disasm_machine(t->d, m, pc, size);
	t->prev = in;
	if (in == NULL || !lines || !was_active || !sym_matches(t, in->sym, false))
		return;
	if (!t->prev_pending) {
		snapshot(t);
		memcpy(t->before, t->now, sizeof(t->now[0]) * t->ntraced);
	}
	t->prev_pending = true;
	t->mem.collecting = t->mem_on;
}

void mb_trace_call_begin(struct mb_trace *t, uint64_t func, const uint64_t *args,
			 unsigned nargs)
{
	t->nframes = 0;
	t->prev = NULL;
	t->prev_pending = false;
	t->active = !t->o.has_start;
	t->stop_seen = false;
	push_frame(t, func, 0, 0);
	if (t->o.calls_only && t->o.out) {
		/* As the registers hold them: nested calls print register values,
		 * so a 32-bit target's -5 is 0xfffffffb at every depth. */
		uint64_t regs[16];
		uint64_t mask = t->arch->ptr_bytes == 8 ? UINT64_MAX : UINT32_MAX;
		nargs = nargs < 16 ? nargs : 16;
		for (unsigned i = 0; i < nargs; i++)
			regs[i] = args[i] & mask;
		write_call(t, func, 0, regs, nargs, false);
	}
	mb_machine_add_observer(t->m, observe, t);
}

void mb_trace_call_end(struct mb_trace *t, const struct mb_call_result *res)
{
	mb_machine_remove_observer(t->m, observe, t);
	if (!res->faulted) {
		/* The last instruction returned to the host sentinel, which never
		 * runs: write its line and close the frames it left. */
		if (t->o.out && !t->o.calls_only && t->prev_pending) {
			snapshot(t);
			write_insn_line(t, t->prev, true);
		}
		while (t->nframes > 0) {
			if (t->o.calls_only && t->o.out)
				write_ret(t, t->frames[t->nframes - 1].func, res->ret);
			t->nframes--;
		}
	} else if (t->o.out && !t->o.calls_only && t->prev_pending) {
		/* The faulting instruction did not complete: no register changes. */
		write_insn_line(t, t->prev, false);
	}
	t->prev_pending = false;
	t->mem.collecting = false;
	t->mem.n = t->mem.more = 0;
	if (t->o.out)
		fflush(t->o.out);
}

size_t mb_trace_backtrace(const struct mb_trace *t, struct mb_frame *out, size_t max)
{
	size_t n = 0;
	for (size_t k = t->nframes; k-- > 0 && n < max;)
		out[n++] = t->frames[k];
	return n;
}

uint64_t mb_trace_lines(const struct mb_trace *t)
{
	return t->lines;
}

void mb_trace_close(struct mb_trace *t)
{
	if (t == NULL)
		return;
	mb_machine_remove_observer(t->m, observe, t);
	if (t->mem_on)
		mb_trace_mem_close(&t->mem);
	free(t->frames);
	free(t->ret_addrs);
	free(t->slots);
	free(t->arena);
	free(t);
}
