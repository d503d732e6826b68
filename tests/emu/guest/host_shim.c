/* Host side of kapi.h for the reference build of work.c. memcpy, strlen etc.
 * come from the host libc; the kernel-only ones are written here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void *__kmalloc(size_t size, unsigned flags)
{
	return (flags & 0x100u) ? calloc(1, size) : malloc(size);
}

void kfree(const void *p)
{
	free((void *)p);
}

ssize_t strscpy(char *d, const char *s, size_t n)
{
	if (n == 0)
		return -7;
	size_t len = strnlen(s, n);
	if (len == n) {
		memcpy(d, s, n - 1);
		d[n - 1] = 0;
		return -7;
	}
	memcpy(d, s, len + 1);
	return (ssize_t)len;
}

int _printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return n - 2;   /* the kernel counts without the KERN_ level prefix */
}
