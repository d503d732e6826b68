/* .modinfo, __versions and the appended signature, on hand-built bytes whose
 * expected fields are written out here from the kernel's formats. */
#include "harness/elf/modinfo.h"
#include "tests/check_main.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two padding NULs after "license" as the linker's alignment leaves them. */
static const char info[] = "license=GPL\0\0\0depends=libfoo,bar\0parm=level:verbosity (int)\0"
			   "parmtype=level:int\0parmtype=name:charp\0author=A\0author=B\0vermagic=6.1.0 SMP\0";

START_TEST(modinfo_entries)
{
	struct mb_modinfo mi;
	struct mb_err err = { "" };
	ck_assert_int_eq(mb_modinfo_parse(&mi, info, sizeof(info) - 1, "x.ko", &err), 0);
	ck_assert_uint_eq(mi.n, 8);
	ck_assert_str_eq(mb_modinfo_get(&mi, "license", 0), "GPL");
	ck_assert_str_eq(mb_modinfo_get(&mi, "depends", 0), "libfoo,bar");
	ck_assert_str_eq(mb_modinfo_get(&mi, "author", 1), "B");
	ck_assert_ptr_null(mb_modinfo_get(&mi, "author", 2));
	ck_assert_ptr_null(mb_modinfo_get(&mi, "autho", 0));
	ck_assert_uint_eq(mb_modinfo_count(&mi, "author"), 2);
	ck_assert_uint_eq(mb_modinfo_count(&mi, "parmtype"), 2);

	struct mb_modparam *p;
	size_t n;
	ck_assert_int_eq(mb_modinfo_params(&mi, &p, &n, "x.ko", &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0].name, "level");
	ck_assert_str_eq(p[0].type, "int");
	ck_assert_str_eq(p[0].desc, "verbosity (int)");
	ck_assert_str_eq(p[1].name, "name");
	ck_assert_str_eq(p[1].type, "charp");
	ck_assert_ptr_null(p[1].desc);
	free(p);
	mb_modinfo_free(&mi);
}
END_TEST

START_TEST(modinfo_errors)
{
	struct mb_modinfo mi;
	struct mb_err err = { "" };
	static const char unterminated[] = { 'a', '=', 'b', 0, 'c', '=', 'd' };
	ck_assert_int_eq(mb_modinfo_parse(&mi, unterminated, sizeof(unterminated), "x.ko", &err), -1);
	ck_assert_str_eq(err.msg, "x.ko: .modinfo: entry at offset 4 is not NUL-terminated: \"c=d\"");
	ck_assert_ptr_null(mi.entries);

	static const char noeq[] = "a=b\0garbage\0";
	ck_assert_int_eq(mb_modinfo_parse(&mi, noeq, sizeof(noeq) - 1, "x.ko", &err), -1);
	ck_assert_str_eq(err.msg, "x.ko: .modinfo: entry at offset 4 is not key=value: \"garbage\"");

	static const char badparm[] = "parm=nocolon\0";
	ck_assert_int_eq(mb_modinfo_parse(&mi, badparm, sizeof(badparm) - 1, "x.ko", &err), 0);
	struct mb_modparam *p;
	size_t n;
	ck_assert_int_eq(mb_modinfo_params(&mi, &p, &n, "x.ko", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "parm entry \"nocolon\" is not NAME:TEXT"));
	mb_modinfo_free(&mi);

	/* An empty section is a module with no info, not an error. */
	ck_assert_int_eq(mb_modinfo_parse(&mi, NULL, 0, "x.ko", &err), 0);
	ck_assert_uint_eq(mi.n, 0);
}
END_TEST

