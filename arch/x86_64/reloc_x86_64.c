/* x86_64 relocations as arch/x86/kernel/module.c (__write_relocate_add)
 * applies them. No PLTs: modules and the kernel share the top 2 GiB. */
#include "arch/common/reloc_util.h"

enum {
	R_X86_64_NONE = 0,
	R_X86_64_64 = 1,
	R_X86_64_PC32 = 2,
	R_X86_64_PLT32 = 4,
	R_X86_64_32 = 10,
	R_X86_64_32S = 11,
	R_X86_64_PC64 = 24,
};

static void apply_x86_64(const struct mb_reloc_site *s, struct mb_plt_state *plt,
			 struct mb_reloc_result *res)
{
	(void)plt;
	uint64_t loc = mb_site_place(s);
	uint64_t val = s->S + (uint64_t)s->A;
	unsigned size;

	mb_result_reset(res);
	switch (s->type) {
	case R_X86_64_NONE:
		return;
	case R_X86_64_64:
		size = 8;
		break;
	case R_X86_64_32:
		if (val != (uint32_t)val) {
			mb_result_overflow(res, mb_s64(val), 0, UINT32_MAX, false);
			return;
		}
		size = 4;
		break;
	case R_X86_64_32S:
		if (mb_s64(val) < INT32_MIN || mb_s64(val) > INT32_MAX) {
			mb_result_overflow(res, mb_s64(val), INT32_MIN, INT32_MAX, true);
			return;
		}
		size = 4;
		break;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		/* Unchecked upstream: the displacement is silently truncated.
		 * Accepted all the same, but said. */
		val -= loc;
		size = 4;
		if (mb_s64(val) < INT32_MIN || mb_s64(val) > INT32_MAX) {
			res->truncated = true;
			res->value = mb_s64(val);
		}
		break;
	case R_X86_64_PC64:
		val -= loc;
		size = 8;
		break;
	default:
		mb_result_set(res, MB_RELOC_UNSUPPORTED);
		return;
	}

	if (!mb_site_fits(s, s->offset, size)) {
		mb_result_set(res, MB_RELOC_LOC_RANGE);
		return;
	}
	uint8_t *p = s->sec_bytes + s->offset;
	uint64_t existing = mb_load(p, size, false);
	if (existing != 0) {
		mb_result_set(res, MB_RELOC_NONZERO);
		res->existing = existing;
		res->value = mb_s64(val);
		return;
	}
	mb_store(p, size, val, false);
}

const struct mb_reloc_ops mb_reloc_x86_64 = {
	.type_name = mb_reloc_type_name_x86_64,
	.size_plts = NULL,
	.apply = apply_x86_64,
	.plt_entry_size = 0,
};
