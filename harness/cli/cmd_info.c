/* modbed info FILE...: what a module says about itself (.modinfo,
 * __versions, the appended signature), as modinfo(8) shows it. */
#include "arch/arch.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/elf/elf.h"
#include "harness/util/json.h"
#include "harness/elf/modinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct info {
	const char *path;
	const struct mb_elf *obj;
	struct mb_modinfo mi;
	struct mb_modparam *params;
	size_t nparams;
	size_t nversions;
	bool has_versions;
	struct mb_modsig sig;
};

static bool flag_yes(const struct mb_modinfo *mi, const char *key)
{
	const char *v = mb_modinfo_get(mi, key, 0);
	return v && strcmp(v, "Y") == 0;
}

/* The module's name: .modinfo "name=", as modpost writes it. */
static const char *module_name(const struct info *in)
{
	const char *n = mb_modinfo_get(&in->mi, "name", 0);
	return n ? n : "";
}

static int gather(struct info *in, const struct mb_elf *obj, struct mb_err *err)
{
	memset(in, 0, sizeof(*in));
	in->path = obj->path;
	in->obj = obj;
	uint32_t mi = mb_elf_find_section(obj, ".modinfo");
	if (mi && mb_modinfo_parse(&in->mi, obj->secs[mi].data, obj->secs[mi].data ? obj->secs[mi].size : 0,
				   obj->path, err) != 0)
		return -1;
	if (mb_modinfo_params(&in->mi, &in->params, &in->nparams, obj->path, err) != 0)
		return -1;
	uint32_t vs = mb_elf_find_section(obj, "__versions");
	if (vs) {
		struct mb_modversion *v;
		const struct mb_elf_section *s = &obj->secs[vs];
		if (mb_versions_parse(s->data, s->data ? s->size : 0, obj->is64, obj->big_endian, &v,
				      &in->nversions, obj->path, err) != 0)
			return -1;
		free(v);
		in->has_versions = true;
	}
	return mb_modsig_read(&in->sig, obj->path, err);
}

static void release(struct info *in)
{
	mb_modinfo_free(&in->mi);
	free(in->params);
}

/* Prints every value of key, one line each, under a label. */
static void text_all(const struct info *in, const char *label, const char *key)
{
	size_t n = mb_modinfo_count(&in->mi, key);
	for (size_t i = 0; i < n; i++)
		printf("%-12s %s\n", label, mb_modinfo_get(&in->mi, key, i));
}

static void print_text(const struct info *in)
{
	const struct mb_modinfo *mi = &in->mi;
	printf("filename:    %s\n", in->path);
	printf("arch:        %s (%s-endian ELF%d)\n", in->obj->arch ? in->obj->arch->name : "?",
	       in->obj->big_endian ? "big" : "little", in->obj->is64 ? 64 : 32);
	printf("name:        %s\n", module_name(in));
	text_all(in, "vermagic:", "vermagic");
	text_all(in, "license:", "license");
	text_all(in, "description:", "description");
	text_all(in, "author:", "author");
	const char *dep = mb_modinfo_get(mi, "depends", 0);
	printf("depends:     %s\n", dep ? dep : "");
	text_all(in, "srcversion:", "srcversion");
	text_all(in, "import_ns:", "import_ns");
	printf("intree:      %s\n", flag_yes(mi, "intree") ? "yes" : "no");
	printf("retpoline:   %s\n", flag_yes(mi, "retpoline") ? "yes" : "no");
	printf("aliases:     %zu\n", mb_modinfo_count(mi, "alias"));
	if (in->has_versions)
		printf("versions:    %zu symbols (__versions)\n", in->nversions);
	else
		printf("versions:    none (no __versions section)\n");
	for (size_t i = 0; i < in->nparams; i++)
		printf("parm:        %s:%s (%s)\n", in->params[i].name, in->params[i].desc ? in->params[i].desc : "",
		       in->params[i].type ? in->params[i].type : "?");
	if (in->sig.present)
		printf("signature:   %s, %u bytes at offset %llu (algo %u, hash %u, id type %u, "
		       "signer length %u, key id length %u)\n",
		       mb_modsig_id_type_name(in->sig.id_type), in->sig.sig_len,
		       (unsigned long long)in->sig.sig_offset, in->sig.algo, in->sig.hash, in->sig.id_type,
		       in->sig.signer_len, in->sig.key_id_len);
	if (in->sig.present && in->sig.signer[0]) {
		printf("signer:      %s\n", in->sig.signer);
		printf("sig_key:     %s\n", in->sig.key_id);
		printf("sig_hashalgo: %s (signature %s)\n", in->sig.hash_algo, in->sig.sig_algo);
	}
	if (!in->sig.present)
		printf("signature:   none\n");
}

