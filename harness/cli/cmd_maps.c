/* `modbed maps`: every memory map variant, its regions, page sizes, and where
 * each mod_mem type is placed; with --policy, a sample placement of three
 * corpus-shaped modules on each map. */
#include "arch/arch.h"
#include "arch/map.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* "16 MiB" when exact, else bytes; size 0 means the full 2^64. */
static void human(char *buf, size_t len, uint64_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;
	while (u < 5 && size >= 1024 && size % 1024 == 0) {
		size /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", size, units[u]);
}

static uint64_t span(uint64_t start, uint64_t last)
{
	return last - start + 1;
}

static void text_window_line(const struct mb_place_config *cfg, bool text, int digits)
{
	const struct mb_window *w = text ? cfg->text : cfg->data;
	size_t n = text ? cfg->ntext : cfg->ndata;
	for (size_t i = 0; i < n; i++) {
		char h[32];
		human(h, sizeof h, span(w[i].start, w[i].last));
		printf("      %s %-22s 0x%0*lx-0x%0*lx  %s\n", i ? "else" : "    ", w[i].name, digits,
		       w[i].start, digits, w[i].last, h);
	}
}

static void types_line(bool text)
{
	printf("    ");
	bool first = true;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (mod_mem_type_is_text(t) != text)
			continue;
		printf("%s%s", first ? "" : ", ", mod_mem_type_name(t));
		first = false;
	}
	printf(":\n");
}

/* Sample modules for --policy: the corpus' median and p90 amd64 module
 * (kmod-corpus.md 2.2, with kallsyms) and a tiny one, 64-byte aligned. */
static const struct {
	const char *name;
	unsigned long size[MOD_MEM_NUM_TYPES];
} samples[] = {
	{ "median", { 2183, 2478, 1740, 0, 31, 3016, 0 } },
	{ "p90", { 29971, 12907, 13968, 928, 274, 14466, 6258 } },
	{ "tiny", { 5, 1251, 184, 16, 12, 875, 0 } },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

struct sample_run {
	struct mb_place pl;
	struct mb_arena chunks[16];
	struct mb_alloc al[NSAMPLES][MOD_MEM_NUM_TYPES];
	bool placed[NSAMPLES];
	struct mb_place_err err[NSAMPLES];
};

static void place_samples(const struct mb_place_config *cfg, enum mb_policy pol, struct sample_run *r)
{
	struct mb_place_err err;
	memset(r, 0, sizeof(*r));
	if (mb_place_init(&r->pl, pol, cfg, r->chunks, 16, &err) != 0)
		return;
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct mb_layout lay;
		memset(&lay, 0, sizeof(lay));
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			lay.size[t] = samples[i].size[t];
			lay.align[t] = 64;
		}
		r->placed[i] = mb_place_module(&r->pl, &lay, r->al[i], &r->err[i]) == 0;
	}
}

static void print_samples(const struct sample_run *r, enum mb_policy pol, int digits)
{
	printf("  sample placement (--policy %s):\n", mb_policy_name(pol));
	for (size_t i = 0; i < NSAMPLES; i++) {
		if (!r->placed[i]) {
			char msg[256];
			mb_place_strerror(&r->err[i], msg, sizeof(msg));
			printf("    %-7s %s\n", samples[i].name, msg);
			continue;
		}
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			const struct mb_alloc *a = &r->al[i][t];
			if (!a->size)
				continue;
			printf("    %-7s %-13s 0x%0*lx +0x%-6lx arena 0x%0*lx +0x%lx\n", t ? "" : samples[i].name,
			       mod_mem_type_name(t), digits, a->base, a->size, digits, a->arena->base, a->arena->size);
		}
	}
}

static void json_samples(struct mb_json *j, const struct sample_run *r, enum mb_policy pol)
{
	mb_json_object(j, "sample");
	mb_json_str(j, "policy", mb_policy_name(pol));
	mb_json_array(j, "modules");
	for (size_t i = 0; i < NSAMPLES; i++) {
		mb_json_object(j, NULL);
		mb_json_str(j, "name", samples[i].name);
		if (!r->placed[i]) {
			char msg[256];
			mb_place_strerror(&r->err[i], msg, sizeof(msg));
			mb_json_str(j, "error", msg);
		} else {
			mb_json_array(j, "types");
			for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
				const struct mb_alloc *a = &r->al[i][t];
				if (!a->size)
					continue;
				mb_json_object(j, NULL);
				mb_json_str(j, "type", mod_mem_type_name(t));
				mb_json_hex(j, "base", a->base);
				mb_json_hex(j, "size", a->size);
				mb_json_hex(j, "arena_base", a->arena->base);
				mb_json_hex(j, "arena_size", a->arena->size);
				mb_json_end(j);
			}
			mb_json_end(j);
		}
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_end(j);
}

