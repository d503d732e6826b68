/* modbed corpus DIR...: load a whole module tree into one loader, providers
 * first (the tree is its own --modpath), under each placement policy, and
 * report what it took: modules, relocations per type, PLT entries, bytes
 * per mod_mem type (used and page-padded), the guest memory the policy
 * mapped, load time. Modules that fail are listed with the loader's reason.
 * No code runs: this is placement + relocation only (modbed load --no-init). */
#include "harness/session/account.h"
#include "harness/session/boot.h"
#include "arch/arch.h"
#include "arch/map.h"
#include "core/modmem.h"
#include "harness/cli/commands.h"
#include "harness/util/diag.h"
#include "harness/util/json.h"
#include "harness/session/kernel_pick.h"
#include "harness/load/loader.h"
#include "harness/load/modpath.h"
#include "harness/load/space.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RELOC_TYPES 64

struct reloc_total {
	uint32_t type;
	const char *name;
	uint64_t count;
};

/* Sections real modules carry that a loader must handle or tolerate
 * (kmod-corpus.md 3.1): the report says which mod_mem type each went to, or
 * that it was not loaded at all (.modinfo, __versions, .data..percpu). */
static const char *const special[] = {
	".altinstructions", ".altinstr_replacement", ".altinstr_aux", "__jump_table",
	".static_call_sites", ".static_call.text", ".orc_unwind", ".orc_unwind_ip", ".return_sites",
	".retpoline_sites", ".smp_locks", ".parainstructions", "__patchable_function_entries",
	"__mcount_loc", "__ex_table", "__bug_table", ".plt", ".init.plt", ".text.ftrace_trampoline",
	"__ksymtab", "__ksymtab_gpl", "__ksymtab_strings", "__kcrctab", "__kcrctab_gpl",
	".gnu.linkonce.this_module", ".modinfo", "__versions", ".data..ro_after_init", ".data..percpu",
	".note.Linux", "__param", "__dyndbg",
};
#define NSPECIAL (sizeof(special) / sizeof(special[0]))

struct pass {
	const char *policy;
	struct mb_account acct; /* harness/session/account.h */
	enum mb_kallsyms kallsyms;
	size_t loaded, failed;
	double seconds;
	uint64_t used[MOD_MEM_NUM_TYPES];     /* layout bytes */
	uint64_t padded[MOD_MEM_NUM_TYPES];   /* each non-empty type rounded up to a page */
	uint64_t nonempty[MOD_MEM_NUM_TYPES]; /* modules with the type non-empty */
	uint64_t mapped;                      /* arena bytes the space holds */
	uint64_t narenas;
	struct reloc_total relocs[MAX_RELOC_TYPES];
	size_t nreloc_types;
	uint64_t relocs_applied, relocs_skipped;
	uint64_t plt_used[2], plt_capacity[2];
	uint64_t undef_module, undef_kernel, undef_trap, undef_weak;
	uint64_t special_in[NSPECIAL][MOD_MEM_NUM_TYPES];  /* modules with the section in that type */
};

