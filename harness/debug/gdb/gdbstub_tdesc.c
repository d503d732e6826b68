/* GDB target description, generated from the arch's register table so the
 * 'g' packet order and the XML can never disagree. The ppc32 description
 * names powerpc:common; byte order is not part of target descriptions, so
 * GDB must be told `set endian big` (docs/debugging.md). */
#include "harness/debug/gdb/gdbstub_session.h"

#include "arch/debug.h"

#include <stdio.h>
#include <stdlib.h>

char *mb_gdb_target_xml(const struct mb_arch *arch, size_t *len)
{
	const struct mb_debug_ops *d = arch->debug;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (f == NULL)
		return NULL;
	fprintf(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		   "<target version=\"1.0\">\n<architecture>%s</architecture>\n"
		   "<feature name=\"%s\">\n", d->gdb_arch, d->gdb_feature);
	for (size_t i = 0; i < d->nregs; i++)
		fprintf(f, "  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%zu\"/>\n",
			d->regs[i].name, d->regs[i].bits, d->regs[i].gdb_type, i);
	fprintf(f, "</feature>\n</target>\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
