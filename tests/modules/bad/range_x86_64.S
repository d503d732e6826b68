/* R_X86_64_32 against a module address: modules live in the top 2 GiB, so
 * the value never fits 32 unsigned bits (module not built -mcmodel=kernel). */
	.text
	.globl	bad_range
bad_range:
	movl	$bad_range_target, %eax
	ret
	.data
	.globl	bad_range_target
bad_range_target:
	.long	0
