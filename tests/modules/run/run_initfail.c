/* init fails with -ENODEV: the module must leave no trace. */
#include "modbed_module.h"

int initfail_data = 3;

static int __init initfail_init(void)
{
	initfail_data = 4;
	return -19;
}

module_init(initfail_init);
MODULE_LICENSE("GPL");
