/* Which kernel a command models: the rule set (core/kver.h) from --kernel,
 * else from the first module's vermagic (the nearest modelled rule set at
 * or below its version), and the default map for that version. Shared by
 * every command that loads (load, lookup, call, trace, corpus, maps). */
#ifndef MODBED_HARNESS_KERNEL_PICK_H
#define MODBED_HARNESS_KERNEL_PICK_H

#include "core/kver.h"
#include "arch/map.h"
#include "harness/load/loader.h"

#include <stddef.h>

struct mb_arch;
struct mb_map;

struct mb_kernel_pick {
	const struct mb_kver *kver;
	unsigned version;        /* MB_KVER of the kernel asked for (~0u: latest) */
	char source[160];        /* "--kernel 6.13", "vermagic 6.1.0-57-cloud-amd64", "no vermagic" */
	/* The kernel's configuration: --kernel-config FILE, else
	 * mb_kconfig_default; config_path is NULL for the default. */
	struct mb_kconfig config;
	const char *config_path;
	/* --system-map FILE: the real kernel image (_stext, _etext) and the
	 * map moved to it (mb_kernel_pick_image); NULL: the map's own. */
	const char *system_map;
	uint64_t stext, etext;
	struct mb_map image_map;
};

/* opt: --kernel's value or NULL; first_path: the first module (NULL: none,
 * the latest rules). A module whose vermagic names a kernel older than every
 * rule set gets the oldest one (the source says so). Returns MB_EXIT_OK, or
 * MB_EXIT_USAGE after a usage message for a --kernel no rule set covers. */
int mb_kernel_pick(struct mb_kernel_pick *out, const char *opt, const char *first_path);

/* --kernel-config FILE (path NULL: Debian's defaults, mb_kconfig_default):
 * the options of struct mb_kconfig from the kernel's .config ("CONFIG_X=y";
 * absent or "# CONFIG_X is not set": off). Returns MB_EXIT_OK, or
 * MB_EXIT_ERROR after `modbed: FILE: ...` when the file cannot be read or
 * holds no CONFIG_ line. Call after mb_kernel_pick. */
int mb_kernel_pick_config(struct mb_kernel_pick *k, const char *path);

/* --system-map FILE (path NULL: nothing changes): *map becomes a copy of
 * itself (k->image_map) with the kernel image of FILE's _stext/_etext and
 * the windows derived from _etext moved with it (mb_map_set_kernel_image).
 * Returns MB_EXIT_OK, or MB_EXIT_ERROR after `modbed: FILE: ...`. Call
 * after mb_kernel_pick_map. */
int mb_kernel_pick_image(struct mb_kernel_pick *k, const char *path, const struct mb_map **map);

/* "kernel 6.1 (rules of 5.18-6.3; vermagic 6.1.0-57-cloud-amd64)", with
 * "; config FILE: STRICT_MODULE_RWX off" inside the parentheses when a
 * config was given, and "; System.map FILE: _etext 0x..." with one */
void mb_kernel_pick_text(const struct mb_kernel_pick *k, char *buf, size_t n);

struct mb_json;
/* "kernel": "6.1", "kernel_source": "vermagic 6.1.0-57-cloud-amd64",
 * "strict_module_rwx": true, and "kernel_config": FILE when one was given */
void mb_kernel_pick_json(const struct mb_kernel_pick *k, struct mb_json *j);

/* The map to use: name if given (NULL if the arch has none), else the arch's
 * default for the picked kernel. */
const struct mb_map *mb_kernel_pick_map(const struct mb_kernel_pick *k, const struct mb_arch *arch,
					const char *name);

#endif
