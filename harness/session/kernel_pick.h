/* Which kernel a command models: the rule set (core/kver.h) from --kernel,
 * else from the first module's vermagic (the nearest modelled rule set at
 * or below its version), and the default map for that version. Shared by
 * every command that loads (load, lookup, call, trace, corpus, maps). */
#ifndef MODBED_HARNESS_KERNEL_PICK_H
#define MODBED_HARNESS_KERNEL_PICK_H

#include "core/kver.h"

#include <stddef.h>

struct mb_arch;
struct mb_map;

struct mb_kernel_pick {
	const struct mb_kver *kver;
	unsigned version;        /* MB_KVER of the kernel asked for (~0u: latest) */
	char source[160];        /* "--kernel 6.13", "vermagic 6.1.0-57-cloud-amd64", "no vermagic" */
};

/* opt: --kernel's value or NULL; first_path: the first module (NULL: none,
 * the latest rules). A module whose vermagic names a kernel older than every
 * rule set gets the oldest one (the source says so). Returns MB_EXIT_OK, or
 * MB_EXIT_USAGE after a usage message for a --kernel no rule set covers. */
int mb_kernel_pick(struct mb_kernel_pick *out, const char *opt, const char *first_path);

/* "kernel 6.1 (rules of 5.18-6.3; vermagic 6.1.0-57-cloud-amd64)" */
void mb_kernel_pick_text(const struct mb_kernel_pick *k, char *buf, size_t n);

struct mb_json;
/* "kernel": "6.1", "kernel_source": "vermagic 6.1.0-57-cloud-amd64" */
void mb_kernel_pick_json(const struct mb_kernel_pick *k, struct mb_json *j);

/* The map to use: name if given (NULL if the arch has none), else the arch's
 * default for the picked kernel. */
const struct mb_map *mb_kernel_pick_map(const struct mb_kernel_pick *k, const struct mb_arch *arch,
					const char *name);

#endif
