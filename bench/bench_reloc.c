/* Relocation throughput of arch/ (the per-ISA apply and PLT code alone):
 * every relocation of a module set applied again and again at fixed
 * addresses, kernel symbols beyond branch range so that arm64 and powerpc32
 * go through their PLTs. Module sets: the built test modules, repeated, and
 * the distribution corpus (MODBED_CORPUS_DIR) when it has been fetched.
 * Beside it, the time `llvm-readelf -r` takes to list the same files. */
#include "arch/arch.h"
#include "arch/reloc.h"
#include "bench/bench_dirs.h"
#include "bench/bench_json.h"
#include "harness/elf/elf.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mod {
	struct mb_elf elf;
	struct mb_object obj;
	struct mb_plt_plan plan;
	uint64_t *addr;
	uint64_t *symval;
	uint8_t **bytes, **pristine;
	bool *init;
	size_t nrelocs;
};

struct set {
	const struct mb_arch *arch;
	struct mod *mods;
	size_t n, cap;
	char **paths;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Text at `text`, init text 16 MiB above, data 256 MiB above, kernel
 * symbols 1 GiB above the text (beyond every direct branch range). */
static bool prepare(struct mod *m, const struct mb_arch *arch, const char *path)
{
	struct mb_err err;
	memset(m, 0, sizeof(*m));
	if (mb_elf_open_path(&m->elf, path, arch, &err) != 0 || mb_elf_view(&m->elf, &m->obj, &err) != 0) {
		fprintf(stderr, "bench_reloc: %s\n", err.msg);
		return false;
	}
	struct mb_reloc_config cfg = { 0 };
	if (arch->reloc->size_plts && arch->reloc->size_plts(&m->obj, &cfg, &m->plan) != MB_RELOC_OK)
		return false;
	uint64_t base = arch->ptr_bytes == 8 ? 0xffffffffa0000000ull : 0xb0000000ull;
	if (strcmp(arch->name, "arm64") == 0)
		base = 0xffff800008000000ull;
	uint64_t cur[3] = { base, base + 0x1000000, base + 0x10000000 };
	size_t ns = m->obj.nsections;
	m->addr = calloc(ns, sizeof(*m->addr));
	m->bytes = calloc(ns, sizeof(*m->bytes));
	m->pristine = calloc(ns, sizeof(*m->pristine));
	m->init = calloc(ns, sizeof(*m->init));
	m->symval = calloc(m->obj.nsymbols + 1, sizeof(*m->symval));
	for (size_t i = 1; i < ns; i++) {
		const struct mb_obj_section *s = &m->obj.sections[i];
		if (!(s->flags & MB_SHF_ALLOC))
			continue;
		m->init[i] = strncmp(s->name, ".init", 5) == 0;
		int g = (s->flags & MB_SHF_EXECINSTR) ? (m->init[i] ? 1 : 0) : 2;
		uint64_t a = s->addralign > 16 ? s->addralign : 16;
		m->addr[i] = (cur[g] + a - 1) / a * a;
		cur[g] = m->addr[i] + s->size;
		m->bytes[i] = calloc(s->size + 1, 1);
		m->pristine[i] = calloc(s->size + 1, 1);
		if (s->type != MB_SHT_NOBITS && m->elf.secs[i].data)
			memcpy(m->pristine[i], m->elf.secs[i].data,
			       m->elf.secs[i].size < s->size ? m->elf.secs[i].size : s->size);
	}
	uint64_t k = 0;
	for (size_t i = 1; i < m->obj.nsymbols; i++) {
		const struct mb_obj_symbol *y = &m->obj.symbols[i];
		if (y->shndx == MB_SHN_UNDEF)
			m->symval[i] = base + 0x40000000 + 0x40 * k++;
		else if (y->shndx == MB_SHN_ABS)
			m->symval[i] = y->value;
		else if (y->shndx < ns)
			m->symval[i] = m->addr[y->shndx] + y->value;
	}
	for (size_t r = 0; r < m->obj.nrelsecs; r++)
		m->nrelocs += m->obj.relsecs[r].nrelas;
	return true;
}

/* One load's relocation work: fresh bytes, empty PLTs, every relocation. */
static size_t relocate(struct mod *m, const struct mb_arch *arch)
{
	for (size_t i = 1; i < m->obj.nsections; i++)
		if (m->bytes[i])
			memcpy(m->bytes[i], m->pristine[i], m->obj.sections[i].size);
	struct mb_plt_state plt;
	memset(&plt, 0, sizeof(plt));
	if (m->plan.core_shndx) {
		uint32_t c = m->plan.core_shndx, n = m->plan.init_shndx;
		plt.core = (struct mb_plt){ m->addr[c], m->bytes[c], m->obj.sections[c].size, m->plan.core_max, 0 };
		plt.init = (struct mb_plt){ m->addr[n], m->bytes[n], m->obj.sections[n].size, m->plan.init_max, 0 };
	}
	size_t failed = 0;
	for (size_t r = 0; r < m->obj.nrelsecs; r++) {
		const struct mb_obj_relsec *rs = &m->obj.relsecs[r];
		uint32_t t = rs->target;
		for (size_t e = 0; e < rs->nrelas; e++) {
			const struct mb_obj_rela *ra = &rs->relas[e];
			struct mb_reloc_site s = { .type = ra->type, .S = m->symval[ra->sym],
						   .A = ra->addend, .sec_bytes = m->bytes[t],
						   .sec_addr = m->addr[t],
						   .sec_size = m->obj.sections[t].size,
						   .offset = ra->offset, .in_init = m->init[t] };
			struct mb_reloc_result res;
			arch->reloc->apply(&s, &plt, &res);
			failed += res.status != MB_RELOC_OK;
		}
	}
	return failed;
}

static struct set cur_set;

static int add_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t len = strlen(path);
	if (flag != FTW_F || len < 3 || strcmp(path + len - 3, ".ko") != 0)
		return 0;
	if (cur_set.n == cur_set.cap) {
		cur_set.cap = cur_set.cap ? 2 * cur_set.cap : 64;
		cur_set.mods = realloc(cur_set.mods, cur_set.cap * sizeof(*cur_set.mods));
		cur_set.paths = realloc(cur_set.paths, cur_set.cap * sizeof(*cur_set.paths));
	}
	if (prepare(&cur_set.mods[cur_set.n], cur_set.arch, path))
		cur_set.paths[cur_set.n++] = strdup(path);
	return 0;
}

