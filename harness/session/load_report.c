#include "harness/session/load_report.h"

#include "arch/arch.h"

#include "harness/session/load_cli.h"
#include "harness/load/space.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

static const char *undef_kind(enum mb_undef_kind k)
{
	switch (k) {
	case MB_UNDEF_MODULE: return "module";
	case MB_UNDEF_KERNEL: return "kernel";
	case MB_UNDEF_TRAP: return "trap";
	default: return "weak";
	}
}

/* Init memory is gone after init: its range may already hold another
 * module's memory, so say so rather than print a stale permission. */
static bool type_freed(const struct mb_loaded_module *mod, int t)
{
	return mod->init_freed && mod_mem_type_is_init(t);
}

void mb_report_module_text(FILE *f, const struct mb_loaded_module *mod)
{
	fprintf(f, "module %s (%s)\n", mod->name, mod->path);
	fprintf(f, "  %-14s %-18s %10s %10s  %s\n", "type", "base", "size", "used", "perm");
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!mod->alloc[t].size)
			continue;
		fprintf(f, "  %-14s 0x%-16lx %#10lx %#10lx  %s\n", mod_mem_type_name(t), mod->alloc[t].base,
			mod->alloc[t].size, mod->used[t], type_freed(mod, t) ? "freed" : mb_perm_str(mod->perm[t]));
	}
	if (mod->plt_capacity[0] || mod->plt_capacity[1])
		fprintf(f, "  plt: core %u of %u entries, init %u of %u\n", mod->plt_used[0], mod->plt_capacity[0],
			mod->plt_used[1], mod->plt_capacity[1]);
	else
		fprintf(f, "  plt: none\n");
	fprintf(f, "  relocations: %zu applied, %zu skipped (non-allocated target)\n", mod->nrelocs_applied,
		mod->nrelocs_skipped);
	for (size_t i = 0; i < mod->nreloc_types; i++) {
		const struct mb_reloc_count *c = &mod->relocs[i];
		if (c->name)
			fprintf(f, "    %-28s %u\n", c->name, c->count);
		else
			fprintf(f, "    type %-23u %u\n", c->type, c->count);
	}
	if (mod->nexports) {
		fprintf(f, "  exports: %zu\n", mod->nexports);
		for (size_t i = 0; i < mod->nexports; i++)
			fprintf(f, "    %-28s 0x%" PRIx64 "%s%s%s\n", mod->exports[i].name, mod->exports[i].addr,
				mod->exports[i].gpl ? " gpl" : "", mod->exports[i].ns[0] ? " ns " : "", mod->exports[i].ns);
	}
	fprintf(f, "  undefined: %zu\n", mod->nundefs);
	for (size_t i = 0; i < mod->nundefs; i++) {
		const struct mb_module_undef *u = &mod->undefs[i];
		fprintf(f, "    %-28s 0x%-16" PRIx64 " %s%s%s\n", u->name, u->addr, undef_kind(u->kind),
			u->kind == MB_UNDEF_MODULE ? " " : "", u->kind == MB_UNDEF_MODULE ? u->provider : "");
	}
	if (mod->init_addr || mod->exit_addr)
		fprintf(f, "  init 0x%" PRIx64 ", exit 0x%" PRIx64 "\n", mod->init_addr, mod->exit_addr);
}

static void undefs_json(struct mb_json *j, const struct mb_loaded_module *mod)
{
	mb_json_array(j, "undefined");
	for (size_t i = 0; i < mod->nundefs; i++) {
		const struct mb_module_undef *u = &mod->undefs[i];
		mb_json_object(j, NULL);
		mb_json_str(j, "name", u->name);
		mb_json_hex(j, "addr", u->addr);
		mb_json_str(j, "provider", u->provider);
		mb_json_str(j, "kind", undef_kind(u->kind));
		mb_json_end(j);
	}
	mb_json_end(j);
}

void mb_report_module_json(struct mb_json *j, const struct mb_loaded_module *mod)
{
	mb_json_object(j, NULL);
	mb_json_str(j, "name", mod->name);
	mb_json_str(j, "path", mod->path);
	mb_json_array(j, "types");
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (!mod->alloc[t].size)
			continue;
		mb_json_object(j, NULL);
		mb_json_str(j, "type", mod_mem_type_name(t));
		mb_json_hex(j, "base", mod->alloc[t].base);
		mb_json_hex(j, "size", mod->alloc[t].size);
		mb_json_hex(j, "used", mod->used[t]);
		mb_json_str(j, "perm", mb_perm_str(mod->perm[t]));
		mb_json_bool(j, "freed", type_freed(mod, t));
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_object(j, "plt");
	mb_json_u64(j, "core_used", mod->plt_used[0]);
	mb_json_u64(j, "core_capacity", mod->plt_capacity[0]);
	mb_json_u64(j, "init_used", mod->plt_used[1]);
	mb_json_u64(j, "init_capacity", mod->plt_capacity[1]);
	mb_json_end(j);
	mb_json_object(j, "relocations");
	mb_json_u64(j, "applied", mod->nrelocs_applied);
	mb_json_u64(j, "skipped", mod->nrelocs_skipped);
	mb_json_object(j, "types");
	for (size_t i = 0; i < mod->nreloc_types; i++) {
		char key[32];
		const char *name = mod->relocs[i].name;
		if (!name) {
			snprintf(key, sizeof(key), "%u", mod->relocs[i].type);
			name = key;
		}
		mb_json_u64(j, name, mod->relocs[i].count);
	}
	mb_json_end(j);
	mb_json_end(j);
	mb_json_array(j, "exports");
	for (size_t i = 0; i < mod->nexports; i++) {
		mb_json_object(j, NULL);
		mb_json_str(j, "name", mod->exports[i].name);
		mb_json_hex(j, "addr", mod->exports[i].addr);
		mb_json_bool(j, "gpl", mod->exports[i].gpl);
		mb_json_str(j, "namespace", mod->exports[i].ns);
		mb_json_end(j);
	}
	mb_json_end(j);
	undefs_json(j, mod);
	mb_json_hex(j, "init", mod->init_addr);
	mb_json_hex(j, "exit", mod->exit_addr);
	mb_json_end(j);
}

