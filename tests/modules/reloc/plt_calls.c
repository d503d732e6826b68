/* PLT candidates with known counts, for the sizing and emission tests.
 * Core text calls three kernel symbols, one of them from two places and one
 * from .text.unlikely; init text calls two of them and a core function.
 * Calls within one section never need a PLT. */
#include "modbed_module.h"

extern int kfunc_a(int);
extern int kfunc_b(int);
extern int kfunc_c(int);

noinline int plt_local(int x)
{
	return x * 3;
}

__section(".text.unlikely") noinline int plt_cold(int x)
{
	return kfunc_c(x) + 1;
}

noinline int plt_core_one(int x)
{
	return kfunc_a(x) + kfunc_b(x) + plt_local(x);
}

noinline int plt_core_two(int x)
{
	return kfunc_a(x + 1) + plt_cold(x);
}
EXPORT_SYMBOL(plt_core_two);

static int __init plt_init(void)
{
	return kfunc_a(1) + kfunc_b(2) + plt_core_one(3) - 42;
}

static void __exit plt_exit(void)
{
	kfunc_c(0);
}

module_init(plt_init);
module_exit(plt_exit);
MODULE_LICENSE("GPL");
