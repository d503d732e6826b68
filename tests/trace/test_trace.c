/* Traces and fault reports of the trace_demo module on one arch (argv[1]),
 * each checked against an independent reference:
 *   - every traced instruction's address, bytes and text against
 *     `llvm-objdump -d --adjust-vma` of the same .ko at the placed address;
 *   - return values and --calls arguments against the same recursion
 *     computed on the host;
 *   - the backtrace's call sites against the call instructions objdump shows;
 *   - BUG()/WARN() file and line against the marker lines of the source.
 * argv: ARCH MODULE.ko LLVM-OBJDUMP SOURCE.c */
#include "arch/arch.h"
#include "arch/cpu.h"
#include "arch/debug.h"
#include "harness/debug/backtrace.h"
#include "harness/debug/disasm.h"
#include "harness/session/runtime.h"
#include "harness/debug/trace.h"
#include "tests/check_main.h"

#include <check.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *arch_name, *ko, *objdump, *source;
static struct mb_runtime rt;
static struct mb_loaded_module *mod;
static struct mb_disasm *dis;

static void setup(void)
{
	struct mb_cli cli;
	memset(&cli, 0, sizeof(cli));
	cli.cmd = "trace";
	cli.arch = arch_name;
	cli.no_init = true;
	cli.paths = (const char *const[]){ ko };
	cli.npaths = 1;
	ck_assert_int_eq(mb_runtime_open(&rt, &cli), 0);
	struct mb_err err;
	ck_assert_msg(mb_runtime_load(&rt, ko, &mod, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mb_disasm_open(&dis, rt.s.arch, &err), 0);
}

static void teardown(void)
{
	mb_disasm_close(dis);
	mb_runtime_close(&rt);
}

static uint64_t sym(const char *name)
{
	uint64_t a;
	struct mb_err err;
	ck_assert_msg(mb_runtime_resolve(&rt, name, &a, &err) == 0, "%s", err.msg);
	return a;
}

static uint64_t text_base(void)
{
	for (size_t i = 0; i < mod->nsections; i++)
		if (strcmp(mod->sections[i].name, ".text") == 0)
			return mod->sections[i].addr;
	ck_abort_msg("no .text placed");
	return 0;
}

/* Runs fn(args) under a tracer with opts; returns the result. */
static struct mb_call_result traced(const char *fn, const uint64_t *args, unsigned n, struct mb_trace_opts *o)
{
	struct mb_trace *t;
	struct mb_err err;
	ck_assert_int_eq(mb_trace_open(&t, rt.m, dis, o, &err), 0);
	struct mb_call_result res;
	uint64_t f = sym(fn);
	mb_trace_call_begin(t, f, args, n);
	ck_assert_msg(mb_machine_call(rt.m, f, args, n, &rt.lim, &res, &err) == 0, "%s", err.msg);
	if (res.faulted)
		mb_fault_context_fill(&res.fault.ctx, &res.fault, rt.m, t, &rt.s.loader);
	mb_trace_call_end(t, &res);
	mb_trace_close(t);
	return res;
}

/* traced() with the trace written to *out (a malloc'd string to free). */
static struct mb_call_result traced_to_buf(const char *fn, const uint64_t *args, unsigned n,
					   struct mb_trace_opts *o, char **out)
{
	size_t len = 0;
	*out = NULL;
	o->out = open_memstream(out, &len);
	ck_assert_ptr_nonnull(o->out);
	struct mb_call_result res = traced(fn, args, n, o);
	fclose(o->out);
	o->out = NULL;
	return res;
}

/* ---- the objdump reference ---- */

struct ref_line {
	uint64_t addr;
	char bytes[64];
	char text[128];
};

static size_t objdump_lines_with(struct ref_line *out, size_t max, bool relocs, const char *extra)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s -d %s %s --adjust-vma=0x%" PRIx64 " --section=.text %s", objdump,
		 relocs ? "-r" : "", extra, text_base(), ko);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof(line), p) && n < max) {
		char *colon = strchr(line, ':');
		char *end;
		uint64_t a = strtoull(line, &end, 16);
		if (colon == NULL || end != colon || end == line)
			continue;
		/* "  addr: bytes<TAB>text" or, with -r, "  addr: R_TYPE sym" */
		char *rest = colon + 1;
		char *tab = strchr(rest, '\t');
		struct ref_line *r = &out[n];
		r->addr = a;
		if (tab == NULL) {
			r->bytes[0] = '\0';
			snprintf(r->text, sizeof(r->text), "%s", rest);
		} else {
			*tab = '\0';
			snprintf(r->bytes, sizeof(r->bytes), "%s", rest);
			snprintf(r->text, sizeof(r->text), "%s", tab + 1);
		}
		n++;
	}
	pclose(p);
	return n;
}

