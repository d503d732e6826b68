#include "harness/load/modpath.h"

#include "arch/arch.h"
#include "harness/elf/elf.h"
#include "harness/load/loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KSYMTAB_PREFIX "__ksymtab_"
#define MAX_DEPTH 64   /* the corpus' longest chain is 5 */

/* ---- collecting *.ko paths ------------------------------------------------ */

struct paths {
	char **v;
	size_t n, cap;
	/* Every directory and file taken, by device and inode: a symlink
	 * back up the tree (sub/up -> ..) or a second link to the same
	 * module is followed once, never in a loop. */
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen, capseen;
};

/* True the first time (dev, ino) is seen; -1 out of memory. */
static int first_visit(struct paths *p, const struct stat *st)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (p->seen[i].dev == st->st_dev && p->seen[i].ino == st->st_ino)
			return 0;
	if (p->nseen == p->capseen) {
		size_t cap = p->capseen ? 2 * p->capseen : 256;
		void *n = realloc(p->seen, cap * sizeof(*p->seen));
		if (n == NULL)
			return -1;
		p->seen = n;
		p->capseen = cap;
	}
	p->seen[p->nseen].dev = st->st_dev;
	p->seen[p->nseen].ino = st->st_ino;
	p->nseen++;
	return 1;
}

static int paths_add(struct paths *p, const char *s)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		char **nv = realloc(p->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		p->v = nv;
		p->cap = cap;
	}
	if ((p->v[p->n] = strdup(s)) == NULL)
		return -1;
	p->n++;
	return 0;
}

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	free(p->seen);
	memset(p, 0, sizeof(*p));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int walk(const char *dir, struct paths *out, struct mb_err *err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return mb_fail(err, dir, NULL, "cannot read module directory: %s", strerror(errno));
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(len);
		if (p == NULL) {
			rc = mb_fail(err, dir, NULL, "out of memory");
			break;
		}
		snprintf(p, len, "%s/%s", dir, e->d_name);
		struct stat st;
		bool dir_ = false, ko = false;
		if (stat(p, &st) == 0) {
			dir_ = S_ISDIR(st.st_mode);
			ko = S_ISREG(st.st_mode) && ends_with(e->d_name, ".ko");
		}
		int first = dir_ || ko ? first_visit(out, &st) : 0;
		if (first < 0)
			rc = mb_fail(err, dir, NULL, "out of memory");
		else if (first && dir_)
			rc = walk(p, out, err);
		else if (first && ko && paths_add(out, p) != 0)
			rc = mb_fail(err, dir, NULL, "out of memory");
		free(p);
	}
	closedir(d);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the export index ----------------------------------------------------- */

static int64_t find_name(const struct mb_modpath *mp, const char *sym)
{
	return (int64_t)(uintptr_t)mb_strmap_get(&mp->index, sym) - 1;
}

void mb_modpath_exports_of(const struct mb_elf *obj, void (*fn)(void *ctx, const char *name), void *ctx)
{
	for (size_t i = 1; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *s = &obj->syms[i];
		if (s->shndx == 0 || s->shndx >= obj->nsecs || strncmp(s->name, KSYMTAB_PREFIX, 10) != 0 ||
		    s->name[10] == '\0')
			continue;
		const char *sec = obj->secs[s->shndx].name;
		if (strcmp(sec, "__ksymtab") == 0 || strcmp(sec, "__ksymtab_gpl") == 0)
			fn(ctx, s->name + 10);
	}
}

struct index_build {
	struct mb_modpath *mp;
	uint32_t mod;
	size_t cap;
	int failed;
};

static void add_export(void *ctx, const char *name)
{
	struct index_build *b = ctx;
	struct mb_modpath *mp = b->mp;
	if (b->failed)
		return;
	if (mp->nnames == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		char **nn = realloc(mp->names, cap * sizeof(*nn));
		uint32_t *no = nn ? realloc(mp->owner, cap * sizeof(*no)) : NULL;
		if (nn)
			mp->names = nn;
		if (no == NULL) {
			b->failed = 1;
			return;
		}
		mp->owner = no;
		b->cap = cap;
	}
	if ((mp->names[mp->nnames] = strdup(name)) == NULL) {
		b->failed = 1;
		return;
	}
	mp->owner[mp->nnames++] = b->mod;
	mp->mods[b->mod].nexports++;
}

static int build_index(struct mb_modpath *mp)
{
	if (mb_strmap_reserve(&mp->index, mp->nnames) != 0 || mb_strmap_reserve(&mp->paths, mp->nmods) != 0)
		return -1;
	for (size_t i = 0; i < mp->nmods; i++)
		mb_strmap_put(&mp->paths, mp->mods[i].path, (void *)(uintptr_t)(i + 1));
	for (size_t n = 0; n < mp->nnames; n++)
		if (find_name(mp, mp->names[n]) < 0)  /* exported twice: the first module keeps it */
			mb_strmap_put(&mp->index, mp->names[n], (void *)(uintptr_t)(n + 1));
	return 0;
}

