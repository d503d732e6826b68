#include "rawimg.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fixed test addresses per arch: module text/data inside the arch's module
 * area, the kernel stub within direct-branch reach of the text (the loader's
 * PLTs are not used here), scratch memory in a vmalloc-like range. */
struct fixed {
	const char *arch;
	uint64_t text, data, kernel, scratch;
};
static const struct fixed fixed[] = {
	{ "x86_64", 0xffffffffc0000000ull, 0xffffffffc0100000ull, 0xffffffff81000000ull, 0xffffc90000000000ull },
	{ "arm64", 0xffff800008000000ull, 0xffff800008100000ull, 0xffff800009000000ull, 0xffff800010000000ull },
	{ "powerpc32", 0xb0000000ull, 0xf0000000ull, 0xb1000000ull, 0xf1000000ull },
};

static int raw_fail(const char *fmt, const char *a)
{
	fprintf(stderr, "rawimg: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return -1;
}

/* Calls fn for each named global symbol of an object: defined or not. */
static int each_symbol(const char *obj, void (*fn)(void *ctx, const char *name, bool undef), void *ctx)
{
	int fd = open(obj, O_RDONLY);
	if (fd < 0)
		return raw_fail("cannot open %s", obj);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	int rc = 0;
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			gelf_getsym(d, (int)i, &s);
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && *name && GELF_ST_BIND(s.st_info) != STB_LOCAL)
				fn(ctx, name, s.st_shndx == SHN_UNDEF);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

static int load(struct rawimg *r, const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return raw_fail("cannot open %s", path);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t nph = 0;
	int rc = 0;
	elf_getphdrnum(e, &nph);
	for (size_t i = 0; i < nph && rc == 0; i++) {
		GElf_Phdr ph;
		gelf_getphdr(e, (int)i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		unsigned perm = ((ph.p_flags & PF_R) ? MB_PERM_R : 0) | ((ph.p_flags & PF_W) ? MB_PERM_W : 0) |
				((ph.p_flags & PF_X) ? MB_PERM_X : 0);
		uint64_t base = ph.p_vaddr & ~0xfffull;
		uint64_t size = ((ph.p_vaddr + ph.p_memsz + 0xfff) & ~0xfffull) - base;
		struct mb_err err;
		struct mb_space_arena *a;
		/* Bytes go in while writable; the final permission comes after,
		 * as the kernel's module loader does it. */
		if (mb_space_add_fixed(&r->space, base, size, MB_PERM_RW, "image", &a, &err) != 0) {
			rc = raw_fail("%s", err.msg);
			break;
		}
		snprintf(a->name, sizeof(a->name), "image:%s", (perm & MB_PERM_X) ? "text" : (perm & MB_PERM_W) ? "data" : "rodata");
		if (pread(fd, a->host + (ph.p_vaddr - base), ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			rc = raw_fail("short read of %s", path);
		if (mb_space_protect(&r->space, base, size, perm, &err) != 0)
			rc = raw_fail("%s", err.msg);
		r->seg[r->nseg] = a;
		r->seg_perm[r->nseg++] = perm;
	}
	size_t shstr;
	elf_getshdrstrndx(e, &shstr);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		r->syms = calloc(n, sizeof(*r->syms));
		for (size_t i = 1; i < n; i++) {
			GElf_Sym s;
			gelf_getsym(d, (int)i, &s);
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && *name && *name != '$' && s.st_shndx != SHN_UNDEF && s.st_shndx != SHN_ABS)
				r->syms[r->nsyms++] = (struct rawimg_sym){ strdup(name), s.st_value };
		}
	}
	elf_end(e);
	close(fd);
	return rc;
}

struct names { char *v[512]; size_t n; bool undef[512]; };

static void collect(void *ctx, const char *name, bool undef)
{
	struct names *ns = ctx;
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0) {
			ns->undef[i] = ns->undef[i] && undef;
			return;
		}
	if (ns->n < 512) {
		ns->undef[ns->n] = undef;
		ns->v[ns->n++] = strdup(name);
	}
}

/* Nearest symbol at or below addr: "image:NAME+0xOFF". */
static bool symbolize(void *ctx, uint64_t addr, char *buf, size_t len)
{
	const struct rawimg *r = ctx;
	if (!rawimg_segment(r, addr))
		return false;
	const struct rawimg_sym *best = NULL;
	for (size_t i = 0; i < r->nsyms; i++)
		if (r->syms[i].addr <= addr && (!best || r->syms[i].addr > best->addr))
			best = &r->syms[i];
	if (!best)
		return false;
	snprintf(buf, len, "image:%s+0x%" PRIx64, best->name, addr - best->addr);
	return true;
}

int rawimg_open(struct rawimg *r, const char *arch, const char *const *objs, size_t nobjs)
{
	memset(r, 0, sizeof(*r));
	elf_version(EV_CURRENT);
	const struct fixed *f = NULL;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(fixed[i].arch, arch) == 0)
			f = &fixed[i];
	r->arch = mb_arch_by_name(arch);
	if (!f || !r->arch)
		return raw_fail("unknown arch %s", arch);
	r->text_base = f->text;
	r->data_base = f->data;
	mb_space_init(&r->space, 4096);
	r->cfg = (struct mb_machine_config){ r->arch, f->kernel, 0x100000, f->scratch, 0x800000 };
	struct mb_err err;
	if (mb_machine_create(&r->m, &r->cfg, &r->space, &err) != 0 || mb_kstub_attach(r->m, &err) != 0)
		return raw_fail("%s", err.msg);

	char out[256], script[256], cmdf[256];
	snprintf(out, sizeof(out), "/tmp/mb_rawimg_%d_%s.elf", (int)getpid(), arch);
	snprintf(script, sizeof(script), "/tmp/mb_rawimg_%d_%s.ld", (int)getpid(), arch);
	snprintf(cmdf, sizeof(cmdf), "/tmp/mb_rawimg_%d_%s.cmd", (int)getpid(), arch);
	FILE *s = fopen(script, "w");
	if (!s)
		return raw_fail("cannot write %s", script);
	fprintf(s, "PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }\n"
		   "SECTIONS {\n . = 0x%" PRIx64 ";\n .text : { *(.text .text.*) } :text\n"
		   " . = ALIGN(0x1000);\n .rodata : { *(.rodata .rodata.* .data.rel.ro*) } :rodata\n"
		   " . = 0x%" PRIx64 ";\n .data : { *(.data .data.* .sdata .sdata.*) } :data\n"
		   " .bss : { *(.bss .bss.* .sbss .sbss.* COMMON) } :data\n"
		   " /DISCARD/ : { *(.comment .note*) }\n}\n", f->text, f->data);
	fclose(s);
	FILE *c = fopen(cmdf, "w");
	if (!c)
		return raw_fail("cannot write %s", cmdf);
	fprintf(c, "%s -static -e 0 -T %s -o %s", MB_LLD, script, out);
	char objpath[512];
	struct names ns = { .n = 0 };
	int rc = 0;
	for (size_t i = 0; i < nobjs && rc == 0; i++) {
		snprintf(objpath, sizeof(objpath), "%s/%s/%s.o", MB_GUEST_DIR, arch, objs[i]);
		fprintf(c, " %s", objpath);
		rc = each_symbol(objpath, collect, &ns);
	}
	/* Names no object defines come from the kernel stub. */
	for (size_t i = 0; i < ns.n; i++) {
		uint64_t addr;
		struct mb_err err;
		if (rc == 0 && ns.undef[i]) {
			if (mb_kstub_resolve(r->m, ns.v[i], &addr, NULL, &err) != 0)
				rc = raw_fail("%s", err.msg);
			else
				fprintf(c, " --defsym=%s=0x%" PRIx64, ns.v[i], addr);
		}
		free(ns.v[i]);
	}
	fprintf(c, "\n");
	if (rc != 0) {
		fclose(c);
		return -1;
	}
	fclose(c);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sh %s", cmdf);
	int st = system(cmd);
	unlink(script);
	unlink(cmdf);
	if (st != 0)
		return raw_fail("ld.lld failed (%s)", arch);
	rc = load(r, out);
	snprintf(r->image, sizeof(r->image), "%s", out);
	mb_machine_set_symbolizer(r->m, symbolize, r);
	return rc;
}

void rawimg_close(struct rawimg *r)
{
	if (r->image[0])
		unlink(r->image);
	mb_machine_destroy(r->m);
	mb_space_fini(&r->space);
	for (size_t i = 0; i < r->nsyms; i++)
		free(r->syms[i].name);
	free(r->syms);
}

uint64_t rawimg_sym(const struct rawimg *r, const char *name)
{
	for (size_t i = 0; i < r->nsyms; i++)
		if (strcmp(r->syms[i].name, name) == 0)
			return r->syms[i].addr;
	fprintf(stderr, "rawimg: no symbol %s\n", name);
	abort();
}

struct mb_space_arena *rawimg_segment(const struct rawimg *r, uint64_t addr)
{
	for (size_t i = 0; i < r->nseg; i++)
		if (addr >= r->seg[i]->base && addr - r->seg[i]->base < r->seg[i]->size)
			return r->seg[i];
	return NULL;
}
