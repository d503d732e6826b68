#include "core/byteorder.h"
#include "harness/debug/disasm.h"

#include "arch/cpu.h"
#include "harness/machine/emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries live in fixed-size chunks so that pointers handed out stay valid
 * while the cache grows; an open-addressing table maps address -> entry. */
#define CHUNK 1024

struct entry {
	struct mb_insn insn;
	bool stale;      /* mb_disasm_forget: decode again on next use */
	bool symbolized;
};

struct mb_disasm {
	const struct mb_arch *arch;
	const struct mb_debug_ops *dbg;
	csh cs;
	struct entry **chunks;
	size_t nchunks, nentries;
	uint32_t *slots;   /* entry index + 1; 0 is empty */
	size_t nslots;     /* power of two */
	uint64_t decodes;
};

int mb_disasm_open(struct mb_disasm **out, const struct mb_arch *arch, struct mb_err *err)
{
	if (arch->cpu == NULL || arch->debug == NULL)
		return mb_fail(err, NULL, NULL, "%s: no disassembler data for this arch", arch->name);
	struct mb_disasm *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return mb_fail(err, NULL, NULL, "out of memory for the disassembler");
	d->arch = arch;
	d->dbg = arch->debug;
	cs_err ce = cs_open(arch->cpu->cs_arch, arch->cpu->cs_mode, &d->cs);
	if (ce != CS_ERR_OK) {
		free(d);
		return mb_fail(err, NULL, NULL, "%s: Capstone cannot open: %s", arch->name, cs_strerror(ce));
	}
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (d->dbg->cs_syntax)
		cs_option(d->cs, CS_OPT_SYNTAX, (size_t)d->dbg->cs_syntax);
	*out = d;
	return 0;
}

void mb_disasm_close(struct mb_disasm *d)
{
	if (d == NULL)
		return;
	cs_close(&d->cs);
	for (size_t i = 0; i < d->nchunks; i++)
		free(d->chunks[i]);
	free(d->chunks);
	free(d->slots);
	free(d);
}

static struct entry *entry_at(const struct mb_disasm *d, size_t idx)
{
	return &d->chunks[idx / CHUNK][idx % CHUNK];
}

static size_t hash_addr(uint64_t a, size_t mask)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return (size_t)a & mask;
}

static struct entry *find(const struct mb_disasm *d, uint64_t addr)
{
	if (d->nslots == 0)
		return NULL;
	size_t mask = d->nslots - 1;
	for (size_t i = hash_addr(addr, mask);; i = (i + 1) & mask) {
		uint32_t s = d->slots[i];
		if (s == 0)
			return NULL;
		struct entry *e = entry_at(d, s - 1);
		if (e->insn.addr == addr)
			return e;
	}
}

static bool grow_slots(struct mb_disasm *d)
{
	size_t n = d->nslots ? d->nslots * 2 : 4096;
	uint32_t *s = calloc(n, sizeof(*s));
	if (s == NULL)
		return false;
	for (size_t k = 0; k < d->nentries; k++) {
		size_t i = hash_addr(entry_at(d, k)->insn.addr, n - 1);
		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = (uint32_t)(k + 1);
	}
	free(d->slots);
	d->slots = s;
	d->nslots = n;
	return true;
}

/* A new, zeroed entry for addr, or NULL when out of memory (the caller then
 * decodes into a scratch entry: tracing degrades, it does not fail). */
static struct entry *insert(struct mb_disasm *d, uint64_t addr)
{
	if ((d->nentries + 1) * 2 > d->nslots && !grow_slots(d))
		return NULL;
	if (d->nentries == d->nchunks * CHUNK) {
		struct entry **c = realloc(d->chunks, (d->nchunks + 1) * sizeof(*c));
		if (c == NULL)
			return NULL;
		d->chunks = c;
		if ((c[d->nchunks] = calloc(CHUNK, sizeof(struct entry))) == NULL)
			return NULL;
		d->nchunks++;
	}
	size_t k = d->nentries++;
	struct entry *e = entry_at(d, k);
	memset(e, 0, sizeof(*e));
	e->insn.addr = addr;
	size_t mask = d->nslots - 1, i = hash_addr(addr, mask);
	while (d->slots[i])
		i = (i + 1) & mask;
	d->slots[i] = (uint32_t)(k + 1);
	return e;
}

static uint32_t word_of(const struct mb_disasm *d, const uint8_t *b, size_t len)
{
	return len < 4 ? 0 : (uint32_t)mb_load(b, 4, d->arch->big_endian);
}

