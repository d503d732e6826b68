/* The loader's state as one number: tests compare it before and after a
 * failed load ("a failed load leaves everything as it was"). */
#include "arch/arch.h"
#include "arch/reloc.h" /* before core headers: both name a few ELF constants */
#include "arch/map.h"
#include "core/layout.h"
#include "harness/load/loader_priv.h"
#include "harness/load/space.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

uint64_t mb_loader_fingerprint(const struct mb_loader *l)
{
	uint64_t h = mb_space_fingerprint(l->space);
	for (const struct mb_range *r = mb_place_first(&l->place); r; r = r->next) {
		h = mix(h, r->base);
		h = mix(h, r->span);
	}
	h = mix(h, l->place.nranges);
	for (int c = 0; c < MB_NPCLASS; c++)
		for (const struct mb_arena *a = l->place.pool[c]; a; a = a->next_chunk)
			h = mix(h, a->base ^ ((uint64_t)a->users << 48));
	const struct mb_lookup *lk = &l->lookup;
	h = mix(h, lk->addr_min);
	h = mix(h, lk->addr_max);
	h = mix(h, lk->data_addr_min);
	h = mix(h, lk->data_addr_max);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		h = mix(h, lk->pair[t].min);
		h = mix(h, lk->pair[t].last);
	}
	h = mix(h, lk->nnodes);
	for (const struct mb_module *m = lk->modules; m; m = m->lk_next)
		h = mix(h, (uint64_t)(uintptr_t)m);
	h = mix(h, l->nmodules);
	for (const struct mb_loaded_module *m = l->modules; m; m = m->next)
		h = mix(h, m->refcount);
	return h;
}
