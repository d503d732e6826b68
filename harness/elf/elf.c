#include "harness/elf/elf.h"

#include "arch/arch.h"

#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Section-level checks keep these small: one message per problem. */
#define FAIL(sec, ...) mb_fail(err, obj->path, (sec), __VA_ARGS__)

static bool libelf_ready(void)
{
	static int state; /* 0 unknown, 1 ok, -1 failed */
	if (state == 0)
		state = elf_version(EV_CURRENT) == EV_NONE ? -1 : 1;
	return state == 1;
}

static bool inside(uint64_t off, uint64_t len, uint64_t total)
{
	return len <= total && off <= total - len;
}

static const char *class_name(unsigned c)
{
	return c == ELFCLASS32 ? "ELFCLASS32" : c == ELFCLASS64 ? "ELFCLASS64" : "ELFCLASS?";
}

static const char *data_name(unsigned d)
{
	return d == ELFDATA2LSB ? "little-endian" : d == ELFDATA2MSB ? "big-endian" : "unknown byte order";
}

static const char *type_name(unsigned t)
{
	switch (t) {
	case ET_NONE: return "ET_NONE";
	case ET_REL: return "ET_REL";
	case ET_EXEC: return "ET_EXEC";
	case ET_DYN: return "ET_DYN";
	case ET_CORE: return "ET_CORE";
	default: return "unknown type";
	}
}

/* "x86_64 (EM 62, ELFCLASS64, little-endian)" style identity of a header. */
static void identity(char *buf, size_t n, unsigned machine, unsigned cls, unsigned data)
{
	const struct mb_arch *a = mb_arch_by_elf((uint16_t)machine, (uint8_t)cls, (uint8_t)data);
	snprintf(buf, n, "%s%smachine %u, %s, %s%s", a ? a->name : "", a ? " (" : "", machine,
		 class_name(cls), data_name(data), a ? ")" : "");
}

static void arch_list(char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < mb_narches && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", mb_arches[i]->name);
		used += w > 0 ? (size_t)w : 0;
	}
}

/* Raw identity check shared by open and probe: magic, class, byte order.
 * b holds the first len bytes of a file of fsize bytes. */
