#include "harness/debug/gdb/gdbstub_session.h"

#include "arch/debug.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mb_gdb_session_init(struct mb_gdb_session *s, int fd, const struct mb_arch *arch,
			 const struct mb_gdb_target *tgt)
{
	memset(s, 0, sizeof(*s));
	mb_rsp_init(&s->rsp, fd);
	s->arch = arch;
	s->tgt = *tgt;
	snprintf(s->last_stop, sizeof(s->last_stop), "S05");
	s->code_written_lo = UINT64_MAX;
}

void mb_gdb_session_fini(struct mb_gdb_session *s)
{
	free(s->xml);
	s->xml = NULL;
}

bool mb_gdb_has_breakpoint(const struct mb_gdb_session *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nbps; i++)
		if (s->bps[i] == addr)
			return true;
	return false;
}

static int reply(struct mb_gdb_session *s, const char *p)
{
	return mb_rsp_send_str(&s->rsp, p);
}

static size_t reg_bytes(const struct mb_dbg_reg *r)
{
	return r->bits / 8;
}

/* Register idx in target byte order into out (hex). */
static void put_reg(struct mb_gdb_session *s, size_t idx, char *out)
{
	const struct mb_dbg_reg *r = &s->arch->debug->regs[idx];
	size_t n = reg_bytes(r);
	uint8_t b[16] = { 0 };
	uint64_t v = 0;
	if (n <= 8 && s->tgt.reg_get(s->tgt.ctx, idx, &v)) {
		for (size_t i = 0; i < n; i++) {
			size_t shift = s->arch->big_endian ? (n - 1 - i) * 8 : i * 8;
			b[i] = (uint8_t)(v >> shift);
		}
	}
	mb_hex_encode(b, n, out);
}

static bool set_reg(struct mb_gdb_session *s, size_t idx, const char *hex)
{
	const struct mb_dbg_reg *r = &s->arch->debug->regs[idx];
	size_t n = reg_bytes(r);
	uint8_t b[16];
	if (!mb_hex_decode(hex, n, b))
		return false;
	if (n > 8)
		return true; /* not modelled: accepted and ignored */
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		size_t shift = s->arch->big_endian ? (n - 1 - i) * 8 : i * 8;
		v |= (uint64_t)b[i] << shift;
	}
	return s->tgt.reg_set(s->tgt.ctx, idx, v);
}

static void cmd_g(struct mb_gdb_session *s)
{
	static char out[MB_RSP_MAX];
	size_t o = 0;
	const struct mb_debug_ops *d = s->arch->debug;
	for (size_t i = 0; i < d->nregs && o + 2 * reg_bytes(&d->regs[i]) < sizeof(out); i++) {
		put_reg(s, i, out + o);
		o += 2 * reg_bytes(&d->regs[i]);
	}
	out[o] = '\0';
	reply(s, out);
}

static void cmd_G(struct mb_gdb_session *s, const char *hex)
{
	const struct mb_debug_ops *d = s->arch->debug;
	size_t len = strlen(hex);
	for (size_t i = 0, o = 0; i < d->nregs; i++) {
		size_t n = 2 * reg_bytes(&d->regs[i]);
		if (o + n > len)
			break;
		if (!set_reg(s, i, hex + o)) {
			reply(s, "E01");
			return;
		}
		o += n;
	}
	reply(s, "OK");
}

static void cmd_p(struct mb_gdb_session *s, const char *arg)
{
	uint64_t idx;
	char out[40];
	if (!mb_hex_u64(arg, &idx, NULL) || idx >= s->arch->debug->nregs) {
		reply(s, "E01");
		return;
	}
	put_reg(s, (size_t)idx, out);
	reply(s, out);
}

static void cmd_P(struct mb_gdb_session *s, const char *arg)
{
	uint64_t idx;
	const char *end;
	if (!mb_hex_u64(arg, &idx, &end) || *end != '=' || idx >= s->arch->debug->nregs ||
	    strlen(end + 1) < 2 * reg_bytes(&s->arch->debug->regs[idx])) {
		reply(s, "E01");
		return;
	}
	reply(s, set_reg(s, (size_t)idx, end + 1) ? "OK" : "E01");
}

