/* Built with -pg (x86_64: -mfentry -mretpoline-external-thunk): every
 * function enters the kernel stub's ftrace entry (__fentry__ / _mcount) and
 * x86_64's indirect calls go through __x86_indirect_thunk_<reg>, all real
 * guest code in the stub. */
__attribute__((noinline)) static int twice(int (*f)(int), int x)
{
	return f(f(x));
}

static int inc(int x)
{
	return x + 1;
}

int twice_inc(int x)
{
	int (*volatile f)(int) = inc;   /* keeps the call indirect */
	return twice(f, x);
}
