/* R_X86_64_REX_GOTPCRELX: the kernel refuses it (Unknown rela relocation). */
	.text
	.globl	bad_gotpcrel
bad_gotpcrel:
	movq	_printk@GOTPCREL(%rip), %rax
	ret
