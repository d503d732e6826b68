/* Test fixture: guest objects linked by ld.lld at fixed addresses (kernel
 * stub symbols passed as --defsym), loaded segment by segment into a space
 * that a machine mirrors. Stands in for the module loader so the machine is
 * tested against a real compiler and a real linker on its own. */
#ifndef MODBED_TESTS_EMU_RAWIMG_H
#define MODBED_TESTS_EMU_RAWIMG_H

#include "harness/kstub/kstub.h"
#include "harness/machine/emu.h"
#include "harness/load/space.h"

struct rawimg_sym {
	char *name;
	uint64_t addr;
};

struct rawimg {
	const struct mb_arch *arch;
	struct mb_space space;
	struct mb_machine *m;
	struct mb_space_arena *seg[8];
	unsigned seg_perm[8];
	size_t nseg;
	struct rawimg_sym *syms;
	size_t nsyms;
	uint64_t text_base, data_base;
	struct mb_machine_config cfg;
	/* The image as ld.lld linked it (kept until rawimg_close), for
	 * independent readings such as llvm-objdump's disassembly. */
	char image[256];
};

/* Links guest/<arch>/<obj>.o for each name in objs, loads, 0 on success
 * (a message on stderr otherwise). */
int rawimg_open(struct rawimg *r, const char *arch, const char *const *objs, size_t nobjs);
void rawimg_close(struct rawimg *r);
/* Address of a symbol of the image; aborts the test when missing. */
uint64_t rawimg_sym(const struct rawimg *r, const char *name);
/* The loaded segment holding addr. */
struct mb_space_arena *rawimg_segment(const struct rawimg *r, uint64_t addr);

#endif
