/* A kernel data symbol the kernel stub does not know: it resolves to a trap
 * slot, and reading or writing it must stop the call as an unresolved
 * symbol naming it (not read the trap's instruction bytes as data, not
 * report a write-protect fault). */
#include "modbed_module.h"

extern int modbed_unknown_data;

int read_unknown(void)
{
	return modbed_unknown_data;
}

void write_unknown(int v)
{
	modbed_unknown_data = v;
}

MODULE_LICENSE("GPL");
