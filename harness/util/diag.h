/* Messages for people: `modbed: FILE: SECTION: what went wrong`.
 * Errors exit 1, usage errors 2, guest faults 3.
 *
 * harness/util/: what every other folder may use and nothing else here
 * uses: diagnostics (diag.h), the JSON writer (json.h), the command-line
 * options (cli.h). Depends on core/ only. */
#ifndef MODBED_DIAG_H
#define MODBED_DIAG_H

#include <stdarg.h>
#include <stddef.h>

enum { MB_EXIT_OK = 0, MB_EXIT_ERROR = 1, MB_EXIT_USAGE = 2, MB_EXIT_FAULT = 3 };

/* An error being built up: where, and the message. Library code fills one of
 * these and returns -1; only the CLI prints it. This keeps every layer free
 * of stderr and lets tests assert on the exact text. */
struct mb_err {
	char msg[512];
};

/* Formats "FILE: SECTION: message" (file/section may be NULL and are then left
 * out) into err. Always returns -1 so callers can `return mb_fail(...)`. */
int mb_fail(struct mb_err *err, const char *file, const char *section, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int mb_vfail(struct mb_err *err, const char *file, const char *section, const char *fmt, va_list ap);

/* Prints "modbed: <err->msg>" to stderr. */
void mb_report(const struct mb_err *err);
/* Prints "modbed: <fmt>" to stderr. */
void mb_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
