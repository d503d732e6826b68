/* Section and symbol addresses the relocation suites use, per arch. Module
 * memory sits where the kernel's maps put it; groups are megabytes apart
 * so that PC-relative values are large but inside every relocation's range
 * (direct: no PLT needed), or, for the far layouts, kernel symbols sit
 * beyond branch range so that calls to them need PLT entries. */
#ifndef MODBED_TESTS_RELOC_LAYOUTS_H
#define MODBED_TESTS_RELOC_LAYOUTS_H

#include "tests/reloc/reloc_fixture.h"

/* x86_64: modules at MODULES_VADDR (top 2 GiB), kernel text 0x81000000. */
static const struct rf_layout x86_64_near = {
	.text = 0xffffffffa0001000, .rodata = 0xffffffffa0403000, .data = 0xffffffffa0805000,
	.init_text = 0xffffffffa0c07000, .init_rodata = 0xffffffffa1009000,
	.init_data = 0xffffffffa140b000,
	.undef_base = 0xffffffff81234560, .undef_stride = 0x1230, .gap = 0x130,
};

/* x86_64 far: the kernel symbols 4 GiB below the module text, out of reach
 * of every 32-bit PC-relative call. x86_64 modules have no PLT. */
static const struct rf_layout x86_64_far = {
	.text = 0xffffffffa0001000, .rodata = 0xffffffffa0403000, .data = 0xffffffffa0805000,
	.init_text = 0xffffffffa0c07000, .init_rodata = 0xffffffffa1009000,
	.init_data = 0xffffffffa140b000,
	.undef_base = 0xfffffffea0000000, .undef_stride = 0x1230, .gap = 0x130,
};

/* arm64: 128 MiB module window; the kernel 100 MiB above the module text. */
static const struct rf_layout arm64_near = {
	.text = 0xffff800008001000, .rodata = 0xffff800008e03000, .data = 0xffff800009c05000,
	.init_text = 0xffff80000aa07000, .init_rodata = 0xffff80000b809000,
	.init_data = 0xffff80000c60b000,
	.undef_base = 0xffff80000e400100, .undef_stride = 0x2340, .gap = 0x140,
};

/* arm64 far: the kernel 1 GiB above the module text (the 2 GiB PLT window). */
static const struct rf_layout arm64_far = {
	.text = 0xffff800008001000, .rodata = 0xffff800008e03000, .data = 0xffff800009c05000,
	.init_text = 0xffff80000aa07000, .init_rodata = 0xffff80000b809000,
	.init_data = 0xffff80000c60b000,
	.undef_base = 0xffff800048000100, .undef_stride = 0x2340, .gap = 0x140,
};

/* powerpc32 (book3s/32): module text below the kernel at 0xc0000000, within
 * 32 MiB of it; data in vmalloc at 0xf1000000. */
static const struct rf_layout powerpc32_near = {
	.text = 0xbe801000, .rodata = 0xf1003000, .data = 0xf1405000,
	.init_text = 0xbf407000, .init_rodata = 0xf1809000, .init_data = 0xf1c0b000,
	.undef_base = 0xc0012340, .undef_stride = 0x1230, .gap = 0x120,
};

/* powerpc32 far: module text 256 MiB below the kernel (the MODULES_VADDR
 * fallback), so every call to the kernel needs a trampoline. */
static const struct rf_layout powerpc32_far = {
	.text = 0xb0001000, .rodata = 0xf1003000, .data = 0xf1405000,
	.init_text = 0xb0807000, .init_rodata = 0xf1809000, .init_data = 0xf1c0b000,
	.undef_base = 0xc0012340, .undef_stride = 0x1230, .gap = 0x120,
};

#endif