/* ---- --dump ------------------------------------------------------------ */

/* A section name as a file name: '/' and leading dots would surprise. */
static void file_name(char *buf, size_t n, const char *sec)
{
	snprintf(buf, n, "%s.bin", sec[0] ? sec : "unnamed");
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = '_';
}

static int make_dir(const char *path, struct mb_err *err)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return mb_fail(err, path, NULL, "cannot create directory: %s", strerror(errno));
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len, struct mb_err *err)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return mb_fail(err, path, NULL, "cannot create: %s", strerror(errno));
	size_t w = len ? fwrite(buf, 1, len, f) : 0;
	if (fclose(f) != 0 || w != len)
		return mb_fail(err, path, NULL, "write failed: %s", strerror(errno));
	return 0;
}

int mb_dump_module(const struct mb_loader *l, const struct mb_loaded_module *mod, const char *dir,
		   struct mb_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, mod->name);
	if (make_dir(dir, err) != 0 || make_dir(path, err) != 0)
		return -1;
	for (size_t i = 0; i < mod->nsections; i++) {
		const struct mb_placed_section *s = &mod->sections[i];
		char fn[256];
		file_name(fn, sizeof(fn), s->name);
		snprintf(path, sizeof(path), "%s/%s/%s", dir, mod->name, fn);
		const void *bytes = s->size ? mb_space_host(l->space, s->addr, s->size) : "";
		if (!bytes)
			return mb_fail(err, mod->path, s->name, "placed bytes at 0x%" PRIx64 " not in guest memory", s->addr);
		if (write_file(path, bytes, (size_t)s->size, err) != 0)
			return -1;
	}
	return 0;
}

int mb_dump_layout(const struct mb_loader *l, const char *dir, struct mb_err *err)
{
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		if (mb_dump_module(l, m, dir, err) != 0)
			return -1;
	return mb_dump_layout_json(l, dir, err);
}

int mb_dump_layout_json(const struct mb_loader *l, const char *dir, struct mb_err *err)
{
	if (make_dir(dir, err) != 0)
		return -1;
	char path[4096];
	snprintf(path, sizeof(path), "%s/layout.json", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return mb_fail(err, path, NULL, "cannot create: %s", strerror(errno));
	struct mb_json j;
	mb_json_init(&j, f, true);
	mb_json_object(&j, NULL);
	mb_json_str(&j, "arch", l->arch->name);
	mb_json_array(&j, "modules");
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next) {
		mb_json_object(&j, NULL);
		mb_json_str(&j, "name", m->name);
		mb_json_array(&j, "sections");
		for (size_t i = 0; i < m->nsections; i++) {
			const struct mb_placed_section *s = &m->sections[i];
			char fn[256], rel[320];
			file_name(fn, sizeof(fn), s->name);
			snprintf(rel, sizeof(rel), "%s/%s", m->name, fn);
			mb_json_object(&j, NULL);
			mb_json_str(&j, "name", s->name);
			mb_json_str(&j, "type", mod_mem_type_name(s->type));
			mb_json_hex(&j, "addr", s->addr);
			mb_json_hex(&j, "size", s->size);
			mb_json_str(&j, "file", rel);
			mb_json_end(&j);
		}
		mb_json_end(&j);
		mb_json_array(&j, "symbols");
		for (size_t i = 0; i < m->nsymbols; i++) {
			const struct mb_module_symbol *y = &m->symbols[i];
			mb_json_object(&j, NULL);
			mb_json_str(&j, "name", y->name);
			mb_json_hex(&j, "addr", y->addr);
			mb_json_str(&j, "section", y->section >= 0 ? m->sections[y->section].name : "*ABS*");
			mb_json_end(&j);
		}
		mb_json_end(&j);
		undefs_json(&j, m);
		mb_json_end(&j);
	}
	mb_json_finish(&j);
	if (fclose(f) != 0)
		return mb_fail(err, path, NULL, "write failed: %s", strerror(errno));
	return 0;
}
