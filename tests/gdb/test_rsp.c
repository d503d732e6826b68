/* The GDB remote protocol layer on a socketpair with a fake target: what
 * GDB would send is written to the peer end first, then the session serves
 * it; the bytes it answered are checked against the protocol text
 * (checksums computed by hand: "OK" is 0x4f+0x4b = 0x9a). */
#include "arch/arch.h"
#include "arch/debug.h"
#include "harness/debug/gdb/gdbstub_session.h"
#include "tests/check_main.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t regs[64];
static uint8_t mem[256];
#define MEM_BASE 0x1000u

static bool rg(void *c, size_t i, uint64_t *v) { (void)c; *v = regs[i]; return true; }
static bool rs(void *c, size_t i, uint64_t v) { (void)c; regs[i] = v; return true; }
static bool mr(void *c, uint64_t a, void *b, size_t n)
{
	(void)c;
	if (a < MEM_BASE || a + n > MEM_BASE + sizeof(mem))
		return false;
	memcpy(b, mem + (a - MEM_BASE), n);
	return true;
}
static bool mw(void *c, uint64_t a, const void *b, size_t n)
{
	(void)c;
	if (a < MEM_BASE || a + n > MEM_BASE + sizeof(mem))
		return false;
	memcpy(mem + (a - MEM_BASE), b, n);
	return true;
}

static int peer;
static struct mb_gdb_session s;

static void open_session(const char *arch)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	peer = sv[1];
	memset(regs, 0, sizeof(regs));
	memset(mem, 0, sizeof(mem));
	struct mb_gdb_target t = { NULL, rg, rs, mr, mw };
	mb_gdb_session_init(&s, sv[0], mb_arch_by_name(arch), &t);
}

static void close_session(void)
{
	close(s.rsp.fd);
	close(peer);
	mb_gdb_session_fini(&s);
}

