/* Branches with no PLT fallback to a kernel symbol, which is far outside
 * their range from any module address: TSTBR14 (+-32 KiB) and CONDBR19
 * (+-1 MiB); the kernel reports overflow. */
	.text
	.globl	bad_range
bad_range:
	tbz	x0, #0, _printk
	b.ne	_printk
	ret
