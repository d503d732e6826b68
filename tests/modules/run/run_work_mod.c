/* Module glue for run_work: an init that checks the kernel stub once. */
#include "modbed_module.h"
#include "../../emu/guest/kapi.h"

static int __init run_work_init(void)
{
	return strlen("ok") == 2 ? 0 : -22;
}

static void __exit run_work_exit(void)
{
}

module_init(run_work_init);
module_exit(run_work_exit);
MODULE_LICENSE("GPL");