static int check_ident(const char *path, const uint8_t *b, size_t len, size_t fsize, uint16_t *machine,
		       struct mb_err *err)
{
	size_t m = len < SELFMAG ? len : SELFMAG;
	if (len == 0)
		return mb_fail(err, path, NULL, "not an ELF file: the file is empty");
	if (memcmp(b, ELFMAG, m) != 0)
		return mb_fail(err, path, NULL, "not an ELF file (%zu bytes, no \\177ELF magic)", fsize);
	if (len < EI_NIDENT)
		return mb_fail(err, path, NULL, "ELF identification truncated: file has %zu bytes, needs %d", fsize,
			       EI_NIDENT);
	if (b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64)
		return mb_fail(err, path, NULL, "ELF header: unknown class %u", b[EI_CLASS]);
	if (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB)
		return mb_fail(err, path, NULL, "ELF header: unknown byte order %u", b[EI_DATA]);
	if (b[EI_VERSION] != EV_CURRENT)
		return mb_fail(err, path, NULL, "ELF header: unknown version %u", b[EI_VERSION]);
	size_t ehsize = b[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (len < ehsize)
		return mb_fail(err, path, NULL, "ELF header truncated: file has %zu bytes, the %s header needs %zu",
			       fsize, class_name(b[EI_CLASS]), ehsize);
	/* e_machine sits at offset 18 in both classes. */
	*machine = b[EI_DATA] == ELFDATA2LSB ? (uint16_t)(b[18] | b[19] << 8) : (uint16_t)(b[18] << 8 | b[19]);
	return 0;
}

static int match_arch(const char *path, const uint8_t *b, uint16_t machine, const struct mb_arch *want,
		      const struct mb_arch **out, struct mb_err *err)
{
	char id[96], list[64];
	const struct mb_arch *a = mb_arch_by_elf(machine, b[EI_CLASS], b[EI_DATA]);
	identity(id, sizeof(id), machine, b[EI_CLASS], b[EI_DATA]);
	if (!a) {
		arch_list(list, sizeof(list));
		return mb_fail(err, path, NULL, "ELF header: %s matches no arch modbed knows (%s)", id, list);
	}
	if (want && a != want)
		return mb_fail(err, path, NULL, "ELF header: %s object, but the arch is %s", id, want->name);
	*out = a;
	return 0;
}

static uint64_t rd_raw(const uint8_t *p, int size, bool be)
{
	uint64_t v = 0;
	for (int i = 0; i < size; i++)
		v = v << 8 | p[be ? i : size - 1 - i];
	return v;
}

/* The section header table's place in the file, checked on the raw header
 * before libelf sees it (libelf refuses such files with a vaguer message). */
static int check_shdr_table(struct mb_elf *obj, const uint8_t *b, size_t len, struct mb_err *err)
{
	bool is64 = b[EI_CLASS] == ELFCLASS64, be = b[EI_DATA] == ELFDATA2MSB;
	uint64_t shoff = is64 ? rd_raw(b + 40, 8, be) : rd_raw(b + 32, 4, be);
	uint64_t entsize = rd_raw(b + (is64 ? 58 : 46), 2, be);
	uint64_t shnum = rd_raw(b + (is64 ? 60 : 48), 2, be);
	size_t want = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (shoff == 0)
		return FAIL(NULL, "ELF header: no section header table");
	if (entsize != want)
		return FAIL(NULL, "ELF header: section header size %" PRIu64 ", %s needs %zu", entsize,
			    class_name(b[EI_CLASS]), want);
	if (!inside(shoff, want, len))
		return FAIL(NULL, "ELF header: section header table at 0x%" PRIx64 " past end of file (0x%zx)", shoff,
			    len);
	if (shnum == 0) /* extended numbering: the count is section 0's size */
		shnum = is64 ? rd_raw(b + shoff + 32, 8, be) : rd_raw(b + shoff + 20, 4, be);
	if (shnum > (len - shoff) / want)
		return FAIL(NULL, "ELF header: section header table of %" PRIu64 " entries at 0x%" PRIx64
			    " past end of file (0x%zx)", shnum, shoff, len);
	return 0;
}

/* fopen for reading a module: a directory or an unreadable file is an
 * error saying so; *size is the file's size. */
static FILE *open_module(const char *path, size_t *size, struct mb_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		mb_fail(err, path, NULL, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			mb_fail(err, path, NULL, "is a directory, not a module file");
		else
			mb_fail(err, path, NULL, "cannot read: %s", strerror(errno));
		fclose(f);
		return NULL;
	}
	*size = (size_t)st.st_size;
	return f;
}

int mb_elf_probe_arch(const char *path, const struct mb_arch **arch, struct mb_err *err)
{
	uint8_t b[sizeof(Elf64_Ehdr)];
	size_t fsize;
	FILE *f = open_module(path, &fsize, err);
	if (!f)
		return -1;
	size_t n = fread(b, 1, sizeof(b), f);
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (rerr)
		return mb_fail(err, path, NULL, "read error: %s", strerror(rerr));
	uint16_t machine;
	if (check_ident(path, b, n, fsize > n ? fsize : n, &machine, err) != 0)
		return -1;
	return match_arch(path, b, machine, NULL, arch, err);
}

void mb_elf_close(struct mb_elf *obj)
{
	if (obj->elf)
		elf_end(obj->elf);
	free(obj->secs);
	free(obj->syms);
	free(obj->relsecs);
	free(obj->rela_store);
	free(obj->image);
	memset(obj, 0, sizeof(*obj));
}

/* A NUL-terminated string at `off` inside string table section `st`. */
static const char *strtab_string(const struct mb_elf *obj, uint32_t st, uint64_t off)
{
	const struct mb_elf_section *s = &obj->secs[st];
	if (s->type == SHT_NOBITS || off >= s->size)
		return NULL;
	const char *p = (const char *)obj->image + s->offset + off;
	if (!memchr(p, '\0', (size_t)(s->size - off)))
		return NULL;
	return p;
}

static bool pow2_or_zero(uint64_t v)
{
	return (v & (v - 1)) == 0;
}

static int read_sections(struct mb_elf *obj, Elf *e, const GElf_Ehdr *eh, struct mb_err *err)
{
	size_t shnum, shstrndx;
	size_t shentsize = obj->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (eh->e_shoff == 0)
		return FAIL(NULL, "ELF header: no section header table");
	if (eh->e_shentsize != shentsize)
		return FAIL(NULL, "ELF header: section header size %u, %s needs %zu", eh->e_shentsize,
			    class_name(obj->is64 ? ELFCLASS64 : ELFCLASS32), shentsize);
	if (!inside(eh->e_shoff, shentsize, obj->image_size))
		return FAIL(NULL, "ELF header: section header table at 0x%" PRIx64 " past end of file (0x%zx)",
			    (uint64_t)eh->e_shoff, obj->image_size);
	if (elf_getshdrnum(e, &shnum) != 0)
		return FAIL(NULL, "ELF header: bad section count: %s", elf_errmsg(-1));
	if (shnum == 0 || shnum >= SHN_LORESERVE)
		return FAIL(NULL, "ELF header: %zu sections (need 1..%u)", shnum, SHN_LORESERVE - 1);
	if ((uint64_t)shnum > (obj->image_size - eh->e_shoff) / shentsize)
		return FAIL(NULL, "ELF header: section header table of %zu entries at 0x%" PRIx64
			    " past end of file (0x%zx)", shnum, (uint64_t)eh->e_shoff, obj->image_size);
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return FAIL(NULL, "ELF header: bad section name table index: %s", elf_errmsg(-1));
	if (shstrndx == SHN_UNDEF || shstrndx >= shnum)
		return FAIL(NULL, "ELF header: section name table index %zu out of range (%zu sections)", shstrndx,
			    shnum);

	obj->secs = calloc(shnum, sizeof(*obj->secs));
	if (!obj->secs)
		return FAIL(NULL, "out of memory for %zu sections", shnum);
	obj->nsecs = shnum;
	for (size_t i = 0; i < shnum; i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(e, i);
		if (!scn || !gelf_getshdr(scn, &sh))
			return FAIL(NULL, "section header %zu unreadable: %s", i, elf_errmsg(-1));
		struct mb_elf_section *s = &obj->secs[i];
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->addralign = sh.sh_addralign;
		s->entsize = sh.sh_entsize;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->name = (const char *)(uintptr_t)sh.sh_name; /* resolved below */
	}
	/* The name table first: every other message names its section. */
	struct mb_elf_section *st = &obj->secs[shstrndx];
	char where[32];
	snprintf(where, sizeof(where), "section %zu", shstrndx);
	if (st->type != SHT_STRTAB)
		return FAIL(where, "section name table has type %u, not SHT_STRTAB", st->type);
	if (!inside(st->offset, st->size, obj->image_size))
		return FAIL(where, "section name table [0x%" PRIx64 ", +0x%" PRIx64 ") past end of file (0x%zx)",
			    st->offset, st->size, obj->image_size);
	for (size_t i = 0; i < shnum; i++) {
		uint64_t off = (uint64_t)(uintptr_t)obj->secs[i].name;
		const char *name = strtab_string(obj, (uint32_t)shstrndx, off);
		if (!name) {
			snprintf(where, sizeof(where), "section %zu", i);
			return FAIL(where, "name offset 0x%" PRIx64 " outside the section name table (0x%" PRIx64 ")",
				    off, st->size);
		}
		obj->secs[i].name = name;
	}
	for (size_t i = 1; i < shnum; i++) {
		struct mb_elf_section *s = &obj->secs[i];
		if (s->type != SHT_NOBITS && !inside(s->offset, s->size, obj->image_size))
			return FAIL(s->name, "contents [0x%" PRIx64 ", +0x%" PRIx64 ") past end of file (0x%zx)",
				    s->offset, s->size, obj->image_size);
		if (!pow2_or_zero(s->addralign))
			return FAIL(s->name, "alignment 0x%" PRIx64 " is not a power of two", s->addralign);
		/* Sections read as stored (loaded, relocations, symbols, names)
		 * cannot be compressed; compressed debug info is fine. */
		bool read = (s->flags & SHF_ALLOC) || s->type == SHT_RELA || s->type == SHT_REL ||
			    s->type == SHT_SYMTAB || s->type == SHT_STRTAB;
		if ((s->flags & SHF_COMPRESSED) && read)
			return FAIL(s->name, "SHF_COMPRESSED: a compressed %s section cannot be loaded "
				    "(the kernel reads it as stored)",
				    s->type == SHT_RELA || s->type == SHT_REL ? "relocation"
				    : s->type == SHT_SYMTAB ? "symbol table" : s->type == SHT_STRTAB ? "string table"
				    : "allocated");
		if (s->type != SHT_NOBITS && s->size)
			s->data = obj->image + s->offset;
	}
	return 0;
}

static Elf_Data *section_data(struct mb_elf *obj, size_t i)
{
	Elf_Scn *scn = elf_getscn(obj->elf, i);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	return d;
}

static int read_symbols(struct mb_elf *obj, struct mb_err *err)
{
	size_t symsz = obj->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	uint32_t symtab = 0;
	for (size_t i = 1; i < obj->nsecs; i++) {
		if (obj->secs[i].type == SHT_SYMTAB_SHNDX)
			return FAIL(obj->secs[i].name, "extended section indices (SHT_SYMTAB_SHNDX) are not supported");
		if (obj->secs[i].type != SHT_SYMTAB)
			continue;
		if (symtab)
			return FAIL(obj->secs[i].name, "second symbol table (the first is %s)", obj->secs[symtab].name);
		symtab = (uint32_t)i;
	}
	if (!symtab)
		return FAIL(NULL, "no symbol table (stripped?): a module needs one");
	const struct mb_elf_section *s = &obj->secs[symtab];
	if (s->entsize != symsz)
		return FAIL(s->name, "entry size %" PRIu64 ", %s symbols are %zu bytes", s->entsize,
			    class_name(obj->is64 ? ELFCLASS64 : ELFCLASS32), symsz);
	if (s->size % symsz)
		return FAIL(s->name, "size 0x%" PRIx64 " is not a multiple of the entry size %zu", s->size, symsz);
	if (s->link == 0 || s->link >= obj->nsecs || obj->secs[s->link].type != SHT_STRTAB)
		return FAIL(s->name, "link %u is not a string table section", s->link);
	size_t n = (size_t)(s->size / symsz);
	if (n == 0)
		return FAIL(s->name, "empty symbol table");
	if (s->info > n)
		return FAIL(s->name, "first global symbol index %u past the %zu symbols", s->info, n);
	Elf_Data *d = section_data(obj, symtab);
	if (!d || d->d_size < n * symsz)
		return FAIL(s->name, "unreadable: %s", elf_errmsg(-1));
	obj->syms = calloc(n, sizeof(*obj->syms));
	if (!obj->syms)
		return FAIL(s->name, "out of memory for %zu symbols", n);
	obj->symtab = symtab;
	obj->nsyms = n;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym gs;
		if (!gelf_getsym(d, (int)i, &gs))
			return FAIL(s->name, "symbol %zu unreadable: %s", i, elf_errmsg(-1));
		struct mb_elf_symbol *y = &obj->syms[i];
		y->name = strtab_string(obj, s->link, gs.st_name);
		if (!y->name)
			return FAIL(s->name, "symbol %zu: name offset 0x%x outside %s (0x%" PRIx64 ")", i, gs.st_name,
				    obj->secs[s->link].name, obj->secs[s->link].size);
		y->value = gs.st_value;
		y->size = gs.st_size;
		y->bind = GELF_ST_BIND(gs.st_info);
		y->type = GELF_ST_TYPE(gs.st_info);
		y->other = gs.st_other;
		y->shndx = gs.st_shndx;
		if (gs.st_shndx == SHN_COMMON)
			return FAIL(s->name, "symbol %zu '%s' is SHN_COMMON: please compile with -fno-common", i,
				    y->name);
		if (gs.st_shndx == SHN_XINDEX)
			return FAIL(s->name, "symbol %zu '%s': extended section index not supported", i, y->name);
		if (gs.st_shndx != SHN_UNDEF && gs.st_shndx != SHN_ABS && gs.st_shndx >= obj->nsecs)
			return FAIL(s->name, "symbol %zu '%s': section index %u out of range (%zu sections)", i,
				    y->name, gs.st_shndx, obj->nsecs);
	}
	return 0;
}

