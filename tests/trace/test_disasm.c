/* Disassembly cache and the Capstone 4.0.2 fallbacks, checked against
 * encodings produced by llvm-mc 14 (an independent assembler) and the
 * architecture manuals' branch-offset arithmetic done by hand. */
#include "arch/arch.h"
#include "harness/debug/disasm.h"
#include "tests/check_main.h"

#include <check.h>
#include <string.h>

static struct mb_disasm *open_arch(const char *name)
{
	struct mb_err err;
	struct mb_disasm *d = NULL;
	const struct mb_arch *a = mb_arch_by_name(name);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(mb_disasm_open(&d, a, &err), 0);
	return d;
}

/* A 32-bit word in the arch's byte order. */
static const struct mb_insn *word(struct mb_disasm *d, bool be, uint64_t addr, uint32_t w)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(w >> (be ? 24 - 8 * i : 8 * i));
	return mb_disasm_at(d, addr, b, 4);
}

START_TEST(arm64_names_capstone_lacks)
{
	struct mb_disasm *d = open_arch("arm64");
	ck_assert_str_eq(word(d, false, 0x1000, 0xd503233f)->text, "paciasp");
	ck_assert_str_eq(word(d, false, 0x1004, 0xd50323bf)->text, "autiasp");
	ck_assert_str_eq(word(d, false, 0x1008, 0xd503245f)->text, "bti c");
	ck_assert_str_eq(word(d, false, 0x100c, 0xd50330ff)->text, "sb");
	ck_assert_str_eq(word(d, false, 0x1010, 0xd503201f)->text, "nop");
	mb_disasm_close(d);
}
END_TEST

START_TEST(arm64_undecodable_prints_raw_with_note)
{
	struct mb_disasm *d = open_arch("arm64");
	const struct mb_insn *in = word(d, false, 0x2000, 0xc8e2fce2); /* casal x2, x2, [x7] */
	ck_assert(!in->decoded);
	ck_assert_int_eq(in->size, 4);
	ck_assert_str_eq(in->text, ".long 0xc8e2fce2");
	ck_assert_ptr_nonnull(strstr(in->note, "compare-and-swap"));
	in = word(d, false, 0x2004, 0xf8e00020); /* ldaddal x0, x0, [x1] */
	ck_assert_str_eq(in->text, ".long 0xf8e00020");
	ck_assert_ptr_nonnull(strstr(in->note, "LSE atomic"));
	in = word(d, false, 0x2008, 0xf8bfc020); /* ldapr x0, [x1] */
	ck_assert_ptr_nonnull(strstr(in->note, "ldapr"));
	mb_disasm_close(d);
}
END_TEST

START_TEST(ppc_spr_names)
{
	struct mb_disasm *d = open_arch("powerpc32");
	ck_assert_str_eq(word(d, true, 0x1000, 0x7c7042a6)->text, "mfspr r3, SPRG0");
	ck_assert_str_eq(word(d, true, 0x1004, 0x7c7043a6)->text, "mtspr SPRG0, r3");
	ck_assert_str_eq(word(d, true, 0x1008, 0x7c6c42e6)->text, "mftb r3");
	ck_assert_str_eq(word(d, true, 0x100c, 0x7c75faa6)->text, "mfspr r3, DABR");
	const struct mb_insn *in = word(d, true, 0x1010, 0x10044100); /* SPE */
	ck_assert(!in->decoded);
	ck_assert_str_eq(in->text, ".long 0x10044100");
	ck_assert_ptr_nonnull(strstr(in->note, "SPE"));
	mb_disasm_close(d);
}
END_TEST

struct flow_case {
	uint32_t word;
	enum mb_flow flow;
	bool has_target;
	uint64_t target;
};

static void check_flows(const char *arch, bool be, const struct flow_case *c, size_t n)
{
	struct mb_disasm *d = open_arch(arch);
	for (size_t i = 0; i < n; i++) {
		const struct mb_insn *in = word(d, be, 0x1000 + 0x100 * i, c[i].word);
		ck_assert_msg(in->flow == c[i].flow, "%s %08x: flow %d, want %d", arch, c[i].word, in->flow,
			      c[i].flow);
		ck_assert_msg(in->has_target == c[i].has_target, "%s %08x: has_target", arch, c[i].word);
		if (c[i].has_target)
			ck_assert_msg(in->target == c[i].target + 0x100 * i, "%s %08x: target %llx", arch,
				      c[i].word, (unsigned long long)in->target);
	}
	mb_disasm_close(d);
}

START_TEST(arm64_flow_from_opcodes)
{
	static const struct flow_case c[] = {
		{ 0x94000002, MB_FLOW_CALL, true, 0x1008 },   /* bl #8 */
		{ 0x17ffffff, MB_FLOW_JUMP, true, 0x0ffc },   /* b #-4 */
		{ 0xd65f03c0, MB_FLOW_RET, false, 0 },        /* ret */
		{ 0xd63f0100, MB_FLOW_CALL, false, 0 },       /* blr x8 */
		{ 0xb4000080, MB_FLOW_CJUMP, true, 0x1010 },  /* cbz x0, #16 */
		{ 0xd4210000, MB_FLOW_TRAP, false, 0 },       /* brk #0x800 */
		{ 0x8b020020, MB_FLOW_NONE, false, 0 },       /* add x0, x1, x2 */
	};
	check_flows("arm64", false, c, sizeof(c) / sizeof(c[0]));
}
END_TEST

