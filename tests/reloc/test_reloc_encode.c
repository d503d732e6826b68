/* Single relocations on synthetic bytes: the instruction words expected
 * here are encoded by hand from the ISA manuals (field by field in the
 * comments), never taken from modbed's output; and every refused
 * relocation must report its status, value and range and leave the bytes
 * exactly as they were. */
#include "arch/arch.h"
#include "arch/reloc.h"
#include "tests/check_main.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

static const struct mb_reloc_ops *ops_of(const char *arch)
{
	const struct mb_arch *a = mb_arch_by_name(arch);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->reloc);
	return a->reloc;
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p, bool be)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[be ? 3 - i : i] << (8 * i);
	return v;
}

/* One relocation at guest address P with a 16-byte section holding `insn`
 * (target byte order) at offset `off` (so the section starts at P - off). */
struct one {
	uint8_t sec[16];
	struct mb_reloc_result res;
};

static void apply_at(const struct mb_reloc_ops *ops, struct one *o, uint32_t type, uint64_t S,
		     int64_t A, uint64_t P, uint64_t off, struct mb_plt_state *plt)
{
	struct mb_reloc_site s = {
		.type = type, .S = S, .A = A, .sec_bytes = o->sec, .sec_addr = P - off,
		.sec_size = sizeof(o->sec), .offset = off,
	};
	ops->apply(&s, plt, &o->res);
}

static uint32_t insn_after(const char *arch, uint32_t type, uint32_t insn, uint64_t S, int64_t A,
			   uint64_t P)
{
	const struct mb_reloc_ops *ops = ops_of(arch);
	bool be = mb_arch_by_name(arch)->big_endian;
	struct one o;
	memset(&o, 0, sizeof(o));
	put32(o.sec + 4, insn, be);
	apply_at(ops, &o, type, S, A, P, 4, NULL);
	ck_assert_msg(o.res.status == MB_RELOC_OK, "%s: %s", ops->type_name(type),
		      mb_reloc_status_str(o.res.status));
	return get32(o.sec + 4, be);
}

/* Applies a relocation that must be refused, checks the bytes are untouched
 * and returns the result. */
static struct mb_reloc_result refused(const char *arch, uint32_t type, uint32_t insn, uint64_t S,
				      int64_t A, uint64_t P, enum mb_reloc_status want)
{
	const struct mb_reloc_ops *ops = ops_of(arch);
	struct one o;
	memset(o.sec, 0xa5, sizeof(o.sec));
	put32(o.sec + 4, insn, mb_arch_by_name(arch)->big_endian);
	uint8_t before[16];
	memcpy(before, o.sec, sizeof(before));
	apply_at(ops, &o, type, S, A, P, 4, NULL);
	ck_assert_msg(o.res.status == want, "%s: got '%s', want '%s'", ops->type_name(type),
		      mb_reloc_status_str(o.res.status), mb_reloc_status_str(want));
	ck_assert_mem_eq(o.sec, before, sizeof(before));
	return o.res;
}

/* ---- x86_64 ------------------------------------------------------------- */

START_TEST(x86_64_values)
{
	const struct mb_reloc_ops *ops = ops_of("x86_64");
	struct one o;
	memset(&o, 0, sizeof(o));
	/* PC32: 0xffffffff81000000 - 4 - 0xffffffffa0001000 = -0x1f001004 */
	apply_at(ops, &o, 2, 0xffffffff81000000, -4, 0xffffffffa0001000, 0, NULL);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert_mem_eq(o.sec, "\xfc\xef\xff\xe0\0\0\0\0", 8);

	memset(&o, 0, sizeof(o));
	/* 32S: sign-extended 0xffffffffa0002010 */
	apply_at(ops, &o, 11, 0xffffffffa0002000, 0x10, 0xffffffffa0000000, 0, NULL);
	ck_assert_mem_eq(o.sec, "\x10\x20\x00\xa0\0\0\0\0", 8);

	memset(&o, 0, sizeof(o));
	/* 64 */
	apply_at(ops, &o, 1, 0xffffffffa0001234, 8, 0xffffffffa0000000, 0, NULL);
	ck_assert_mem_eq(o.sec, "\x3c\x12\x00\xa0\xff\xff\xff\xff", 8);

	memset(&o, 0, sizeof(o));
	/* PC64: 0x1000 - 0x3000 */
	apply_at(ops, &o, 24, 0x1000, 0, 0x3000, 0, NULL);
	ck_assert_mem_eq(o.sec, "\x00\xe0\xff\xff\xff\xff\xff\xff", 8);

	memset(&o, 0, sizeof(o));
	/* PC32 is unchecked upstream: 0x1000 - 0xffffffff00000000 = 0x100001000
	 * does not fit and is truncated to 0x00001000, but accepted. */
	apply_at(ops, &o, 2, 0x1000, 0, 0xffffffff00000000, 0, NULL);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert(o.res.truncated);
	ck_assert_int_eq(o.res.value, 0x100001000LL);
	ck_assert_mem_eq(o.sec, "\x00\x10\x00\x00\x00", 5);
	/* ...and a fitting one is not flagged */
	memset(&o, 0, sizeof(o));
	apply_at(ops, &o, 4, 0xffffffff81000000, -4, 0xffffffffa0001000, 0, NULL);
	ck_assert(!o.res.truncated);

	memset(&o, 0, sizeof(o));
	/* NONE touches nothing */
	apply_at(ops, &o, 0, 0x1234, 0, 0x1000, 0, NULL);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert_mem_eq(o.sec, "\0\0\0\0\0\0\0\0", 8);
}
END_TEST