static int read_relocations(struct mb_elf *obj, struct mb_err *err)
{
	size_t relasz = obj->is64 ? sizeof(Elf64_Rela) : sizeof(Elf32_Rela);
	size_t nrel = 0, total = 0;
	for (size_t i = 1; i < obj->nsecs; i++) {
		const struct mb_elf_section *s = &obj->secs[i];
		if (s->type != SHT_RELA && s->type != SHT_REL)
			continue;
		if (s->info == 0 || s->info >= obj->nsecs)
			return FAIL(s->name, "target section index %u out of range (%zu sections)", s->info, obj->nsecs);
		if (s->type == SHT_REL) {
			if (!(obj->secs[s->info].flags & SHF_ALLOC))
				continue;
			return FAIL(s->name, "SHT_REL relocations: the %s kernel loader takes RELA only",
				    obj->arch->name);
		}
		if (s->link != obj->symtab)
			return FAIL(s->name, "link %u is not the symbol table (%u)", s->link, obj->symtab);
		if (s->entsize != relasz)
			return FAIL(s->name, "entry size %" PRIu64 ", %s RELA entries are %zu bytes", s->entsize,
				    class_name(obj->is64 ? ELFCLASS64 : ELFCLASS32), relasz);
		if (s->size % relasz)
			return FAIL(s->name, "size 0x%" PRIx64 " is not a multiple of the entry size %zu", s->size,
				    relasz);
		nrel++;
		total += (size_t)(s->size / relasz);
	}
	obj->relsecs = calloc(nrel ? nrel : 1, sizeof(*obj->relsecs));
	obj->rela_store = calloc(total ? total : 1, sizeof(*obj->rela_store));
	if (!obj->relsecs || !obj->rela_store)
		return FAIL(NULL, "out of memory for %zu relocations", total);
	obj->nrelas = total;
	struct mb_elf_rela *next = obj->rela_store;
	for (size_t i = 1; i < obj->nsecs; i++) {
		const struct mb_elf_section *s = &obj->secs[i];
		if (s->type != SHT_RELA)
			continue;
		const struct mb_elf_section *t = &obj->secs[s->info];
		struct mb_elf_relsec *rs = &obj->relsecs[obj->nrelsecs++];
		size_t n = (size_t)(s->size / relasz);
		rs->index = (uint32_t)i;
		rs->target = s->info;
		struct mb_elf_rela *ents = next;
		rs->entries = ents;
		rs->count = n;
		/* The kernel never looks at these: neither do we. */
		rs->skipped = !(t->flags & SHF_ALLOC);
		next += n;
		if (rs->skipped || n == 0)
			continue;
		Elf_Data *d = section_data(obj, i);
		if (!d || d->d_size < n * relasz)
			return FAIL(s->name, "unreadable: %s", elf_errmsg(-1));
		for (size_t k = 0; k < n; k++) {
			GElf_Rela gr;
			if (!gelf_getrela(d, (int)k, &gr))
				return FAIL(s->name, "entry %zu unreadable: %s", k, elf_errmsg(-1));
			struct mb_elf_rela *r = &ents[k];
			r->offset = gr.r_offset;
			r->addend = gr.r_addend;
			r->sym = (uint32_t)GELF_R_SYM(gr.r_info);
			r->type = (uint32_t)GELF_R_TYPE(gr.r_info);
			if (r->sym >= obj->nsyms)
				return FAIL(s->name, "entry %zu: symbol index %u out of range (%zu symbols)", k, r->sym,
					    obj->nsyms);
			if (r->offset >= t->size)
				return FAIL(s->name, "entry %zu: offset 0x%" PRIx64 " past end of %s (0x%" PRIx64 ")", k,
					    r->offset, t->name, t->size);
		}
	}
	return 0;
}