START_TEST(ppc_flow_from_opcodes)
{
	static const struct flow_case c[] = {
		{ 0x48000009, MB_FLOW_CALL, true, 0x1008 },   /* bl .+8 */
		{ 0x4bfffff8, MB_FLOW_JUMP, true, 0x0ff8 },   /* b .-8 */
		{ 0x4e800020, MB_FLOW_RET, false, 0 },        /* blr */
		{ 0x4e800421, MB_FLOW_CALL, false, 0 },       /* bctrl */
		{ 0x41820010, MB_FLOW_CJUMP, true, 0x1010 },  /* beq 0, .+16 */
		{ 0x429f0005, MB_FLOW_NONE, true, 0x1004 },   /* bcl 20,31,.+4: reads the pc */
		{ 0x0fe00000, MB_FLOW_TRAP, false, 0 },       /* twui r0, 0 (BUG) */
	};
	check_flows("powerpc32", true, c, sizeof(c) / sizeof(c[0]));
}
END_TEST

START_TEST(x86_flow_and_raw_bytes)
{
	struct mb_disasm *d = open_arch("x86_64");
	static const uint8_t call[] = { 0xe8, 0x10, 0x00, 0x00, 0x00 }; /* call .+0x15 */
	const struct mb_insn *in = mb_disasm_at(d, 0x1000, call, sizeof(call));
	ck_assert_int_eq(in->flow, MB_FLOW_CALL);
	ck_assert(in->has_target);
	ck_assert_uint_eq(in->target, 0x1015);
	ck_assert_int_eq(in->size, 5);
	static const uint8_t jne[] = { 0x75, 0xfe };                  /* jne . */
	in = mb_disasm_at(d, 0x2000, jne, sizeof(jne));
	ck_assert_int_eq(in->flow, MB_FLOW_CJUMP);
	ck_assert_uint_eq(in->target, 0x2000);
	static const uint8_t icall[] = { 0xff, 0xd0 };                /* call *%rax */
	in = mb_disasm_at(d, 0x3000, icall, sizeof(icall));
	ck_assert_int_eq(in->flow, MB_FLOW_CALL);
	ck_assert(!in->has_target);
	static const uint8_t ret[] = { 0xc3 }, ud2[] = { 0x0f, 0x0b }, bad[] = { 0xd6, 0x90 };
	ck_assert_int_eq(mb_disasm_at(d, 0x4000, ret, 1)->flow, MB_FLOW_RET);
	ck_assert_int_eq(mb_disasm_at(d, 0x5000, ud2, 2)->flow, MB_FLOW_TRAP);
	in = mb_disasm_at(d, 0x6000, bad, 2); /* 0xd6 (salc) is invalid in 64-bit mode */
	ck_assert(!in->decoded);
	ck_assert_int_eq(in->size, 1);
	ck_assert_str_eq(in->text, ".byte 0xd6");
	char hex[16];
	mb_insn_hex(mb_disasm_at(d, 0x1000, call, sizeof(call)), hex, sizeof(hex));
	ck_assert_str_eq(hex, "e8 10 00 00 00");
	mb_disasm_close(d);
}
END_TEST

START_TEST(decoded_once_per_address)
{
	struct mb_disasm *d = open_arch("arm64");
	for (int i = 0; i < 100; i++)
		word(d, false, 0x1000, 0xd503201f);
	word(d, false, 0x1004, 0xd503201f);
	ck_assert_uint_eq(mb_disasm_decodes(d), 2);
	ck_assert_uint_eq(mb_disasm_cached(d), 2);
	/* A debugger write changes the code: the next use decodes again. */
	mb_disasm_forget(d, 0x1000, 4);
	ck_assert_str_eq(word(d, false, 0x1000, 0xd65f03c0)->text, "ret");
	ck_assert_uint_eq(mb_disasm_decodes(d), 3);
	/* Many addresses: the table grows and earlier pointers stay valid. */
	const struct mb_insn *first = word(d, false, 0x100000, 0xd503201f);
	for (uint64_t a = 0; a < 20000; a++)
		word(d, false, 0x200000 + 4 * a, 0xd503201f);
	ck_assert_uint_eq(first->addr, 0x100000);
	ck_assert_str_eq(word(d, false, 0x100000, 0)->text, "nop");
	ck_assert_uint_eq(mb_disasm_cached(d), 20003);
	mb_disasm_close(d);
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(arm64_names_capstone_lacks),
		CHECK_TEST(arm64_undecodable_prints_raw_with_note),
		CHECK_TEST(ppc_spr_names),
		CHECK_TEST(arm64_flow_from_opcodes),
		CHECK_TEST(ppc_flow_from_opcodes),
		CHECK_TEST(x86_flow_and_raw_bytes),
		CHECK_TEST(decoded_once_per_address),
	};
	const struct check_suite cs = { .suite = "disasm", .tcase = "disasm" };
	return CHECK_RUN(&cs, tests);
}
