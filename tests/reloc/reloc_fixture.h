/* Test fixture for the relocation suites: open a test module with the ELF
 * reader, run the arch's PLT sizing, place every allocated section at
 * addresses the test chooses, give undefined symbols chosen values, and
 * apply every relocation with the arch's code, recording each result.
 * Also links the same object with ld.lld at the same addresses, as the
 * independent reference. */
#ifndef MODBED_TESTS_RELOC_FIXTURE_H
#define MODBED_TESTS_RELOC_FIXTURE_H

#include "arch/arch.h"
#include "arch/reloc.h"
#include "harness/elf/elf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where each group of sections goes. Sections of a group are laid out one
 * after another (aligned, `gap` bytes apart); undefined symbols get
 * undef_base + k * undef_stride in symbol-table order. */
struct rf_layout {
	uint64_t text, rodata, data;
	uint64_t init_text, init_rodata, init_data;
	uint64_t undef_base, undef_stride;
	uint64_t gap;
};

struct rf_site {
	uint32_t relsec;            /* index into obj.relsecs */
	struct mb_obj_rela rela;
	uint32_t target;            /* section patched */
	uint64_t place;
	struct mb_reloc_result res;
};

struct rf_image {
	const struct mb_arch *arch;
	const struct mb_reloc_config *cfg;  /* as given to rf_open; passed to apply */
	struct mb_elf elf;
	struct mb_object obj;
	enum mb_reloc_status sizing;
	struct mb_plt_plan plan;
	struct mb_plt_state plt;
	uint64_t *addr;             /* per section; valid when placed[i] */
	bool *placed;
	bool *init;                 /* per section: in init memory */
	uint8_t **bytes;            /* per section host copy (placed only) */
	uint64_t *symval;           /* per symbol final value */
	struct rf_site *sites;
	size_t nsites;
	size_t failures;            /* sites whose status is not OK */
};

/* Path of a built test module, "<out>/<arch>/<name>.ko". */
const char *rf_module_path(const char *arch, const char *name);

/* Opens and sizes. On failure returns false with the reason in `why`
 * (the image is then closed). */
bool rf_try_open(struct rf_image *im, const char *arch, const char *path,
		 const struct mb_reloc_config *cfg, char *why, size_t n);
/* Same, asserting (ck_assert) success. */
void rf_open(struct rf_image *im, const char *arch, const char *path,
	     const struct mb_reloc_config *cfg);
void rf_place(struct rf_image *im, const struct rf_layout *lay);
/* Applies every relocation in the order the sizing pass left them. */
void rf_apply(struct rf_image *im);
void rf_close(struct rf_image *im);

uint32_t rf_section(const struct rf_image *im, const char *name);
uint32_t rf_symbol(const struct rf_image *im, const char *name);
/* The site of the relocation at (section, offset), NULL if none. */
const struct rf_site *rf_site_at(const struct rf_image *im, uint32_t sec, uint64_t offset);

/* Links the module with ld.lld at the image's addresses (a generated
 * linker script, --defsym for undefined symbols) into `out`; returns
 * false (and leaves lld's messages in `log`) on failure. */
bool rf_link_lld(const struct rf_image *im, const char *out, const char *log);

/* Bytes of output section `mbsec_<idx>` in a linked file: malloc'd copy. */
uint8_t *rf_linked_section(const char *path, uint32_t idx, uint64_t *size, uint64_t *addr);

/* Reads a 32-bit word of the target's byte order. */
uint32_t rf_word(const struct rf_image *im, const uint8_t *p);

#endif
