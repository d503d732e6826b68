/* The trampoline interface between reloc_powerpc32.c and plt_powerpc32.c.
 * Internal to arch/powerpc32. */
#ifndef MODBED_ARCH_PPC32_PLT_H
#define MODBED_ARCH_PPC32_PLT_H

#include "arch/common/reloc_util.h"

/* One trampoline chosen for a REL24: computed first, written by commit. */
struct ppc32_plt_pick {
	struct mb_plt *plt;
	uint64_t addr;
	uint32_t slot;
	bool fresh;
	uint32_t words[4];  /* lis r12; addi r12,r12; mtctr r12; bctr */
};

/* do_plt_call without the writes. */
enum mb_reloc_status ppc32_plt_pick(struct mb_plt_state *plts, bool in_init, uint32_t val,
				    struct ppc32_plt_pick *pick);
void ppc32_plt_commit(const struct ppc32_plt_pick *pick);

/* module_frob_arch_sections (get_plt_size). */
enum mb_reloc_status ppc32_size_plts(struct mb_object *obj, const struct mb_reloc_config *cfg,
				     struct mb_plt_plan *plan);

#endif