static void decode(struct mb_disasm *d, struct mb_insn *in, const uint8_t *code, size_t len)
{
	const struct mb_debug_ops *dbg = d->dbg;
	uint64_t addr = in->addr;
	cs_insn *ci = NULL;
	d->decodes++;
	size_t n = len ? cs_disasm(d->cs, code, len, addr, 1, &ci) : 0;
	in->decoded = n == 1;
	in->note = NULL;
	in->has_target = false;
	if (in->decoded) {
		in->size = (uint8_t)ci->size;
		memcpy(in->bytes, ci->bytes, ci->size);
		uint32_t w = word_of(d, in->bytes, in->size);
		if (dbg->rename == NULL || !dbg->rename(w, ci->mnemonic, ci->op_str, in->text, sizeof(in->text)))
			snprintf(in->text, sizeof(in->text), "%.31s%s%.*s", ci->mnemonic, ci->op_str[0] ? " " : "",
				 (int)sizeof(in->text) - 33, ci->op_str);
	} else {
		/* One unit of the ISA: a word on fixed-width ISAs, a byte on x86. */
		size_t unit = d->arch->cpu->insn_align > 1 ? d->arch->cpu->insn_align : 1;
		in->size = (uint8_t)(len < unit ? len : unit);
		memcpy(in->bytes, code, in->size);
		if (in->size == 4) {
			uint32_t w = word_of(d, in->bytes, 4);
			snprintf(in->text, sizeof(in->text), "%s 0x%08x", dbg->word_directive, w);
			in->note = dbg->undecodable_note ? dbg->undecodable_note(w) : NULL;
		} else {
			snprintf(in->text, sizeof(in->text), "%s 0x%02x", dbg->word_directive,
				 in->size ? in->bytes[0] : 0);
		}
		if (in->note == NULL)
			in->note = "not decodable by Capstone 4.0.2";
	}
	/* flow() sets target only for direct branches; no branch targets ~0. */
	uint64_t target = UINT64_MAX;
	in->flow = dbg->flow(ci, word_of(d, in->bytes, in->size), addr, &target);
	in->has_target = target != UINT64_MAX;
	in->target = in->has_target ? target : 0;
	if (ci)
		cs_free(ci, n);
}

const struct mb_insn *mb_disasm_at(struct mb_disasm *d, uint64_t addr, const uint8_t *code, size_t len)
{
	struct entry *e = find(d, addr);
	if (e && !e->stale)
		return &e->insn;
	if (e == NULL && (e = insert(d, addr)) == NULL) {
		static struct entry scratch; /* out of memory: still answer, uncached */
		memset(&scratch, 0, sizeof(scratch));
		scratch.insn.addr = addr;
		e = &scratch;
	}
	if (len > sizeof(e->insn.bytes))
		len = sizeof(e->insn.bytes);
	decode(d, &e->insn, code, len);
	e->stale = false;
	e->symbolized = false;
	return &e->insn;
}

const struct mb_insn *mb_disasm_machine(struct mb_disasm *d, struct mb_machine *m, uint64_t addr,
					size_t size)
{
	struct entry *e = find(d, addr);
	if (e == NULL || e->stale || !e->symbolized) {
		uint8_t buf[16];
		/* Unicorn passes a garbage size for an instruction it cannot
		 * decode (x86 ud2: 0xf1f1f1f1): trust only plausible sizes. */
		size_t want = size && size <= d->dbg->insn_max ? size : d->dbg->insn_max;
		struct mb_err err;
		/* Near the end of a mapping fewer bytes are readable. */
		while (want > 0 && mb_machine_read(m, addr, buf, want, &err) != 0)
			want--;
		if (want == 0)
			return NULL;
		if (e == NULL || e->stale)
			mb_disasm_at(d, addr, buf, want);
		e = find(d, addr);
		if (e == NULL)
			return NULL;
		mb_machine_symbolize(m, addr, e->insn.sym, sizeof(e->insn.sym));
		e->symbolized = true;
	}
	return &e->insn;
}

void mb_disasm_forget(struct mb_disasm *d, uint64_t addr, uint64_t size)
{
	for (size_t k = 0; k < d->nentries; k++) {
		struct entry *e = entry_at(d, k);
		if (e->insn.addr + e->insn.size > addr && e->insn.addr < addr + size)
			e->stale = true;
	}
}

size_t mb_disasm_cached(const struct mb_disasm *d)
{
	return d->nentries;
}

uint64_t mb_disasm_decodes(const struct mb_disasm *d)
{
	return d->decodes;
}

void mb_insn_hex(const struct mb_insn *in, char *buf, size_t len)
{
	size_t o = 0;
	if (len)
		buf[0] = '\0';
	for (uint8_t i = 0; i < in->size && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, i ? " %02x" : "%02x", in->bytes[i]);
}
