/* Time-base reads: these crash the host inside Unicorn 2.0.1 unless the
 * machine's load-time pre-scan hooks them (unicorn#1909). */
unsigned int read_timebase(void)
{
	unsigned int lo, hi, dec;
	__asm__ volatile("mftb %0" : "=r"(lo));
	__asm__ volatile("mftbu %0" : "=r"(hi));
	__asm__ volatile("mfspr %0, 22" : "=r"(dec));
	return lo ^ hi ^ dec;
}