START_TEST(x86_64_refused)
{
	const struct mb_reloc_ops *ops = ops_of("x86_64");
	struct mb_reloc_result r;

	/* R_X86_64_32 of a top-2GiB address: not compiled -mcmodel=kernel */
	r = refused("x86_64", 10, 0, 0xffffffffa0002000, 0, 0xffffffffa0000000, MB_RELOC_OVERFLOW);
	ck_assert_uint_eq((uint64_t)r.value, 0xffffffffa0002000);
	ck_assert_int_eq(r.lo, 0);
	ck_assert_int_eq(r.hi, 0xffffffff);
	ck_assert(!r.range_signed);

	r = refused("x86_64", 11, 0, 0x80000000, 0, 0xffffffffa0000000, MB_RELOC_OVERFLOW);
	ck_assert_int_eq(r.value, 0x80000000);
	ck_assert_int_eq(r.lo, -0x80000000LL);
	ck_assert_int_eq(r.hi, 0x7fffffff);
	ck_assert(r.range_signed);

	/* GOTPCREL / REX_GOTPCRELX: unknown to the kernel */
	refused("x86_64", 9, 0, 0x1000, -4, 0x2000, MB_RELOC_UNSUPPORTED);
	refused("x86_64", 42, 0, 0x1000, -4, 0x2000, MB_RELOC_UNSUPPORTED);
	ck_assert_str_eq(ops->type_name(42), "R_X86_64_REX_GOTPCRELX");
	ck_assert_str_eq(ops->type_name(4), "R_X86_64_PLT32");
	ck_assert_ptr_null(ops->type_name(200));

	/* A non-zero target (double application) */
	r = refused("x86_64", 1, 0x1122, 0x1000, 0, 0x2000, MB_RELOC_NONZERO);
	ck_assert_uint_eq(r.existing, 0xa5a5a5a500001122);

	/* The 8 bytes of a 64 at offset 12 of 16 run past the section */
	struct one o;
	memset(&o, 0, sizeof(o));
	apply_at(ops, &o, 1, 0x1000, 0, 0x200c, 12, NULL);
	ck_assert_int_eq(o.res.status, MB_RELOC_LOC_RANGE);
	ck_assert_mem_eq(o.sec, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}
END_TEST

/* ---- arm64 ------------------------------------------------------------- */

#define A64_P 0xffff800008000000ULL

START_TEST(arm64_values)
{
	/* bl: 1 00101 imm26; +0x1000 -> imm26 0x400 */
	ck_assert_uint_eq(insn_after("arm64", 283, 0x94000000, A64_P + 0x1000, 0, A64_P), 0x94000400);
	/* bl -8 -> imm26 0x3fffffe */
	ck_assert_uint_eq(insn_after("arm64", 283, 0x94000000, A64_P - 8, 0, A64_P), 0x97fffffe);
	/* b +0x7fffffc (the last reachable word) -> imm26 0x1ffffff */
	ck_assert_uint_eq(insn_after("arm64", 282, 0x14000000, A64_P + 0x7fffffc, 0, A64_P), 0x15ffffff);
	/* adrp x0: page delta 0x1123 -> immlo 3 (bits 29-30), immhi 0x448 (bits 5-23) */
	ck_assert_uint_eq(insn_after("arm64", 275, 0x90000000, 0xffff800009123456, 0, A64_P + 0xff8),
			  0xf0008900);
	/* add x0, x0, #:lo12: -> imm12 0x456 at bit 10 */
	ck_assert_uint_eq(insn_after("arm64", 277, 0x91000000, 0xffff800009123456, 0, A64_P), 0x91115800);
	/* ldr x1, [x0, #:lo12:] of 0x...458 -> imm12 0x458 / 8 = 0x8b */
	ck_assert_uint_eq(insn_after("arm64", 286, 0xf9400001, 0xffff800009123458, 0, A64_P), 0xf9422c01);
	/* movz x0, #:abs_g1: 0x12345678 -> imm16 0x1234 at bit 5 */
	ck_assert_uint_eq(insn_after("arm64", 265, 0xd2a00000, 0x12345678, 0, A64_P), 0xd2a24680);
	/* SABS_G0 of -0x1234: MOVN (opc 00) with imm16 0x1233 */
	ck_assert_uint_eq(insn_after("arm64", 270, 0xd2800000, (uint64_t)-0x1234, 0, A64_P), 0x92824660);
	/* SABS_G0 of +0x1234 on a MOVN: turned into MOVZ (opc 10) */
	ck_assert_uint_eq(insn_after("arm64", 270, 0x92800000, 0x1234, 0, A64_P), 0xd2824680);
	/* ldr x0, literal +0x100 -> imm19 0x40 at bit 5 */
	ck_assert_uint_eq(insn_after("arm64", 273, 0x58000000, A64_P + 0x100, 0, A64_P), 0x58000800);
	/* adr x0, +0x12345 -> immlo 1, immhi 0x48d1 */
	ck_assert_uint_eq(insn_after("arm64", 274, 0x10000000, A64_P + 0x12345, 0, A64_P), 0x30091a20);
	/* b.eq -4 -> imm19 0x7ffff */
	ck_assert_uint_eq(insn_after("arm64", 280, 0x54000000, A64_P - 4, 0, A64_P), 0x54ffffe0);
	/* tbz x0, #0, +0x7ffc (last reachable) -> imm14 0x1fff */
	ck_assert_uint_eq(insn_after("arm64", 279, 0x36000000, A64_P + 0x7ffc, 0, A64_P), 0x3603ffe0);

	const struct mb_reloc_ops *ops = ops_of("arm64");
	struct one o;
	memset(&o, 0, sizeof(o));
	/* PREL16 of -0x8000 (the lowest allowed) */
	apply_at(ops, &o, 262, A64_P - 0x8000, 0, A64_P, 0, NULL);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert_mem_eq(o.sec, "\x00\x80\x00", 3);
	/* ABS64 and NONE */
	memset(&o, 0, sizeof(o));
	apply_at(ops, &o, 257, A64_P, 0x10, A64_P, 0, NULL);
	ck_assert_mem_eq(o.sec, "\x10\x00\x00\x08\x00\x80\xff\xff", 8);
	apply_at(ops, &o, 256, 0x1234, 0, A64_P, 8, NULL);
	apply_at(ops, &o, 0, 0x1234, 0, A64_P, 8, NULL);
	ck_assert_mem_eq(o.sec + 8, "\0\0\0\0\0\0\0\0", 8);
}
END_TEST

START_TEST(arm64_refused)
{
	const struct mb_reloc_ops *ops = ops_of("arm64");
	struct mb_reloc_result r;

	r = refused("arm64", 279, 0x36000000, A64_P + 0x8000, 0, A64_P, MB_RELOC_OVERFLOW);
	ck_assert_int_eq(r.value, 0x8000);
	ck_assert_int_eq(r.lo, -0x8000);
	ck_assert_int_eq(r.hi, 0x7ffc);

	r = refused("arm64", 280, 0x54000000, A64_P - 0x100004, 0, A64_P, MB_RELOC_OVERFLOW);
	ck_assert_int_eq(r.value, -0x100004);
	ck_assert_int_eq(r.lo, -0x100000);
	ck_assert_int_eq(r.hi, 0xffffc);

	r = refused("arm64", 258, 0, A64_P, 0, A64_P, MB_RELOC_OVERFLOW);
	ck_assert_uint_eq((uint64_t)r.value, A64_P);
	ck_assert_int_eq(r.lo, 0);
	ck_assert_int_eq(r.hi, 0xffffffff);
	ck_assert(!r.range_signed);

	r = refused("arm64", 262, 0, A64_P + 4 + 0x8000, 0, A64_P + 4, MB_RELOC_OVERFLOW);
	ck_assert_int_eq(r.value, 0x8000);
	ck_assert_int_eq(r.lo, -0x8000);
	ck_assert_int_eq(r.hi, 0x7fff);
	ck_assert(r.range_signed);

	r = refused("arm64", 263, 0xd2800000, 0x10000, 0, A64_P, MB_RELOC_OVERFLOW);
	ck_assert_int_eq(r.value, 0x10000);
	ck_assert_int_eq(r.hi, 0xffff);

	/* CALL26 out of range with no PLT */
	r = refused("arm64", 283, 0x94000000, A64_P + 0x8000000, 0, A64_P, MB_RELOC_PLT_FULL);

	/* GOT-relative types are not in the kernel's set */
	refused("arm64", 311, 0x90000000, A64_P, 0, A64_P, MB_RELOC_UNSUPPORTED);
	ck_assert_str_eq(ops->type_name(311), "R_AARCH64_ADR_GOT_PAGE");
	ck_assert_str_eq(ops->type_name(283), "R_AARCH64_CALL26");
	ck_assert_ptr_null(ops->type_name(5000));

	/* An instruction relocation at P % 4 != 0 */
	refused("arm64", 283, 0x94000000, A64_P + 0x100, 0, A64_P + 2, MB_RELOC_MISALIGNED);
}
END_TEST

START_TEST(arm64_plt_entry)
{
	const struct mb_reloc_ops *ops = ops_of("arm64");
	uint8_t pltmem[3 * 12] = { 0 };
	struct mb_plt_state plt = { .core = { .addr = 0xffff800008000000, .bytes = pltmem,
					      .size = sizeof(pltmem), .max = 2 } };
	struct one o;
	memset(&o, 0, sizeof(o));
	uint64_t P = 0xffff800000100000, dst = 0xffff800010123456;

	put32(o.sec + 4, 0x94000000, false);
	apply_at(ops, &o, 283, dst, 0, P, 4, &plt);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert(o.res.via_plt && o.res.plt_new);
	ck_assert_uint_eq(o.res.plt_addr, plt.core.addr);
	/* bl to the PLT: (0x...08000000 - 0x...00100000) / 4 = 0x1fc0000 */
	ck_assert_uint_eq(get32(o.sec + 4, false), 0x95fc0000);
	/* adrp x16: page delta 0x8123 -> immlo 3, immhi 0x2048, Rd 16 */
	ck_assert_uint_eq(get32(pltmem, false), 0xf0040910);
	/* add x16, x16, #0x456 */
	ck_assert_uint_eq(get32(pltmem + 4, false), 0x91115a10);
	/* br x16 */
	ck_assert_uint_eq(get32(pltmem + 8, false), 0xd61f0200);
	ck_assert_uint_eq(plt.core.used, 1);

	/* The same target again shares the previous entry. */
	memset(&o, 0, sizeof(o));
	put32(o.sec + 4, 0x94000000, false);
	apply_at(ops, &o, 283, dst, 0, P + 4, 4, &plt);
	ck_assert(o.res.via_plt && !o.res.plt_new);
	ck_assert_uint_eq(o.res.plt_addr, plt.core.addr);
	ck_assert_uint_eq(plt.core.used, 1);

	/* Another target takes the next slot; a third one finds the PLT full
	 * and leaves branch and PLT untouched. */
	apply_at(ops, &o, 282, dst + 0x1000, 0, P, 4, &plt);
	ck_assert_uint_eq(o.res.plt_addr, plt.core.addr + 12);
	ck_assert_uint_eq(plt.core.used, 2);
	uint8_t before[sizeof(pltmem)];
	memcpy(before, pltmem, sizeof(pltmem));
	memset(&o, 0, sizeof(o));
	put32(o.sec + 4, 0x94000000, false);
	apply_at(ops, &o, 283, dst + 0x2000, 0, P, 4, &plt);
	ck_assert_int_eq(o.res.status, MB_RELOC_PLT_FULL);
	ck_assert_uint_eq(get32(o.sec + 4, false), 0x94000000);
	ck_assert_mem_eq(pltmem, before, sizeof(pltmem));
	ck_assert_uint_eq(plt.core.used, 2);

	/* Init code uses the init PLT. */
	uint8_t initmem[2 * 12] = { 0 };
	plt.init = (struct mb_plt){ .addr = 0xffff800008010000, .bytes = initmem,
				    .size = sizeof(initmem), .max = 1 };
	struct mb_reloc_site s = { .type = 283, .S = dst, .sec_bytes = o.sec, .sec_addr = P,
				   .sec_size = sizeof(o.sec), .offset = 0, .in_init = true };
	put32(o.sec, 0x94000000, false);
	ops->apply(&s, &plt, &o.res);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert_uint_eq(o.res.plt_addr, plt.init.addr);
	ck_assert_uint_eq(plt.init.used, 1);
	ck_assert_uint_eq(get32(initmem + 8, false), 0xd61f0200);
}
END_TEST

/* Cortex-A53 erratum 843419 (config option): ADRP at page offset 0xff8. */
START_TEST(arm64_erratum_843419)
{
	const struct mb_reloc_ops *ops = ops_of("arm64");
	const struct mb_reloc_config cfg = { .arm64_erratum_843419 = true };
	uint8_t pltmem[4 * 12] = { 0 };
	struct mb_plt_state plt = { .core = { .addr = A64_P + 0x10000, .bytes = pltmem,
					      .size = sizeof(pltmem), .max = 2 } };
	struct one o;
	memset(&o, 0, sizeof(o));
	struct mb_reloc_site s = { .type = 275, .sec_bytes = o.sec, .sec_addr = A64_P + 0xff8 - 4,
				   .sec_size = sizeof(o.sec), .offset = 4, .cfg = &cfg };

	/* Page within +-1 MiB: adrp x3 becomes adr x3 to the page:
	 * 0x5000 - 0xff8 = 0x4008 -> immlo 0, immhi 0x1002; bit 31 cleared */
	put32(o.sec + 4, 0x90000003, false);
	s.S = A64_P + 0x5123;
	ops->apply(&s, &plt, &o.res);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert(!o.res.via_plt);
	ck_assert_uint_eq(get32(o.sec + 4, false), 0x10020043);

	/* Page beyond ADR range: b to a veneer `adrp x3, page; add x3, x3, #0;
	 * b P + 4` in the PLT.
	 *   adrp at A64_P+0x10000 to A64_P+0x2345000: 0x2335 pages -> immlo 1, immhi 0x8cd
	 *   b at A64_P+0x10008 to A64_P+0xffc: -0xf00c / 4 -> imm26 0x3ffc3fd
	 *   b at A64_P+0xff8 to A64_P+0x10000: 0xf008 / 4 = 0x3c02 */
	put32(o.sec + 4, 0x90000003, false);
	s.S = A64_P + 0x2345678;
	ops->apply(&s, &plt, &o.res);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert(o.res.via_plt);
	ck_assert_uint_eq(o.res.plt_addr, A64_P + 0x10000);
	ck_assert_uint_eq(get32(o.sec + 4, false), 0x14003c02);
	ck_assert_uint_eq(get32(pltmem + 0, false), 0xb00119a3);
	ck_assert_uint_eq(get32(pltmem + 4, false), 0x91000063);
	ck_assert_uint_eq(get32(pltmem + 8, false), 0x17ffc3fd);
	ck_assert_uint_eq(plt.core.used, 1);

	/* Not at a forbidden offset: a plain ADRP (0xff0). */
	s.sec_addr = A64_P + 0xff0 - 4;
	put32(o.sec + 4, 0x90000003, false);
	s.S = A64_P + 0x2345678;
	ops->apply(&s, &plt, &o.res);
	ck_assert(!o.res.via_plt);
	/* 0x2345 pages: immlo 1, immhi 0x8d1 */
	ck_assert_uint_eq(get32(o.sec + 4, false), 0xb0011a23);

	/* Without the erratum the same forbidden-offset ADRP stays an ADRP. */
	s.cfg = NULL;
	s.sec_addr = A64_P + 0xff8 - 4;
	put32(o.sec + 4, 0x90000003, false);
	ops->apply(&s, &plt, &o.res);
	ck_assert(!o.res.via_plt);
	ck_assert_uint_eq(get32(o.sec + 4, false), 0xb0011a23);

	/* PLT entries skip slots at forbidden offsets: slot 10 of a PLT at
	 * page offset 0xf80 sits at 0xff8, so the entry goes to slot 11. */
	uint8_t big[16 * 12] = { 0 };
	struct mb_plt_state p2 = { .core = { .addr = A64_P + 0xf80, .bytes = big, .size = sizeof(big),
					     .max = 13, .used = 10 } };
	struct mb_reloc_site b = { .type = 283, .S = A64_P + 0x40000000, .sec_bytes = o.sec,
				   .sec_addr = A64_P, .sec_size = sizeof(o.sec), .offset = 0, .cfg = &cfg };
	put32(o.sec, 0x94000000, false);
	ops->apply(&b, &p2, &o.res);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert_uint_eq(o.res.plt_addr, A64_P + 0xf80 + 11 * 12);
	ck_assert_uint_eq(p2.core.used, 12);
}
END_TEST

START_TEST(arm64_erratum_sizing)
{
	enum { ADRP = 275, CALL26 = 283 };
	const struct mb_reloc_config cfg = { .arm64_erratum_843419 = true };
	struct mb_obj_section secs[4] = {
		{ .name = "" }, { .name = ".text", .flags = 6, .size = 0x2000, .addralign = 4 },
		{ .name = ".plt", .size = 1 }, { .name = ".init.plt", .size = 1 },
	};
	struct mb_obj_symbol syms[3] = { { .name = "" }, { .name = "A" }, { .name = "B" } };
	/* ADRP at 0x10: 2 << ffz(0x17) = 16; at 0x7f8: 2 << ffz(0x7ff) = 0x1000;
	 * at 0xff8: 2 << ffz(0xfff) = 0x2000 > 4K -> one veneer slot. Plus two
	 * calls; slack: 3 -> 3 + DIV_ROUND_UP(3, 341) = 4. */
	struct mb_obj_rela r[] = { { 0x10, ADRP, 1, 0 }, { 0x7f8, ADRP, 1, 0 }, { 0xff8, ADRP, 1, 0 },
				   { 0x20, CALL26, 1, 0 }, { 0x24, CALL26, 2, 0 } };
	struct mb_obj_relsec rs = { .index = 0, .target = 1, .relas = r, .nrelas = 5 };
	struct mb_object obj = { .sections = secs, .nsections = 4, .symbols = syms, .nsymbols = 3,
				 .relsecs = &rs, .nrelsecs = 1 };
	struct mb_plt_plan plan = { 0 };
	ck_assert_int_eq(ops_of("arm64")->size_plts(&obj, &cfg, &plan), MB_RELOC_OK);
	ck_assert_uint_eq(plan.core_max, 4);
	ck_assert_uint_eq(secs[1].addralign, 0x1000);
}
END_TEST

/* ---- powerpc32 ----------------------------------------------------------- */

START_TEST(powerpc32_values)
{
	/* bl +0x100: opcode 18, LI 0x100, LK 1 */
	ck_assert_uint_eq(insn_after("powerpc32", 10, 0x48000001, 0xbe000100, 0, 0xbe000000), 0x48000101);
	/* bl -4 */
	ck_assert_uint_eq(insn_after("powerpc32", 10, 0x48000001, 0xbe000000 - 4, 0, 0xbe000000),
			  0x4bfffffd);
	/* bla keeps AA and LK */
	ck_assert_uint_eq(insn_after("powerpc32", 10, 0x48000003, 0xbe000100, 0, 0xbe000000), 0x48000103);
	/* b (no link) to the last reachable word, +0x1fffffc */
	ck_assert_uint_eq(insn_after("powerpc32", 10, 0x48000000, 0xbe000000 + 0x1fffffc, 0, 0xbe000000),
			  0x49fffffc);

	const struct mb_reloc_ops *ops = ops_of("powerpc32");
	struct one o;
	memset(&o, 0, sizeof(o));
	/* lis r3,0 / addi r3,r3,0 / lis r3,0 at insn + 2: HA, LO, HI of 0xc0009234 */
	put32(o.sec + 0, 0x3c600000, true);
	put32(o.sec + 4, 0x38630000, true);
	put32(o.sec + 8, 0x3c600000, true);
	apply_at(ops, &o, 6, 0xc0009234, 0, 0xf1000002, 2, NULL);
	apply_at(ops, &o, 4, 0xc0009234, 0, 0xf1000006, 6, NULL);
	apply_at(ops, &o, 5, 0xc0009234, 0, 0xf100000a, 10, NULL);
	ck_assert_uint_eq(get32(o.sec + 0, true), 0x3c60c001);
	ck_assert_uint_eq(get32(o.sec + 4, true), 0x38639234);
	ck_assert_uint_eq(get32(o.sec + 8, true), 0x3c60c000);

	/* patch_location_16 at a word-aligned offset still patches the low
	 * halfword of that word (the kernel rounds the location down). */
	memset(&o, 0, sizeof(o));
	put32(o.sec + 4, 0x11112222, true);
	apply_at(ops, &o, 4, 0xabcd, 0, 0xf1000004, 4, NULL);
	ck_assert_uint_eq(get32(o.sec + 4, true), 0x1111abcd);

	/* ADDR32 and REL32 */
	memset(&o, 0, sizeof(o));
	apply_at(ops, &o, 1, 0xc0001234, 4, 0xf1000000, 0, NULL);
	apply_at(ops, &o, 26, 0xc0001234, 0, 0xf1000004, 4, NULL);
	ck_assert_mem_eq(o.sec, "\xc0\x00\x12\x38\xcf\x00\x12\x30", 8);
}
END_TEST

START_TEST(powerpc32_refused)
{
	const struct mb_reloc_ops *ops = ops_of("powerpc32");
	/* What module_32.c does not know, including R_PPC_NONE */
	refused("powerpc32", 2, 0x48000002, 0xc0000000, 0, 0xbe000000, MB_RELOC_UNSUPPORTED);
	refused("powerpc32", 11, 0x41820000, 0xc0000000, 0, 0xbe000000, MB_RELOC_UNSUPPORTED);
	refused("powerpc32", 252, 0x3c630000, 0xc0000000, 0, 0xbe000002, MB_RELOC_UNSUPPORTED);
	refused("powerpc32", 0, 0, 0xc0000000, 0, 0xbe000000, MB_RELOC_UNSUPPORTED);
	ck_assert_str_eq(ops->type_name(2), "R_PPC_ADDR24");
	ck_assert_str_eq(ops->type_name(252), "R_PPC_REL16_HA");
	ck_assert_str_eq(ops->type_name(10), "R_PPC_REL24");
	/* Out of range with no trampoline space */
	struct mb_reloc_result r =
		refused("powerpc32", 10, 0x48000001, 0xc0000000, 0, 0xb0000000, MB_RELOC_PLT_FULL);
	ck_assert_int_eq(r.value, 0x10000000);
	refused("powerpc32", 10, 0x48000001, 0xbe000100, 0, 0xbe000002, MB_RELOC_MISALIGNED);
}
END_TEST

START_TEST(powerpc32_trampoline)
{
	const struct mb_reloc_ops *ops = ops_of("powerpc32");
	uint8_t pltmem[2 * 16] = { 0 };
	struct mb_plt_state plt = { .core = { .addr = 0xb0100000, .bytes = pltmem,
					      .size = sizeof(pltmem), .max = 2 } };
	struct one o;
	memset(&o, 0, sizeof(o));
	uint64_t P = 0xb0000000;

	put32(o.sec + 4, 0x48000001, true);
	apply_at(ops, &o, 10, 0xc0009234, 0, P, 4, &plt);
	ck_assert_int_eq(o.res.status, MB_RELOC_OK);
	ck_assert(o.res.via_plt && o.res.plt_new);
	/* bl +0x100000 to the trampoline */
	ck_assert_uint_eq(get32(o.sec + 4, true), 0x48100001);
	/* lis r12, 0xc001 (HA: low half 0x9234 is negative); addi r12, r12, 0x9234 */
	ck_assert_uint_eq(get32(pltmem + 0, true), 0x3d80c001);
	ck_assert_uint_eq(get32(pltmem + 4, true), 0x398c9234);
	ck_assert_uint_eq(get32(pltmem + 8, true), 0x7d8903a6);
	ck_assert_uint_eq(get32(pltmem + 12, true), 0x4e800420);

	/* A second target, then the first again: the linear scan finds it. */
	apply_at(ops, &o, 10, 0xc0001234, 0, P, 4, &plt);
	ck_assert_uint_eq(o.res.plt_addr, 0xb0100010);
	ck_assert_uint_eq(get32(pltmem + 16, true), 0x3d80c000);
	apply_at(ops, &o, 10, 0xc0009234, 0, P, 4, &plt);
	ck_assert(o.res.via_plt && !o.res.plt_new);
	ck_assert_uint_eq(o.res.plt_addr, 0xb0100000);
	ck_assert_uint_eq(plt.core.used, 2);

	/* Full: a third target is refused and nothing changes. */
	uint8_t before[sizeof(pltmem)];
	memcpy(before, pltmem, sizeof(pltmem));
	memset(&o, 0, sizeof(o));
	put32(o.sec + 4, 0x48000001, true);
	apply_at(ops, &o, 10, 0xc0020000, 0, P, 4, &plt);
	ck_assert_int_eq(o.res.status, MB_RELOC_PLT_FULL);
	ck_assert_uint_eq(get32(o.sec + 4, true), 0x48000001);
	ck_assert_mem_eq(pltmem, before, sizeof(pltmem));
}
END_TEST

/* ---- Sizing errors ------------------------------------------------------- */

START_TEST(sizing_errors)
{
	struct mb_obj_section secs[2] = { { .name = "" }, { .name = ".text", .flags = 6 } };
	struct mb_obj_symbol syms[1] = { { .name = "" } };
	struct mb_object obj = { .sections = secs, .nsections = 2, .symbols = syms, .nsymbols = 1 };
	struct mb_plt_plan plan = { 0 };
	ck_assert_int_eq(ops_of("arm64")->size_plts(&obj, NULL, &plan), MB_RELOC_NO_PLT_SECTION);
	ck_assert_int_eq(ops_of("powerpc32")->size_plts(&obj, NULL, &plan), MB_RELOC_NO_PLT_SECTION);
	ck_assert_str_eq(mb_reloc_status_str(MB_RELOC_NO_PLT_SECTION), "module PLT section(s) missing");

	/* A relocation naming a symbol past the table: refused, nothing changed. */
	struct mb_obj_section s2[4] = { { .name = "" }, { .name = ".text", .flags = 6, .size = 8 },
					{ .name = ".plt", .size = 1 }, { .name = ".init.plt", .size = 1 } };
	struct mb_obj_rela rel = { .offset = 0, .type = 283, .sym = 7 };
	struct mb_obj_relsec rs = { .index = 0, .target = 1, .relas = &rel, .nrelas = 1 };
	struct mb_object o2 = { .sections = s2, .nsections = 4, .symbols = syms, .nsymbols = 1,
				.relsecs = &rs, .nrelsecs = 1 };
	ck_assert_int_eq(ops_of("arm64")->size_plts(&o2, NULL, &plan), MB_RELOC_BAD_SYMBOL);
	ck_assert_uint_eq(s2[2].size, 1);
	o2.nsymbols = 0;
	ck_assert_int_eq(ops_of("arm64")->size_plts(&o2, NULL, &plan), MB_RELOC_NO_SYMTAB);
}
END_TEST

/* Synthetic objects for the counting rules, worked out by hand from the
 * kernel's module_frob_arch_sections(). Symbols: 1 = A, 2 = B (undefined),
 * 3 = L (defined in .text itself). */
static struct mb_obj_symbol sizing_syms[4] = {
	{ .name = "" }, { .name = "A" }, { .name = "B" }, { .name = "L", .shndx = 1 },
};

static uint32_t arm64_core_count(struct mb_obj_rela *r, size_t n)
{
	struct mb_obj_section secs[4] = {
		{ .name = "" }, { .name = ".text", .flags = 6, .size = 64 },
		{ .name = ".plt", .size = 1 }, { .name = ".init.plt", .size = 1 },
	};
	struct mb_obj_relsec rs = { .index = 0, .target = 1, .relas = r, .nrelas = n };
	struct mb_object obj = { .sections = secs, .nsections = 4, .symbols = sizing_syms,
				 .nsymbols = 4, .relsecs = &rs, .nrelsecs = 1 };
	struct mb_plt_plan plan = { 0 };
	ck_assert_int_eq(ops_of("arm64")->size_plts(&obj, NULL, &plan), MB_RELOC_OK);
	ck_assert_uint_eq(plan.init_max, 0);
	ck_assert_uint_eq(secs[2].size, (plan.core_max + 1) * 12);
	ck_assert_uint_eq(secs[2].addralign, 64);
	ck_assert_uint_eq(secs[3].size, 12);
	return plan.core_max;
}

START_TEST(arm64_sizing)
{
	enum { CALL26 = 283, JUMP26 = 282, ABS64 = 257 };
	/* A, A (sorted together: shared), B, and L (same section: never) */
	struct mb_obj_rela r1[] = { { 0, CALL26, 1, 0 }, { 4, CALL26, 3, 0 }, { 8, CALL26, 2, 0 },
				    { 12, CALL26, 1, 0 }, { 16, ABS64, 1, 0 } };
	ck_assert_uint_eq(arm64_core_count(r1, 5), 2);
	/* CALL26 and JUMP26 to A are different keys: 2 */
	struct mb_obj_rela r2[] = { { 0, CALL26, 1, 0 }, { 4, JUMP26, 1, 0 }, { 8, ABS64, 1, 0 } };
	ck_assert_uint_eq(arm64_core_count(r2, 3), 2);
	/* A non-zero addend always counts */
	struct mb_obj_rela r3[] = { { 0, CALL26, 1, 8 }, { 4, CALL26, 1, 8 }, { 8, ABS64, 1, 0 } };
	ck_assert_uint_eq(arm64_core_count(r3, 3), 2);
	/* Every relocation a PLT candidate: partition_branch_plt_relas stops
	 * with i == j and returns n - 1, so the last one stays out of the
	 * sort: [A, B, A] is counted as three runs, not two. */
	struct mb_obj_rela r4[] = { { 0, CALL26, 1, 0 }, { 4, CALL26, 2, 0 }, { 8, CALL26, 1, 0 } };
	ck_assert_uint_eq(arm64_core_count(r4, 3), 3);
	/* ...while one non-candidate at the end lets all three be sorted. */
	struct mb_obj_rela r5[] = { { 0, CALL26, 1, 0 }, { 4, CALL26, 2, 0 }, { 8, CALL26, 1, 0 },
				    { 12, CALL26, 3, 0 } };
	ck_assert_uint_eq(arm64_core_count(r5, 4), 2);
	/* The candidates are moved to the front, sorted by (sym, type, addend). */
	ck_assert_uint_eq(r5[0].sym, 1);
	ck_assert_uint_eq(r5[1].sym, 1);
	ck_assert_uint_eq(r5[2].sym, 2);
	ck_assert_uint_eq(r5[3].sym, 3);
}
END_TEST

START_TEST(powerpc32_sizing)
{
	enum { REL24 = 10, ADDR16_LO = 4 };
	struct mb_obj_section secs[8] = {
		{ .name = "" }, { .name = ".text", .flags = 6 }, { .name = ".init.text", .flags = 6 },
		{ .name = ".plt", .type = 8, .flags = 6 }, { .name = ".init.plt", .type = 8, .flags = 6 },
		{ .name = ".rela.text", .type = 4 }, { .name = ".rela.init.text", .type = 4 },
		{ .name = ".rela.debug_info", .type = 4 },
	};
	struct mb_obj_rela text[] = { { 0, REL24, 1, 0 }, { 4, REL24, 2, 0 }, { 8, REL24, 1, 0 },
				      { 14, ADDR16_LO, 1, 0 }, { 16, REL24, 3, 0 }, { 20, REL24, 1, 4 } };
	struct mb_obj_rela init[] = { { 0, REL24, 1, 0 }, { 4, REL24, 1, 0 } };
	struct mb_obj_rela debug[] = { { 0, REL24, 2, 0 } };
	struct mb_obj_relsec rs[3] = { { 5, 1, text, 6 }, { 6, 2, init, 2 }, { 7, 1, debug, 1 } };
	struct mb_object obj = { .sections = secs, .nsections = 8, .symbols = sizing_syms,
				 .nsymbols = 4, .relsecs = rs, .nrelsecs = 3 };
	struct mb_plt_plan plan = { 0 };
	/* core: distinct (sym, addend) REL24 in .rela.text, same-section L
	 * included: A, B, L, A+4 = 4; init: A = 1; debug sections skipped. */
	ck_assert_int_eq(ops_of("powerpc32")->size_plts(&obj, NULL, &plan), MB_RELOC_OK);
	ck_assert_uint_eq(plan.core_max, 4);
	ck_assert_uint_eq(plan.init_max, 1);
	ck_assert_uint_eq(secs[3].size, 64);
	ck_assert_uint_eq(secs[4].size, 16);
	ck_assert_uint_eq(plan.core_shndx, 3);
	ck_assert_uint_eq(plan.init_shndx, 4);
	/* CONFIG_DYNAMIC_FTRACE: one more per RELA section counted */
	struct mb_reloc_config cfg = { .ppc32_ftrace_slot = true };
	ck_assert_int_eq(ops_of("powerpc32")->size_plts(&obj, &cfg, &plan), MB_RELOC_OK);
	ck_assert_uint_eq(plan.core_max, 5);
	ck_assert_uint_eq(plan.init_max, 2);
}
END_TEST

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	const struct check_test tests[] = {
		CHECK_GROUP_TEST("x86_64", x86_64_values),
		CHECK_GROUP_TEST("x86_64", x86_64_refused),
		CHECK_GROUP_TEST("arm64", arm64_values),
		CHECK_GROUP_TEST("arm64", arm64_refused),
		CHECK_GROUP_TEST("arm64", arm64_plt_entry),
		CHECK_GROUP_TEST("arm64", sizing_errors),
		CHECK_GROUP_TEST("arm64", arm64_sizing),
		CHECK_GROUP_TEST("arm64", arm64_erratum_843419),
		CHECK_GROUP_TEST("arm64", arm64_erratum_sizing),
		CHECK_GROUP_TEST("powerpc32", powerpc32_values),
		CHECK_GROUP_TEST("powerpc32", powerpc32_refused),
		CHECK_GROUP_TEST("powerpc32", powerpc32_trampoline),
		CHECK_GROUP_TEST("powerpc32", powerpc32_sizing),
	};
	const struct check_suite cs = { .suite = "reloc_encode", .tcase = "encode", .only = only };
	return CHECK_RUN(&cs, tests);
}
