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
