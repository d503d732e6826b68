/* powerpc32 module trampolines (arch/powerpc/kernel/module_32.c): sizing
 * and emission. A REL24 branch beyond +-32 MiB goes through a 16-byte
 * `lis r12,HA; addi r12,r12,LO; mtctr r12; bctr` entry in .plt (branch in
 * core memory) or .init.plt (branch in init memory). Entries are found by a
 * linear scan comparing the first two words, as entry_matches() does. */
#include "arch/powerpc32/ppc32_plt.h"

enum {
	R_PPC_REL24 = 10,
	PLT_ENTRY_SIZE = 16,
};

static const uint32_t LIS_R12 = 0x3d800000u;       /* addis r12, 0, imm */
static const uint32_t ADDI_R12_R12 = 0x398c0000u;  /* addi r12, r12, imm */
static const uint32_t MTCTR_R12 = 0x7d8903a6u;
static const uint32_t BCTR = 0x4e800420u;

/* ---- Sizing -------------------------------------------------------------- */

/* relacmp: the kernel compares with its arguments swapped, so the order is
 * descending by r_info (symbol, then type) and addend. */
static int relacmp(const struct mb_obj_rela *a, const struct mb_obj_rela *b)
{
	if (a->sym != b->sym)
		return a->sym > b->sym ? -1 : 1;
	if (a->type != b->type)
		return a->type > b->type ? -1 : 1;
	if (a->addend != b->addend)
		return a->addend > b->addend ? -1 : 1;
	return 0;
}

/* count_relocs: runs of distinct (symbol, addend) among REL24, starting
 * from (0, 0) as the kernel does. */
static uint32_t count_relocs(const struct mb_obj_rela *r, size_t n)
{
	uint32_t count = 0, sym = 0;
	int64_t addend = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].type == R_PPC_REL24 && (sym != r[i].sym || addend != r[i].addend)) {
			count++;
			sym = r[i].sym;
			addend = r[i].addend;
		}
	}
	return count;
}

/* get_plt_size, in entries: every RELA section whose own name says init
 * (strstr ".init") or not, debug sections excluded. */
static uint32_t get_plt_entries(struct mb_object *obj, bool is_init, bool ftrace_slot)
{
	uint32_t ret = 0;
	for (size_t i = 0; i < obj->nrelsecs; i++) {
		struct mb_obj_relsec *rs = &obj->relsecs[i];
		if (rs->index == 0 || rs->index >= obj->nsections)
			continue;
		const char *name = obj->sections[rs->index].name;
		if (!name)
			name = "";
		if (mb_str_contains(name, ".init") != is_init)
			continue;
		if (mb_str_contains(name, ".debug"))
			continue;
		mb_rela_sort(rs->relas, rs->nrelas, relacmp);
		ret += count_relocs(rs->relas, rs->nrelas) + (ftrace_slot ? 1 : 0);
	}
	return ret;
}

enum mb_reloc_status ppc32_size_plts(struct mb_object *obj, const struct mb_reloc_config *cfg,
				     struct mb_plt_plan *plan)
{
	uint32_t core = mb_obj_find_section(obj, ".plt");
	uint32_t init = mb_obj_find_section(obj, ".init.plt");
	if (!core || !init)
		return MB_RELOC_NO_PLT_SECTION;
	enum mb_reloc_status st = mb_obj_check_symbols(obj);
	if (st != MB_RELOC_OK)
		return st;

	bool ftrace = cfg && cfg->ppc32_ftrace_slot;
	uint32_t core_n = get_plt_entries(obj, false, ftrace);
	uint32_t init_n = get_plt_entries(obj, true, ftrace);
	obj->sections[core].size = (uint64_t)core_n * PLT_ENTRY_SIZE;
	obj->sections[init].size = (uint64_t)init_n * PLT_ENTRY_SIZE;
	*plan = (struct mb_plt_plan){
		.core_shndx = core, .init_shndx = init,
		.core_max = core_n, .init_max = init_n,
	};
	return MB_RELOC_OK;
}

/* ---- Emission ------------------------------------------------------------ */

static uint32_t ppc_ha(uint32_t v)
{
	return ((v + 0x8000u) >> 16) & 0xffffu;
}

enum mb_reloc_status ppc32_plt_pick(struct mb_plt_state *plts, bool in_init, uint32_t val,
				    struct ppc32_plt_pick *pick)
{
	struct mb_plt *plt = in_init ? &plts->init : &plts->core;

	pick->plt = plt;
	pick->words[0] = LIS_R12 | ppc_ha(val);
	pick->words[1] = ADDI_R12_R12 | (val & 0xffffu);
	pick->words[2] = MTCTR_R12;
	pick->words[3] = BCTR;

	for (uint32_t i = 0; i < plt->used && (uint64_t)(i + 1) * PLT_ENTRY_SIZE <= plt->size; i++) {
		const uint8_t *e = plt->bytes + (uint64_t)i * PLT_ENTRY_SIZE;
		if (mb_load(e, 4, true) == pick->words[0] && mb_load(e + 4, 4, true) == pick->words[1]) {
			pick->slot = i;
			pick->addr = plt->addr + (uint64_t)i * PLT_ENTRY_SIZE;
			pick->fresh = false;
			return MB_RELOC_OK;
		}
	}
	/* Upstream has no bounds check here (it trusts the count); refuse. */
	if (plt->used >= plt->max || (uint64_t)(plt->used + 1) * PLT_ENTRY_SIZE > plt->size)
		return MB_RELOC_PLT_FULL;
	pick->slot = plt->used;
	pick->addr = plt->addr + (uint64_t)plt->used * PLT_ENTRY_SIZE;
	pick->fresh = true;
	return MB_RELOC_OK;
}

void ppc32_plt_commit(const struct ppc32_plt_pick *pick)
{
	if (!pick->fresh)
		return;
	uint8_t *e = pick->plt->bytes + (uint64_t)pick->slot * PLT_ENTRY_SIZE;
	for (int w = 0; w < 4; w++)
		mb_store(e + 4 * w, 4, pick->words[w], true);
	pick->plt->used = pick->slot + 1;
}
