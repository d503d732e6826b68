/* The kernel functions the emulator test code calls, declared as the kernel
 * declares them. On the guest they resolve to the kernel stub; on the host
 * (the reference build) to host_shim.c. */
#ifndef MODBED_TESTS_EMU_KAPI_H
#define MODBED_TESTS_EMU_KAPI_H

typedef __SIZE_TYPE__ size_t;
typedef long ssize_t;

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
ssize_t strscpy(char *d, const char *s, size_t n);
void *__kmalloc(size_t size, unsigned flags);
void kfree(const void *p);
int _printk(const char *fmt, ...);
int snprintf(char *buf, size_t size, const char *fmt, ...);
/* No stub implements this: calling it must stop the run and name it. */
void modbed_no_such_kernel_function(int x);

#define GFP_KERNEL 0xcc0u
#define __GFP_ZERO 0x100u

#endif