static bool parse_addr_len(const char *arg, uint64_t *addr, uint64_t *len, const char **end)
{
	const char *p;
	if (!mb_hex_u64(arg, addr, &p) || *p != ',')
		return false;
	return mb_hex_u64(p + 1, len, end);
}

static void cmd_m(struct mb_gdb_session *s, const char *arg)
{
	uint64_t addr, len;
	static uint8_t buf[MB_RSP_MAX / 2];
	static char out[MB_RSP_MAX];
	if (!parse_addr_len(arg, &addr, &len, NULL)) {
		reply(s, "E01");
		return;
	}
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	/* GDB accepts a short read: give what is readable up to the first hole. */
	size_t got = 0;
	if (s->tgt.mem_read(s->tgt.ctx, addr, buf, len))
		got = len;
	else
		while (got < len && s->tgt.mem_read(s->tgt.ctx, addr + got, buf + got, 1))
			got++;
	if (got == 0 && len > 0) {
		reply(s, "E14");
		return;
	}
	mb_hex_encode(buf, got, out);
	reply(s, out);
}

static void cmd_M(struct mb_gdb_session *s, const char *arg)
{
	uint64_t addr, len;
	const char *p;
	static uint8_t buf[MB_RSP_MAX / 2];
	if (!parse_addr_len(arg, &addr, &len, &p) || *p != ':' || len > sizeof(buf) ||
	    strlen(p + 1) < 2 * len || !mb_hex_decode(p + 1, len, buf)) {
		reply(s, "E01");
		return;
	}
	if (!s->tgt.mem_write(s->tgt.ctx, addr, buf, len)) {
		reply(s, "E14");
		return;
	}
	if (len) {
		if (addr < s->code_written_lo)
			s->code_written_lo = addr;
		if (addr + len > s->code_written_hi)
			s->code_written_hi = addr + len;
	}
	reply(s, "OK");
}

/* Z0/Z1 (software, hardware) breakpoints are both code hooks here: nothing
 * is patched, so GDB's view of memory stays the module's real bytes. */
static void cmd_Z(struct mb_gdb_session *s, const char *arg, bool insert)
{
	uint64_t addr, kind;
	if ((arg[0] != '0' && arg[0] != '1') || arg[1] != ',') {
		reply(s, ""); /* watchpoints: not supported */
		return;
	}
	if (!parse_addr_len(arg + 2, &addr, &kind, NULL)) {
		reply(s, "E01");
		return;
	}
	size_t i;
	for (i = 0; i < s->nbps && s->bps[i] != addr; i++)
		;
	if (insert && i == s->nbps) {
		if (s->nbps == MB_GDB_MAX_BREAKPOINTS) {
			reply(s, "E0c");
			return;
		}
		s->bps[s->nbps++] = addr;
	} else if (!insert && i < s->nbps) {
		s->bps[i] = s->bps[--s->nbps];
	}
	reply(s, "OK");
}

static void cmd_xfer(struct mb_gdb_session *s, const char *arg)
{
	const char *pre = "features:read:target.xml:";
	uint64_t off, len;
	if (strncmp(arg, pre, strlen(pre)) != 0 || !parse_addr_len(arg + strlen(pre), &off, &len, NULL)) {
		reply(s, "E00");
		return;
	}
	if (s->xml == NULL && (s->xml = mb_gdb_target_xml(s->arch, &s->xml_len)) == NULL) {
		reply(s, "E0c");
		return;
	}
	static char out[MB_RSP_MAX];
	if (off >= s->xml_len) {
		reply(s, "l");
		return;
	}
	size_t n = s->xml_len - off;
	if (n > len)
		n = len;
	if (n > sizeof(out) - 2)
		n = sizeof(out) - 2;
	out[0] = off + n < s->xml_len ? 'm' : 'l';
	memcpy(out + 1, s->xml + off, n);
	mb_rsp_send(&s->rsp, out, n + 1);
}

/* `c ADDR` / `s ADDR` resume at ADDR. */
static void resume_at(struct mb_gdb_session *s, const char *arg)
{
	uint64_t addr;
	if (arg[0] && mb_hex_u64(arg, &addr, NULL))
		s->tgt.reg_set(s->tgt.ctx, s->arch->debug->pc_index, addr);
}

