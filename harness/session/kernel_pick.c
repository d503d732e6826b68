#include "harness/session/kernel_pick.h"

#include "arch/arch.h"
#include "arch/map.h"
#include "harness/util/diag.h"
#include "harness/elf/elf.h"
#include "harness/util/json.h"
#include "harness/util/lines.h"
#include "harness/elf/modinfo.h"
#include "harness/session/system_map.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The first module's vermagic ("6.1.0-57-cloud-amd64 SMP mod_unload ...")
 * into buf; false if the file has none (or cannot be read: the load that
 * follows reports that). */
static bool vermagic_of(const char *path, char *buf, size_t n)
{
	struct mb_elf obj;
	struct mb_err err;
	if (mb_elf_open_path(&obj, path, NULL, &err) != 0)
		return false;
	bool found = false;
	uint32_t mi = mb_elf_find_section(&obj, ".modinfo");
	struct mb_modinfo info;
	if (mi && obj.secs[mi].data &&
	    mb_modinfo_parse(&info, obj.secs[mi].data, obj.secs[mi].size, obj.path, &err) == 0) {
		const char *v = mb_modinfo_get(&info, "vermagic", 0);
		if (v) {
			/* the release: "6.1.0-57-cloud-amd64" of "... SMP mod_unload" */
			snprintf(buf, n, "%.*s", (int)strcspn(v, " "), v);
			found = true;
		}
		mb_modinfo_free(&info);
	}
	mb_elf_close(&obj);
	return found;
}

static void list_rule_sets(char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < mb_nkvers && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s (%s)", i ? ", " : "", mb_kvers[i].name, mb_kvers[i].models);
		used += w > 0 ? (size_t)w : 0;
	}
}

int mb_kernel_pick(struct mb_kernel_pick *out, const char *opt, const char *first_path)
{
	char vermagic[96];
	memset(out, 0, sizeof(*out));
	if (opt) {
		out->kver = mb_kver_parse(opt, &out->version) ? mb_kver_find(out->version) : NULL;
		if (!out->kver) {
			char sets[256];
			list_rule_sets(sets, sizeof(sets));
			mb_errorf("usage: --kernel '%s': no modelled rule set at or below it (%s, latest)", opt, sets);
			return MB_EXIT_USAGE;
		}
		snprintf(out->source, sizeof(out->source), "--kernel %s", opt);
		return MB_EXIT_OK;
	}
	if (first_path && vermagic_of(first_path, vermagic, sizeof(vermagic)) &&
	    mb_kver_parse(vermagic, &out->version)) {
		out->kver = mb_kver_find(out->version);
		snprintf(out->source, sizeof(out->source), "vermagic %s%s", vermagic,
			 out->kver ? "" : ", older than every rule set");
		if (!out->kver)
			out->kver = &mb_kvers[0];
		return MB_EXIT_OK;
	}
	out->kver = mb_kver_latest();
	out->version = ~0u;
	snprintf(out->source, sizeof(out->source), "no vermagic");
	return MB_EXIT_OK;
}

struct config_scan {
	bool any, strict;
};

/* A .config names every option it decides, set or not; an option it does
 * not name cannot be selected on that arch (pmac32_defconfig has no
 * STRICT_MODULE_RWX line at all). */
static void config_line(void *ctx, const char *line)
{
	struct config_scan *c = ctx;
	c->any |= strncmp(line, "CONFIG_", 7) == 0 || strncmp(line, "# CONFIG_", 9) == 0;
	c->strict |= strcmp(line, "CONFIG_STRICT_MODULE_RWX=y\n") == 0;
}

int mb_kernel_pick_config(struct mb_kernel_pick *k, const char *path)
{
	k->config = mb_kconfig_default;
	k->config_path = path;
	if (!path)
		return MB_EXIT_OK;
	struct config_scan c = { false, false };
	if (mb_read_lines(path, "kernel config", config_line, &c) != MB_EXIT_OK)
		return MB_EXIT_ERROR;
	if (!c.any) {
		mb_errorf("%s: not a kernel config (no CONFIG_ line)", path);
		return MB_EXIT_ERROR;
	}
	k->config.strict_module_rwx = c.strict;
	return MB_EXIT_OK;
}

int mb_kernel_pick_image(struct mb_kernel_pick *k, const char *path, const struct mb_map **map)
{
	k->system_map = path;
	if (!path)
		return MB_EXIT_OK;
	if (mb_system_map_read(path, &k->stext, &k->etext) != MB_EXIT_OK)
		return MB_EXIT_ERROR;
	const char *why = NULL;
	k->image_map = **map;
	if (mb_map_set_kernel_image(&k->image_map, k->stext, k->etext, &why) != 0) {
		mb_errorf("%s: _stext 0x%" PRIx64 ", _etext 0x%" PRIx64 ": %s (map %s)", path, k->stext, k->etext, why,
			  (*map)->name);
		return MB_EXIT_ERROR;
	}
	*map = &k->image_map;
	return MB_EXIT_OK;
}

void mb_kernel_pick_text(const struct mb_kernel_pick *k, char *buf, size_t n)
{
	char cfg[400] = "", img[400] = "";
	if (k->config_path)
		snprintf(cfg, sizeof(cfg), "; config %s: STRICT_MODULE_RWX %s", k->config_path,
			 k->config.strict_module_rwx ? "on" : "off");
	if (k->system_map)
		snprintf(img, sizeof(img), "; System.map %s: _etext 0x%" PRIx64, k->system_map, k->etext);
	snprintf(buf, n, "kernel %s (rules of %s; %s%s%s)", k->kver->name, k->kver->models, k->source, cfg, img);
}

void mb_kernel_pick_json(const struct mb_kernel_pick *k, struct mb_json *j)
{
	mb_json_str(j, "kernel", k->kver->name);
	mb_json_str(j, "kernel_source", k->source);
	if (k->config_path)
		mb_json_str(j, "kernel_config", k->config_path);
	mb_json_bool(j, "strict_module_rwx", k->config.strict_module_rwx);
	if (k->system_map) {
		char etext[24];
		snprintf(etext, sizeof(etext), "0x%" PRIx64, k->etext);
		mb_json_str(j, "system_map", k->system_map);
		mb_json_str(j, "etext", etext);
	}
}

const struct mb_map *mb_kernel_pick_map(const struct mb_kernel_pick *k, const struct mb_arch *arch, const char *name)
{
	return name ? mb_arch_map(arch, name) : mb_arch_map_for_kernel(arch, k->version);
}
