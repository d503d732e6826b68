/* mp_cyc_a and mp_cyc_b need each other's exports: a cycle modprobe refuses. */
#include "modbed_module.h"

extern int mp_cyc_b_fn(int x);

int mp_cyc_a_fn(int x)
{
	return x > 0 ? mp_cyc_b_fn(x - 1) : 0;
}
EXPORT_SYMBOL(mp_cyc_a_fn);
MODULE_LICENSE("GPL");
