#include "core/util.h"

bool mb_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

bool mb_strstarts(const char *s, const char *prefix)
{
	while (*prefix) {
		if (*s != *prefix)
			return false;
		s++;
		prefix++;
	}
	return true;
}

size_t mb_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
