/* Functions for the trace, fault-report and gdb tests: a leaf loop, a
 * recursion the compiler cannot flatten, a write to .rodata three calls
 * deep, and BUG()/WARN() traps with __bug_table entries laid out as
 * Linux 6.1's asm/bug.h lays them out (CONFIG_GENERIC_BUG, DEBUG_BUGVERBOSE). */
#include "modbed_module.h"

/* The trap per arch; the entry's pointers are relative to the field itself
 * on all three (each selects GENERIC_BUG_RELATIVE_POINTERS; kbuild's ppc32
 * modules carry R_PPC_REL32 in __bug_table). */
#if defined(__x86_64__)
#define TR_TRAP "ud2"
#elif defined(__aarch64__)
#define TR_TRAP "brk #0x800"
#elif defined(__powerpc__)
#define TR_TRAP "twi 31, 0, 0"
#endif
#define TR_PTRS "2:\t.long 1b - .\n\t.long 3b - .\n"

#define TR_BUG_FLAGS(flags)                                                     \
	__asm__ volatile("1:\t" TR_TRAP "\n"                                    \
			 "\t.pushsection .rodata.str1.1,\"aMS\",%progbits,1\n"  \
			 "3:\t.asciz \"" __FILE__ "\"\n"                        \
			 "\t.popsection\n"                                      \
			 "\t.pushsection __bug_table,\"aw\"\n"                  \
			 TR_PTRS                                                \
			 "\t.short " MB_STRINGIFY(__LINE__) ", " #flags "\n"    \
			 "\t.org 2b + 12\n"                                     \
			 "\t.popsection\n")

/* A register loop (the empty asm keeps clang from using the closed form). */
noinline long tr_sum(long n)
{
	long s = 0;
	for (long i = 1; i <= n; i++) {
		s += i * 3;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

noinline long tr_leaf(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x ^ (x >> 3);
}

/* A tail call: clang -O2 ends this with a jump to tr_leaf. */
noinline long tr_tail(long x)
{
	return tr_leaf(x + 1);
}

noinline long tr_tail_outer(long x)
{
	long r = tr_tail(x);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

/* A call and a return per iteration. */
noinline long tr_calls(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += tr_leaf(i);
	return s;
}

/* The empty asm makes r opaque, so no accumulator/tail-recursion rewrite:
 * every level is a real call and a real return. */
noinline long tr_rec(long n)
{
	if (n <= 0)
		return 0;
	long r = tr_rec(n - 1);
	__asm__ volatile("" : "+r"(r));
	return r + n;
}

static const long tr_ro_value = 7;

noinline long tr_fault_inner(long x)
{
	*(volatile long *)&tr_ro_value = x;
	return 1;
}

noinline long tr_fault_mid(long x)
{
	long r = tr_fault_inner(x + 1);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

noinline long tr_fault_outer(long x)
{
	long r = tr_fault_mid(x * 2);
	__asm__ volatile("" : "+r"(r));
	return r + 2;
}

noinline long tr_bug_if(long x)
{
	if (x > 3)
		TR_BUG_FLAGS(0); /* TR_BUG_LINE */
	if (x < 0)
		TR_BUG_FLAGS(1); /* TR_WARN_LINE */
	return x * 2;
}

noinline long tr_bug_outer(long x)
{
	long r = tr_bug_if(x + 1);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

#if defined(__aarch64__)
/* An LSE atomic (ARMv8.1): runs on the emulated CPU (Unicorn's max model),
 * but Capstone 4.0.2 cannot decode it, so the trace prints it raw. */
static long tr_counter;

noinline long tr_lse_add(long v)
{
	long old;
	__asm__ volatile(".arch_extension lse\n\tldaddal %1, %0, [%2]"
			 : "=&r"(old) : "r"(v), "r"(&tr_counter) : "memory");
	return old + v;
}
#endif

MODULE_LICENSE("GPL");