/* Opens obj over buf (malloc'd, len bytes), which it owns from here on,
 * also when the open fails. libelf reads the same bytes: elf_memory() never
 * writes to them when only reading (converted tables go to its own memory),
 * so the image stays as the file was. */
static int open_owned(struct mb_elf *obj, const char *name, uint8_t *buf, size_t len, const struct mb_arch *want,
		      struct mb_err *err)
{
	memset(obj, 0, sizeof(*obj));
	obj->path = name;
	obj->image = buf;
	obj->image_size = len;
	uint16_t machine;
	if (check_ident(name, buf, len, len, &machine, err) != 0 ||
	    match_arch(name, buf, machine, want, &obj->arch, err) != 0) {
		mb_elf_close(obj);
		return -1;
	}
	if (!libelf_ready()) {
		FAIL(NULL, "libelf: %s", elf_errmsg(-1));
		mb_elf_close(obj);
		return -1;
	}
	obj->path = name;
	obj->is64 = buf[EI_CLASS] == ELFCLASS64;
	obj->big_endian = buf[EI_DATA] == ELFDATA2MSB;
	obj->machine = machine;

	int rc = -1;
	if (check_shdr_table(obj, buf, len, err) != 0) {
		mb_elf_close(obj);
		return -1;
	}
	Elf *e = elf_memory((char *)obj->image, len);
	obj->elf = e;
	GElf_Ehdr eh;
	if (!e || elf_kind(e) != ELF_K_ELF)
		FAIL(NULL, "libelf cannot read it: %s", elf_errmsg(-1));
	else if (!gelf_getehdr(e, &eh))
		FAIL(NULL, "ELF header unreadable: %s", elf_errmsg(-1));
	else if (eh.e_type != ET_REL)
		FAIL(NULL, "ELF header: %s, but a module is a relocatable object (ET_REL)", type_name(eh.e_type));
	else if (read_sections(obj, e, &eh, err) == 0 && read_symbols(obj, err) == 0 &&
		 read_relocations(obj, err) == 0)
		rc = 0;
	if (rc != 0)
		mb_elf_close(obj);
	else
		obj->path = name;
	return rc;
}