static void gdb_sends(const char *bytes)
{
	ck_assert_int_eq(write(peer, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
}

/* Everything the stub wrote so far. */
static const char *stub_wrote(void)
{
	static char buf[8192];
	shutdown(s.rsp.fd, SHUT_WR);
	ssize_t n = read(peer, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

START_TEST(acks_checksums_and_resend)
{
	open_session("x86_64");
	/* A corrupted packet is nacked; the resent one is served. */
	gdb_sends("$?#00$?#3f+$c#63");
	ck_assert_int_eq(mb_gdb_serve(&s, "S05"), MB_GDB_CONTINUE);
	ck_assert_str_eq(stub_wrote(), "-+$S05#b8+");
	close_session();
}
END_TEST

/* "$PAYLOAD#xx" with the checksum computed here. */
static const char *packet(const char *payload)
{
	static char buf[256];
	unsigned sum = 0;
	for (const char *c = payload; *c; c++)
		sum += (unsigned char)*c;
	snprintf(buf, sizeof(buf), "$%s#%02x", payload, sum & 0xff);
	return buf;
}

/* Hostile input: a checksum that is not hex is nacked (it was a shift of a
 * negative value, undefined behaviour); an address of more than 16 hex
 * digits is an error, not a wrapped number. */
START_TEST(bad_checksum_and_long_numbers)
{
	open_session("arm64");
	mem[0] = 0xab;
	char in[512] = "$g#zz$?#3f+";
	static const char *const pk[] = { "m10000000000000000,1", "m00000000000000001000,1",
					   "m1000,10000000000000001", "k" };
	for (size_t i = 0; i < 4; i++) {
		strcat(in, packet(pk[i]));
		strcat(in, "+");
	}
	gdb_sends(in);
	ck_assert_int_eq(mb_gdb_serve(&s, "S05"), MB_GDB_KILL);
	/* nack, then '?', the 17-digit address refused, leading zeros
	 * accepted, the 17-digit length refused */
	ck_assert_str_eq(stub_wrote(), "-+$S05#b8+$E01#a6+$ab#c3+$E01#a6+");
	close_session();
}
END_TEST

START_TEST(registers_in_target_byte_order)
{
	open_session("powerpc32");
	regs[0] = 0x01020304;          /* r0 */
	regs[3] = 0xdeadbeef;          /* r3 */
	gdb_sends("$p3#a3+$P4=0000002a#74+$k#6b");
	ck_assert_int_eq(mb_gdb_serve(&s, NULL), MB_GDB_KILL);
	ck_assert_str_eq(stub_wrote(), "+$deadbeef#20+$OK#9a+");
	ck_assert_uint_eq(regs[4], 0x2a);
	close_session();

	open_session("x86_64");
	regs[0] = 0x1122;              /* rax, little-endian on the wire */
	gdb_sends("$p0#a0+$k#6b");
	mb_gdb_serve(&s, NULL);
	ck_assert_str_eq(stub_wrote(), "+$2211000000000000#06+");
	close_session();
}
END_TEST

START_TEST(whole_register_file_size)
{
	/* 'g' is every register of the arch's table, bits/4 hex digits each:
	 * aarch64: 31 x-regs, sp, pc (64 bit), cpsr (32 bit). */
	open_session("arm64");
	gdb_sends("$g#67+$k#6b");
	mb_gdb_serve(&s, NULL);
	const char *out = stub_wrote();
	const char *hash = strchr(out, '#');
	ck_assert_ptr_nonnull(hash);
	ck_assert_int_eq((int)(hash - out - 2), (33 * 64 + 32) / 4);
	close_session();
}
END_TEST

START_TEST(memory_read_write_and_short_reads)
{
	open_session("arm64");
	mem[0] = 0xab;
	mem[255] = 0xcd;
	/* m10ff,4 reaches past the end: the readable byte only. m0,4: error. */
	gdb_sends("$m1000,2#8c+$M1001,1:7f#43+$m1000,2#8c+$m10ff,4#fa+$m0,4#fd+$k#6b");
	mb_gdb_serve(&s, NULL);
	ck_assert_str_eq(stub_wrote(), "+$ab00#23+$OK#9a+$ab7f#60+$cd#c7+$E14#aa+");
	ck_assert_uint_eq(mem[1], 0x7f);
	ck_assert_uint_eq(s.code_written_lo, 0x1001);
	close_session();
}
END_TEST

START_TEST(breakpoints_and_resume_kinds)
{
	open_session("x86_64");
	gdb_sends("$Z0,1234,1#dd+$Z0,1234,1#dd+$Z2,1000,4#d9+$s#73");
	ck_assert_int_eq(mb_gdb_serve(&s, NULL), MB_GDB_STEP);
	ck_assert(mb_gdb_has_breakpoint(&s, 0x1234));
	ck_assert_uint_eq(s.nbps, 1); /* inserted twice, kept once */
	/* The stop after the step is sent because GDB waits for it. */
	gdb_sends("+$z0,1234,1#fd+$D#44+");
	ck_assert_int_eq(mb_gdb_serve(&s, "S05"), MB_GDB_DETACH);
	ck_assert(!mb_gdb_has_breakpoint(&s, 0x1234));
	ck_assert_str_eq(stub_wrote(), "+$OK#9a+$OK#9a+$#00+$S05#b8+$OK#9a+$OK#9a");
	close_session();
}
END_TEST

START_TEST(resume_with_signal_is_plain_resume)
{
	/* C/S carry a signal GDB would deliver; the CPU has none to take, so
	 * they resume like c/s (an optional ;ADDR sets the pc first). */
	open_session("x86_64");
	gdb_sends("$C0b#d5");
	ck_assert_int_eq(mb_gdb_serve(&s, "S0b"), MB_GDB_CONTINUE);
	gdb_sends("+$S05;1000#b4");
	ck_assert_int_eq(mb_gdb_serve(&s, "S05"), MB_GDB_STEP);
	ck_assert_uint_eq(regs[mb_arch_by_name("x86_64")->debug->pc_index], 0x1000);
	ck_assert_str_eq(stub_wrote(), "+$S05#b8+");
	close_session();
}
END_TEST

START_TEST(interrupt_byte_polled_without_losing_packets)
{
	open_session("x86_64");
	ck_assert(!mb_rsp_poll_interrupt(&s.rsp));
	gdb_sends("\x03");
	ck_assert(mb_rsp_poll_interrupt(&s.rsp));
	/* A packet that is not an interrupt stays for the session. */
	gdb_sends("$?#3f");
	ck_assert(!mb_rsp_poll_interrupt(&s.rsp));
	gdb_sends("+$k#6b");
	ck_assert_int_eq(mb_gdb_serve(&s, "S02"), MB_GDB_KILL);
	ck_assert_str_eq(stub_wrote(), "+$S02#b5+");
	close_session();
}
END_TEST

START_TEST(escapes_and_no_ack_mode)
{
	open_session("x86_64");
	gdb_sends("$QStartNoAckMode#b0+");
	gdb_sends("$k#6b");
	mb_gdb_serve(&s, NULL);
	ck_assert(s.rsp.no_ack);
	/* '#', '$', '}', '*' go out as '}' + (c ^ 0x20); the checksum is over
	 * the escaped bytes: 0x61+0x7d+0x03+0x7d+0x04+0x7d+0x5d+0x7d+0x0a = 0x2c3. */
	ck_assert_int_eq(mb_rsp_send_str(&s.rsp, "a#$}*"), 0);
	ck_assert_str_eq(stub_wrote(), "+$OK#9a$a}\x03}\x04}]}\n#c3");
	close_session();
}
END_TEST

START_TEST(target_description_matches_register_table)
{
	const struct mb_arch *a = mb_arch_by_name("powerpc32");
	size_t len;
	char *xml = mb_gdb_target_xml(a, &len);
	ck_assert_ptr_nonnull(strstr(xml, "<architecture>powerpc:common</architecture>"));
	ck_assert_ptr_nonnull(strstr(xml, "<feature name=\"org.gnu.gdb.power.core\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"xer\" bitsize=\"32\" type=\"int\" regnum=\"37\"/>"));
	free(xml);
	/* qXfer in pieces: 'm' while more follows, 'l' for the last piece. */
	open_session("x86_64");
	gdb_sends("$qXfer:features:read:target.xml:0,10#ac+");
	gdb_sends("$qXfer:features:read:target.xml:0,fff#7d+$k#6b");
	mb_gdb_serve(&s, NULL);
	const char *out = stub_wrote();
	ck_assert(strncmp(out, "+$m<?xml version", 16) == 0);
	ck_assert_ptr_nonnull(strstr(out, "$l<?xml version"));
	ck_assert_ptr_nonnull(strstr(out, "<architecture>i386:x86-64</architecture>"));
	close_session();
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(acks_checksums_and_resend),
		CHECK_TEST(bad_checksum_and_long_numbers),
		CHECK_TEST(registers_in_target_byte_order),
		CHECK_TEST(whole_register_file_size),
		CHECK_TEST(memory_read_write_and_short_reads),
		CHECK_TEST(breakpoints_and_resume_kinds),
		CHECK_TEST(resume_with_signal_is_plain_resume),
		CHECK_TEST(interrupt_byte_polled_without_losing_packets),
		CHECK_TEST(escapes_and_no_ack_mode),
		CHECK_TEST(target_description_matches_register_table),
	};
	const struct check_suite cs = { .suite = "rsp", .tcase = "rsp" };
	return CHECK_RUN(&cs, tests);
}
