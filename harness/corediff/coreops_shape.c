/* Module shapes for the stream generator: the sections of one module and
 * their sizes and alignments, drawn from the kmod corpus (reference/kmod-corpus.md,
 * 2.1), plus the .exit, .modinfo, __versions, symbol and relocation sections
 * a real module carries. */
#include "harness/corediff/coreops_gen_priv.h"

#include <stdlib.h>
#include <string.h>

const struct type_dist mb_coregen_corpus[MOD_MEM_NUM_TYPES] = {
	[MOD_TEXT] = { 1120, { 5, 2183, 29971, 1011043 }, 32 },
	[MOD_DATA] = { 1121, { 896, 1280, 3672, 286620 }, 64 },
	[MOD_RODATA] = { 1121, { 184, 1740, 13968, 422520 }, 256 },
	[MOD_RO_AFTER_INIT] = { 364, { 16, 96, 928, 20512 }, 32 },
	[MOD_INIT_TEXT] = { 1035, { 12, 31, 274, 9533 }, 16 },
	[MOD_INIT_DATA] = { 1043, { 8, 8, 8, 6216 }, 32 },
	[MOD_INIT_RODATA] = { 14, { 40, 1064, 6258, 69065 }, 32 },
};

/* ---- module shapes ---- */

unsigned long mb_coregen_pick_align(struct gen *g, unsigned long max)
{
	static const unsigned long aligns[] = { 1, 4, 8, 16, 32, 64, 128, 256 };
	unsigned long a;
	do
		a = aligns[mb_rng_below(&g->rng, sizeof(aligns) / sizeof(aligns[0]))];
	while (a > max);
	return a;
}

static size_t add_sec(struct gen_sec *secs, size_t n, const char *name, unsigned long type, unsigned long flags,
		      unsigned long size, unsigned long align)
{
	if (n >= MB_OPS_MAX_SECS)
		return n;
	secs[n].name = name;
	secs[n].type = type;
	secs[n].flags = flags;
	secs[n].size = size;
	secs[n].align = align;
	return n + 1;
}

/* Splits a type's sampled size over the sections real modules put there. */
static size_t shape_type(struct gen *g, struct gen_sec *secs, size_t n, int t, unsigned long size)
{
	unsigned long al = mb_coregen_pick_align(g, mb_coregen_corpus[t].max_align);
	unsigned long part = size > 1 ? mb_rng_range(&g->rng, size / 2, size) : size;
	unsigned long rest = size - part;
	unsigned long this_module = g->sc->fmt.width == 8 ? 0x380 : 0x240;
	switch (t) {
	case MOD_TEXT:
		n = add_sec(secs, n, ".text", SHT_PROGBITS_, SHF_A | SHF_X, part, al);
		if (rest)
			n = add_sec(secs, n, ".text.unlikely", SHT_PROGBITS_, SHF_A | SHF_X, rest, 16);
		if (mb_rng_percent(&g->rng, 70))
			n = add_sec(secs, n, ".exit.text", SHT_PROGBITS_, SHF_A | SHF_X, mb_rng_range(&g->rng, 4, 300), 16);
		break;
	case MOD_DATA:
		n = add_sec(secs, n, ".gnu.linkonce.this_module", SHT_PROGBITS_, SHF_W | SHF_A, this_module, 64);
		n = add_sec(secs, n, ".data", SHT_PROGBITS_, SHF_W | SHF_A, part, al);
		if (rest)
			n = add_sec(secs, n, ".bss", SHT_NOBITS_, SHF_W | SHF_A, rest, mb_coregen_pick_align(g, 64));
		if (mb_rng_percent(&g->rng, 80))
			n = add_sec(secs, n, ".exit.data", SHT_PROGBITS_, SHF_W | SHF_A, g->sc->fmt.width, g->sc->fmt.width);
		break;
	case MOD_RODATA:
		n = add_sec(secs, n, ".rodata", SHT_PROGBITS_, SHF_A, part, al);
		if (rest)
			n = add_sec(secs, n, ".rodata.str1.1", SHT_PROGBITS_, SHF_A, rest, 1);
		if (mb_rng_percent(&g->rng, 40)) {
			unsigned long k = mb_rng_range(&g->rng, 1, 40);
			n = add_sec(secs, n, "__ksymtab", SHT_PROGBITS_, SHF_A, 12 * k, 4);
			n = add_sec(secs, n, "__ksymtab_strings", SHT_PROGBITS_, SHF_A, 14 * k, 1);
		}
		break;
	case MOD_RO_AFTER_INIT:
		n = add_sec(secs, n, mb_rng_percent(&g->rng, 50) ? ".data..ro_after_init" : "__jump_table",
			    SHT_PROGBITS_, SHF_W | SHF_A, size, al);
		break;
	case MOD_INIT_TEXT:
		n = add_sec(secs, n, ".init.text", SHT_PROGBITS_, SHF_A | SHF_X, size, al);
		break;
	case MOD_INIT_DATA:
		n = add_sec(secs, n, ".init.data", SHT_PROGBITS_, SHF_W | SHF_A, size, al);
		break;
	case MOD_INIT_RODATA:
		n = add_sec(secs, n, ".init.rodata", SHT_PROGBITS_, SHF_A, size, al);
		break;
	}
	return n;
}