enum mb_gdb_resume mb_gdb_serve(struct mb_gdb_session *s, const char *stop)
{
	if (stop) {
		snprintf(s->last_stop, sizeof(s->last_stop), "%s", stop);
		if (s->running && reply(s, stop) != 0) {
			s->gone = true;
			return MB_GDB_KILL;
		}
	}
	s->running = false;
	for (;;) {
		if (mb_rsp_recv(&s->rsp) != 0) {
			s->gone = true;
			return MB_GDB_KILL;
		}
		char *p = s->rsp.in;
		switch (p[0]) {
		case 0x03:
			s->rsp.interrupted = false;
			continue; /* already stopped */
		case '?':
			reply(s, s->last_stop);
			continue;
		case 'g':
			cmd_g(s);
			continue;
		case 'G':
			cmd_G(s, p + 1);
			continue;
		case 'p':
			cmd_p(s, p + 1);
			continue;
		case 'P':
			cmd_P(s, p + 1);
			continue;
		case 'm':
			cmd_m(s, p + 1);
			continue;
		case 'M':
			cmd_M(s, p + 1);
			continue;
		case 'Z':
		case 'z':
			cmd_Z(s, p + 1, p[0] == 'Z');
			continue;
		case 'H':
		case 'T':
			reply(s, "OK");
			continue;
		case 'c':
		case 's':
			resume_at(s, p + 1);
			s->running = true;
			return p[0] == 'c' ? MB_GDB_CONTINUE : MB_GDB_STEP;
		case 'C':
		case 'S': {
			/* Continue/step "with signal": the emulated CPU has no
			 * signal to deliver, so it is a plain c/s. */
			const char *semi = strchr(p, ';');
			resume_at(s, semi ? semi + 1 : "");
			s->running = true;
			return p[0] == 'C' ? MB_GDB_CONTINUE : MB_GDB_STEP;
		}
		case 'k':
			return MB_GDB_KILL;
		case 'D':
			reply(s, "OK");
			return MB_GDB_DETACH;
		default:
			break;
		}
		if (strncmp(p, "qSupported", 10) == 0)
			reply(s, "PacketSize=3fff;qXfer:features:read+;QStartNoAckMode+");
		else if (strcmp(p, "QStartNoAckMode") == 0) {
			reply(s, "OK");
			s->rsp.no_ack = true;
		} else if (strncmp(p, "qXfer:", 6) == 0)
			cmd_xfer(s, p + 6);
		else if (strcmp(p, "qAttached") == 0)
			reply(s, "1");
		else if (strcmp(p, "qC") == 0)
			reply(s, "QC1");
		else if (strcmp(p, "qfThreadInfo") == 0)
			reply(s, "m1");
		else if (strcmp(p, "qsThreadInfo") == 0)
			reply(s, "l");
		else if (strncmp(p, "qSymbol", 7) == 0)
			reply(s, "OK");
		else if (strncmp(p, "vKill", 5) == 0) {
			reply(s, "OK");
			return MB_GDB_KILL;
		} else
			reply(s, ""); /* unsupported: GDB falls back (X -> M, vCont -> c/s) */
	}
}

void mb_gdb_finish(struct mb_gdb_session *s, const char *end, const char *console)
{
	snprintf(s->last_stop, sizeof(s->last_stop), "%s", end);
	if (!s->running)
		return;
	if (console && console[0]) {
		static char out[1024];
		size_t n = strlen(console);
		if (n > (sizeof(out) - 2) / 2)
			n = (sizeof(out) - 2) / 2;
		out[0] = 'O';
		mb_hex_encode((const uint8_t *)console, n, out + 1);
		reply(s, out);
	}
	reply(s, end);
	s->running = false;
	/* GDB may still ask a few things before it hangs up; answer briefly. */
	for (;;) {
		struct pollfd pf = { .fd = s->rsp.fd, .events = POLLIN };
		if (s->rsp.rpos == s->rsp.rlen && poll(&pf, 1, 2000) <= 0)
			return;
		if (mb_rsp_recv(&s->rsp) != 0)
			return;
		const char *p = s->rsp.in;
		if (p[0] == 'k' || strncmp(p, "vKill", 5) == 0 || p[0] == 'D') {
			if (p[0] != 'k')
				reply(s, "OK");
			return;
		}
		reply(s, p[0] == '?' ? end : "E01");
	}
}
