/* The ELF reader's object -> arch/reloc.h's neutral view. */
#include "arch/arch.h"
#include "arch/reloc.h"
#include "harness/elf/elf.h"

#include <stdlib.h>
#include <string.h>

void mb_elf_view_free(struct mb_object *v)
{
	if (!v)
		return;
	free(v->sections);
	free((void *)v->symbols);
	if (v->relsecs && v->nrelsecs)
		free(v->relsecs[0].relas); /* one block for all relocation sections */
	free(v->relsecs);
	memset(v, 0, sizeof(*v));
}

int mb_elf_view(const struct mb_elf *obj, struct mb_object *v, struct mb_err *err)
{
	memset(v, 0, sizeof(*v));
	size_t nrel = 0, nrs = 0;
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		if (obj->relsecs[i].skipped)
			continue;
		nrs++;
		nrel += obj->relsecs[i].count;
	}
	struct mb_obj_section *secs = calloc(obj->nsecs, sizeof(*secs));
	struct mb_obj_symbol *syms = calloc(obj->nsyms ? obj->nsyms : 1, sizeof(*syms));
	struct mb_obj_relsec *rs = calloc(nrs ? nrs : 1, sizeof(*rs));
	struct mb_obj_rela *relas = calloc(nrel ? nrel : 1, sizeof(*relas));
	if (!secs || !syms || !rs || !relas) {
		free(secs);
		free(syms);
		free(rs);
		free(relas);
		return mb_fail(err, obj->path, NULL, "out of memory for the object view");
	}
	for (size_t i = 0; i < obj->nsecs; i++) {
		const struct mb_elf_section *s = &obj->secs[i];
		secs[i] = (struct mb_obj_section){ .name = s->name, .type = s->type, .flags = s->flags,
						   .size = s->size, .addralign = s->addralign,
						   .link = s->link, .info = s->info };
	}
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct mb_elf_symbol *y = &obj->syms[i];
		syms[i] = (struct mb_obj_symbol){ .name = y->name, .value = y->value, .size = y->size,
						  .shndx = y->shndx, .bind = y->bind, .type = y->type };
	}
	size_t k = 0, at = 0;
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		const struct mb_elf_relsec *r = &obj->relsecs[i];
		if (r->skipped)
			continue;
		rs[k] = (struct mb_obj_relsec){ .index = r->index, .target = r->target, .relas = relas + at,
					       .nrelas = r->count };
		for (size_t e = 0; e < r->count; e++)
			relas[at + e] = (struct mb_obj_rela){ .offset = r->entries[e].offset, .type = r->entries[e].type,
							      .sym = r->entries[e].sym,
							      .addend = r->entries[e].addend };
		at += r->count;
		k++;
	}
	v->sections = secs;
	v->nsections = obj->nsecs;
	v->symbols = syms;
	v->nsymbols = obj->nsyms;
	v->relsecs = rs;
	v->nrelsecs = nrs;
	if (nrs == 0)
		free(relas);
	return 0;
}

const char *mb_elf_reloc_name(const struct mb_elf *obj, uint32_t type)
{
	const struct mb_reloc_ops *ops = obj->arch ? obj->arch->reloc : NULL;
	return ops && ops->type_name ? ops->type_name(type) : NULL;
}
