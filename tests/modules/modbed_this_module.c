/* The per-module .gnu.linkonce.this_module, as modpost's generated .mod.c
 * writes it. Compiled once into every test module with MODBED_MODNAME and
 * MODBED_HAS_INIT / MODBED_HAS_EXIT set by modbed_test_module(). */
#include "modbed_module.h"

#if MODBED_HAS_INIT
extern int init_module(void);
#endif
#if MODBED_HAS_EXIT
extern void cleanup_module(void);
#endif

__attribute__((__used__, __section__(".gnu.linkonce.this_module")))
struct modbed_this_module __this_module = {
	.name = KBUILD_MODNAME,
#if MODBED_HAS_INIT
	.init = init_module,
#endif
#if MODBED_HAS_EXIT
	.exit = cleanup_module,
#endif
};

static const char __modinfo_name[] __attribute__((__used__, __section__(".modinfo"), aligned(1))) =
	"name=" KBUILD_MODNAME;
