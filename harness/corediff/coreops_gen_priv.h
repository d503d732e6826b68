/* Internals of the stream generator shared by coreops_gen.c (the stream,
 * the lockstep host core, lookups) and coreops_shape.c (module shapes from
 * the kmod corpus). Not for use outside harness/corediff/. */
#ifndef MODBED_HARNESS_COREOPS_GEN_PRIV_H
#define MODBED_HARNESS_COREOPS_GEN_PRIV_H

#include "harness/corediff/coreops.h"
#include "harness/corediff/coreops_rng.h"

#include "core/opstream.h"

/* amd64, SHF_ALLOC sections only (kmod-corpus.md 2.1): how many of the
 * 1,121 modules have the type at all, its size quantiles, largest align. */
struct type_dist {
	unsigned nonempty;
	struct mb_quantiles q;
	unsigned long max_align;
};
extern const struct type_dist mb_coregen_corpus[MOD_MEM_NUM_TYPES];
#define CORPUS_MODULES 1121

/* ELF constants for the sections the generator writes. */
enum { SHT_PROGBITS_ = 1, SHT_SYMTAB_ = 2, SHT_STRTAB_ = 3, SHT_RELA_ = 4, SHT_NOBITS_ = 8 };
enum { SHF_W = 0x1, SHF_A = 0x2, SHF_X = 0x4, SHF_INFO_LINK = 0x40 };

struct gen_sec {
	const char *name;
	unsigned long type, flags, size, align;
};

struct gen_mod {
	bool placed, inserted, init_gone, unformed;
	unsigned long base[MOD_MEM_NUM_TYPES], size[MOD_MEM_NUM_TYPES];
};

struct gen {
	const struct mb_corescenario *sc;
	struct mb_rng rng;
	struct mb_corestream *s;
	struct mb_ops_state *st;
	struct gen_mod mods[MB_OPS_MAX_MODULES];
	size_t nlive, target_live;
	struct mb_err *err;
	bool failed;
	/* the last operation's result */
	unsigned status;
	unsigned long vals[MB_OPS_MAX_RESULT_WORDS];
	unsigned nvals;
};

/* coreops_shape.c: an alignment no larger than max, as the corpus has them. */
unsigned long mb_coregen_pick_align(struct gen *g, unsigned long max);
/* coreops_shape.c: one module's sections, drawn from the corpus; returns
 * how many (secs holds MB_OPS_MAX_SECS); *kallsyms: the layout operation's
 * kallsyms flag. */
size_t mb_coregen_shape_module(struct gen *g, struct gen_sec *secs, bool *kallsyms);

#endif
