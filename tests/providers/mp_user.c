/* Needs mp_lib_fn, which only mp_lib exports: --modpath must load mp_lib
 * first. mp_user_fn(x) = 3x + 1 + 100 with mp_lib initialised. */
#include "modbed_module.h"

extern int mp_lib_fn(int x);

int mp_user_fn(int x)
{
	return mp_lib_fn(x) + 100;
}
EXPORT_SYMBOL(mp_user_fn);
MODULE_LICENSE("GPL");
