/* R_PPC_REL16_HA/LO: position-independent address computation; only the
 * 64-bit powerpc loader handles REL16, module_32.c refuses it. */
	.text
	.globl	bad_rel16
bad_rel16:
	mflr	0
	bcl	20, 31, 1f
1:	mflr	3
	addis	3, 3, _printk - 1b@ha
	addi	3, 3, _printk - 1b@l
	mtlr	0
	blr
