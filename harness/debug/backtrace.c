#include "harness/debug/backtrace.h"

#include "arch/arch.h"
#include "arch/cpu.h"
#include "arch/debug.h"
#include "harness/debug/disasm.h"
#include "harness/machine/emu.h"
#include "harness/util/json.h"
#include "harness/load/loader.h"
#include "harness/debug/trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint64_t load(const uint8_t *p, unsigned n, bool be)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (be ? 8 * (n - 1 - i) : 8 * i);
	return v;
}

/* A NUL-terminated guest string, read in small pieces so that one near the
 * end of a mapping is still found. */
static void read_string(struct mb_machine *m, uint64_t addr, char *out, size_t len)
{
	struct mb_err err;
	size_t n = 0;
	while (n + 1 < len && mb_machine_read(m, addr + n, out + n, 1, &err) == 0 && out[n])
		n++;
	out[n] = '\0';
}

size_t mb_bug_table(struct mb_machine *m, const struct mb_loaded_module *mod,
		    bool (*fn)(void *ctx, const struct mb_bug_entry *e), void *ctx)
{
	const struct mb_arch *arch = mb_machine_arch(m);
	const struct mb_debug_ops *d = arch->debug;
	bool be = arch->big_endian;
	uint64_t mask = arch->ptr_bytes == 8 ? UINT64_MAX : 0xffffffffull;
	size_t n = 0;
	for (size_t i = 0; i < mod->nsections; i++) {
		const struct mb_placed_section *s = &mod->sections[i];
		if (s->name == NULL || strcmp(s->name, "__bug_table") != 0)
			continue;
		for (uint64_t off = 0; off + d->bug_entry_size <= s->size; off += d->bug_entry_size) {
			uint8_t e[16];
			struct mb_err err;
			uint64_t ea = s->addr + off;
			if (mb_machine_read(m, ea, e, d->bug_entry_size, &err) != 0)
				return n;
			struct mb_bug_entry b = { .addr = ea };
			if (d->bug_relative) {
				b.bug_addr = ea + (uint64_t)(int64_t)(int32_t)load(e, 4, be);
				b.file_addr = ea + 4 + (uint64_t)(int64_t)(int32_t)load(e + 4, 4, be);
			} else {
				b.bug_addr = load(e, arch->ptr_bytes, be);
				b.file_addr = load(e + arch->ptr_bytes, arch->ptr_bytes, be);
			}
			b.bug_addr &= mask;
			b.file_addr &= mask;
			unsigned at = d->bug_relative ? 8 : 2u * arch->ptr_bytes;
			b.line = (unsigned)load(e + at, 2, be);
			b.flags = (unsigned)load(e + at + 2, 2, be);
			n++;
			if (fn && !fn(ctx, &b))
				return n;
		}
	}
	return n;
}

struct bug_query {
	uint64_t pc;
	bool found;
	struct mb_bug_entry e;
};

static bool bug_at_pc(void *ctx, const struct mb_bug_entry *e)
{
	struct bug_query *q = ctx;
	if (e->bug_addr != q->pc)
		return true;
	q->found = true;
	q->e = *e;
	return false;
}

bool mb_bug_find(struct mb_machine *m, const struct mb_loader *l, uint64_t pc, char *file, size_t len,
		 unsigned *line, unsigned *flags)
{
	const struct mb_arch *arch = mb_machine_arch(m);
	struct bug_query q = { .pc = arch->ptr_bytes == 8 ? pc : pc & 0xffffffffull };
	for (const struct mb_loaded_module *mod = l ? l->modules : NULL; mod && !q.found; mod = mod->next)
		mb_bug_table(m, mod, bug_at_pc, &q);
	if (!q.found)
		return false;
	*line = q.e.line;
	*flags = q.e.flags;
	mb_bug_file(m, &q.e, file, len);
	return true;
}

void mb_bug_file(struct mb_machine *m, const struct mb_bug_entry *e, char *file, size_t len)
{
	read_string(m, e->file_addr, file, len);
}