static size_t objdump_lines(struct ref_line *out, size_t max, bool relocs)
{
	return objdump_lines_with(out, max, relocs, "");
}

/* Whitespace collapsed, objdump's <sym> annotations dropped, and two
 * spelling differences unified: ppc's bare register numbers (llvm-objdump
 * "3", Capstone "r3") and arm64 branch targets (Capstone "#0x..."). */
static void normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;
	bool space = false;
	for (const char *p = in; *p && o + 1 < len; p++) {
		if (*p == '<') {
			while (*p && *p != '>')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p == 'r' && isdigit((unsigned char)p[1]) && (p == in || p[-1] == ' ' || p[-1] == ',' ||
								  p[-1] == '(' || p[-1] == '\t'))
			continue;
		if (*p == '#')
			continue;
		if (isdigit((unsigned char)*p) && (p == in || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
			/* numbers in one base: Capstone writes 0x6 where LLVM writes 6 */
			char *e;
			unsigned long long v = strtoull(p, &e, 0);
			if (space && o > 0 && out[o - 1] != ',' && out[o - 1] != '(' && out[o - 1] != '-')
				out[o++] = ' ';
			space = false;
			o += (size_t)snprintf(out + o, len - o, "%llu", v);
			if (o >= len)
				o = len - 1;
			p = e - 1;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			space = o > 0;
			continue;
		}
		if (space && *p != ',' && *p != ')') {
			if (!(o > 0 && (out[o - 1] == ',' || out[o - 1] == '(')))
				out[o++] = ' ';
		}
		space = false;
		out[o++] = *p;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Spellings that differ between Capstone 4 and LLVM 14 for the same
 * encoding (applied to both sides): arm64 movz is LLVM's mov; LLVM writes
 * ppc's extended branch mnemonics (GNU objdump's blt, ...) as bt/bf BI. */
static void unalias(char *s)
{
	static const char *const alias[][2] = {
		{ "movz ", "mov " },
		{ "bt 0,", "blt " }, { "bt 1,", "bgt " }, { "bt 2,", "beq " },
		{ "bf 0,", "bge " }, { "bf 1,", "ble " }, { "bf 2,", "bne " },
	};
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		size_t n = strlen(alias[i][0]);
		if (strncmp(s, alias[i][0], n) == 0) {
			memmove(s + strlen(alias[i][1]), s + n, strlen(s + n) + 1);
			memcpy(s, alias[i][1], strlen(alias[i][1]));
		}
	}
}

static void strip(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t k = 0;
	while (isspace((unsigned char)s[k]))
		k++;
	memmove(s, s + k, strlen(s + k) + 1);
}