struct failure {
	char *path;
	char *msg;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_reloc(struct pass *p, const struct mb_reloc_count *rc)
{
	for (size_t i = 0; i < p->nreloc_types; i++) {
		if (p->relocs[i].type == rc->type) {
			p->relocs[i].count += rc->count;
			return;
		}
	}
	if (p->nreloc_types == MAX_RELOC_TYPES)
		return;
	size_t i = p->nreloc_types++;
	/* keep type order */
	while (i > 0 && p->relocs[i - 1].type > rc->type) {
		p->relocs[i] = p->relocs[i - 1];
		i--;
	}
	p->relocs[i] = (struct reloc_total){ rc->type, rc->name, rc->count };
}

static void account(struct pass *p, const struct mb_loader *l, uint64_t page)
{
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next) {
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			p->used[t] += m->used[t];
			p->padded[t] += (m->used[t] + page - 1) / page * page;
			p->nonempty[t] += m->used[t] != 0;
		}
		for (size_t i = 0; i < m->nreloc_types; i++)
			add_reloc(p, &m->relocs[i]);
		for (size_t i = 0; i < m->nsections; i++) {
			const struct mb_placed_section *sec = &m->sections[i];
			for (size_t k = 0; k < NSPECIAL; k++)
				if (sec->name && strcmp(sec->name, special[k]) == 0 && sec->type >= 0 &&
				    sec->type < MOD_MEM_NUM_TYPES)
					p->special_in[k][sec->type]++;
		}
		p->relocs_applied += m->nrelocs_applied;
		p->relocs_skipped += m->nrelocs_skipped;
		for (int k = 0; k < 2; k++) {
			p->plt_used[k] += m->plt_used[k];
			p->plt_capacity[k] += m->plt_capacity[k];
		}
		for (size_t i = 0; i < m->nundefs; i++) {
			switch (m->undefs[i].kind) {
			case MB_UNDEF_MODULE: p->undef_module++; break;
			case MB_UNDEF_KERNEL: p->undef_kernel++; break;
			case MB_UNDEF_TRAP: p->undef_trap++; break;
			case MB_UNDEF_WEAK: p->undef_weak++; break;
			}
		}
	}
	for (const struct mb_space_arena *a = l->space->arenas; a; a = a->next) {
		p->mapped += a->size;
		p->narenas++;
	}
}

/* One policy over the whole tree. Failures are appended to *fails. */
static int run_pass(struct mb_modpath *mp, const struct mb_arch *arch, const struct mb_map *map,
		    const struct mb_kernel_pick *kpick, const struct mb_cli *cli, struct pass *p, struct failure **fails,
		    size_t *nfails, struct mb_err *err)
{
	struct mb_space space;
	mb_space_init(&space, map->page_size);
	/* Every kernel symbol gets its own trap slot inside the kernel image:
	 * real addresses at the real distance, so range checks and PLTs are
	 * exercised as the kernel would; nothing runs here. */
	struct mb_list_provider kernel;
	static const char *const names[] = { "__per_cpu_start" };
	const uint64_t addrs[] = { map->kernel_base + map->kernel_size / 2 };  /* in the image, as the kernel's */
	mb_list_provider_init(&kernel, names, addrs, 1, map->kernel_base, map->kernel_size / 2, 16);
	struct mb_loader l;
	struct mb_loader_config cfg = {
		.arch = arch, .map = map, .policy = p->policy, .pack = cli->pack, .bounds = cli->bounds,
		.tree = cli->tree, .seeded = cli->seed_set, .seed = cli->seed, .kernel = &kernel.ops, .kallsyms = p->kallsyms,
		.kver = kpick->kver, .kconfig = &kpick->config,
	};
	if (mb_loader_init(&l, &cfg, &space, err) != 0) {
		mb_list_provider_fini(&kernel);
		mb_space_fini(&space);
		return -1;
	}
	double t0 = now();
	for (size_t i = 0; i < mp->nmods; i++) {
		char name[64];
		mb_boot_modname(mp->mods[i].path, name, sizeof(name));
		if (mb_loader_find_module(&l, name))
			continue;  /* already loaded as a provider */
		struct mb_err e = { "" };
		if (mb_modpath_load(mp, &l, mp->mods[i].path, NULL, NULL, NULL, &e) != 0) {
			struct failure *nf = realloc(*fails, (*nfails + 1) * sizeof(**fails));
			if (nf == NULL)
				continue;
			*fails = nf;
			nf[*nfails].path = strdup(mp->mods[i].path);
			nf[*nfails].msg = strdup(e.msg);
			(*nfails)++;
			p->failed++;
		}
	}
	p->seconds = now() - t0;
	p->loaded = l.nmodules;
	account(p, &l, map->page_size);
	if (mb_account(&l, NULL, 0, &p->acct) != 0)
		memset(&p->acct, 0, sizeof(p->acct));
	mb_loader_fini(&l);
	mb_list_provider_fini(&kernel);
	mb_space_fini(&space);
	return 0;
}

static double mib(uint64_t b)
{
	return (double)b / (1024.0 * 1024.0);
}