/* A module's section table, index 0 the null section. */
size_t mb_coregen_shape_module(struct gen *g, struct gen_sec *secs, bool *kallsyms)
{
	size_t n = add_sec(secs, 0, "", 0, 0, 0, 0);
	for (int t = 0; t < MOD_MEM_NUM_TYPES; t++) {
		if (mb_rng_below(&g->rng, CORPUS_MODULES) >= mb_coregen_corpus[t].nonempty)
			continue;
		n = shape_type(g, secs, n, t, (unsigned long)mb_rng_quantile_size(&g->rng, &mb_coregen_corpus[t].q));
	}
	/* What the kernel drops or moves before layout. */
	n = add_sec(secs, n, ".modinfo", SHT_PROGBITS_, SHF_A, mb_rng_range(&g->rng, 60, 900), 1);
	if (mb_rng_percent(&g->rng, 90))
		n = add_sec(secs, n, "__versions", SHT_PROGBITS_, SHF_A, 64 * mb_rng_range(&g->rng, 1, 30), 32);
	if (mb_rng_percent(&g->rng, 5))
		n = add_sec(secs, n, ".data..percpu", SHT_PROGBITS_, SHF_W | SHF_A, mb_rng_range(&g->rng, 4, 512), 8);
	if (mb_rng_percent(&g->rng, 4))
		n = add_sec(secs, n, ".static_call_sites", SHT_PROGBITS_, SHF_W | SHF_A, 8 * mb_rng_range(&g->rng, 1, 20), 4);
	if (mb_rng_percent(&g->rng, 10))
		n = add_sec(secs, n, ".text.empty", SHT_PROGBITS_, SHF_A | SHF_X, 0, mb_coregen_pick_align(g, 256));
	/* Rare shapes the layout must refuse, identically on every core. */
	if (mb_rng_percent(&g->rng, 1))
		n = add_sec(secs, n, ".text.wx", SHT_PROGBITS_, SHF_W | SHF_A | SHF_X, 16, 16);
	if (mb_rng_percent(&g->rng, 1))
		n = add_sec(secs, n, ".data.oddalign", SHT_PROGBITS_, SHF_W | SHF_A, 16, 24);
	n = add_sec(secs, n, ".rela.text", SHT_RELA_, SHF_INFO_LINK, 24 * mb_rng_range(&g->rng, 1, 500), 8);
	n = add_sec(secs, n, ".comment", SHT_PROGBITS_, 0, 40, 1);
	/* Real objects put the symbol table near the end, .strtab after it. */
	unsigned long nsyms = mb_rng_range(&g->rng, 10, 600);
	n = add_sec(secs, n, ".symtab", SHT_SYMTAB_, 0, nsyms * (g->sc->fmt.width == 8 ? 24 : 16), 8);
	n = add_sec(secs, n, ".strtab", SHT_STRTAB_, 0, nsyms * 18, 1);
	/* Section order varies between objects: shuffle the middle sometimes. */
	if (mb_rng_percent(&g->rng, 30) && n > 4)
		for (size_t i = n - 3; i > 1; i--) {
			size_t j = 1 + (size_t)mb_rng_below(&g->rng, i);
			struct gen_sec tmp = secs[i];
			secs[i] = secs[j];
			secs[j] = tmp;
		}
	*kallsyms = mb_rng_percent(&g->rng, 50);
	return n;
}