START_TEST(trace_lines_match_objdump)
{
	static struct ref_line ref[4096];
	size_t nref = objdump_lines(ref, 4096, false);
	ck_assert_uint_gt(nref, 10);
	char *buf;
	struct mb_trace_opts o = { 0 };
	uint64_t args[] = { 3 };
	struct mb_call_result res = traced_to_buf("tr_sum", args, 1, &o, &buf);
	ck_assert(!res.faulted);
	ck_assert_uint_eq(res.ret, 3 * (1 + 2 + 3)); /* the host's arithmetic */
	size_t lines = 0, checked = 0, mismatches = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		/* "ADDR  SYM  BYTES  TEXT  reg=val..." with fixed columns */
		uint64_t a = strtoull(line, NULL, 16);
		const struct mb_insn *in = mb_disasm_machine(dis, rt.m, a, 0);
		ck_assert_ptr_nonnull(in);
		ck_assert_msg(strncmp(in->sym, "trace_demo:tr_sum", 17) == 0, "line outside tr_sum: %s", line);
		ck_assert_msg(strstr(line, in->sym) != NULL, "line lacks its symbol: %s", line);
		const struct ref_line *r = NULL;
		for (size_t k = 0; k < nref; k++)
			if (ref[k].addr == a)
				r = &ref[k];
		ck_assert_msg(r != NULL, "objdump has no instruction at %" PRIx64, a);
		char hex[64], rb[64];
		mb_insn_hex(in, hex, sizeof(hex));
		snprintf(rb, sizeof(rb), "%s", r->bytes);
		strip(rb);
		ck_assert_msg(strcmp(hex, rb) == 0, "%" PRIx64 ": bytes %s, objdump %s", a, hex, rb);
		ck_assert_msg(strstr(line, hex) != NULL, "line lacks the bytes: %s", line);
		char ours[128], theirs[128];
		normalize(in->text, ours, sizeof(ours));
		normalize(r->text, theirs, sizeof(theirs));
		unalias(ours);
		unalias(theirs);
		if (strcmp(ours, theirs) != 0) {
			fprintf(stderr, "%" PRIx64 ": '%s' vs objdump '%s'\n", a, ours, theirs);
			mismatches++;
		}
		ck_assert_msg(strstr(line, in->text) != NULL, "line lacks the text: %s", line);
		checked++;
	}
	ck_assert_uint_gt(checked, 8);
	ck_assert_uint_eq(mismatches, 0);
	/* The return value appears as a register change on some line, with the
	 * value the host computed. */
	const struct mb_cpu_ops *c = rt.s.arch->cpu;
	const struct mb_debug_ops *d = rt.s.arch->debug;
	const char *retname = NULL;
	for (size_t i = 0; i < d->nregs; i++)
		if (d->regs[i].uc_reg == c->reg_ret)
			retname = d->regs[i].name;
	ck_assert_ptr_nonnull(retname);
	free(buf);
	/* Trace again to a buffer and look for " RET=0x12" */
	traced_to_buf("tr_sum", args, 1, &o, &buf);
	char want[32];
	snprintf(want, sizeof(want), " %s=0x12", retname);
	ck_assert_msg(strstr(buf, want) != NULL, "no line sets %s to 0x12:\n%s", retname, buf);
	free(buf);
}
END_TEST

static long host_rec(long n)
{
	return n <= 0 ? 0 : host_rec(n - 1) + n;
}

START_TEST(calls_show_depth_args_and_returns)
{
	char *buf;
	struct mb_trace_opts o = { .calls_only = true };
	uint64_t args[] = { 5 };
	struct mb_call_result res = traced_to_buf("tr_rec", args, 1, &o, &buf);
	ck_assert(!res.faulted);
	ck_assert_uint_eq(res.ret, (uint64_t)host_rec(5));
	/* Expected event sequence from the host recursion. */
	char want[2048] = "";
	size_t w = 0;
	for (int d = 0; d <= 5; d++)
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%*s-> trace_demo:tr_rec(0x%x%s\n", 2 * d, "", 5 - d,
				      d == 0 ? ")" : ",");
	for (int d = 5; d >= 0; d--)
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%*s<- trace_demo:tr_rec = 0x%lx\n", 2 * d, "",
				      (unsigned long)host_rec(5 - d));
	/* Compare line by line up to the first argument (nested calls show
	 * more argument registers than tr_rec takes, and a call site). */
	char *wl = want, *gl = buf;
	for (int i = 0; i < 12; i++) {
		char *wn = strchr(wl, '\n'), *gn = strchr(gl, '\n');
		ck_assert_msg(gn != NULL, "trace ended early:\n%s", buf);
		size_t cmp = (size_t)(wn - wl);
		if (wl[cmp - 1] == ',')
			cmp--;
		ck_assert_msg(strncmp(wl, gl, cmp) == 0, "event %d: want '%.*s', got '%.*s'", i, (int)cmp, wl,
			      (int)(gn - gl), gl);
		wl = wn + 1;
		gl = gn + 1;
	}
	ck_assert_str_eq(gl, "");
	free(buf);
}
END_TEST

/* The address of the instruction in `caller` that calls `callee`, from
 * objdump -dr (a direct target or the call's relocation). */
