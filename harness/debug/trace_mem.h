/* The memory accesses of one traced instruction (`trace --mem`): a Unicorn
 * memory hook collects the guest's reads and writes (address, size, value)
 * while an instruction's line is pending, and the line appends them.
 * Unicorn 2.0.1 sends every guest access through its memory helpers, where
 * hooks are looked up when the access runs, so the hook sees code
 * translated before it was added. Host functions of the kernel stub access
 * guest memory from the host: those accesses are not the instruction's and
 * are not shown. Private to harness/debug/. */
#ifndef MODBED_HARNESS_TRACE_MEM_H
#define MODBED_HARNESS_TRACE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uc_struct;

#define MB_TRACE_MEM_MAX 16   /* accesses shown per instruction; more are counted */

struct mb_trace_mem {
	struct uc_struct *uc;
	size_t hook;              /* uc_hook */
	bool big_endian;
	bool collecting;          /* an instruction's line is pending */
	struct { uint64_t addr, value; uint32_t size; char op; } acc[MB_TRACE_MEM_MAX];
	unsigned n, more;
};

int mb_trace_mem_open(struct mb_trace_mem *tm, struct uc_struct *uc, bool big_endian);
void mb_trace_mem_close(struct mb_trace_mem *tm);
/* Appends the collected accesses at p, returns the new end: text
 * ` [w8 0xADDR=0xVALUE]` each (then ` [+N more]`), or JSON
 * `,"mem":[{"op":"w","addr":"0x...","size":8,"value":"0x..."}]` (then
 * `,"mem_more":N`). At most MB_TRACE_MEM_BYTES bytes. Clears the list. */
#define MB_TRACE_MEM_BYTES (MB_TRACE_MEM_MAX * 96 + 64)
char *mb_trace_mem_put(struct mb_trace_mem *tm, char *p, bool json);
/* Hex without leading zeros, "0x" first (shared with the trace line). */
char *mb_trace_put_hex(char *p, uint64_t v);

#endif
