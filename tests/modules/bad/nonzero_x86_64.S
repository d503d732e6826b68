/* A relocation whose location already holds a non-zero value: the kernel
 * refuses it ("Invalid relocation target, existing value is nonzero"). */
	.data
	.balign	8
	.globl	bad_nonzero
bad_nonzero:
	.globl	_printk			/* .reloc alone does not make the assembler emit it */
	.reloc	., R_X86_64_64, _printk
	.quad	0x1122334455667788
