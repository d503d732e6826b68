/* Recording a run's block stream (the fast path's block observer) and
 * checking a replay against a recording (an instruction observer). The
 * format is in tracerec.h; reading it in tracerec_io.c. */
#include "harness/debug/tracerec.h"
#include "harness/debug/tracerec_priv.h"

#include "harness/machine/emu.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording ------------------------------------------------------------ */

struct mb_recorder {
	FILE *f;
	char *path;
	struct mb_machine *m;
	/* The current call's block stream. */
	uint8_t *buf;
	size_t len, cap;
	bool oom;
	uint64_t last_idx, last_pc, nblocks, total;
	const char *func;
	uint64_t addr;
	uint32_t ncalls;
};

static void put_le(FILE *f, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	fwrite(b, 1, n, f);
}

static void put_str(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > MB_TRACEREC_STR_MAX)
		n = MB_TRACEREC_STR_MAX;
	put_le(f, n, 4);
	fwrite(s ? s : "", 1, n, f);
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* The block observer: two varints per block, nothing else (this runs once
 * per translated block on the fast path). */
static void on_block(void *ctx, uint64_t pc, uint64_t index)
{
	struct mb_recorder *r = ctx;
	/* The call runs again from its start (the exact way, after the fast
	 * way faulted): that run's stream replaces what came before. */
	if (index == 0)
		r->len = r->last_idx = r->last_pc = r->nblocks = 0;
	if (r->cap - r->len < 20) {
		size_t cap = r->cap ? 2 * r->cap : 1 << 16;
		uint8_t *n = r->oom ? NULL : realloc(r->buf, cap);
		if (n == NULL) {
			r->oom = true;
			return;
		}
		r->buf = n;
		r->cap = cap;
	}
	uint8_t *p = put_varint(r->buf + r->len, index - r->last_idx);
	uint64_t d = pc - r->last_pc;
	p = put_varint(p, (d << 1) ^ (uint64_t)((int64_t)d >> 63));
	r->len = (size_t)(p - r->buf);
	r->last_idx = index;
	r->last_pc = pc;
	r->nblocks++;
}

int mb_recorder_open(struct mb_recorder **out, const char *path, struct mb_machine *m,
		     const struct mb_tracerec *hdr, struct mb_err *err)
{
	struct mb_recorder *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return mb_fail(err, path, NULL, "out of memory for the recorder");
	}
	r->f = fopen(path, "wb");
	if (r->f == NULL) {
		int e = errno;
		free(r->path);
		free(r);
		return mb_fail(err, path, NULL, "cannot write the recording: %s", strerror(e));
	}
	r->m = m;
	setvbuf(r->f, NULL, _IOFBF, 1 << 20);
	fwrite(MB_TRACEREC_MAGIC, 1, 8, r->f);
	put_le(r->f, MB_TRACEREC_VERSION, 4);
	put_le(r->f, 0, 4);
	put_le(r->f, hdr->nargs, 4);
	for (size_t i = 0; i < hdr->nargs; i++)
		put_str(r->f, hdr->args[i]);
	put_str(r->f, hdr->arch);
	put_str(r->f, hdr->map);
	put_str(r->f, hdr->kernel);
	put_le(r->f, hdr->nmods, 4);
	for (size_t i = 0; i < hdr->nmods; i++) {
		const struct mb_tracerec_module *mod = &hdr->mods[i];
		put_str(r->f, mod->name);
		put_str(r->f, mod->path);
		put_le(r->f, mod->base, 8);
		put_le(r->f, mod->size, 8);
		put_le(r->f, mod->hash, 8);
	}
	*out = r;
	return 0;
}

void mb_recorder_call_begin(struct mb_recorder *r, const char *func, uint64_t addr)
{
	r->len = 0;
	r->last_idx = r->last_pc = r->nblocks = 0;
	r->func = func;
	r->addr = addr;
	mb_machine_set_block_observer(r->m, on_block, r);
}

void mb_recorder_call_end(struct mb_recorder *r, const struct mb_call_result *res)
{
	mb_machine_set_block_observer(r->m, NULL, NULL);
	FILE *f = r->f;
	fputc('C', f);
	put_str(f, r->func);
	put_le(f, r->addr, 8);
	put_le(f, res->faulted ? 0 : res->ret, 8);
	put_le(f, res->insns, 8);
	put_le(f, res->faulted, 1);
	put_le(f, res->faulted ? (uint64_t)res->fault.kind : 0, 1);
	put_le(f, res->faulted ? res->fault.pc : 0, 8);
	put_le(f, r->nblocks, 8);
	put_le(f, r->len, 8);
	fwrite(r->buf, 1, r->len, f);
	r->total += r->nblocks;
	r->ncalls++;
}

uint64_t mb_recorder_blocks(const struct mb_recorder *r)
{
	return r->total;
}