START_TEST(versions_both_layouts)
{
	/* 64-bit little-endian: 8-byte crc, 56-byte name. */
	unsigned char le[2 * 64] = { 0 };
	memcpy(le, "\x78\x56\x34\x12\x00\x00\x00\x00", 8);
	strcpy((char *)le + 8, "module_layout");
	memcpy(le + 64, "\xef\xbe\xad\xde\x01\x00\x00\x00", 8);
	strcpy((char *)le + 64 + 8, "kfree");
	struct mb_modversion *v;
	size_t n;
	struct mb_err err = { "" };
	ck_assert_int_eq(mb_versions_parse(le, sizeof(le), true, false, &v, &n, "x.ko", &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(v[0].crc, 0x12345678u);
	ck_assert_str_eq(v[0].name, "module_layout");
	ck_assert_uint_eq(v[1].crc, 0x1deadbeefull);
	ck_assert_str_eq(v[1].name, "kfree");
	free(v);

	/* 32-bit big-endian: 4-byte crc, 60-byte name. */
	unsigned char be[64] = { 0xa3, 0x51, 0xf3, 0x79 };
	strcpy((char *)be + 4, "printk");
	ck_assert_int_eq(mb_versions_parse(be, sizeof(be), false, true, &v, &n, "x.ko", &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(v[0].crc, 0xa351f379u);
	ck_assert_str_eq(v[0].name, "printk");
	free(v);

	ck_assert_int_eq(mb_versions_parse(be, 63, false, true, &v, &n, "x.ko", &err), -1);
	ck_assert_str_eq(err.msg, "x.ko: __versions: size 63 is not a multiple of the 64-byte entry");
	memset(be + 4, 'a', 60);
	ck_assert_int_eq(mb_versions_parse(be, 64, false, true, &v, &n, "x.ko", &err), -1);
	ck_assert_str_eq(err.msg, "x.ko: __versions: entry 0: name is not NUL-terminated within its field");
}
END_TEST

/* A minimal PKCS#7 SignedData, DER written out by hand: digestAlgorithms
 * {sha256}, data content, one SignerInfo with issuer CN "modbd", serial
 * 0x1234, digestAlgorithm sha512, rsaEncryption, a 2-byte signature. */
static const unsigned char pkcs7_der[115] = {
	0x30, 0x71, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
	0xa0, 0x64, 0x30, 0x62, 0x02, 0x01, 0x01,
	0x31, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
	0x31, 0x3f, 0x30, 0x3d, 0x02, 0x01, 0x01,
	0x30, 0x16, 0x30, 0x10, 0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x0c, 0x05, 'm', 'o', 'd', 'b', 'd', 0x02, 0x02, 0x12, 0x34,
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
	0x04, 0x02, 0xaa, 0xbb,
};

/* body (100 bytes) + blob (sig bytes) + struct module_signature + magic */
static size_t make_signed(unsigned char *buf, uint32_t sig, const unsigned char info12[12])
{
	memset(buf, 0x7f, 100);
	memset(buf + 100, 0x30, sig);
	if (sig == sizeof(pkcs7_der))
		memcpy(buf + 100, pkcs7_der, sig);
	memcpy(buf + 100 + sig, info12, 12);
	memcpy(buf + 112 + sig, "~Module signature appended~\n", 28);
	return 140 + sig;
}

START_TEST(signature_found)
{
	unsigned char buf[1024];
	/* PKCS#7, sig_len 0x1f0 = 496 (big-endian). */
	static const unsigned char pkcs7[12] = { 0, 0, 2, 0, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0xf0 };
	size_t len = make_signed(buf, 496, pkcs7);
	struct mb_modsig s;
	struct mb_err err = { "" };
	ck_assert_int_eq(mb_modsig_find(&s, buf, len, "x.ko", &err), 0);
	ck_assert(s.present);
	ck_assert_uint_eq(s.id_type, MB_PKEY_ID_PKCS7);
	ck_assert_str_eq(mb_modsig_id_type_name(s.id_type), "PKCS#7");
	ck_assert_uint_eq(s.sig_len, 496);
	ck_assert_uint_eq(s.signed_len, 100);
	ck_assert_uint_eq(s.sig_offset, 100);

	/* Through a file the blob is decoded too: 496 bytes of 0x30 are no
	 * ContentInfo. */
	char path[] = "/tmp/modbed-sig-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	struct mb_modsig f;
	ck_assert_int_eq(mb_modsig_read(&f, path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "module signature: PKCS#7 blob of 496 bytes: malformed"));
	unlink(path);

	/* A real SignedData structure. */
	static const unsigned char info115[12] = { 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 115 };
	len = make_signed(buf, 115, info115);
	strcpy(path, "/tmp/modbed-sig-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(mb_modsig_read(&f, path, &err), 0);
	unlink(path);
	ck_assert(f.present);
	ck_assert_uint_eq(f.sig_len, 115);
	ck_assert_uint_eq(f.signed_len, 100);
	ck_assert_str_eq(f.signer, "modbd");
	ck_assert_str_eq(f.key_id, "12:34");
	ck_assert_str_eq(f.hash_algo, "sha512");
	ck_assert_str_eq(f.sig_algo, "rsaEncryption");

	/* Truncated inside the SignerInfo: an error, fields cleared. */
	ck_assert_int_eq(mb_modsig_pkcs7(&f, pkcs7_der, 80, "x.ko", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "x.ko: module signature: PKCS#7 blob of 80 bytes: malformed"));
	ck_assert_str_eq(f.signer, "");
	len = make_signed(buf, 496, pkcs7);

	/* No magic: no signature, no error. */
	ck_assert_int_eq(mb_modsig_find(&s, buf, len - 1, "x.ko", &err), 0);
	ck_assert(!s.present);
	ck_assert_int_eq(mb_modsig_find(&s, buf, 5, "x.ko", &err), 0);
	ck_assert(!s.present);
}
END_TEST

START_TEST(signature_malformed)
{
	unsigned char buf[1024];
	struct mb_modsig s;
	struct mb_err err = { "" };
	/* sig_len claims 4096 bytes; only 100 + 16 precede the trailer. */
	static const unsigned char toolong[12] = { 0, 0, 2, 0, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00 };
	size_t len = make_signed(buf, 16, toolong);
	ck_assert_int_eq(mb_modsig_find(&s, buf, len, "x.ko", &err), -1);
	ck_assert_str_eq(err.msg, "x.ko: module signature: signature of 4096 bytes (signer 0, key id 0) "
				  "does not fit before the trailer: only 116 bytes precede it");
	ck_assert(!s.present);

	static const unsigned char hashset[12] = { 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 16 };
	len = make_signed(buf, 16, hashset);
	ck_assert_int_eq(mb_modsig_find(&s, buf, len, "x.ko", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "must have algo, hash, signer_len, key_id_len and padding 0, has 0, 4,"));

	/* Magic alone: too short for the info block. */
	ck_assert_int_eq(mb_modsig_find(&s, "abc~Module signature appended~\n", 31, "x.ko", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "too short"));
}
END_TEST

int main(void)
{
	const struct check_test tests[] = {
		CHECK_TEST(modinfo_entries),
		CHECK_TEST(modinfo_errors),
		CHECK_TEST(versions_both_layouts),
		CHECK_TEST(signature_found),
		CHECK_TEST(signature_malformed),
	};
	const struct check_suite cs = { .suite = "modinfo", .tcase = "modinfo" };
	return CHECK_RUN(&cs, tests);
}