static void print_text(const struct pass *p, size_t nmods)
{
	printf("\npolicy %s%s: %zu of %zu modules loaded, %zu failed, %.2f s (%.2f ms per module)\n", p->policy,
	       p->kallsyms == MB_KALLSYMS_ALL ? " + kallsyms (KALLSYMS_ALL)"
	       : p->kallsyms == MB_KALLSYMS_TEXT ? " + kallsyms (text symbols)" : "",
	       p->loaded, nmods, p->failed, p->seconds, p->loaded ? 1000.0 * p->seconds / (double)p->loaded : 0.0);
	printf("  relocations applied: %llu (%zu types), skipped (target not allocated): %llu\n",
	       (unsigned long long)p->relocs_applied, p->nreloc_types, (unsigned long long)p->relocs_skipped);
	for (size_t i = 0; i < p->nreloc_types; i++)
		printf("    %-32s %10llu\n", p->relocs[i].name ? p->relocs[i].name : "?",
		       (unsigned long long)p->relocs[i].count);
	printf("  PLT entries used/reserved: core %llu/%llu, init %llu/%llu\n",
	       (unsigned long long)p->plt_used[0], (unsigned long long)p->plt_capacity[0],
	       (unsigned long long)p->plt_used[1], (unsigned long long)p->plt_capacity[1]);
	printf("  undefined symbols bound to: modules %llu, kernel %llu, traps %llu, weak %llu\n",
	       (unsigned long long)p->undef_module, (unsigned long long)p->undef_kernel,
	       (unsigned long long)p->undef_trap, (unsigned long long)p->undef_weak);
	printf("  %-18s %8s %14s %14s\n", "type", "modules", "used bytes", "page-padded");
	uint64_t used = 0, padded = 0;
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		printf("  %-18s %8llu %14llu %14llu\n", mod_mem_type_name(t), (unsigned long long)p->nonempty[t],
		       (unsigned long long)p->used[t], (unsigned long long)p->padded[t]);
		used += p->used[t];
		padded += p->padded[t];
	}
	printf("  %-18s %8s %14llu %14llu  (%.2f vs %.2f MiB, fragmentation %.1f %%)\n", "total", "",
	       (unsigned long long)used, (unsigned long long)padded, mib(used), mib(padded),
	       padded ? 100.0 * (double)(padded - used) / (double)padded : 0.0);
	printf("  guest memory mapped under this policy: %.2f MiB in %llu arenas\n", mib(p->mapped),
	       (unsigned long long)p->narenas);
	mb_account_text(stdout, &p->acct);
	printf("  special sections (modules: mod_mem type; absent: not present or not loaded):\n");
	for (size_t k = 0; k < NSPECIAL; k++) {
		printf("    %-30s", special[k]);
		bool any = false;
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
			if (p->special_in[k][t]) {
				printf(" %llu: %s", (unsigned long long)p->special_in[k][t], mod_mem_type_name(t));
				any = true;
			}
		}
		printf("%s\n", any ? "" : " absent");
	}
}

