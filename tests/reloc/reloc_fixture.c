#include "tests/reloc/reloc_fixture.h"

#include <check.h>
#include <gelf.h>
#include <libelf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Out of memory or a broken test environment: the fixture is also used
 * outside Check tests (corpus mode), where ck_assert cannot report. */
#define RF_NEED(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond); \
			abort();                                                \
		}                                                              \
	} while (0)

const char *rf_module_path(const char *arch, const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s/%s.ko", MODBED_MODULES_OUT, arch, name);
	return buf;
}

bool rf_try_open(struct rf_image *im, const char *arch, const char *path,
		 const struct mb_reloc_config *cfg, char *why, size_t n)
{
	struct mb_err err = { { 0 } };
	memset(im, 0, sizeof(*im));
	im->arch = mb_arch_by_name(arch);
	if (!im->arch || !im->arch->reloc) {
		snprintf(why, n, "%s: no such arch", arch);
		return false;
	}
	if (mb_elf_open_path(&im->elf, path, im->arch, &err) != 0 ||
	    mb_elf_view(&im->elf, &im->obj, &err) != 0) {
		snprintf(why, n, "%s", err.msg);
		rf_close(im);
		return false;
	}
	const struct mb_reloc_ops *ops = im->arch->reloc;
	im->cfg = cfg;
	im->sizing = ops->size_plts ? ops->size_plts(&im->obj, cfg, &im->plan) : MB_RELOC_OK;

	size_t ns = im->obj.nsections;
	im->addr = calloc(ns, sizeof(*im->addr));
	im->placed = calloc(ns, sizeof(*im->placed));
	im->init = calloc(ns, sizeof(*im->init));
	im->bytes = calloc(ns, sizeof(*im->bytes));
	im->symval = calloc(im->obj.nsymbols + 1, sizeof(*im->symval));
	RF_NEED(im->addr && im->placed && im->init && im->bytes && im->symval);
	return true;
}

void rf_open(struct rf_image *im, const char *arch, const char *path,
	     const struct mb_reloc_config *cfg)
{
	char why[600];
	ck_assert_msg(rf_try_open(im, arch, path, cfg, why, sizeof(why)), "%s", why);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) / a * a : v;
}

void rf_place(struct rf_image *im, const struct rf_layout *lay)
{
	uint64_t cursor[6] = { lay->text, lay->rodata, lay->data,
			       lay->init_text, lay->init_rodata, lay->init_data };
	for (size_t i = 1; i < im->obj.nsections; i++) {
		const struct mb_obj_section *s = &im->obj.sections[i];
		if (!(s->flags & MB_SHF_ALLOC))
			continue;
		bool init = strncmp(s->name, ".init", 5) == 0;
		int g = (s->flags & MB_SHF_EXECINSTR) ? 0 : (s->flags & MB_SHF_WRITE) ? 2 : 1;
		g += init ? 3 : 0;
		uint64_t a = align_up(cursor[g], s->addralign > 16 ? s->addralign : 16);
		im->addr[i] = a;
		im->placed[i] = true;
		im->init[i] = init;
		cursor[g] = a + s->size + lay->gap;
		im->bytes[i] = calloc(s->size ? s->size : 1, 1);
		RF_NEED(im->bytes[i]);
		const struct mb_elf_section *es = &im->elf.secs[i];
		if (s->type != MB_SHT_NOBITS && es->data)
			memcpy(im->bytes[i], es->data, es->size < s->size ? es->size : s->size);
	}

	uint64_t k = 0;
	for (size_t i = 0; i < im->obj.nsymbols; i++) {
		const struct mb_obj_symbol *y = &im->obj.symbols[i];
		if (i == 0)
			continue;
		if (y->shndx == MB_SHN_UNDEF)
			im->symval[i] = lay->undef_base + k++ * lay->undef_stride;
		else if (y->shndx == MB_SHN_ABS)
			im->symval[i] = y->value;
		else if (y->shndx < im->obj.nsections && im->placed[y->shndx])
			im->symval[i] = im->addr[y->shndx] + y->value;
	}

	struct mb_plt *plts[2] = { &im->plt.core, &im->plt.init };
	uint32_t idx[2] = { im->plan.core_shndx, im->plan.init_shndx };
	uint32_t max[2] = { im->plan.core_max, im->plan.init_max };
	for (int p = 0; p < 2; p++) {
		if (!idx[p] || !im->placed[idx[p]])
			continue;
		*plts[p] = (struct mb_plt){ .addr = im->addr[idx[p]], .bytes = im->bytes[idx[p]],
					    .size = im->obj.sections[idx[p]].size, .max = max[p] };
	}
}