void mb_fault_context_fill(struct mb_fault_context *ctx, const struct mb_fault *f, struct mb_machine *m,
			   const struct mb_trace *t, const struct mb_loader *l)
{
	memset(ctx, 0, sizeof(*ctx));
	const struct mb_arch *arch = mb_machine_arch(m);
	const struct mb_debug_ops *d = arch->debug;
	if (d == NULL)
		return;
	ctx->valid = true;
	for (size_t i = 0; i < d->nregs && i < MB_FAULT_MAX_REGS; i++) {
		uint64_t v = 0;
		if (d->regs[i].uc_reg >= 0 && d->regs[i].bits <= 64)
			mb_cpu_reg_read(mb_machine_uc(m), arch->cpu, d->regs[i].uc_reg, &v);
		if (d->regs[i].bits < 64)
			v &= (1ull << d->regs[i].bits) - 1;
		ctx->regs[i] = v;
		ctx->nregs = (unsigned)i + 1;
	}
	if (d->pc_index < ctx->nregs)
		ctx->regs[d->pc_index] = f->pc;
	if (t) {
		struct mb_frame fr[MB_FAULT_MAX_FRAMES + 1];
		size_t n = mb_trace_backtrace(t, fr, MB_FAULT_MAX_FRAMES + 1);
		ctx->has_backtrace = true;
		ctx->frames_truncated = n > MB_FAULT_MAX_FRAMES;
		for (size_t i = 0; i < n && i < MB_FAULT_MAX_FRAMES; i++) {
			ctx->frame_func[i] = fr[i].func;
			ctx->frame_site[i] = fr[i].call_site;
			ctx->nframes = (unsigned)i + 1;
		}
	}
	unsigned line = 0, flags = 0;
	if (f->kind == MB_FAULT_TRAP && mb_bug_find(m, l, f->pc, ctx->bug_file, sizeof(ctx->bug_file), &line, &flags)) {
		ctx->has_bug = true;
		ctx->bug_line = line;
		ctx->bug_warning = flags & BUGFLAG_WARNING;
	}
}

static struct mb_disasm *own_disasm(struct mb_machine *m, struct mb_disasm *d, struct mb_disasm **owned)
{
	*owned = NULL;
	if (d)
		return d;
	struct mb_err err;
	if (mb_disasm_open(owned, mb_machine_arch(m), &err) != 0)
		return NULL;
	return *owned;
}

static void insn_line(FILE *out, struct mb_machine *m, struct mb_disasm *d, uint64_t pc, bool mark)
{
	const struct mb_arch *arch = mb_machine_arch(m);
	const struct mb_insn *in = d ? mb_disasm_machine(d, m, pc, 0) : NULL;
	if (in == NULL) {
		char sym[MB_SYM_LEN];
		mb_machine_symbolize(m, pc, sym, sizeof(sym));
		fprintf(out, " %s %0*" PRIx64 "  %s  (not readable)\n", mark ? "=>" : "  ", arch->ptr_bytes * 2, pc, sym);
		return;
	}
	char hex[64];
	mb_insn_hex(in, hex, sizeof(hex));
	fprintf(out, " %s %0*" PRIx64 "  %-34s %-*s %s%s%s\n", mark ? "=>" : "  ", arch->ptr_bytes * 2, pc, in->sym,
		arch->debug->insn_max > 4 ? 21 : 12, hex, in->text, in->note ? "  ; " : "", in->note ? in->note : "");
}

/* The kernel's "Code:" line: the bytes around the faulting instruction,
 * the instruction's first unit in <>, so scripts/decodecode can be fed it.
 * Units are bytes on x86, instruction words on fixed-width ISAs. */
static void code_line(FILE *out, struct mb_machine *m, uint64_t pc)
{
	const struct mb_arch *arch = mb_machine_arch(m);
	unsigned unit = arch->cpu->insn_align > 1 ? arch->cpu->insn_align : 1;
	unsigned before = unit == 1 ? 21 : 4, after = unit == 1 ? 21 : 4;
	fputs("Code:", out);
	for (int64_t k = -(int64_t)before; k <= (int64_t)after; k++) {
		uint8_t b[8];
		struct mb_err err;
		uint64_t a = pc + (uint64_t)(k * (int64_t)unit);
		if (mb_machine_read(m, a, b, unit, &err) != 0) {
			if (k >= 0)
				break;
			continue;
		}
		uint64_t v = load(b, unit, arch->big_endian);
		fprintf(out, k == 0 ? " <%0*" PRIx64 ">" : " %0*" PRIx64, (int)unit * 2, v);
	}
	fputc('\n', out);
}