static void print_json(struct mb_json *j, const struct pass *p)
{
	mb_json_object(j, NULL);
	mb_json_str(j, "policy", p->policy);
	mb_account_json(j, &p->acct);
	mb_json_str(j, "kallsyms", p->kallsyms == MB_KALLSYMS_ALL ? "all" : p->kallsyms == MB_KALLSYMS_TEXT ? "text" : "off");
	mb_json_u64(j, "loaded", p->loaded);
	mb_json_u64(j, "failed", p->failed);
	mb_json_u64(j, "load_ns", (uint64_t)(p->seconds * 1e9));
	mb_json_u64(j, "relocs_applied", p->relocs_applied);
	mb_json_u64(j, "relocs_skipped", p->relocs_skipped);
	mb_json_object(j, "relocs");
	for (size_t i = 0; i < p->nreloc_types; i++) {
		char num[24];
		snprintf(num, sizeof(num), "%u", p->relocs[i].type);
		mb_json_u64(j, p->relocs[i].name ? p->relocs[i].name : num, p->relocs[i].count);
	}
	mb_json_end(j);
	mb_json_u64(j, "plt_core_used", p->plt_used[0]);
	mb_json_u64(j, "plt_core_reserved", p->plt_capacity[0]);
	mb_json_u64(j, "plt_init_used", p->plt_used[1]);
	mb_json_u64(j, "plt_init_reserved", p->plt_capacity[1]);
	mb_json_array(j, "types");
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		mb_json_object(j, NULL);
		mb_json_str(j, "type", mod_mem_type_name(t));
		mb_json_u64(j, "modules", p->nonempty[t]);
		mb_json_u64(j, "used", p->used[t]);
		mb_json_u64(j, "page_padded", p->padded[t]);
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_u64(j, "mapped", p->mapped);
	mb_json_u64(j, "arenas", p->narenas);
	mb_json_object(j, "special_sections");
	for (size_t k = 0; k < NSPECIAL; k++) {
		mb_json_object(j, special[k]);
		for (int t = 0; t < MOD_MEM_NUM_TYPES; t++)
			if (p->special_in[k][t])
				mb_json_u64(j, mod_mem_type_name(t), p->special_in[k][t]);
		mb_json_end(j);
	}
	mb_json_end(j);
	mb_json_end(j);
}

/* The kallsyms copies the kernel that built these modules allocates, from
 * the kernel config found beside them (fetch.sh keeps boot/config-*):
 * CONFIG_KALLSYMS_ALL keeps every core symbol, plain CONFIG_KALLSYMS only
 * text symbols. OFF when there is no config or no kallsyms. */
static enum mb_kallsyms kallsyms_from_config(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return MB_KALLSYMS_OFF;
	bool ks = false, all = false;
	struct dirent *e;
	/* The config's name carries the kernel release: config-6.1.0-56-... */
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "config-", 7) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		char line[256];
		while (f && fgets(line, sizeof(line), f)) {
			ks |= strcmp(line, "CONFIG_KALLSYMS=y\n") == 0;
			all |= strcmp(line, "CONFIG_KALLSYMS_ALL=y\n") == 0;
		}
		if (f)
			fclose(f);
		break;
	}
	closedir(d);
	return !ks ? MB_KALLSYMS_OFF : all ? MB_KALLSYMS_ALL : MB_KALLSYMS_TEXT;
}

/* Without --arch: the registered arch with the most modules under the dirs. */
/* The arch given, else the one most modules under the paths are built for. */
static const struct mb_arch *pick_arch(const struct mb_cli *cli, struct mb_modpath *mp, struct mb_err *err)
{
	const struct mb_arch *arch = NULL;
	if (cli->arch && !(arch = mb_arch_by_name(cli->arch))) {
		mb_fail(err, NULL, NULL, "usage: unknown arch '%s'", cli->arch);
		return NULL;
	}
	if (mb_modpath_open(mp, cli->paths, cli->npaths, arch, true, err) != 0)
		return NULL;
	return mp->arch;
}

