#include "harness/debug/trace_mem.h"

#include "core/byteorder.h"
#include "core/fmt.h"

#include <string.h>
#include <unicorn/unicorn.h>

/* core/fmt.c's digits, written in place (the callers' buffers have room
 * for the NUL it adds). */
char *mb_trace_put_hex(char *p, uint64_t v)
{
	struct mb_fmtbuf b;
	mb_fmt_init(&b, p, 20);
	mb_fmt_hex(&b, v);
	return p + b.pos;
}

static char *put_dec(char *p, uint64_t v)
{
	struct mb_fmtbuf b;
	mb_fmt_init(&b, p, 21);
	mb_fmt_dec(&b, v);
	return p + b.pos;
}

static void on_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
	struct mb_trace_mem *tm = user;
	if (!tm->collecting)
		return;
	if (tm->n == MB_TRACE_MEM_MAX) {
		tm->more++;
		return;
	}
	unsigned bytes = size > 0 && size < 8 ? (unsigned)size : 8;
	uint64_t v;
	if (type == UC_MEM_WRITE) {
		v = bytes < 8 ? (uint64_t)value & ((1ull << (8 * bytes)) - 1) : (uint64_t)value;
	} else {
		/* A read's value is not passed: it is what memory holds now. */
		uint8_t buf[8];
		v = uc_mem_read(uc, addr, buf, bytes) == UC_ERR_OK ? mb_load(buf, bytes, tm->big_endian) : 0;
	}
	tm->acc[tm->n].addr = addr;
	tm->acc[tm->n].value = v;
	tm->acc[tm->n].size = (uint32_t)size;
	tm->acc[tm->n].op = type == UC_MEM_WRITE ? 'w' : 'r';
	tm->n++;
}

int mb_trace_mem_open(struct mb_trace_mem *tm, struct uc_struct *uc, bool big_endian)
{
	memset(tm, 0, sizeof(*tm));
	tm->uc = uc;
	tm->big_endian = big_endian;
	uc_hook h;
	if (uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)on_access, tm, 1, 0) != UC_ERR_OK)
		return -1;
	tm->hook = h;
	return 0;
}

void mb_trace_mem_close(struct mb_trace_mem *tm)
{
	if (tm->uc && tm->hook)
		uc_hook_del(tm->uc, (uc_hook)tm->hook);
	tm->hook = 0;
}

char *mb_trace_mem_put(struct mb_trace_mem *tm, char *p, bool json)
{
	if (json && tm->n) {
		memcpy(p, ",\"mem\":[", 8);
		p += 8;
	}
	for (unsigned i = 0; i < tm->n; i++) {
		if (json) {
			if (i)
				*p++ = ',';
			memcpy(p, "{\"op\":\"", 7);
			p += 7;
			*p++ = tm->acc[i].op;
			memcpy(p, "\",\"addr\":\"", 10);
			p = mb_trace_put_hex(p + 10, tm->acc[i].addr);
			memcpy(p, "\",\"size\":", 9);
			p = put_dec(p + 9, tm->acc[i].size);
			memcpy(p, ",\"value\":\"", 10);
			p = mb_trace_put_hex(p + 10, tm->acc[i].value);
			memcpy(p, "\"}", 2);
			p += 2;
		} else {
			memcpy(p, " [", 2);
			p += 2;
			*p++ = tm->acc[i].op;
			p = put_dec(p, tm->acc[i].size);
			*p++ = ' ';
			p = mb_trace_put_hex(p, tm->acc[i].addr);
			*p++ = '=';
			p = mb_trace_put_hex(p, tm->acc[i].value);
			*p++ = ']';
		}
	}
	if (json && tm->n)
		*p++ = ']';
	if (tm->more) {
		memcpy(p, json ? ",\"mem_more\":" : " [+", json ? 12 : 3);
		p = put_dec(p + (json ? 12 : 3), tm->more);
		if (!json) {
			memcpy(p, " more]", 6);
			p += 6;
		}
	}
	tm->n = tm->more = 0;
	return p;
}
