/* The PKCS#7 (DER) blob of a module signature: just enough of SignedData
 * to name the signer, the key id and the hash and signature algorithms.
 * The trailer that locates the blob is read in modinfo.c (mb_modsig_find,
 * mb_modsig_read). */
#include "harness/elf/modinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct der {
	const uint8_t *p, *end;
};

/* Reads one element: tag and contents. false if it runs past the end. */
static bool der_next(struct der *d, uint8_t *tag, struct der *val)
{
	if (d->end - d->p < 2)
		return false;
	*tag = *d->p++;
	size_t len = *d->p++;
	if (len & 0x80) {
		unsigned k = len & 0x7f;
		if (k == 0 || k > 4 || (size_t)(d->end - d->p) < k)
			return false;
		len = 0;
		while (k--)
			len = len << 8 | *d->p++;
	}
	if ((size_t)(d->end - d->p) < len)
		return false;
	val->p = d->p;
	val->end = d->p + len;
	d->p += len;
	return true;
}

/* Enters the next element, which must have `tag`. */
static bool der_enter(struct der *d, uint8_t tag, struct der *inner)
{
	uint8_t t;
	return der_next(d, &t, inner) && t == tag;
}

static const struct {
	const char *name;
	uint8_t len;
	uint8_t oid[10];
} oids[] = {
	{ "sha1", 5, { 0x2b, 0x0e, 0x03, 0x02, 0x1a } },
	{ "sha224", 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04 } },
	{ "sha256", 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 } },
	{ "sha384", 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 } },
	{ "sha512", 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 } },
	{ "sha3-256", 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08 } },
	{ "rsaEncryption", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 } },
	{ "id-ecPublicKey", 7, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 } },
	{ "ecdsa-with-SHA256", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 } },
	{ "ecdsa-with-SHA384", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 } },
	{ "ecdsa-with-SHA512", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 } },
};

/* The OID's name, or its dotted form. */
static void oid_name(const struct der *o, char *out, size_t n)
{
	size_t len = (size_t)(o->end - o->p);
	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		if (oids[i].len == len && memcmp(oids[i].oid, o->p, len) == 0) {
			snprintf(out, n, "%s", oids[i].name);
			return;
		}
	}
	size_t w = 0;
	unsigned long v = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && w < n; i++) {
		v = v << 7 | (o->p[i] & 0x7f);
		if (o->p[i] & 0x80)
			continue;
		int k = w == 0 ? snprintf(out, n, "%lu.%lu", v < 80 ? v / 40 : 2, v < 80 ? v % 40 : v - 80)
			       : snprintf(out + w, n - w, ".%lu", v);
		w += k > 0 ? (size_t)k : 0;
		v = 0;
	}
}

/* An AlgorithmIdentifier: SEQUENCE { OID, params }. */
static bool der_algorithm(struct der *d, char *out, size_t n)
{
	struct der seq, oid;
	if (!der_enter(d, 0x30, &seq) || !der_enter(&seq, 0x06, &oid))
		return false;
	oid_name(&oid, out, n);
	return true;
}

/* The commonName of an X.501 Name: SEQUENCE OF SET OF { OID, string }. */
static void der_cn(struct der name, char *out, size_t n)
{
	static const uint8_t cn[] = { 0x55, 0x04, 0x03 };
	struct der set, atv, oid, val;
	uint8_t tag;
	out[0] = '\0';
	while (der_enter(&name, 0x31, &set)) {
		while (der_enter(&set, 0x30, &atv)) {
			if (der_enter(&atv, 0x06, &oid) && oid.end - oid.p == 3 && memcmp(oid.p, cn, 3) == 0 &&
			    der_next(&atv, &tag, &val))
				snprintf(out, n, "%.*s", (int)(val.end - val.p), (const char *)val.p);
		}
	}
}

int mb_modsig_pkcs7(struct mb_modsig *sig, const void *der, size_t len, const char *file,
		    struct mb_err *err)
{
	static const uint8_t signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	struct der d = { der, (const uint8_t *)der + len }, ci, oid, expl, sd, set, si, ias, name, serial, tmp;
	uint8_t tag;
	const char *what;
	what = "ContentInfo";
	if (!der_enter(&d, 0x30, &ci) || !der_enter(&ci, 0x06, &oid))
		goto bad;
	what = "content type (not signedData)";
	if (oid.end - oid.p != (long)sizeof(signed_data) || memcmp(oid.p, signed_data, sizeof(signed_data)))
		goto bad;
	what = "SignedData";
	if (!der_enter(&ci, 0xa0, &expl) || !der_enter(&expl, 0x30, &sd) || !der_enter(&sd, 0x02, &tmp))
		goto bad;
	what = "digestAlgorithms";
	if (!der_enter(&sd, 0x31, &set) || !der_algorithm(&set, sig->hash_algo, sizeof(sig->hash_algo)))
		goto bad;
	what = "contentInfo";
	if (!der_enter(&sd, 0x30, &tmp))
		goto bad;
	/* Optional certificates [0] and crls [1], then signerInfos. */
	what = "signerInfos";
	do {
		if (!der_next(&sd, &tag, &set))
			goto bad;
	} while (tag == 0xa0 || tag == 0xa1);
	if (tag != 0x31 || !der_enter(&set, 0x30, &si) || !der_enter(&si, 0x02, &tmp))
		goto bad;
	what = "issuerAndSerialNumber";
	if (!der_enter(&si, 0x30, &ias) || !der_enter(&ias, 0x30, &name) || !der_enter(&ias, 0x02, &serial))
		goto bad;
	der_cn(name, sig->signer, sizeof(sig->signer));
	size_t w = 0;
	sig->key_id[0] = '\0';
	for (const uint8_t *p = serial.p; p < serial.end && w + 4 < sizeof(sig->key_id); p++)
		w += (size_t)snprintf(sig->key_id + w, sizeof(sig->key_id) - w, "%s%02X", w ? ":" : "", *p);
	what = "signer digestAlgorithm";
	if (!der_algorithm(&si, sig->hash_algo, sizeof(sig->hash_algo)))
		goto bad;
	what = "digestEncryptionAlgorithm";
	if (!der_next(&si, &tag, &tmp))
		goto bad;
	if (tag == 0xa0 && !der_next(&si, &tag, &tmp))  /* authenticatedAttributes */
		goto bad;
	if (tag != 0x30 || !der_enter(&tmp, 0x06, &oid))
		goto bad;
	oid_name(&oid, sig->sig_algo, sizeof(sig->sig_algo));
	return 0;
bad:
	sig->signer[0] = sig->key_id[0] = sig->hash_algo[0] = sig->sig_algo[0] = '\0';
	return mb_fail(err, file, "module signature", "PKCS#7 blob of %zu bytes: malformed %s", len, what);
}
