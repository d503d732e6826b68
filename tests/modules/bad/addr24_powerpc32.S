/* R_PPC_ADDR24 (absolute branch, `ba`): not handled by module_32.c. */
	.text
	.globl	bad_addr24
bad_addr24:
	.globl	_printk			/* .reloc alone does not make the assembler emit it */
	.reloc	., R_PPC_ADDR24, _printk
	.long	0x48000002		/* ba 0 */
	blr
