/* Provider: exports mp_lib_fn; its init sets the offset mp_lib_fn adds, so a
 * caller sees 1 only if this module's init ran before it was used. */
#include "modbed_module.h"

static int offset;

int mp_lib_fn(int x)
{
	return 3 * x + offset;
}
EXPORT_SYMBOL(mp_lib_fn);

static int __init mp_lib_init(void)
{
	offset = 1;
	return 0;
}
module_init(mp_lib_init);

static void __exit mp_lib_exit(void)
{
}
module_exit(mp_lib_exit);
MODULE_LICENSE("GPL");