int mb_recorder_close(struct mb_recorder *r, struct mb_err *err)
{
	if (r == NULL)
		return 0;
	mb_machine_set_block_observer(r->m, NULL, NULL);
	fputc('E', r->f);
	put_le(r->f, r->ncalls, 4);
	/* A full disk shows at the last flush: errno from fclose. */
	bool bad = ferror(r->f) != 0;
	errno = 0;
	bad |= fclose(r->f) != 0;
	int e = errno;
	int rc = 0;
	if (r->oom)
		rc = mb_fail(err, r->path, NULL, "out of memory for the block stream: the recording is incomplete");
	else if (bad)
		rc = mb_fail(err, r->path, NULL, "cannot write the recording: %s", strerror(e ? e : EIO));
	free(r->buf);
	free(r->path);
	free(r);
	return rc;
}

/* ---- replay check -------------------------------------------------------- */

struct mb_replaycheck {
	struct mb_machine *m;
	const struct mb_tracerec *rec;
	const struct mb_tracerec_call *call;
	const uint8_t *p, *end;
	uint64_t left;             /* pairs not yet reached */
	uint64_t next_idx, next_pc;
	uint64_t n;                /* instructions replayed */
	bool diverged;
	uint64_t div_idx, div_pc, div_want;
};

static void next_pair(struct mb_replaycheck *c)
{
	uint64_t di = 0, dp = 0;
	if (c->left == 0)
		return;
	/* Validated when read (tracerec_io.c). */
	mb_tracerec_varint(&c->p, c->end, &di);
	mb_tracerec_varint(&c->p, c->end, &dp);
	c->next_idx += di;
	c->next_pc += (dp >> 1) ^ (uint64_t)-(int64_t)(dp & 1);
}

static void on_insn(void *ctx, struct mb_machine *m, uint64_t pc, uint32_t size)
{
	(void)m; (void)size;
	struct mb_replaycheck *c = ctx;
	while (c->left && c->next_idx == c->n) {
		if (pc != c->next_pc && !c->diverged) {
			c->diverged = true;
			c->div_idx = c->n;
			c->div_pc = pc;
			c->div_want = c->next_pc;
		}
		c->left--;
		next_pair(c);
	}
	c->n++;
}

int mb_replaycheck_open(struct mb_replaycheck **out, struct mb_machine *m, const struct mb_tracerec *rec,
			struct mb_err *err)
{
	struct mb_replaycheck *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return mb_fail(err, NULL, NULL, "out of memory for the replay check");
	c->m = m;
	c->rec = rec;
	*out = c;
	return 0;
}

void mb_replaycheck_call_begin(struct mb_replaycheck *c, size_t call)
{
	c->call = call < c->rec->ncalls ? &c->rec->calls[call] : NULL;
	c->n = c->next_idx = c->next_pc = 0;
	c->diverged = false;
	c->left = 0;
	if (c->call) {
		c->p = c->call->blocks;
		c->end = c->p + c->call->nbytes;
		c->left = c->call->nblocks;
		next_pair(c);
	}
	mb_machine_add_observer(c->m, on_insn, c);
}

int mb_replaycheck_call_end(struct mb_replaycheck *c, const struct mb_call_result *res, char *why, size_t len)
{
	mb_machine_remove_observer(c->m, on_insn, c);
	const struct mb_tracerec_call *k = c->call;
	if (k == NULL)
		snprintf(why, len, "the recording has no such call");
	else if (c->diverged)
		snprintf(why, len, "instruction %" PRIu64 " is at 0x%" PRIx64 ", recorded at 0x%" PRIx64, c->div_idx,
			 c->div_pc, c->div_want);
	else if (c->left)
		snprintf(why, len, "%" PRIu64 " recorded blocks beyond the replay's %" PRIu64 " instructions", c->left,
			 res->insns);
	else if (res->insns != k->insns)
		snprintf(why, len, "%" PRIu64 " instructions, recorded %" PRIu64, res->insns, k->insns);
	else if (res->faulted != k->faulted)
		snprintf(why, len, "%s, recorded %s", res->faulted ? "faulted" : "returned",
			 k->faulted ? "a fault" : "a return");
	else if (res->faulted && ((uint8_t)res->fault.kind != k->fault_kind || res->fault.pc != k->fault_pc))
		snprintf(why, len, "fault %s at 0x%" PRIx64 ", recorded %s at 0x%" PRIx64,
			 mb_fault_kind_name(res->fault.kind), res->fault.pc,
			 mb_fault_kind_name((enum mb_fault_kind)k->fault_kind), k->fault_pc);
	else if (!res->faulted && res->ret != k->ret)
		snprintf(why, len, "returned 0x%" PRIx64 ", recorded 0x%" PRIx64, res->ret, k->ret);
	else
		return 0;
	return -1;
}

void mb_replaycheck_close(struct mb_replaycheck *c)
{
	if (c == NULL)
		return;
	mb_machine_remove_observer(c->m, on_insn, c);
	free(c);
}
