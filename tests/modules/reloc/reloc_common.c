/* The C half of reloc_all: what compiled kernel code produces on every arch.
 * Calls to undefined kernel symbols, calls across sections (.text ->
 * .text.unlikely, .init.text -> .text) that are PLT candidates, data
 * pointers in .data.rel.ro and .data..ro_after_init, exported symbols
 * (ksymtab triplets: PREL32, absolute on powerpc32) and init/exit through this_module. */
#include "modbed_module.h"

/* Kernel symbols: undefined here, resolved by the loader. */
extern int _printk(const char *fmt, ...);
extern void *memset(void *s, int c, size_t n);

int reloc_counter;
static int reloc_table[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };
static const char *const reloc_names[] = { "zero", "one", "two" };

/* Pointers the kernel keeps in the RELRO-style sections. */
int *const reloc_rel_ro_ptr __section(".data.rel.ro") = &reloc_counter;
static int *reloc_after_init_ptr __ro_after_init = &reloc_counter;
static int reloc_scratch[8] __initdata;

__section(".text.unlikely") noinline int reloc_unlikely(int x)
{
	return reloc_table[(x + 7) & 15] - 1;
}

noinline int reloc_helper(int x)
{
	return reloc_table[x & 15] + reloc_unlikely(x) + *reloc_after_init_ptr;
}

int reloc_entry(int x)
{
	return reloc_helper(x) + *reloc_rel_ro_ptr + (int)reloc_names[x & 1][0];
}
EXPORT_SYMBOL(reloc_entry);
EXPORT_SYMBOL_GPL(reloc_helper);

static int __init reloc_init(void)
{
	memset(reloc_scratch, 0, sizeof(reloc_scratch));
	reloc_counter = reloc_helper(1);
	_printk("reloc_all: init %d\n", reloc_counter);
	return 0;
}

static void __exit reloc_exit(void)
{
	_printk("reloc_all: exit\n");
}

module_init(reloc_init);
module_exit(reloc_exit);
MODULE_LICENSE("GPL");