static void print_text(const struct mb_arch *a, const struct mb_map *m, bool is_default,
		       const struct mb_place_config *cfg, uint64_t offset, int policy)
{
	int digits = 2 * a->ptr_bytes; /* addresses as wide as the arch's unsigned long */
	char ps[32], lps[32];
	human(ps, sizeof ps, m->page_size);
	human(lps, sizeof lps, m->large_page_size);
	printf("%s%s (arch %s)\n  %s\n", m->name, is_default ? " [default]" : "", a->name, m->description);
	printf("  page %s, large page %s, data in vmalloc: %s\n", ps, lps, m->data_in_vmalloc ? "yes" : "no");
	printf("  regions:\n");
	for (size_t i = 0; i < m->nregions; i++) {
		const struct mb_map_region *r = &m->regions[i];
		char h[32];
		human(h, sizeof h, span(r->start, r->last));
		printf("    %-24s 0x%0*" PRIx64 "-0x%0*" PRIx64 "  %s\n", r->name, digits, r->start, digits,
		       r->last, h);
	}
	printf("  module memory (first window that fits, lowest address first):\n");
	types_line(true);
	text_window_line(cfg, true, digits);
	types_line(false);
	text_window_line(cfg, false, digits);
	if (m->random_pages)
		printf("  random offset: 0x%" PRIx64 " (1..%u pages; --seed draws it, else 1 page)\n", offset,
		       m->random_pages);
	char ks[32], ss[32];
	human(ks, sizeof ks, m->kernel_size);
	human(ss, sizeof ss, m->scratch_size);
	printf("  kernel image 0x%0*" PRIx64 " (%s), emulator scratch 0x%0*" PRIx64 " (%s)\n", digits,
	       m->kernel_base, ks, digits, m->scratch_base, ss);
	if (policy >= 0) {
		static struct sample_run r;
		place_samples(cfg, (enum mb_policy)policy, &r);
		print_samples(&r, (enum mb_policy)policy, digits);
	}
	printf("\n");
}

static void json_range(struct mb_json *j, const char *key, const char *name, uint64_t start, uint64_t last)
{
	mb_json_object(j, key);
	if (name)
		mb_json_str(j, "name", name);
	mb_json_hex(j, "start", start);
	mb_json_hex(j, "last", last);
	mb_json_hex(j, "size", span(start, last));
	mb_json_end(j);
}

static void print_json(struct mb_json *j, const struct mb_arch *a, const struct mb_map *m,
		       bool is_default, const struct mb_place_config *cfg, uint64_t offset, int policy)
{
	mb_json_object(j, NULL);
	mb_json_str(j, "name", m->name);
	mb_json_str(j, "arch", a->name);
	mb_json_bool(j, "default", is_default);
	mb_json_str(j, "description", m->description);
	mb_json_u64(j, "page_size", m->page_size);
	mb_json_u64(j, "large_page_size", m->large_page_size);
	mb_json_bool(j, "data_in_vmalloc", m->data_in_vmalloc);
	mb_json_array(j, "regions");
	for (size_t i = 0; i < m->nregions; i++)
		json_range(j, NULL, m->regions[i].name, m->regions[i].start, m->regions[i].last);
	mb_json_end(j);
	mb_json_object(j, "types");
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		bool text = mod_mem_type_is_text(t);
		const struct mb_window *w = text ? cfg->text : cfg->data;
		size_t n = text ? cfg->ntext : cfg->ndata;
		mb_json_array(j, mod_mem_type_name(t));
		for (size_t i = 0; i < n; i++)
			json_range(j, NULL, w[i].name, w[i].start, w[i].last);
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_hex(j, "random_offset", offset);
	json_range(j, "kernel", NULL, m->kernel_base, m->kernel_base + m->kernel_size - 1);
	json_range(j, "scratch", NULL, m->scratch_base, m->scratch_base + m->scratch_size - 1);
	if (policy >= 0) {
		static struct sample_run r;
		place_samples(cfg, (enum mb_policy)policy, &r);
		json_samples(j, &r, (enum mb_policy)policy);
	}
	mb_json_end(j);
}

int cmd_maps(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_JSON | MB_OPT_SEED | MB_OPT_POLICY) != 0)
		return MB_EXIT_USAGE;
	int policy = -1;
	if (cli->policy && (policy = mb_policy_parse(cli->policy)) < 0) {
		mb_errorf("usage: unknown placement policy '%s' (kernel, packed, builtin)", cli->policy);
		return MB_EXIT_USAGE;
	}
	bool all = cli->arch == NULL || strcmp(cli->arch, "all") == 0;
	if (!all && mb_arch_by_name(cli->arch) == NULL) {
		mb_errorf("usage: unknown arch '%s' (x86_64, arm64, powerpc32 or all)", cli->arch);
		return MB_EXIT_USAGE;
	}
	struct mb_json j;
	if (cli->json) {
		mb_json_init(&j, stdout, true);
		mb_json_object(&j, NULL);
		mb_json_array(&j, "maps");
	}
	size_t shown = 0;
	for (size_t i = 0; i < mb_narches; i++) {
		const struct mb_arch *a = mb_arches[i];
		if (!all && strcmp(cli->arch, a->name) != 0)
			continue;
		for (size_t k = 0; k < a->nmaps; k++) {
			const struct mb_map *m = a->maps[k];
			if (cli->map && strcmp(cli->map, m->name) != 0)
				continue;
			struct mb_place_config cfg;
			if (mb_map_place_config(m, cli->seed_set, cli->seed, &cfg) != 0) {
				mb_errorf("%s: map does not fit this host's unsigned long", m->name);
				return MB_EXIT_ERROR;
			}
			uint64_t off = mb_map_random_offset(m, cli->seed_set, cli->seed);
			if (cli->json)
				print_json(&j, a, m, k == 0, &cfg, off, policy);
			else
				print_text(a, m, k == 0, &cfg, off, policy);
			shown++;
		}
	}
	if (cli->json) {
		mb_json_end(&j);
		mb_json_end(&j);
		mb_json_finish(&j);
	}
	if (shown == 0) {
		mb_errorf("usage: no map '%s'%s%s", cli->map ? cli->map : "", all ? "" : " for arch ",
			  all ? "" : cli->arch);
		return MB_EXIT_USAGE;
	}
	return MB_EXIT_OK;
}
