#include "arch/common/reloc_util.h"

const char *mb_reloc_name_find(const struct mb_reloc_name *t, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return t[i].name;
	return NULL;
}

const char *mb_reloc_status_str(enum mb_reloc_status st)
{
	switch (st) {
	case MB_RELOC_OK:
		return "ok";
	case MB_RELOC_UNSUPPORTED:
		return "unsupported relocation type";
	case MB_RELOC_OVERFLOW:
		return "value out of range";
	case MB_RELOC_NONZERO:
		return "invalid relocation target, existing value is nonzero";
	case MB_RELOC_LOC_RANGE:
		return "location runs past the end of its section";
	case MB_RELOC_PLT_FULL:
		return "PLT full: more entries needed than the sizing pass reserved";
	case MB_RELOC_MISALIGNED:
		return "instruction location not 4-byte aligned";
	case MB_RELOC_NO_PLT_SECTION:
		return "module PLT section(s) missing";
	case MB_RELOC_NO_SYMTAB:
		return "module symtab section missing";
	case MB_RELOC_BAD_SYMBOL:
		return "relocation symbol index past the symbol table";
	}
	return "unknown relocation status";
}

void mb_result_reset(struct mb_reloc_result *res)
{
	*res = (struct mb_reloc_result){ .status = MB_RELOC_OK };
}

void mb_result_set(struct mb_reloc_result *res, enum mb_reloc_status st)
{
	mb_result_reset(res);
	res->status = st;
}

void mb_result_overflow(struct mb_reloc_result *res, int64_t value, int64_t lo, int64_t hi,
			bool range_signed)
{
	mb_result_set(res, MB_RELOC_OVERFLOW);
	res->value = value;
	res->lo = lo;
	res->hi = hi;
	res->range_signed = range_signed;
}

bool mb_str_contains(const char *s, const char *needle)
{
	for (; *s; s++)
		if (mb_strstarts(s, needle))
			return true;
	return *needle == '\0';
}

uint32_t mb_obj_find_section(const struct mb_object *obj, const char *name)
{
	for (size_t i = 1; i < obj->nsections; i++)
		if (obj->sections[i].name && mb_streq(obj->sections[i].name, name))
			return (uint32_t)i;
	return 0;
}

enum mb_reloc_status mb_obj_check_symbols(const struct mb_object *obj)
{
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		const struct mb_obj_relsec *rs = &obj->relsecs[i];
		for (size_t j = 0; j < rs->nrelas; j++)
			if (rs->relas[j].sym >= obj->nsymbols)
				return MB_RELOC_BAD_SYMBOL;
	}
	return MB_RELOC_OK;
}

static void swap_rela(struct mb_obj_rela *a, struct mb_obj_rela *b)
{
	struct mb_obj_rela t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(struct mb_obj_rela *r, size_t root, size_t n, mb_rela_cmp cmp)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp(&r[child], &r[child + 1]) < 0)
			child++;
		if (cmp(&r[root], &r[child]) >= 0)
			return;
		swap_rela(&r[root], &r[child]);
		root = child;
	}
}

void mb_rela_sort(struct mb_obj_rela *r, size_t n, mb_rela_cmp cmp)
{
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(r, i, n, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap_rela(&r[0], &r[end]);
		sift_down(r, 0, end, cmp);
	}
}