int mb_elf_open_mem(struct mb_elf *obj, const char *name, const void *buf, size_t len,
		    const struct mb_arch *want, struct mb_err *err)
{
	memset(obj, 0, sizeof(*obj));
	/* The identity first: a file that is no ELF object is not copied. */
	uint16_t machine;
	const struct mb_arch *arch;
	if (check_ident(name, buf, len, len, &machine, err) != 0 || match_arch(name, buf, machine, want, &arch, err) != 0)
		return -1;
	uint8_t *copy = malloc(len);
	if (!copy)
		return mb_fail(err, name, NULL, "out of memory for %zu bytes", len);
	memcpy(copy, buf, len);
	return open_owned(obj, name, copy, len, want, err);
}

int mb_elf_open_path(struct mb_elf *obj, const char *path, const struct mb_arch *want, struct mb_err *err)
{
	memset(obj, 0, sizeof(*obj));
	size_t fsize;
	FILE *f = open_module(path, &fsize, err);
	if (!f)
		return -1;
	/* One read into a buffer of the file's size (one more byte shows a
	 * file that grew since fstat); the object keeps the buffer. */
	size_t cap = fsize + 1, len = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return mb_fail(err, path, NULL, "out of memory reading the file");
	}
	setvbuf(f, NULL, _IONBF, 0);
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return mb_fail(err, path, NULL, "out of memory reading the file");
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (rerr) {
		free(buf);
		return mb_fail(err, path, NULL, "read error: %s", strerror(rerr));
	}
	return open_owned(obj, path, buf, len, want, err);
}

uint32_t mb_elf_find_section(const struct mb_elf *obj, const char *name)
{
	for (size_t i = 1; i < obj->nsecs; i++)
		if (strcmp(obj->secs[i].name, name) == 0)
			return (uint32_t)i;
	return 0;
}