static char *module_name_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	if (ends_with(base, ".ko"))
		len -= 3;
	return strndup(base, len);
}

/* The arch most files are built for; the first of mb_arches on a tie or
 * when there is none. */
static const struct mb_arch *most_common_arch(const struct mb_arch *const *file_arch, size_t n)
{
	size_t best = 0, best_n = 0;
	for (size_t k = 0; k < mb_narches; k++) {
		size_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += file_arch[i] == mb_arches[k];
		if (c > best_n) {
			best = k;
			best_n = c;
		}
	}
	return mb_arches[best];
}

int mb_modpath_open(struct mb_modpath *mp, const char *const *dirs, size_t ndirs,
		    const struct mb_arch *arch, bool keep_images, struct mb_err *err)
{
	memset(mp, 0, sizeof(*mp));
	mp->arch = arch;
	struct paths all = { 0 };
	for (size_t d = 0; d < ndirs; d++) {
		size_t from = all.n;
		struct stat st;
		if (stat(dirs[d], &st) == 0 && first_visit(&all, &st) < 0) {
			paths_free(&all);
			return mb_fail(err, dirs[d], NULL, "out of memory");
		}
		if (walk(dirs[d], &all, err) != 0) {
			paths_free(&all);
			return -1;
		}
		qsort(all.v + from, all.n - from, sizeof(*all.v), cmp_str);
	}
	const struct mb_arch **file_arch = all.n ? calloc(all.n, sizeof(*file_arch)) : NULL;
	if (all.n && (!file_arch || (mp->mods = calloc(all.n, sizeof(*mp->mods))) == NULL)) {
		free(file_arch);
		paths_free(&all);
		return mb_fail(err, dirs[0], NULL, "out of memory");
	}
	for (size_t i = 0; i < all.n; i++) {
		struct mb_err probe;
		if (mb_elf_probe_arch(all.v[i], &file_arch[i], &probe) != 0)
			file_arch[i] = NULL;
	}
	if (arch == NULL)
		mp->arch = arch = most_common_arch(file_arch, all.n);
	struct index_build b = { .mp = mp };
	for (size_t i = 0; i < all.n; i++) {
		/* Another arch's module (a mixed tree) is not a provider here. */
		if (file_arch[i] != arch) {
			mp->nskipped++;
			continue;
		}
		struct mb_elf obj;
		memset(&obj, 0, sizeof(obj));
		struct mb_err bad;
		if (mb_elf_open_path(&obj, all.v[i], arch, &bad) != 0) {
			/* depmod too goes on past a file it cannot read: such a
			 * module provides nothing, and loading it directly still
			 * gives its own error. */
			mb_elf_close(&obj);
			mp->nskipped++;
			continue;
		}
		struct mb_modpath_module *m = &mp->mods[mp->nmods];
		m->path = all.v[i];
		all.v[i] = NULL;
		m->name = module_name_of(m->path);
		m->first_export = mp->nnames;
		b.mod = (uint32_t)mp->nmods++;
		mb_modpath_exports_of(&obj, add_export, &b);
		if (keep_images) {   /* libelf's handle over it ends below, not the bytes */
			m->image = obj.image;
			m->image_size = obj.image_size;
			obj.image = NULL;
		}
		mb_elf_close(&obj);
		if (m->name == NULL || b.failed)
			break;
	}
	free(file_arch);
	paths_free(&all);
	if (b.failed || (mp->nmods && mp->mods[mp->nmods - 1].name == NULL) || build_index(mp) != 0) {
		mb_modpath_close(mp);
		return mb_fail(err, dirs[0], NULL, "out of memory building the export index");
	}
	return 0;
}

void mb_modpath_close(struct mb_modpath *mp)
{
	for (size_t i = 0; i < mp->nmods; i++) {
		free(mp->mods[i].path);
		free(mp->mods[i].name);
		free(mp->mods[i].image);
	}
	for (size_t i = 0; i < mp->nnames; i++)
		free(mp->names[i]);
	free(mp->mods);
	free(mp->names);
	free(mp->owner);
	mb_strmap_fini(&mp->index);
	mb_strmap_fini(&mp->paths);
	memset(mp, 0, sizeof(*mp));
}

const struct mb_modpath_module *mb_modpath_provider(const struct mb_modpath *mp, const char *sym)
{
	int64_t i = mp ? find_name(mp, sym) : -1;
	return i < 0 ? NULL : &mp->mods[mp->owner[i]];
}

/* ---- loading with providers first ----------------------------------------- */

struct load_state {
	struct mb_modpath *mp;
	struct mb_loader *l;
	const struct mb_modpath_loader *how;
	const char *stack[MAX_DEPTH];   /* paths being loaded, outermost first */
	size_t depth;
	struct mb_loaded_module **loaded;  /* by this call, in load order */
	size_t nloaded, cap;
};

