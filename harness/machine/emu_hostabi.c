/* The arch ABI seen from a host-implemented kernel function: its arguments
 * (registers, then the stack; 64-bit values in register pairs on 32-bit),
 * its return value, and who called it. */
#include "harness/machine/emu_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- host-call ABI -------------------------------------------------------- */

uint64_t mb_machine_reg(struct mb_machine *m, int r)
{
	uint64_t v;
	mb_cpu_reg_read(m->uc, m->cpu, r, &v);
	return v;
}

static uint64_t arg_slot(struct mb_machine *m, unsigned i)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (i < c->narg_regs)
		return mb_machine_reg(m, c->arg_regs[i]);
	uint64_t at = mb_machine_reg(m, c->reg_sp) + c->stack_args_offset + (uint64_t)(i - c->narg_regs) * c->reg_bytes;
	uint8_t b[8] = { 0 };
	if (mb_guest_read(m, at, b, c->reg_bytes) != 0)
		return 0;
	return mb_load(b, c->reg_bytes, m->arch->big_endian);
}

void mb_hc_args(struct mb_machine *m, const char *sig, uint64_t *out)
{
	unsigned slot = 0;
	for (size_t k = 0; sig[k]; k++) {
		if (sig[k] == 'q' && m->cpu->reg_bytes == 4) {
			slot += slot & 1u;
			uint64_t a = arg_slot(m, slot), b = arg_slot(m, slot + 1);
			out[k] = m->cpu->pair_hi_first ? (a << 32 | b) : (b << 32 | a);
			slot += 2;
		} else {
			out[k] = arg_slot(m, slot++);
		}
	}
}

uint64_t mb_hc_word(struct mb_machine *m, unsigned n)
{
	return arg_slot(m, n);
}

void mb_hc_ret(struct mb_machine *m, uint64_t v)
{
	mb_cpu_reg_write(m->uc, m->cpu, m->cpu->reg_ret, v);
}

void mb_hc_ret64(struct mb_machine *m, uint64_t v)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (c->reg_bytes == 8) {
		mb_hc_ret(m, v);
		return;
	}
	uint64_t hi = v >> 32, lo = v & 0xffffffffu;
	mb_cpu_reg_write(m->uc, c, c->reg_ret, c->pair_hi_first ? hi : lo);
	mb_cpu_reg_write(m->uc, c, c->reg_ret2, c->pair_hi_first ? lo : hi);
}

uint64_t mb_run_return_addr(struct mb_machine *m)
{
	const struct mb_cpu_ops *c = m->cpu;
	if (c->reg_link >= 0)
		return mb_machine_reg(m, c->reg_link);
	uint8_t b[8] = { 0 };
	if (uc_mem_read(m->uc, mb_machine_reg(m, c->reg_sp), b, c->reg_bytes) != UC_ERR_OK)
		return 0;
	return mb_load(b, c->reg_bytes, m->arch->big_endian);
}

#define MAX_INSN_BYTES 15
#define MAX_CALL_PATH 8

static bool in_kstub_text(const struct mb_machine *m, uint64_t pc)
{
	return pc >= m->stub.text_base && pc - m->stub.text_base < m->stub.text_size;
}

/* Who called the stub function now running. The instruction just below the
 * return address, if it ran within the last few instructions (a call, maybe
 * through a PLT entry, veneer or thunk); otherwise (a tail call) the last
 * instruction that ran outside the stub. */
uint64_t mb_run_caller_pc(struct mb_machine *m)
{
	uint64_t ra = mb_run_return_addr(m);
	unsigned n = m->run.hist_n < MB_FAULT_HISTORY ? m->run.hist_n : MB_FAULT_HISTORY;
	uint64_t outside = 0;
	for (unsigned k = 1; k <= n; k++) {
		uint64_t pc = m->run.hist[(m->run.hist_n - k) % MB_FAULT_HISTORY];
		if (k <= MAX_CALL_PATH && pc < ra && ra - pc <= MAX_INSN_BYTES)
			return pc;
		if (!outside && !in_kstub_text(m, pc))
			outside = pc;
	}
	return outside ? outside : ra;
}

