/* The guest side of core-diff: the placement and lookup core, built for the
 * target by clang, inside a module that modbed loads like any other. The
 * host writes a batch of encoded operations (core/opstream.h) into guest
 * memory and calls coreguest_run(); the interpreter is the same source the
 * host runs, so the two result buffers compare word for word. */
#include "modbed_module.h"

#include "core/opstream.h"

/* Lives in the module's .bss (MOD_DATA): the state carries over from one
 * batch to the next, as the stream's modules do. */
static struct mb_ops_state coreguest_state;

/* Runs ops[0..len) (header first) and writes results into res[0..cap).
 * Returns the result bytes written, or a negative enum mb_ops_run_error.
 * Not exported: the host calls it by its symbol, and exporting it would
 * clash with the corrupt twin (coreguest_corrupt.c) in a shared kernel. */
long coreguest_run(const unsigned char *ops, unsigned long len, unsigned char *res, unsigned long cap);
long coreguest_run(const unsigned char *ops, unsigned long len, unsigned char *res, unsigned long cap)
{
	return mb_ops_run(&coreguest_state, ops, len, res, cap);
}

MODULE_LICENSE("GPL");