struct missing {
	const struct mb_modpath *mp;
	const char *self;
	const struct mb_modpath_module *provider;
	const char *sym;
};

/* The first missing symbol that some other indexed module provides. */
static void first_provided(void *ctx, const char *sym)
{
	struct missing *m = ctx;
	if (m->provider)
		return;
	const struct mb_modpath_module *p = mb_modpath_provider(m->mp, sym);
	if (p && strcmp(p->path, m->self) != 0) {
		m->provider = p;
		m->sym = sym;
	}
}

static int cycle_error(const struct load_state *st, size_t from, const char *path, const char *sym,
		       struct mb_err *err)
{
	char chain[400] = "";
	size_t n = 0;
	for (size_t i = from; i < st->depth && n < sizeof(chain); i++) {
		char *name = module_name_of(st->stack[i]);
		n += (size_t)snprintf(chain + n, sizeof(chain) - n, "%s -> ", name ? name : "?");
		free(name);
	}
	char *name = module_name_of(path);
	if (n < sizeof(chain))
		snprintf(chain + n, sizeof(chain) - n, "%s", name ? name : "?");
	free(name);
	return mb_fail(err, st->stack[st->depth - 1], "modpath",
		       "dependency cycle through symbol %s: %s", sym, chain);
}

/* A module of the tree from the bytes the index read, any other file from
 * the file. */
static int open_module(const struct mb_modpath *mp, struct mb_elf *obj, const char *path,
		       const struct mb_arch *arch, struct mb_err *err)
{
	uintptr_t i = mp ? (uintptr_t)mb_strmap_get(&mp->paths, path) : 0;
	if (i && mp->mods[i - 1].image)
		return mb_elf_open_mem(obj, path, mp->mods[i - 1].image, mp->mods[i - 1].image_size, arch, err);
	return mb_elf_open_path(obj, path, arch, err);
}

static int load_rec(struct load_state *st, const char *path, struct mb_loaded_module **out,
		    struct mb_err *err)
{
	struct mb_elf obj;
	memset(&obj, 0, sizeof(obj));
	if (open_module(st->mp, &obj, path, st->l->arch, err) != 0) {
		mb_elf_close(&obj);
		return -1;
	}
	st->stack[st->depth++] = path;
	for (;;) {
		struct missing m = { .mp = st->mp, .self = path };
		mb_loader_missing(st->l, &obj, first_provided, &m);
		if (m.provider == NULL)
			break;
		for (size_t i = 0; i < st->depth; i++) {
			if (strcmp(st->stack[i], m.provider->path) == 0) {
				cycle_error(st, i, m.provider->path, m.sym, err);
				goto fail;
			}
		}
		if (st->depth == MAX_DEPTH) {
			mb_fail(err, path, "modpath", "dependency chain deeper than %d modules", MAX_DEPTH);
			goto fail;
		}
		if (load_rec(st, m.provider->path, NULL, err) != 0) {
			/* Keep the provider's reason, say who needed it for what. */
			char inner[sizeof(err->msg)];
			memcpy(inner, err->msg, sizeof(inner));
			mb_fail(err, path, "modpath", "needs %s from %s, which failed: %s", m.sym,
				m.provider->name, inner);
			goto fail;
		}
	}
	if (st->nloaded == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 8;
		struct mb_loaded_module **nv = realloc(st->loaded, cap * sizeof(*nv));
		if (nv == NULL) {
			mb_fail(err, path, "modpath", "out of memory");
			goto fail;
		}
		st->loaded = nv;
		st->cap = cap;
	}
	struct mb_loaded_module *mod;
	st->depth--;
	int rc;
	if (st->how) {
		mb_elf_close(&obj);
		rc = st->how->load(st->how->ctx, path, &mod, err);
	} else {
		rc = mb_load_object(st->l, &obj, &mod, err);  /* takes obj either way */
	}
	if (rc != 0)
		return -1;
	st->loaded[st->nloaded++] = mod;
	if (out)
		*out = mod;
	return 0;
fail:
	st->depth--;
	mb_elf_close(&obj);
	return -1;
}

int mb_modpath_load(struct mb_modpath *mp, struct mb_loader *l, const char *path,
		    const struct mb_modpath_loader *how, struct mb_loaded_module **out, size_t *nloaded,
		    struct mb_err *err)
{
	struct load_state st = { .mp = mp, .l = l, .how = how };
	struct mb_loaded_module *mod = NULL;
	int rc = load_rec(&st, path, &mod, err);
	if (rc != 0) {
		/* Undo in reverse: later modules use earlier ones' exports. */
		for (size_t i = st.nloaded; i-- > 0;) {
			struct mb_err ignored;
			if (how)
				how->unload(how->ctx, st.loaded[i]);
			else
				mb_unload_module(l, st.loaded[i], &ignored);
		}
		st.nloaded = 0;
	}
	if (out)
		*out = rc == 0 ? mod : NULL;
	if (nloaded)
		*nloaded = st.nloaded;
	free(st.loaded);
	return rc;
}
