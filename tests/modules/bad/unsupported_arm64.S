/* R_AARCH64_ADR_GOT_PAGE / LD64_GOT_LO12_NC: not handled by the kernel
 * ("unsupported RELA relocation"). */
	.text
	.globl	bad_got
bad_got:
	adrp	x0, :got:_printk
	ldr	x0, [x0, :got_lo12:_printk]
	ret
