#include "harness/util/diag.h"

#include <stdio.h>

int mb_vfail(struct mb_err *err, const char *file, const char *section, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	size_t n = 0;
	int w;
	if (file) {
		w = snprintf(err->msg, sizeof(err->msg), "%s: ", file);
		n = w > 0 ? (size_t)w : 0;
	}
	if (section && n < sizeof(err->msg)) {
		w = snprintf(err->msg + n, sizeof(err->msg) - n, "%s: ", section);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < sizeof(err->msg))
		vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	return -1;
}

int mb_fail(struct mb_err *err, const char *file, const char *section, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mb_vfail(err, file, section, fmt, ap);
	va_end(ap);
	return -1;
}

void mb_report(const struct mb_err *err)
{
	fprintf(stderr, "modbed: %s\n", err->msg);
}

void mb_errorf(const char *fmt, ...)
{
	va_list ap;
	fputs("modbed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