static uint64_t call_site(const char *caller, const char *callee)
{
	static struct ref_line ref[4096];
	size_t n = objdump_lines(ref, 4096, true);
	uint64_t lo = sym(caller), prev_insn = 0;
	char name[128];
	snprintf(name, sizeof(name), "%s", callee);
	for (size_t k = 0; k < n; k++) {
		if (ref[k].addr < lo)
			continue;
		bool reloc = ref[k].bytes[0] == '\0' || strstr(ref[k].text, "R_") == ref[k].text ||
			     strstr(ref[k].bytes, "R_") != NULL;
		if (!reloc)
			prev_insn = ref[k].addr;
		if (strstr(ref[k].text, name) || strstr(ref[k].bytes, name))
			return reloc ? prev_insn : ref[k].addr;
	}
	return 0;
}

START_TEST(fault_backtrace_from_observed_calls)
{
	struct mb_trace_opts o = { 0 };
	uint64_t args[] = { 1 };
	struct mb_call_result res = traced("tr_fault_outer", args, 1, &o);
	const struct mb_fault_context ctx = res.fault.ctx;
	ck_assert(res.faulted);
	ck_assert_int_eq(res.fault.kind, MB_FAULT_WRITE_PROTECT);
	ck_assert_msg(strncmp(res.fault.pc_sym, "trace_demo:tr_fault_inner+", 26) == 0, "%s", res.fault.pc_sym);
	ck_assert(ctx.has_backtrace);
	ck_assert_uint_eq(ctx.nframes, 3);
	ck_assert_uint_eq(ctx.frame_func[0], sym("tr_fault_inner"));
	ck_assert_uint_eq(ctx.frame_func[1], sym("tr_fault_mid"));
	ck_assert_uint_eq(ctx.frame_func[2], sym("tr_fault_outer"));
	ck_assert_uint_eq(ctx.frame_site[0], call_site("tr_fault_mid", "tr_fault_inner"));
	ck_assert_uint_eq(ctx.frame_site[1], call_site("tr_fault_outer", "tr_fault_mid"));
	ck_assert_uint_eq(ctx.frame_site[2], 0);
	/* The argument register at the fault holds inner's argument 1*2+1. */
	const struct mb_debug_ops *d = rt.s.arch->debug;
	ck_assert_uint_eq(ctx.regs[d->pc_index], res.fault.pc);
	/* The printed report names all three functions in the call trace. */
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	mb_oops_print(f, &res.fault, rt.m, dis);
	fclose(f);
	const char *ct = strstr(buf, "Call Trace:");
	ck_assert_ptr_nonnull(ct);
	ck_assert_ptr_nonnull(strstr(ct, "tr_fault_inner+"));
	ck_assert_ptr_nonnull(strstr(ct, "tr_fault_mid+"));
	ck_assert_ptr_nonnull(strstr(ct, "tr_fault_outer+"));
	ck_assert_ptr_nonnull(strstr(buf, "Last "));
	free(buf);
}
END_TEST