static void json_all(struct mb_json *j, const struct info *in, const char *key, const char *jkey)
{
	mb_json_array(j, jkey);
	size_t n = mb_modinfo_count(&in->mi, key);
	for (size_t i = 0; i < n; i++)
		mb_json_str(j, NULL, mb_modinfo_get(&in->mi, key, i));
	mb_json_end(j);
}

static void print_json(struct mb_json *j, const struct info *in)
{
	const struct mb_modinfo *mi = &in->mi;
	mb_json_object(j, NULL);
	mb_json_str(j, "file", in->path);
	mb_json_str(j, "arch", in->obj->arch ? in->obj->arch->name : NULL);
	mb_json_str(j, "name", module_name(in));
	mb_json_str(j, "vermagic", mb_modinfo_get(mi, "vermagic", 0));
	mb_json_str(j, "license", mb_modinfo_get(mi, "license", 0));
	mb_json_str(j, "description", mb_modinfo_get(mi, "description", 0));
	json_all(j, in, "author", "author");
	mb_json_array(j, "depends");
	const char *dep = mb_modinfo_get(mi, "depends", 0);
	for (const char *p = dep; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		mb_json_str(j, NULL, name);
		p += len + (comma != NULL);
	}
	mb_json_end(j);
	mb_json_str(j, "srcversion", mb_modinfo_get(mi, "srcversion", 0));
	json_all(j, in, "import_ns", "import_ns");
	mb_json_bool(j, "intree", flag_yes(mi, "intree"));
	mb_json_bool(j, "retpoline", flag_yes(mi, "retpoline"));
	mb_json_u64(j, "aliases", mb_modinfo_count(mi, "alias"));
	if (in->has_versions)
		mb_json_u64(j, "versions", in->nversions);
	else
		mb_json_null(j, "versions");
	mb_json_array(j, "parameters");
	for (size_t i = 0; i < in->nparams; i++) {
		mb_json_object(j, NULL);
		mb_json_str(j, "name", in->params[i].name);
		mb_json_str(j, "type", in->params[i].type);
		mb_json_str(j, "description", in->params[i].desc);
		mb_json_end(j);
	}
	mb_json_end(j);
	if (in->sig.present) {
		mb_json_object(j, "signature");
		mb_json_str(j, "id_type_name", mb_modsig_id_type_name(in->sig.id_type));
		mb_json_u64(j, "algo", in->sig.algo);
		mb_json_u64(j, "hash", in->sig.hash);
		mb_json_u64(j, "id_type", in->sig.id_type);
		mb_json_u64(j, "signer_len", in->sig.signer_len);
		mb_json_u64(j, "key_id_len", in->sig.key_id_len);
		mb_json_u64(j, "sig_len", in->sig.sig_len);
		mb_json_u64(j, "sig_offset", in->sig.sig_offset);
		mb_json_str(j, "signer", in->sig.signer[0] ? in->sig.signer : NULL);
		mb_json_str(j, "key_id", in->sig.key_id[0] ? in->sig.key_id : NULL);
		mb_json_str(j, "hash_algo", in->sig.hash_algo[0] ? in->sig.hash_algo : NULL);
		mb_json_str(j, "sig_algo", in->sig.sig_algo[0] ? in->sig.sig_algo : NULL);
		mb_json_end(j);
	} else {
		mb_json_null(j, "signature");
	}
	mb_json_end(j);
}

int cmd_info(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_JSON | MB_OPT_PATHS) != 0)
		return MB_EXIT_USAGE;
	if (cli->npaths == 0) {
		mb_errorf("usage: info needs at least one module file");
		return MB_EXIT_USAGE;
	}
	struct mb_json j;
	if (cli->json) {
		mb_json_init(&j, stdout, true);
		mb_json_object(&j, NULL);
		mb_json_array(&j, "modules");
	}
	int status = MB_EXIT_OK;
	for (size_t i = 0; i < cli->npaths; i++) {
		struct mb_elf obj;
		struct mb_err err = { "" };
		struct info in;
		memset(&obj, 0, sizeof(obj));
		memset(&in, 0, sizeof(in));
		if (mb_elf_open_path(&obj, cli->paths[i], NULL, &err) != 0 || gather(&in, &obj, &err) != 0) {
			mb_report(&err);
			status = MB_EXIT_ERROR;
		} else if (cli->json) {
			print_json(&j, &in);
		} else {
			if (i > 0)
				putchar('\n');
			print_text(&in);
		}
		release(&in);
		mb_elf_close(&obj);
	}
	if (cli->json) {
		mb_json_end(&j);
		mb_json_end(&j);
		mb_json_finish(&j);
	}
	return status;
}
