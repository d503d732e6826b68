/* A conditional branch to a kernel symbol: R_PPC_REL14 (+-32 KiB), which
 * module_32.c does not handle at all, so the out-of-range branch is refused
 * by type. */
	.text
	.globl	bad_rel14
bad_rel14:
	cmpwi	3, 0
	beq	0, _printk
	blr