void rf_apply(struct rf_image *im)
{
	size_t total = 0;
	for (size_t r = 0; r < im->obj.nrelsecs; r++)
		total += im->obj.relsecs[r].nrelas;
	im->sites = calloc(total + 1, sizeof(*im->sites));
	RF_NEED(im->sites);
	for (size_t r = 0; r < im->obj.nrelsecs; r++) {
		const struct mb_obj_relsec *rs = &im->obj.relsecs[r];
		uint32_t t = rs->target;
		if (!im->placed[t])
			continue;
		for (size_t e = 0; e < rs->nrelas; e++) {
			const struct mb_obj_rela *ra = &rs->relas[e];
			struct rf_site *site = &im->sites[im->nsites++];
			site->relsec = (uint32_t)r;
			site->rela = *ra;
			site->target = t;
			site->place = im->addr[t] + ra->offset;
			struct mb_reloc_site in = {
				.type = ra->type, .S = im->symval[ra->sym], .A = ra->addend,
				.sec_bytes = im->bytes[t], .sec_addr = im->addr[t],
				.sec_size = im->obj.sections[t].size, .offset = ra->offset,
				.in_init = im->init[t], .cfg = im->cfg,
			};
			im->arch->reloc->apply(&in, &im->plt, &site->res);
			if (site->res.status != MB_RELOC_OK)
				im->failures++;
		}
	}
}

void rf_close(struct rf_image *im)
{
	for (size_t i = 0; i < im->obj.nsections; i++)
		free(im->bytes ? im->bytes[i] : NULL);
	free(im->bytes);
	free(im->addr);
	free(im->placed);
	free(im->init);
	free(im->symval);
	free(im->sites);
	mb_elf_view_free(&im->obj);
	mb_elf_close(&im->elf);
	memset(im, 0, sizeof(*im));
}

uint32_t rf_section(const struct rf_image *im, const char *name)
{
	for (size_t i = 1; i < im->obj.nsections; i++)
		if (strcmp(im->obj.sections[i].name, name) == 0)
			return (uint32_t)i;
	return 0;
}

uint32_t rf_symbol(const struct rf_image *im, const char *name)
{
	for (size_t i = 1; i < im->obj.nsymbols; i++)
		if (strcmp(im->obj.symbols[i].name, name) == 0)
			return (uint32_t)i;
	return 0;
}

const struct rf_site *rf_site_at(const struct rf_image *im, uint32_t sec, uint64_t offset)
{
	for (size_t i = 0; i < im->nsites; i++)
		if (im->sites[i].target == sec && im->sites[i].rela.offset == offset)
			return &im->sites[i];
	return NULL;
}

uint32_t rf_word(const struct rf_image *im, const uint8_t *p)
{
	if (im->arch->big_endian)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* A copy of `in` with SHF_MERGE cleared on every section: lld would merge
 * duplicate strings and move the references, which the kernel never does. */
static bool copy_unmerged(const char *in, const char *copy)
{
	FILE *src = fopen(in, "rb"), *dst = fopen(copy, "wb");
	bool ok = src && dst;
	char buf[65536];
	size_t got;
	while (ok && (got = fread(buf, 1, sizeof(buf), src)) > 0)
		ok = fwrite(buf, 1, got, dst) == got;
	if (src)
		fclose(src);
	if (dst)
		ok = fclose(dst) == 0 && ok;
	if (!ok)
		return false;

	elf_version(EV_CURRENT);
	int fd = open(copy, O_RDWR);
	if (fd < 0)
		return false;
	Elf *e = elf_begin(fd, ELF_C_RDWR, NULL);
	ok = e != NULL;
	if (ok) {
		elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT);
		for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
			GElf_Shdr sh;
			if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_MERGE)) {
				sh.sh_flags &= ~(GElf_Xword)SHF_MERGE;
				ok = ok && gelf_update_shdr(scn, &sh);
				elf_flagshdr(scn, ELF_C_SET, ELF_F_DIRTY);
			}
		}
		ok = ok && elf_update(e, ELF_C_WRITE) >= 0;
		elf_end(e);
	}
	close(fd);
	return ok;
}

