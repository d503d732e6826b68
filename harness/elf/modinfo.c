#include "harness/elf/modinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mb_modinfo_parse(struct mb_modinfo *mi, const void *data, size_t size, const char *file,
		     struct mb_err *err)
{
	const char *p = data, *end = p ? p + size : NULL;
	size_t cap = 0, n = 0;
	struct mb_modinfo_entry *v = NULL;

	mi->entries = NULL;
	mi->n = 0;
	while (p && p < end) {
		if (*p == '\0') {  /* alignment padding between strings */
			p++;
			continue;
		}
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		const char *eq = nul ? memchr(p, '=', (size_t)(nul - p)) : NULL;
		if (nul == NULL || eq == NULL) {
			int len = (int)((nul ? nul : end) - p);
			free(v);
			return mb_fail(err, file, ".modinfo", "entry at offset %zu is %s: \"%.*s\"",
				       (size_t)(p - (const char *)data),
				       nul ? "not key=value" : "not NUL-terminated", len > 60 ? 60 : len, p);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			struct mb_modinfo_entry *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				return mb_fail(err, file, ".modinfo", "out of memory");
			}
			v = nv;
		}
		v[n].key = p;
		v[n].keylen = (size_t)(eq - p);
		v[n].value = eq + 1;
		n++;
		p = nul + 1;
	}
	mi->entries = v;
	mi->n = n;
	return 0;
}

void mb_modinfo_free(struct mb_modinfo *mi)
{
	free(mi->entries);
	mi->entries = NULL;
	mi->n = 0;
}

static bool key_is(const struct mb_modinfo_entry *e, const char *key)
{
	size_t k = strlen(key);
	return e->keylen == k && memcmp(e->key, key, k) == 0;
}

const char *mb_modinfo_get(const struct mb_modinfo *mi, const char *key, size_t i)
{
	for (size_t j = 0; j < mi->n; j++)
		if (key_is(&mi->entries[j], key) && i-- == 0)
			return mi->entries[j].value;
	return NULL;
}

size_t mb_modinfo_count(const struct mb_modinfo *mi, const char *key)
{
	size_t c = 0;
	for (size_t j = 0; j < mi->n; j++)
		c += key_is(&mi->entries[j], key);
	return c;
}

int mb_modinfo_params(const struct mb_modinfo *mi, struct mb_modparam **out, size_t *n,
		      const char *file, struct mb_err *err)
{
	struct mb_modparam *v = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	for (size_t j = 0; j < mi->n; j++) {
		const struct mb_modinfo_entry *e = &mi->entries[j];
		bool is_type = key_is(e, "parmtype");
		if (!is_type && !key_is(e, "parm"))
			continue;
		const char *colon = strchr(e->value, ':');
		size_t len = colon ? (size_t)(colon - e->value) : 0;
		if (colon == NULL || len == 0 || len >= sizeof(v->name)) {
			free(v);
			return mb_fail(err, file, ".modinfo", "%s entry \"%.60s\" is not NAME:TEXT with a name of 1..%zu bytes",
				       is_type ? "parmtype" : "parm", e->value, sizeof(v->name) - 1);
		}
		size_t k = 0;
		while (k < cnt && !(strncmp(v[k].name, e->value, len) == 0 && v[k].name[len] == '\0'))
			k++;
		if (k == cnt) {
			/* At most one new parameter per entry: mi->n bounds the array. */
			if (v == NULL && (v = calloc(mi->n, sizeof(*v))) == NULL)
				return mb_fail(err, file, ".modinfo", "out of memory");
			memcpy(v[k].name, e->value, len);
			v[k].name[len] = '\0';
			cnt++;
		}
		if (is_type)
			v[k].type = colon + 1;
		else
			v[k].desc = colon + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static uint64_t load_uint(const uint8_t *p, size_t len, bool big_endian)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[big_endian ? i : len - 1 - i] << (8 * (len - 1 - i));
	return v;
}

int mb_versions_parse(const void *data, size_t size, bool is64, bool big_endian,
		      struct mb_modversion **out, size_t *n, const char *file, struct mb_err *err)
{
	*out = NULL;
	*n = 0;
	if (size % MB_MODVERSION_SIZE != 0)
		return mb_fail(err, file, "__versions", "size %zu is not a multiple of the %d-byte entry",
			       size, MB_MODVERSION_SIZE);
	size_t cnt = size / MB_MODVERSION_SIZE, word = is64 ? 8 : 4;
	if (cnt == 0)
		return 0;
	struct mb_modversion *v = calloc(cnt, sizeof(*v));
	if (v == NULL)
		return mb_fail(err, file, "__versions", "out of memory");
	const uint8_t *base = data;
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *e = base + i * MB_MODVERSION_SIZE;
		const char *name = (const char *)e + word;
		if (memchr(name, '\0', MB_MODVERSION_SIZE - word) == NULL || name[0] == '\0') {
			free(v);
			return mb_fail(err, file, "__versions", "entry %zu: name is %s", i,
				       name[0] ? "not NUL-terminated within its field" : "empty");
		}
		v[i].crc = load_uint(e, word, big_endian);
		v[i].name = name;
	}
	*out = v;
	*n = cnt;
	return 0;
}

