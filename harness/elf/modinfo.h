/* What a kernel module says about itself, outside its loaded image:
 *  - `.modinfo`: the "key=value\0" strings MODULE_INFO() emits (vermagic,
 *    license, depends, parm/parmtype, ...); the kernel reads it and drops it;
 *  - `__versions`: modversions, one `struct modversion_info` per imported
 *    symbol { unsigned long crc; char name[64 - sizeof(long)]; } (64 bytes on
 *    both 32- and 64-bit), in the object's byte order;
 *  - the appended module signature: the file ends with the signature blob,
 *    a 12-byte `struct module_signature` and the magic
 *    "~Module signature appended~\n". Found and described, never verified.
 *
 * These parse raw bytes (section contents, file bytes) so they work on any
 * reader's output; every length is checked against the bytes given and a bad
 * one is an error `FILE: SECTION: what`. */
#ifndef MODBED_HARNESS_MODINFO_H
#define MODBED_HARNESS_MODINFO_H

#include "harness/util/diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_modinfo_entry {
	const char *key;      /* not NUL-terminated: keylen bytes */
	size_t keylen;
	const char *value;    /* NUL-terminated (inside the parsed bytes) */
};

struct mb_modinfo {
	struct mb_modinfo_entry *entries;  /* in file order */
	size_t n;
};

/* Splits `.modinfo` bytes into entries pointing into `data` (which must
 * outlive mi). Padding NULs between strings are skipped, as the kernel's
 * get_next_modinfo() does; an unterminated last string or one without '='
 * is an error. `file` names the object in messages. */
int mb_modinfo_parse(struct mb_modinfo *mi, const void *data, size_t size, const char *file,
		     struct mb_err *err);
void mb_modinfo_free(struct mb_modinfo *mi);

/* The i-th value (0-based) of `key`, or NULL. */
const char *mb_modinfo_get(const struct mb_modinfo *mi, const char *key, size_t i);
size_t mb_modinfo_count(const struct mb_modinfo *mi, const char *key);

/* One module parameter, from "parm=NAME:DESC" and "parmtype=NAME:TYPE". */
struct mb_modparam {
	char name[64];
	const char *type;     /* NULL if no parmtype line */
	const char *desc;     /* NULL if no parm line */
};
/* Parameters in order of first mention; *out is malloc'ed (free it). */
int mb_modinfo_params(const struct mb_modinfo *mi, struct mb_modparam **out, size_t *n,
		      const char *file, struct mb_err *err);

#define MB_MODVERSION_SIZE 64   /* sizeof(struct modversion_info), any word size */

struct mb_modversion {
	uint64_t crc;
	const char *name;     /* NUL-terminated, inside the parsed bytes */
};
/* Decodes `__versions`; *out is malloc'ed (free it), names point into data. */
int mb_versions_parse(const void *data, size_t size, bool is64, bool big_endian,
		      struct mb_modversion **out, size_t *n, const char *file, struct mb_err *err);

#define MB_MODSIG_MAGIC "~Module signature appended~\n"
#define MB_MODSIG_MAGIC_LEN 28
#define MB_MODSIG_INFO_LEN 12   /* sizeof(struct module_signature) */

enum { MB_PKEY_ID_PGP = 0, MB_PKEY_ID_X509 = 1, MB_PKEY_ID_PKCS7 = 2 };

struct mb_modsig {
	bool present;
	uint8_t algo, hash, id_type, signer_len, key_id_len;
	uint32_t sig_len;
	uint64_t signed_len;  /* bytes covered: the file before the signature */
	uint64_t sig_offset;  /* file offset of the signature blob */
	/* From the PKCS#7 SignedData blob (mb_modsig_read only; "" if not
	 * PKCS#7), what modinfo(8) shows as signer, sig_key, sig_hashalgo. */
	char signer[128];     /* the signer's issuer CN */
	char key_id[128];     /* the issuer serial number, hex bytes joined by ':' */
	char hash_algo[16];   /* "sha256", ... or the dotted OID */
	char sig_algo[32];    /* "rsaEncryption", ... or the dotted OID */
};
/* Looks for the trailer at the end of a module file's bytes. No magic: 0 with
 * present = false. A trailer whose lengths do not fit the file, or a PKCS#7
 * one with the fields the kernel requires to be zero set, is an error naming
 * the values (mod_check_sig()'s rules). */
int mb_modsig_find(struct mb_modsig *sig, const void *file_bytes, size_t size, const char *file,
		   struct mb_err *err);
/* Same, reading `path`; a PKCS#7 signature's blob is also decoded (DER,
 * every length checked) for signer, key id and algorithms. */
int mb_modsig_read(struct mb_modsig *sig, const char *path, struct mb_err *err);
/* Decodes a PKCS#7 SignedData blob into sig's signer/key_id/hash_algo/
 * sig_algo. A structure that does not parse is an error naming what. */
int mb_modsig_pkcs7(struct mb_modsig *sig, const void *der, size_t len, const char *file,
		    struct mb_err *err);
/* "PKCS#7", "X.509", "PGP" or "unknown". */
const char *mb_modsig_id_type_name(uint8_t id_type);

#endif
