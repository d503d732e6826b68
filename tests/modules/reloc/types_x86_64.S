/* Every x86_64 relocation type the kernel accepts that C does not produce
 * here (C gives PC32, PLT32, 32S and 64). Never run: only relocated. */
	.text
	.globl	mb_types_x86_64
	.type	mb_types_x86_64, @function
mb_types_x86_64:
	.reloc	., R_X86_64_NONE, reloc_counter
	nop
	movl	$mb_abs_u32, %eax		/* R_X86_64_32 */
	movq	$reloc_counter, %rax		/* R_X86_64_32S */
	movq	reloc_counter(%rip), %rax	/* R_X86_64_PC32 */
	call	_printk				/* R_X86_64_PLT32 */
	movabsq	$reloc_counter, %rax		/* R_X86_64_64 */
	ret
	.size	mb_types_x86_64, . - mb_types_x86_64

	.section .rodata
	.balign	8
	.globl	mb_types_x86_64_data
mb_types_x86_64_data:
	.quad	reloc_counter - .		/* R_X86_64_PC64, as __jump_table */
	.quad	mb_types_x86_64			/* R_X86_64_64 */
	.long	mb_abs_u32			/* R_X86_64_32 */
	.long	reloc_counter - .		/* R_X86_64_PC32 */
