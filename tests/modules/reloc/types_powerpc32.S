/* Every powerpc32 relocation type the kernel's module_32.c handles. Never
 * run: only relocated. */
	.text
	.globl	mb_types_powerpc32
	.type	mb_types_powerpc32, @function
mb_types_powerpc32:
	lis	3, reloc_counter@h		/* ADDR16_HI */
	lis	4, reloc_counter@ha		/* ADDR16_HA */
	addi	4, 4, reloc_counter@l		/* ADDR16_LO */
	lwz	5, reloc_counter@l(4)		/* ADDR16_LO in a load */
	bl	_printk				/* REL24 */
	b	memset				/* REL24, no link */
	.size	mb_types_powerpc32, . - mb_types_powerpc32

	.data
	.balign	4
	.globl	mb_powerpc32_data
mb_powerpc32_data:
	.long	reloc_counter			/* ADDR32 */
	.long	reloc_counter - .		/* REL32 */
	.long	mb_types_powerpc32 + 8		/* ADDR32 with addend */
