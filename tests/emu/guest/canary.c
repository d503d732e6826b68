/* Built with -fstack-protector-all: smash(n) writes n bytes into a 16-byte
 * buffer, so n > 16 tramples the canary and __stack_chk_fail runs. Built
 * twice (see CMakeLists.txt): smash with the user-space canary location,
 * smash_k with the kernel's. */
#include "kapi.h"

#ifndef SMASH
#define SMASH smash
#endif

int SMASH(unsigned int n, unsigned char v)
{
	volatile unsigned char buf[16];
	for (unsigned int i = 0; i < n; i++)
		buf[i] = v;
	return buf[0];
}