static double readelf_seconds(char **paths, size_t n)
{
	char list[] = "/tmp/bench_reloc_XXXXXX";
	int fd = mkstemp(list);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", paths[i]);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "xargs llvm-readelf -r < %s > /dev/null 2>&1", list);
	double t0 = now();
	int rc = system(cmd);
	double t = now() - t0;
	unlink(list);
	return rc == 0 ? t : -1;
}

static void run(const char *label, size_t repeat)
{
	struct set *s = &cur_set;
	if (s->n == 0)
		return;
	size_t relocs = 0, failed = 0;
	for (size_t i = 0; i < s->n; i++)
		relocs += s->mods[i].nrelocs;
	/* Repeat until about half a second has been measured. */
	size_t rounds = repeat;
	double t0 = now(), t = 0;
	do {
		for (size_t r = 0; r < rounds; r++)
			for (size_t i = 0; i < s->n; i++)
				failed += relocate(&s->mods[i], s->arch);
		t = now() - t0;
	} while (t < 0.5 && (rounds *= 2, t0 = now(), true));
	double rel_s = (double)relocs * rounds / t, mod_s = (double)s->n * rounds / t;
	double re = readelf_seconds(s->paths, s->n);
	bench_cell("bench_reloc", "s:arch", s->arch->name, "s:set", label, "u:modules", (uint64_t)s->n, "u:relocations",
		   (uint64_t)relocs, "f:relocations_per_s", rel_s, "f:modules_per_s", mod_s, "f:readelf_s", re,
		   "f:ratio", re > 0 ? re / (t / rounds) : 0.0, "u:refused", (uint64_t)(failed != 0), NULL);
	bench_text("%-9s %-13s %5zu modules %8zu relocs  %10.0f relocs/s  %8.0f modules/s", s->arch->name,
		   label, s->n, relocs, rel_s, mod_s);
	if (re > 0)
		bench_text("  llvm-readelf -r: %.3f s (x%.0f)", re, re / (t / rounds));
	bench_text("%s\n", failed ? "  (some refused)" : "");
}

static void free_set(void)
{
	for (size_t i = 0; i < cur_set.n; i++) {
		struct mod *m = &cur_set.mods[i];
		for (size_t k = 0; k < m->obj.nsections; k++) {
			free(m->bytes[k]);
			free(m->pristine[k]);
		}
		free(m->bytes);
		free(m->pristine);
		free(m->addr);
		free(m->init);
		free(m->symval);
		mb_elf_view_free(&m->obj);
		mb_elf_close(&m->elf);
		free(cur_set.paths[i]);
	}
	free(cur_set.mods);
	free(cur_set.paths);
	memset(&cur_set, 0, sizeof(cur_set));
}

int main(int argc, char **argv)
{
	if (!bench_args(argc, argv))
		return 2;
	char build[4096], source[4096];
	bench_dirs(build, sizeof(build), source, sizeof(source));
	bench_text("bench_reloc: relocation apply + PLT emission only (ELF already read), kernel symbols out of branch range\n");
	for (size_t a = 0; a < mb_narches; a++) {
		char dir[8300];
		cur_set.arch = mb_arches[a];
		/* The loadable test modules (modules.txt; not the bad ones). */
		snprintf(dir, sizeof(dir), "%s/tests/modules/%s/modules.txt", build, mb_arches[a]->name);
		FILE *list = fopen(dir, "r");
		char line[4096];
		while (list && fgets(line, sizeof(line), list)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0])
				add_file(line, NULL, FTW_F, NULL);
		}
		if (list)
			fclose(list);
		run("test modules", 64);
		free_set();
		if (source[0]) {
			cur_set.arch = mb_arches[a];
			snprintf(dir, sizeof(dir), "%s/%s", MODBED_CORPUS_DIR, mb_arches[a]->name);
			if (access(dir, R_OK) == 0) {
				nftw(dir, add_file, 16, FTW_PHYS);
				run("corpus", 1);
				free_set();
			}
		}
	}
	return 0;
}
