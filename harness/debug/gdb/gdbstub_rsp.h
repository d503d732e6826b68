/* The GDB remote serial protocol's packet layer: `$payload#checksum`
 * framing, acknowledgements (until QStartNoAckMode), `}` escapes, hex, and the
 * out-of-band interrupt byte (0x03). No knowledge of registers or memory. */
#ifndef MODBED_HARNESS_GDBSTUB_RSP_H
#define MODBED_HARNESS_GDBSTUB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_RSP_MAX 16384   /* largest packet accepted or sent (PacketSize) */

struct mb_rsp {
	int fd;
	bool no_ack;
	bool interrupted;      /* a 0x03 arrived while waiting or polling */
	char in[MB_RSP_MAX + 1];
	size_t inlen;
	uint8_t rbuf[4096];    /* bytes read but not yet consumed */
	size_t rpos, rlen;
};

void mb_rsp_init(struct mb_rsp *r, int fd);
/* Blocks for the next packet; payload in r->in (NUL-terminated, unescaped),
 * length r->inlen. Returns 0, or -1 when the peer closed or the link broke.
 * A bare 0x03 sets r->interrupted and is returned as the payload "\x03". */
int mb_rsp_recv(struct mb_rsp *r);
/* Sends one packet (escaping as needed) and, unless no-ack, waits for '+'
 * (resending on '-'). Returns 0 or -1. */
int mb_rsp_send(struct mb_rsp *r, const char *payload, size_t len);
int mb_rsp_send_str(struct mb_rsp *r, const char *payload);
/* Non-blocking: true if a 0x03 is waiting (consumes it). Other bytes are
 * kept for mb_rsp_recv. */
bool mb_rsp_poll_interrupt(struct mb_rsp *r);

/* Hex helpers: lower-case two digits per byte. */
void mb_hex_encode(const uint8_t *in, size_t n, char *out);  /* out: 2n+1 */
/* Decodes exactly n bytes from 2n hex digits; false on a bad digit. */
bool mb_hex_decode(const char *in, size_t n, uint8_t *out);
/* Parses a hex number up to a non-hex character; *end after it. */
bool mb_hex_u64(const char *s, uint64_t *v, const char **end);

#endif
