/* Built with -fstack-protector-all: smash(n) writes n bytes into a 16-byte
 * buffer, so n > 16 tramples the canary and __stack_chk_fail runs. */
#include "kapi.h"

int smash(unsigned int n, unsigned char v)
{
	volatile unsigned char buf[16];
	for (unsigned int i = 0; i < n; i++)
		buf[i] = v;
	return buf[0];
}