const char *mb_modsig_id_type_name(uint8_t id_type)
{
	switch (id_type) {
	case MB_PKEY_ID_PGP: return "PGP";
	case MB_PKEY_ID_X509: return "X.509";
	case MB_PKEY_ID_PKCS7: return "PKCS#7";
	default: return "unknown";
	}
}

/* Decodes the trailer: the last MB_MODSIG_INFO_LEN + MB_MODSIG_MAGIC_LEN bytes
 * of a file of `size` bytes (fewer if the file is shorter). */
static int modsig_decode(struct mb_modsig *sig, const uint8_t *tail, size_t tail_len, uint64_t size,
			 const char *file, struct mb_err *err)
{
	memset(sig, 0, sizeof(*sig));
	if (tail_len < MB_MODSIG_MAGIC_LEN ||
	    memcmp(tail + tail_len - MB_MODSIG_MAGIC_LEN, MB_MODSIG_MAGIC, MB_MODSIG_MAGIC_LEN) != 0)
		return 0;
	if (tail_len < MB_MODSIG_MAGIC_LEN + MB_MODSIG_INFO_LEN)
		return mb_fail(err, file, "module signature", "magic found but the file (%llu bytes) is too short "
			       "for the %d-byte signature info before it", (unsigned long long)size,
			       MB_MODSIG_INFO_LEN);
	const uint8_t *ms = tail + tail_len - MB_MODSIG_MAGIC_LEN - MB_MODSIG_INFO_LEN;
	struct mb_modsig s = {
		.present = true,
		.algo = ms[0], .hash = ms[1], .id_type = ms[2], .signer_len = ms[3], .key_id_len = ms[4],
		.sig_len = (uint32_t)load_uint(ms + 8, 4, true),
	};
	uint64_t rest = size - MB_MODSIG_MAGIC_LEN - MB_MODSIG_INFO_LEN;
	uint64_t blob = (uint64_t)s.sig_len + s.signer_len + s.key_id_len;
	if (blob >= rest)
		return mb_fail(err, file, "module signature", "signature of %u bytes (signer %u, key id %u) "
			       "does not fit before the trailer: only %llu bytes precede it",
			       s.sig_len, s.signer_len, s.key_id_len, (unsigned long long)rest);
	if (s.id_type == MB_PKEY_ID_PKCS7 &&
	    (s.algo || s.hash || s.signer_len || s.key_id_len || ms[5] || ms[6] || ms[7]))
		return mb_fail(err, file, "module signature", "PKCS#7 signature info must have algo, hash, "
			       "signer_len, key_id_len and padding 0, has %u, %u, %u, %u, %02x%02x%02x",
			       s.algo, s.hash, s.signer_len, s.key_id_len, ms[5], ms[6], ms[7]);
	s.signed_len = rest - blob;
	s.sig_offset = s.signed_len;
	*sig = s;
	return 0;
}

#define MODSIG_TAIL (MB_MODSIG_INFO_LEN + MB_MODSIG_MAGIC_LEN)

int mb_modsig_find(struct mb_modsig *sig, const void *file_bytes, size_t size, const char *file,
		   struct mb_err *err)
{
	size_t t = size < MODSIG_TAIL ? size : MODSIG_TAIL;
	return modsig_decode(sig, (const uint8_t *)file_bytes + size - t, t, size, file, err);
}

/* ---- PKCS#7 (DER) --------------------------------------------------------- */

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

int mb_modsig_read(struct mb_modsig *sig, const char *path, struct mb_err *err)
{
	memset(sig, 0, sizeof(*sig));
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mb_fail(err, path, NULL, "cannot open: %s", strerror(errno));
	uint8_t tail[MODSIG_TAIL];
	long size = -1;
	size_t got = 0;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0) {
		long want = size < (long)sizeof(tail) ? size : (long)sizeof(tail);
		if (fseek(f, size - want, SEEK_SET) == 0)
			got = fread(tail, 1, (size_t)want, f);
		if (got != (size_t)want)
			size = -1;
	}
	if (size < 0) {
		fclose(f);
		return mb_fail(err, path, NULL, "cannot read the end of the file");
	}
	int rc = modsig_decode(sig, tail, got, (uint64_t)size, path, err);
	if (rc != 0 || !sig->present || sig->id_type != MB_PKEY_ID_PKCS7) {
		fclose(f);
		return rc;
	}
	uint8_t *blob = malloc(sig->sig_len);
	rc = blob == NULL ? mb_fail(err, path, "module signature", "out of memory") : 0;
	if (rc == 0 && (fseek(f, (long)sig->sig_offset, SEEK_SET) != 0 ||
			fread(blob, 1, sig->sig_len, f) != sig->sig_len))
		rc = mb_fail(err, path, "module signature", "cannot read the %u-byte signature", sig->sig_len);
	fclose(f);
	if (rc == 0)
		rc = mb_modsig_pkcs7(sig, blob, sig->sig_len, path, err);
	free(blob);
	return rc;
}
