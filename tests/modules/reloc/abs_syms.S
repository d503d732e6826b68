/* Absolute symbols for the relocations the kernel range-checks against
 * small unsigned/signed values (arm64 MOVW_UABS/SABS, ABS16/32, x86 32).
 * They live in their own object so that the assembler cannot fold them:
 * `ld.lld -r` keeps the relocations and the symbols become SHN_ABS. */
	.globl	mb_abs_u16
	.set	mb_abs_u16, 0x1234
	.globl	mb_abs_u32
	.set	mb_abs_u32, 0x12345678
#ifdef __LP64__
	.globl	mb_abs_u48
	.set	mb_abs_u48, 0x123456789abc
	.globl	mb_abs_s16
	.set	mb_abs_s16, -0x1234
	.globl	mb_abs_s32
	.set	mb_abs_s32, -0x12345678
	.globl	mb_abs_s48
	.set	mb_abs_s48, -0x123456789abc
#endif
