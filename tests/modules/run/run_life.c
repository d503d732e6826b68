/* Lifecycle: ro_after_init written by init and read-only after, init data
 * freed after init, an export other modules use, exit that logs. */
#include "modbed_module.h"
#include "../../emu/guest/kapi.h"

static int life_config __ro_after_init = 1;
static int life_boot_value __initdata = 4242;
static int *life_init_ptr;
int life_counter;

int life_get_config(void)
{
	return life_config;
}

void life_set_config(int v)
{
	life_config = v;
}

/* Reads init data through a pointer kept past init: freed-init afterwards. */
int life_touch_init(void)
{
	return *(volatile int *)life_init_ptr;
}

int life_add(int a, int b)
{
	life_counter++;
	return a * 100 + b;
}
EXPORT_SYMBOL(life_add);
EXPORT_SYMBOL(life_counter);

static int __init life_init(void)
{
	life_config = life_boot_value + 1;   /* writable during init */
	life_init_ptr = &life_boot_value;
	_printk("\0016run_life: config %d\n", life_config);
	return 0;
}

static void __exit life_exit(void)
{
	_printk("\0016run_life: bye after %d calls\n", life_counter);
}

module_init(life_init);
module_exit(life_exit);
MODULE_LICENSE("GPL");