int cmd_corpus(struct mb_cli *cli)
{
	if (mb_cli_reject(cli, MB_OPT_ARCH | MB_OPT_MAP | MB_OPT_POLICY | MB_OPT_BOUNDS | MB_OPT_JSON |
				       MB_OPT_SEED | MB_OPT_PATHS | MB_OPT_KERNEL | MB_OPT_KCONFIG) != 0 ||
	    mb_cli_check_tree(cli, false) != 0)
		return MB_EXIT_USAGE;
	if (cli->npaths == 0) {
		mb_errorf("usage: corpus needs a module directory");
		return MB_EXIT_USAGE;
	}
	struct mb_err err = { "" };
	struct mb_modpath mp;
	const struct mb_arch *arch = pick_arch(cli, &mp, &err);
	if (arch == NULL) {
		mb_report(&err);
		return MB_EXIT_ERROR;
	}
	/* the rule set: --kernel, else the first module's vermagic */
	struct mb_kernel_pick kpick;
	int rc = mb_kernel_pick(&kpick, cli->kernel, mp.nmods ? mp.mods[0].path : NULL);
	if (rc == MB_EXIT_OK)
		rc = mb_kernel_pick_config(&kpick, cli->kernel_config);
	if (rc != MB_EXIT_OK) {
		mb_modpath_close(&mp);
		return rc;
	}
	const struct mb_map *map = mb_kernel_pick_map(&kpick, arch, cli->map);
	if (map == NULL) {
		mb_errorf("usage: arch %s has no map '%s' (see modbed maps)", arch->name, cli->map);
		mb_modpath_close(&mp);
		return MB_EXIT_USAGE;
	}
	if (mb_kernel_pick_image(&kpick, cli->system_map, &map) != MB_EXIT_OK) {
		mb_modpath_close(&mp);
		return MB_EXIT_ERROR;
	}
	if (mp.nmods == 0) {
		mb_errorf("%s: no %s modules (*.ko) found", cli->paths[0], arch->name);
		mb_modpath_close(&mp);
		return MB_EXIT_ERROR;
	}
	const char *policies[3] = { "kernel", "packed" };
	size_t npol = 2;
	if (cli->policy) {
		policies[0] = cli->policy;
		npol = 1;
	}
	/* Sizes as the kernel allocates them: once more with kallsyms, when the
	 * kernel config says which. */
	enum mb_kallsyms ks = kallsyms_from_config(cli->paths[0]);
	if (ks != MB_KALLSYMS_OFF)
		policies[npol++] = policies[0];
	struct pass passes[3];
	struct failure *fails = NULL;
	size_t nfails = 0, first_fails = 0;
	int status = MB_EXIT_OK;
	memset(passes, 0, sizeof(passes));
	for (size_t k = 0; k < npol; k++) {
		passes[k].policy = policies[k];
		passes[k].kallsyms = k == 2 || (k == 1 && cli->policy) ? ks : MB_KALLSYMS_OFF;
		if (run_pass(&mp, arch, map, &kpick, cli, &passes[k], &fails, &nfails, &err) != 0) {
			mb_report(&err);
			status = MB_EXIT_ERROR;
			npol = k;
			break;
		}
		if (k == 0)
			first_fails = nfails;
	}

	if (cli->json) {
		struct mb_json j;
		mb_json_begin_report(&j, stdout, arch->name, map->name);
		mb_kernel_pick_json(&kpick, &j);
		mb_json_u64(&j, "modules", mp.nmods);
		mb_json_u64(&j, "exports_indexed", mp.nnames);
		mb_json_array(&j, "passes");
		for (size_t k = 0; k < npol; k++)
			print_json(&j, &passes[k]);
		mb_json_end(&j);
		mb_json_array(&j, "failures");
		for (size_t i = 0; i < first_fails; i++) {
			mb_json_object(&j, NULL);
			mb_json_str(&j, "file", fails[i].path);
			mb_json_str(&j, "error", fails[i].msg);
			mb_json_end(&j);
		}
		mb_json_end(&j);
		mb_json_end(&j);
		mb_json_finish(&j);
	} else {
		char kernel[512];
		mb_kernel_pick_text(&kpick, kernel, sizeof(kernel));
		printf("corpus: %zu %s modules under %s (map %s, %s), %zu exports indexed\n", mp.nmods, arch->name,
		       cli->paths[0], map->name, kernel, mp.nnames);
		for (size_t k = 0; k < npol; k++)
			print_text(&passes[k], mp.nmods);
		if (npol >= 2 && !cli->policy && passes[1].mapped)
			printf("\nkernel / packed guest memory: %.2f / %.2f MiB = %.2fx\n", mib(passes[0].mapped),
			       mib(passes[1].mapped), (double)passes[0].mapped / (double)passes[1].mapped);
		if (first_fails)
			printf("\nfailed modules (policy %s):\n", passes[0].policy);
		for (size_t i = 0; i < first_fails; i++)
			printf("  %s\n", fails[i].msg);
	}
	if (first_fails)
		status = MB_EXIT_ERROR;
	for (size_t i = 0; i < nfails; i++) {
		free(fails[i].path);
		free(fails[i].msg);
	}
	free(fails);
	mb_modpath_close(&mp);
	return status;
}
