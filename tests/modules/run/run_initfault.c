/* init writes to its own rodata: a guest fault during init. */
#include "modbed_module.h"

static const int initfault_ro = 5;

static int __init initfault_init(void)
{
	*(volatile int *)&initfault_ro = 6;
	return 0;
}

module_init(initfault_init);
MODULE_LICENSE("GPL");
