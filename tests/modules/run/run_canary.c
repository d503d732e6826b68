/* Built with the kernel's stack protector (CANARY in CMakeLists.txt): both
 * functions keep an array on the stack, so -fstack-protector-strong puts the
 * canary next to it and checks it before returning. */
#include "modbed_module.h"

/* Copies len bytes of src into a 16-byte stack buffer, as a driver copying a
 * caller-sized record would: len > 16 runs over the canary, and the epilogue
 * calls __stack_chk_fail instead of returning. Returns a checksum of the
 * bytes copied (a polynomial hash, base 31) so that the copy is observable. */
unsigned int canary_copy(const unsigned char *src, unsigned int len)
{
	volatile unsigned char buf[16];
	for (unsigned int i = 0; i < len; i++)
		buf[i] = src[i];
	unsigned int h = len;
	for (unsigned int i = 0; i < len && i < sizeof(buf); i++)
		h = h * 31 + buf[i];
	return h;
}

/* Guarded like canary_copy and never smashed: a value from its arguments
 * through a stack array, v[a & 3] * 7 + v[b & 3]. */
int canary_mix(int a, int b)
{
	volatile int v[4] = { a, b, a ^ b, a - b };
	return v[a & 3] * 7 + v[b & 3];
}
