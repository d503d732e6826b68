/* See mp_cyc_a.c. */
#include "modbed_module.h"

extern int mp_cyc_a_fn(int x);

int mp_cyc_b_fn(int x)
{
	return x > 0 ? mp_cyc_a_fn(x - 1) : 1;
}
EXPORT_SYMBOL(mp_cyc_b_fn);
MODULE_LICENSE("GPL");