void mb_oops_print(FILE *out, const struct mb_fault *f, struct mb_machine *m, struct mb_disasm *d)
{
	const struct mb_fault_context *ctx = &f->ctx;
	const struct mb_arch *arch = mb_machine_arch(m);
	const struct mb_debug_ops *dbg = arch->debug;
	struct mb_disasm *owned;
	d = own_disasm(m, d, &owned);
	int w = arch->ptr_bytes * 2;
	fprintf(out, "------------[ cut here ]------------\n");
	if (ctx && ctx->has_bug) {
		if (ctx->bug_warning)
			fprintf(out, "WARNING: at %s:%u %s\n", ctx->bug_file, ctx->bug_line, f->pc_sym);
		else
			fprintf(out, "kernel BUG at %s:%u!\n", ctx->bug_file, ctx->bug_line);
	} else {
		fprintf(out, "%s fault: %s\n", mb_fault_kind_name(f->kind), f->detail);
	}
	fprintf(out, "PC is at %s (0x%0*" PRIx64 ")\n", f->pc_sym, w, f->pc);
	if (f->has_addr)
		fprintf(out, "Address: 0x%0*" PRIx64 " %s (%s)\n", w, f->addr, f->addr_sym, f->access);
	if (ctx && ctx->valid && dbg) {
		fprintf(out, "Registers:\n");
		unsigned col = 0;
		for (unsigned i = 0; i < ctx->nregs; i++) {
			/* The registers a trace follows (GPRs, sp, flags); pc is above. */
			if (!dbg->regs[i].traced)
				continue;
			fprintf(out, "%s%6s: %0*" PRIx64, col ? " " : "", dbg->regs[i].name, (dbg->regs[i].bits + 3) / 4,
				ctx->regs[i]);
			if (++col == (arch->ptr_bytes == 8 ? 4u : 6u)) {
				fputc('\n', out);
				col = 0;
			}
		}
		if (col)
			fputc('\n', out);
	}
	if (strcmp(f->access, "fetch") != 0)
		code_line(out, m, f->pc);
	if (f->nhistory) {
		fprintf(out, "Last %u instructions:\n", f->nhistory);
		/* A spin (`jmp .`, `b .`) would fill the whole history with one
		 * line: print a run of the same pc once, with its count. */
		for (unsigned i = 0, run; i < f->nhistory; i += run) {
			for (run = 1; i + run < f->nhistory && f->history[i + run] == f->history[i]; run++)
				;
			unsigned last = i + run - 1;
			insn_line(out, m, d, f->history[last], last + 1 == f->nhistory && f->history[last] == f->pc);
			if (run > 1)
				fprintf(out, "    ... the line above %u times in a row\n", run);
		}
		if (f->history[f->nhistory - 1] != f->pc)
			insn_line(out, m, d, f->pc, true);
	}
	if (ctx && ctx->has_backtrace) {
		fprintf(out, "Call Trace:\n");
		fprintf(out, " [<%0*" PRIx64 ">] %s\n", w, f->pc, f->pc_sym);
		for (unsigned i = 0; i < ctx->nframes; i++) {
			if (ctx->frame_site[i] == 0)
				continue;
			char sym[MB_SYM_LEN];
			mb_machine_symbolize(m, ctx->frame_site[i], sym, sizeof(sym));
			fprintf(out, " [<%0*" PRIx64 ">] %s\n", w, ctx->frame_site[i], sym);
		}
		if (ctx->frames_truncated)
			fprintf(out, " ... (deeper frames left out)\n");
	}
	fprintf(out, "---[ end trace ]---\n");
	mb_disasm_close(owned);
}

void mb_oops_json(struct mb_json *j, const struct mb_fault *f, struct mb_machine *m, struct mb_disasm *d)
{
	const struct mb_fault_context *ctx = &f->ctx;
	const struct mb_arch *arch = mb_machine_arch(m);
	const struct mb_debug_ops *dbg = arch->debug;
	struct mb_disasm *owned;
	d = own_disasm(m, d, &owned);
	if (ctx && ctx->has_bug) {
		mb_json_object(j, "bug");
		mb_json_str(j, "kind", ctx->bug_warning ? "WARN" : "BUG");
		mb_json_str(j, "file", ctx->bug_file);
		mb_json_u64(j, "line", ctx->bug_line);
		mb_json_end(j);
	}
	if (ctx && ctx->valid && dbg) {
		mb_json_object(j, "regs");
		for (unsigned i = 0; i < ctx->nregs; i++)
			if (dbg->regs[i].uc_reg >= 0)
				mb_json_hex(j, dbg->regs[i].name, ctx->regs[i]);
		mb_json_end(j);
	}
	if (ctx && ctx->has_backtrace) {
		mb_json_array(j, "backtrace");
		char sym[MB_SYM_LEN];
		mb_json_str(j, NULL, f->pc_sym);
		for (unsigned i = 0; i < ctx->nframes; i++) {
			if (ctx->frame_site[i] == 0)
				continue;
			mb_machine_symbolize(m, ctx->frame_site[i], sym, sizeof(sym));
			mb_json_str(j, NULL, sym);
		}
		mb_json_end(j);
	}
	mb_json_array(j, "last_insns");
	for (unsigned i = 0; i < f->nhistory; i++) {
		const struct mb_insn *in = d ? mb_disasm_machine(d, m, f->history[i], 0) : NULL;
		mb_json_object(j, NULL);
		mb_json_hex(j, "pc", f->history[i]);
		if (in) {
			mb_json_str(j, "sym", in->sym);
			mb_json_str(j, "insn", in->text);
		}
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_disasm_close(owned);
}
