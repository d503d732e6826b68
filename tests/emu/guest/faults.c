/* Deliberate violations: each must stop the run with one fault kind. Built
 * for the guest only (on the host they would crash). */
#include "kapi.h"

extern int counter;
extern const int table_ro[4];
int arith(int a, int b, int c);

/* Each violation follows a store that is allowed, so the faulting store is
 * not the first instruction of its translation block (Unicorn 2.0.1 would
 * report the block start). volatile keeps the accesses where written. */
volatile int fault_scratch;

void write_text(int v)
{
	fault_scratch = v;
	*(volatile int *)(void *)arith = v;
}

void write_rodata(int v)
{
	fault_scratch = v;
	*(volatile int *)&table_ro[1] = v;
}

void memcpy_to_rodata(void)
{
	memcpy((void *)&table_ro[0], "xyz", 3);
}

/* Machine code in a writable, non-executable array. */
unsigned int data_code[4] = { 0, 0, 0, 0 };

int exec_data(void)
{
	return ((int (*)(void))(void *)data_code)();
}

void call_missing(int x)
{
	modbed_no_such_kernel_function(x + 1);
}

int read_addr(unsigned long addr)
{
	return *(volatile int *)addr;
}

void write_addr(unsigned long addr, int v)
{
	*(volatile int *)addr = v;
}

void spin(void)
{
	for (;;)
		__asm__ volatile("");
}

int call_ptr(unsigned long fn)
{
	return ((int (*)(void))fn)();
}

/* BUG(): x86_64 ud2, arm64 brk, ppc32 trap. */
void do_trap(void)
{
	__builtin_trap();
}

/* A pointer kmalloc never returned. */
void bad_free(unsigned long p)
{
	kfree((const void *)p);
}

/* Changes every kind of state a call can change (module data, the heap, the
 * log, the random stream), then traps. Run without the per-instruction hook,
 * the call is put back and run again with it: each change must happen once. */
void get_random_bytes(void *buf, int len);

int changes_then_trap(int by)
{
	counter += by;
	void *p = __kmalloc(32, GFP_KERNEL);
	get_random_bytes((void *)&fault_scratch, sizeof(fault_scratch));
	_printk("\0016changes %d %d\n", counter, fault_scratch);
	if (p)
		__builtin_trap();
	return counter;
}
