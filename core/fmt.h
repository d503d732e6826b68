/* Message building for the core's errors without libc or varargs (the core
 * includes only stdint/stddef/stdbool): append pieces to a caller buffer.
 * The buffer stays NUL-terminated; overflow truncates silently. */
#ifndef MODBED_CORE_FMT_H
#define MODBED_CORE_FMT_H

#include <stddef.h>
#include <stdint.h>

struct mb_fmtbuf {
	char *buf;
	size_t len;   /* capacity, NUL included */
	size_t pos;
};

void mb_fmt_init(struct mb_fmtbuf *b, char *buf, size_t len);
void mb_fmt_str(struct mb_fmtbuf *b, const char *s);
void mb_fmt_dec(struct mb_fmtbuf *b, uint64_t v);
void mb_fmt_hex(struct mb_fmtbuf *b, uint64_t v);   /* "0x1f" */

#endif
