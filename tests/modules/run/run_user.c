/* Uses run_life's exports: cross-module calls and data. */
#include "modbed_module.h"

int life_add(int a, int b);
extern int life_counter;

int user_sum(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += life_add(i, 1);
	return s;
}

int user_calls(void)
{
	return life_counter;
}

static int __init user_init(void)
{
	return life_add(0, 0) == 0 ? 0 : -22;
}

static void __exit user_exit(void)
{
}

module_init(user_init);
module_exit(user_exit);
MODULE_LICENSE("GPL");
