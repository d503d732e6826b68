/* What <linux/module.h> and <linux/export.h> give a module, cut down to what
 * modbed's test modules need and laid out as Linux 6.1 lays it out, so the
 * objects carry the same sections and relocations as real .ko files.
 *
 * Freestanding: test modules include only this and clang's own headers. */
#ifndef MODBED_MODULE_H
#define MODBED_MODULE_H

#include <stddef.h>
#include <stdint.h>

#define MB_STRINGIFY_(x) #x
#define MB_STRINGIFY(x) MB_STRINGIFY_(x)

/* The build passes -DMODBED_MODNAME=<file name>, as Kbuild passes
 * KBUILD_MODNAME. */
#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME MB_STRINGIFY(MODBED_MODNAME)
#endif

/* Section placement, as include/linux/init.h and cache.h. */
#define __section(s)       __attribute__((__section__(s)))
#define __used             __attribute__((__used__))
#define __init             __section(".init.text") __attribute__((__cold__, __noinline__))
#define __exit             __section(".exit.text") __attribute__((__cold__, __noinline__))
#define __initdata         __section(".init.data")
#define __initconst        __section(".init.rodata")
#define __exitdata         __section(".exit.data")
#define __ro_after_init    __section(".data..ro_after_init")
#define __read_mostly      __section(".data..read_mostly")
#define noinline           __attribute__((__noinline__))
#define __maybe_unused     __attribute__((__unused__))

/* module_init/module_exit: the kernel finds init and exit through the
 * .gnu.linkonce.this_module struct (see modbed_this_module.c), whose
 * pointers are relocations against these two aliases. */
typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

#define module_init(fn)                                                        \
	static inline initcall_t __maybe_unused __inittest(void) { return fn; } \
	int init_module(void) __attribute__((__alias__(#fn)))
#define module_exit(fn)                                                        \
	static inline exitcall_t __maybe_unused __exittest(void) { return fn; } \
	void cleanup_module(void) __attribute__((__alias__(#fn)))

#define MODULE_LICENSE(s)                                                      \
	static const char __modinfo_license[] __used                    \
		__section(".modinfo") __attribute__((aligned(1))) = "license=" s

/* EXPORT_SYMBOL as kbuild builds it for Linux 6.1 (include/linux/export.h),
 * in "___ksymtab+sym" (or "___ksymtab_gpl+sym"), which the module linker
 * script gathers, sorted by name, into __ksymtab / __ksymtab_gpl. Names live
 * in __ksymtab_strings. The entry {value, name, namespace} depends on
 * CONFIG_HAVE_ARCH_PREL32_RELOCATIONS, selected by x86_64 and arm64 but not
 * by powerpc: there each field is a 32-bit offset from the field itself
 * (PC32 / PREL32 relocations, 12 bytes); on powerpc32 each is an absolute
 * pointer (R_PPC_ADDR32, 12 bytes). Both are 4-byte aligned. */
#if defined(__x86_64__) || defined(__aarch64__)
#define MB_KSYMTAB_FIELD(x) "	.long	" x " - .\n"
#else
#define MB_KSYMTAB_FIELD(x) "	.long	" x "\n"
#endif
#define MB_KSYMTAB_ENTRY(sym, sec)                                             \
	__asm__("	.section \"___ksymtab" sec "+" #sym "\", \"a\"\n"      \
		"	.balign	4\n"                                           \
		"__ksymtab_" #sym ":\n"                                        \
		MB_KSYMTAB_FIELD(#sym)                                         \
		MB_KSYMTAB_FIELD("__kstrtab_" #sym)                            \
		MB_KSYMTAB_FIELD("__kstrtabns_" #sym)                          \
		"	.previous\n")

#define MB_EXPORT_SYMBOL(sym, sec, ns)                                         \
	extern const char __kstrtab_##sym[];                                   \
	extern const char __kstrtabns_##sym[];                                 \
	__asm__("	.section \"__ksymtab_strings\",\"aMS\",%progbits,1\n"  \
		"__kstrtab_" #sym ":\n"                                        \
		"	.asciz	\"" #sym "\"\n"                                \
		"__kstrtabns_" #sym ":\n"                                      \
		"	.asciz	\"" ns "\"\n"                                  \
		"	.previous\n");                                         \
	MB_KSYMTAB_ENTRY(sym, sec)

#define EXPORT_SYMBOL(sym)            MB_EXPORT_SYMBOL(sym, "", "")
#define EXPORT_SYMBOL_GPL(sym)        MB_EXPORT_SYMBOL(sym, "_gpl", "")
#define EXPORT_SYMBOL_NS(sym, ns)     MB_EXPORT_SYMBOL(sym, "", #ns)
#define EXPORT_SYMBOL_NS_GPL(sym, ns) MB_EXPORT_SYMBOL(sym, "_gpl", #ns)

/* The .gnu.linkonce.this_module struct. The kernel's struct module is large
 * and config-dependent; modbed uses this prefix of it, with the name at the
 * same offset-0 position the loader reads and the two pointers the kernel's
 * modpost-generated .mod.c fills in:
 *
 *   offset 0                      char name[MODULE_NAME_LEN]
 *   offset MODULE_NAME_LEN        int (*init)(void)     (0 if no module_init)
 *   offset MODULE_NAME_LEN + ptr  void (*exit)(void)    (0 if no module_exit)
 *
 * MODULE_NAME_LEN = 64 - sizeof(unsigned long): 56 on x86_64 and arm64, 60
 * on powerpc32, so the struct is 72 or 68 bytes, pointer aligned. */
#define MODULE_NAME_LEN (64 - sizeof(unsigned long))
struct modbed_this_module {
	char name[MODULE_NAME_LEN];
	initcall_t init;
	exitcall_t exit;
};

/* powerpc32: asm/module.h has every module object create its (empty) PLT
 * sections; module_frob_arch_sections sizes them. */
#if defined(__powerpc__) && !defined(__powerpc64__)
__asm__(".section .plt,\"ax\",@nobits; .align 3; .previous");
__asm__(".section .init.plt,\"ax\",@nobits; .align 3; .previous");
#endif

#endif