static unsigned marker_line(const char *marker)
{
	FILE *f = fopen(source, "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	unsigned n = 0, found = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker) && strstr(line, "TR_BUG_FLAGS("))
			found = n;
	}
	fclose(f);
	return found;
}

static void check_bug(long arg, const char *marker, bool warning)
{
	struct mb_trace_opts o = { 0 };
	uint64_t args[] = { (uint64_t)arg };
	struct mb_call_result res = traced("tr_bug_outer", args, 1, &o);
	const struct mb_fault_context ctx = res.fault.ctx;
	ck_assert(res.faulted);
	ck_assert_int_eq(res.fault.kind, MB_FAULT_TRAP);
	ck_assert_msg(ctx.has_bug, "no __bug_table entry found for pc %s", res.fault.pc_sym);
	ck_assert_uint_eq(ctx.bug_line, marker_line(marker));
	ck_assert_int_eq(ctx.bug_warning, warning);
	const char *base = strrchr(source, '/');
	ck_assert_str_eq(strrchr(ctx.bug_file, '/') ? strrchr(ctx.bug_file, '/') : ctx.bug_file, base);
	ck_assert_uint_eq(ctx.nframes, 2);
	ck_assert_uint_eq(ctx.frame_site[0], call_site("tr_bug_outer", "tr_bug_if"));
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	mb_oops_print(f, &res.fault, rt.m, dis);
	fclose(f);
	char want[64];
	snprintf(want, sizeof(want), "trace_demo.c:%u", ctx.bug_line);
	ck_assert_ptr_nonnull(strstr(buf, want));
	ck_assert_ptr_nonnull(strstr(buf, warning ? "WARNING: at " : "kernel BUG at "));
	/* The Code: line marks the trap, encoded as asm/bug.h emits it. */
	const char *trap = strcmp(arch_name, "x86_64") == 0 ? "<0f> 0b"
			   : strcmp(arch_name, "arm64") == 0 ? "<d4210000>" : "<0fe00000>";
	const char *code = strstr(buf, "\nCode:");
	ck_assert_ptr_nonnull(code);
	ck_assert_msg(strstr(code, trap) && strstr(code, trap) < strchr(code + 1, '\n'), "%s", buf);
	free(buf);
}

START_TEST(bug_trap_names_file_and_line)
{
	check_bug(5, "TR_BUG_LINE", false);
}
END_TEST

/* WARN() is reported and stepped over, as report_bug() does: the call
 * returns what the C source computes after the warning. */
START_TEST(warn_trap_names_file_and_line_and_continues)
{
	struct mb_trace_opts o = { 0 };
	uint64_t args[] = { (uint64_t)-5 };
	mb_machine_log_clear(rt.m);
	struct mb_call_result res = traced("tr_bug_outer", args, 1, &o);
	ck_assert_msg(!res.faulted, "WARN faulted: %s", res.fault.detail);
	/* tr_bug_if(-4) warns and returns -8; tr_bug_outer adds 1. */
	/* The return register holds -7 at the target's word width. */
	uint64_t want_ret = strcmp(arch_name, "powerpc32") == 0 ? 0xfffffff9u : (uint64_t)-7;
	ck_assert_uint_eq(res.ret, want_ret);
	size_t len;
	const char *log = mb_machine_log(rt.m, &len);
	char want[64];
	snprintf(want, sizeof(want), "trace_demo.c:%u trace_demo:tr_bug_if+0x", marker_line("TR_WARN_LINE"));
	ck_assert_msg(strstr(log, "WARNING: at ") && strstr(log, want), "log: %.*s", (int)len, log);
}
END_TEST

START_TEST(filter_and_start_stop)
{
	/* --filter trace_demo:tr_fault_mid shows only that function's lines. */
	char *buf;
	struct mb_trace_opts o = { .module = "trace_demo", .func = "tr_rec" };
	uint64_t args[] = { 2 };
	traced_to_buf("tr_rec", args, 1, &o, &buf);
	size_t n = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"), n++)
		ck_assert_msg(strstr(l, " trace_demo:tr_rec+") != NULL, "%s", l);
	ck_assert_uint_gt(n, 6);
	free(buf);
	/* --start/--stop: from the second instruction of tr_sum to the third. */
	uint64_t a0 = sym("tr_sum");
	const struct mb_insn *i0 = mb_disasm_machine(dis, rt.m, a0, 0);
	const struct mb_insn *i1 = mb_disasm_machine(dis, rt.m, a0 + i0->size, 0);
	uint64_t a1 = i1->addr, a2 = a1 + i1->size;
	struct mb_trace_opts o2 = { .has_start = true, .start = a1, .has_stop = true, .stop = a2 };
	uint64_t sargs[] = { 2 };
	traced_to_buf("tr_sum", sargs, 1, &o2, &buf);
	char *l1 = strtok(buf, "\n"), *l2 = strtok(NULL, "\n"), *l3 = strtok(NULL, "\n");
	ck_assert_ptr_nonnull(l2);
	ck_assert_ptr_null(l3);
	ck_assert_uint_eq(strtoull(l1, NULL, 16), a1);
	ck_assert_uint_eq(strtoull(l2, NULL, 16), a2);
	free(buf);
}
END_TEST

START_TEST(tail_call_continues_the_frame)
{
	/* Does the compiler end tr_tail with a jump (x86_64, arm64) or a call
	 * (ppc32 clang)? objdump says; the trace must agree. */
	static struct ref_line ref[4096];
	size_t nref = objdump_lines(ref, 4096, false);
	uint64_t lo = sym("tr_tail"), hi = sym("tr_tail_outer");
	bool calls = false;
	for (size_t k = 0; k < nref; k++) {
		const char *x = ref[k].text;
		if (ref[k].addr >= lo && ref[k].addr < hi &&
		    (strncmp(x, "call", 4) == 0 || (strncmp(x, "bl", 2) == 0 && isspace((unsigned char)x[2]))))
			calls = true;
	}
	char *buf;
	struct mb_trace_opts o = { .calls_only = true };
	uint64_t args[] = { 4 };
	struct mb_call_result res = traced_to_buf("tr_tail_outer", args, 1, &o, &buf);
	long leaf = 5 ^ (5 >> 3); /* tr_leaf(4 + 1) on the host */
	ck_assert_uint_eq(res.ret, (uint64_t)leaf + 1);
	char want[96];
	snprintf(want, sizeof(want), "<- trace_demo:tr_leaf = 0x%lx\n", leaf);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	ck_assert_msg((strstr(buf, "tail call from trace_demo:tr_tail+") != NULL) == !calls, "%s", buf);
	/* A tail call leaves one frame: tr_tail's return is tr_leaf's. */
	ck_assert_msg((strstr(buf, "<- trace_demo:tr_tail =") == NULL) == !calls, "%s", buf);
	free(buf);
}
END_TEST

START_TEST(undecodable_instruction_runs_and_prints_raw)
{
	if (strcmp(arch_name, "arm64") != 0)
		return; /* tr_lse_add exists on arm64 only */
	static struct ref_line ref[4096];
	size_t nref = objdump_lines_with(ref, 4096, false, "--mattr=+lse");
	const struct ref_line *lse = NULL;
	for (size_t k = 0; k < nref; k++)
		if (strncmp(ref[k].text, "ldaddal", 7) == 0)
			lse = &ref[k];
	ck_assert_msg(lse != NULL, "objdump shows no ldaddal");
	unsigned b[4];
	ck_assert_int_eq(sscanf(lse->bytes, "%x %x %x %x", &b[0], &b[1], &b[2], &b[3]), 4);
	char want[64];
	snprintf(want, sizeof(want), ".long 0x%02x%02x%02x%02x", b[3], b[2], b[1], b[0]);
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	struct mb_trace_opts o = { .out = f };
	uint64_t a5[] = { 5 }, a7[] = { 7 };
	struct mb_call_result r1 = traced("tr_lse_add", a5, 1, &o);
	struct mb_call_result r2 = traced("tr_lse_add", a7, 1, &o);
	fclose(f);
	/* The atomic really ran: a counter from 0, +5, then +7. */
	ck_assert(!r1.faulted && !r2.faulted);
	ck_assert_uint_eq(r1.ret, 5);
	ck_assert_uint_eq(r2.ret, 12);
	size_t seen = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		if (strtoull(l, NULL, 16) != lse->addr)
			continue;
		ck_assert_msg(strstr(l, want) != NULL, "want %s in: %s", want, l);
		ck_assert_msg(strstr(l, "LSE atomic") != NULL, "no note in: %s", l);
		seen++;
	}
	ck_assert_uint_eq(seen, 2);
	free(buf);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ARCH MODULE.ko LLVM-OBJDUMP SOURCE.c\n", argv[0]);
		return 2;
	}
	arch_name = argv[1];
	ko = argv[2];
	objdump = argv[3];
	source = argv[4];
	const struct check_test tests[] = {
		CHECK_TEST(trace_lines_match_objdump),
		CHECK_TEST(calls_show_depth_args_and_returns),
		CHECK_TEST(fault_backtrace_from_observed_calls),
		CHECK_TEST(bug_trap_names_file_and_line),
		CHECK_TEST(warn_trap_names_file_and_line_and_continues),
		CHECK_TEST(filter_and_start_stop),
		CHECK_TEST(undecodable_instruction_runs_and_prints_raw),
		CHECK_TEST(tail_call_continues_the_frame),
	};
	const struct check_suite cs = {
		.suite = "trace",
		.tcase = arch_name,
		.timeout = 60,
		.setup = setup,
		.teardown = teardown,
	};
	return CHECK_RUN(&cs, tests);
}
