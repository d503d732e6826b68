/* Every arm64 relocation type the kernel's apply_relocate_add() handles.
 * Never run: only relocated. Range-checked types point at targets that are
 * in range wherever the module is placed: absolute ones at SHN_ABS symbols
 * (abs_syms.S), PC-relative ones at global symbols in the same section (a
 * global keeps the relocation; the assembler resolves local ones). */
	.text
	.globl	mb_types_arm64
	.type	mb_types_arm64, %function
mb_types_arm64:
	.reloc	., R_AARCH64_NONE, reloc_counter
	nop
	/* MOVW absolute, checked */
	movz	x0, #:abs_g0:mb_abs_u16
	movz	x0, #:abs_g1:mb_abs_u32
	movz	x0, #:abs_g2:mb_abs_u48
	movz	x0, #:abs_g0_s:mb_abs_s16
	movz	x0, #:abs_g1_s:mb_abs_s32
	movz	x0, #:abs_g2_s:mb_abs_s48
	/* MOVW absolute, the 64-bit address sequence (unchecked) */
	movz	x1, #:abs_g3:reloc_counter
	movk	x1, #:abs_g2_nc:reloc_counter
	movk	x1, #:abs_g1_nc:reloc_counter
	movk	x1, #:abs_g0_nc:reloc_counter
	/* MOVW PC-relative, checked (G0 +-64 KiB: a target in this section) */
	movz	x2, #:prel_g0:mb_arm64_near
	movz	x2, #:prel_g1:reloc_counter
	movz	x2, #:prel_g2:reloc_counter
	/* MOVW PC-relative, the 64-bit sequence */
	movz	x3, #:prel_g3:reloc_counter
	movk	x3, #:prel_g2_nc:reloc_counter
	movk	x3, #:prel_g1_nc:reloc_counter
	movk	x3, #:prel_g0_nc:reloc_counter
	/* Literal load and ADR, +-1 MiB */
	ldr	x4, mb_arm64_lit
	adr	x5, mb_arm64_near
	/* Page + low 12 bits */
	adrp	x6, reloc_counter
	add	x6, x6, :lo12:reloc_counter
	adrp	x7, :pg_hi21_nc:mb_arm64_table
	ldrb	w8, [x7, :lo12:mb_arm64_table]
	ldrh	w8, [x7, :lo12:mb_arm64_table]
	ldr	w8, [x7, :lo12:mb_arm64_table]
	ldr	x8, [x7, :lo12:mb_arm64_table]
	ldr	q0, [x7, :lo12:mb_arm64_table]
	/* Branches */
	tbz	x0, #3, mb_arm64_near
	b.eq	mb_arm64_near
	bl	_printk
	b	memset
	.size	mb_types_arm64, . - mb_types_arm64

	.globl	mb_arm64_near
	.type	mb_arm64_near, %function
mb_arm64_near:
	ret
	.size	mb_arm64_near, . - mb_arm64_near
	.balign	8
	.globl	mb_arm64_lit
mb_arm64_lit:
	.xword	0x0123456789abcdef

	.section .rodata
	.balign	16
	.globl	mb_arm64_table
mb_arm64_table:
	.fill	32, 1, 0x5a

	.data
	.balign	8
	.globl	mb_arm64_data
mb_arm64_data:
	.hword	mb_abs_u16			/* ABS16 */
	.hword	mb_arm64_data_near - .		/* PREL16: both in MOD_DATA */
	.word	mb_abs_u32			/* ABS32 */
	.xword	reloc_counter			/* ABS64 */
	.word	reloc_counter - .		/* PREL32 */
	.balign	8
	.xword	reloc_counter - .		/* PREL64 */

	/* Another MOD_DATA section, so the assembler keeps the PREL16. */
	.section .data..read_mostly, "aw"
	.balign	8
	.globl	mb_arm64_data_near
mb_arm64_data_near:
	.xword	0