bool rf_link_lld(const struct rf_image *im, const char *out, const char *log)
{
	char input[4096];
	snprintf(input, sizeof(input), "%s.in.o", out);
	if (!copy_unmerged(im->elf.path, input))
		return false;

	char script[4096];
	snprintf(script, sizeof(script), "%s.lds", out);
	FILE *f = fopen(script, "w");
	RF_NEED(f);
	/* One segment per section, in address order, so lld neither pads the
	 * file across the gaps nor sees file offsets go backwards. */
	size_t n_sec = im->obj.nsections, nplaced = 0;
	size_t *order = calloc(n_sec, sizeof(*order));
	RF_NEED(order);
	for (size_t i = 1; i < n_sec; i++)
		if (im->placed[i])
			order[nplaced++] = i;
	for (size_t a = 1; a < nplaced; a++)
		for (size_t b = a; b > 0 && im->addr[order[b - 1]] > im->addr[order[b]]; b--) {
			size_t t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	fprintf(f, "PHDRS {\n");
	for (size_t k = 0; k < nplaced; k++)
		fprintf(f, "  p%zu PT_LOAD;\n", order[k]);
	fprintf(f, "}\nSECTIONS {\n");
	for (size_t k = 0; k < nplaced; k++) {
		size_t i = order[k];
		fprintf(f, "  mbsec_%zu 0x%" PRIx64 " : { *(%s) } :p%zu\n", i, im->addr[i],
			im->obj.sections[i].name, i);
	}
	fprintf(f, "}\n");
	free(order);
	fclose(f);

	/* argv: lld, fixed options, one --defsym per undefined symbol. */
	size_t max = 16 + im->obj.nsymbols;
	char **argv = calloc(max, sizeof(*argv));
	RF_NEED(argv);
	size_t n = 0;
	argv[n++] = strdup(MODBED_LLD);
	argv[n++] = strdup("--noinhibit-exec");
	argv[n++] = strdup("--no-relax");
	argv[n++] = strdup("-static");
	argv[n++] = strdup("-T");
	argv[n++] = strdup(script);
	argv[n++] = strdup("-o");
	argv[n++] = strdup(out);
	argv[n++] = strdup(input);
	for (size_t i = 1; i < im->obj.nsymbols; i++) {
		const struct mb_obj_symbol *y = &im->obj.symbols[i];
		if (y->shndx != MB_SHN_UNDEF || !y->name[0])
			continue;
		char buf[512];
		snprintf(buf, sizeof(buf), "--defsym=%s=0x%" PRIx64, y->name, im->symval[i]);
		argv[n++] = strdup(buf);
	}
	argv[n] = NULL;

	pid_t pid = fork();
	RF_NEED(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	unlink(input);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

uint8_t *rf_linked_section(const char *path, uint32_t idx, uint64_t *size, uint64_t *addr)
{
	char want[64];
	snprintf(want, sizeof(want), "mbsec_%u", idx);
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx = 0;
	uint8_t *copy = NULL;
	if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
		for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *name = elf_strptr(e, shstrndx, sh.sh_name);
			if (!name || strcmp(name, want) != 0)
				continue;
			*size = sh.sh_size;
			*addr = sh.sh_addr;
			copy = calloc(sh.sh_size ? sh.sh_size : 1, 1);
			Elf_Data *d = elf_rawdata(scn, NULL);
			if (copy && d && d->d_buf && sh.sh_type != SHT_NOBITS)
				memcpy(copy, d->d_buf, d->d_size < sh.sh_size ? d->d_size : sh.sh_size);
			break;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return copy;
}
