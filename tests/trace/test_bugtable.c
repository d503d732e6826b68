/* __bug_table decoding on real distribution modules (the corpus): every
 * entry of every module that loads must point at the arch's BUG trap in the
 * module's placed text (x86_64 `ud2` = 0f 0b, arm64 `brk #0x800` =
 * 0xd4210000, as the kernel's asm/bug.h emits them; powerpc32 a trap
 * instruction, `twi 31,0,0` for BUG() and `twi`/`tw` conditional traps for
 * BUG_ON/WARN_ON, decoded here from the Power ISA opcodes) and name a source
 * file with a line. A wrong entry size, a wrong base for the relative
 * offsets (absolute addresses on powerpc32, which lacks
 * HAVE_ARCH_PREL32_RELOCATIONS) or a missed relocation makes the check fail.
 * argv: ARCH CORPUS_DIR [MAX_MODULES]           (modules under CORPUS_DIR/ARCH)
 *    or --kbuild SET_DIR ARCH MAP [MAX_MODULES [KERNEL [KCONFIG]]]
 *       (modules under SET_DIR/modules; KERNEL "": the vermagic's; KCONFIG:
 *       the set's .config, as --kernel-config)
 * Exit 77 (skip) without modules. */
#define _XOPEN_SOURCE 700
#include "arch/arch.h"
#include "harness/debug/backtrace.h"
#include "harness/machine/emu.h"
#include "harness/session/runtime.h"
#include "tests/evidence.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **paths;
static size_t npaths, cap;

static int collect(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(p);
	if (flag != FTW_F || n < 3 || strcmp(p + n - 3, ".ko") != 0)
		return 0;
	if (npaths == cap) {
		cap = cap ? cap * 2 : 1024;
		paths = realloc(paths, cap * sizeof(*paths));
	}
	paths[npaths++] = strdup(p);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct check {
	struct mb_machine *m;
	const struct mb_loaded_module *mod;
	const uint8_t *trap;  /* exact bytes, or NULL: a powerpc trap instruction */
	size_t trap_len;
	size_t entries, bad, in_freed_init;
};

/* The text type holding a, or MOD_INVALID. */
static int text_type(const struct mb_loaded_module *mod, uint64_t a)
{
	for (size_t i = 0; i < mod->nsections; i++) {
		const struct mb_placed_section *s = &mod->sections[i];
		if ((s->type == MOD_TEXT || s->type == MOD_INIT_TEXT) && a >= s->addr && a < s->addr + s->size)
			return s->type;
	}
	return MOD_INVALID;
}

/* Power ISA: twi (primary opcode 3) or tw (31, extended opcode 4). */
static bool is_ppc_trap(const uint8_t b[4])
{
	uint32_t insn = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return insn >> 26 == 3 || (insn >> 26 == 31 && ((insn >> 1) & 0x3ff) == 4);
}

static bool check_entry(void *ctx, const struct mb_bug_entry *e)
{
	struct check *c = ctx;
	c->entries++;
	uint8_t code[4] = { 0 };
	struct mb_err err = { "" };
	char file[256];
	mb_bug_file(c->m, e, file, sizeof(file));
	size_t fl = strlen(file);
	const char *why = NULL;
	int type = text_type(c->mod, e->bug_addr);
	/* As in the kernel, entries for init code outlive it: nothing to read. */
	if (type == MOD_INIT_TEXT && c->mod->init_freed) {
		c->in_freed_init++;
		return true;
	}
	if (type == MOD_INVALID)
		why = "trap address outside the module's text";
	else if (mb_machine_read(c->m, e->bug_addr, code, c->trap_len, &err) != 0 ||
		 (c->trap ? memcmp(code, c->trap, c->trap_len) != 0 : !is_ppc_trap(code)))
		why = "no BUG trap at the address";
	else if (fl < 3 || (strcmp(file + fl - 2, ".c") != 0 && strcmp(file + fl - 2, ".h") != 0))
		why = "file is not a .c/.h path";
	else if (e->line == 0)
		why = "line 0";
	if (why) {
		if (c->bad++ < 5)
			fprintf(stderr, "FAIL: %s: entry at 0x%" PRIx64 " (trap 0x%" PRIx64 ", %s:%u): %s"
				" (bytes there: %02x %02x %02x %02x) %s\n", c->mod->name, e->addr, e->bug_addr, file,
				e->line, why, code[0], code[1], code[2], code[3], err.msg);
	}
	return true;
}

int main(int argc, char **argv)
{
	bool kbuild = argc > 1 && strcmp(argv[1], "--kbuild") == 0;
	if (argc < (kbuild ? 5 : 3)) {
		fprintf(stderr, "usage: %s ARCH CORPUS_DIR [MAX_MODULES] | --kbuild SET_DIR ARCH MAP [MAX_MODULES [KERNEL [KCONFIG]]]\n",
			argv[0]);
		return 2;
	}
	const char *arch = kbuild ? argv[3] : argv[1], *map = kbuild ? argv[4] : NULL;
	int maxarg = kbuild ? 5 : 3;
	size_t max = argc > maxarg ? strtoul(argv[maxarg], NULL, 0) : 300;
	/* --kernel for the kbuild sets (default: the modules' vermagic) */
	const char *kernel = kbuild && argc > maxarg + 1 && argv[maxarg + 1][0] ? argv[maxarg + 1] : NULL;
	const char *kconfig = kbuild && argc > maxarg + 2 ? argv[maxarg + 2] : NULL;
	char dir[4096];
	if (kbuild)
		snprintf(dir, sizeof(dir), "%s/modules", argv[2]);
	else
		snprintf(dir, sizeof(dir), "%s/%s", argv[2], arch);
	if (nftw(dir, collect, 16, FTW_PHYS) != 0 || npaths == 0) {
		char what[4200];
		snprintf(what, sizeof(what), "no corpus at %s (run tests/corpus/fetch.sh)", dir);
		return evidence_missing(what);
	}
	qsort(paths, npaths, sizeof(*paths), cmp);
	static const uint8_t ud2[] = { 0x0f, 0x0b }, brk800[] = { 0x00, 0x00, 0x21, 0xd4 };
	struct check c = { 0 };
	if (strcmp(arch, "x86_64") == 0) {
		c.trap = ud2;
		c.trap_len = sizeof(ud2);
	} else if (strcmp(arch, "arm64") == 0) {
		c.trap = brk800;
		c.trap_len = sizeof(brk800);
	} else if (strcmp(arch, "powerpc32") == 0) {
		c.trap = NULL;
		c.trap_len = 4;
	} else {
		fprintf(stderr, "no corpus arch %s\n", arch);
		return 2;
	}
	size_t loaded = 0, with_table = 0, tried = 0;
	/* Spread over the whole sorted list, not one directory. */
	size_t step = npaths / max ? npaths / max : 1;
	for (size_t i = 0; i < npaths && tried < max; i += step, tried++) {
		struct mb_cli cli;
		memset(&cli, 0, sizeof(cli));
		cli.cmd = "bugtable";
		cli.arch = arch;
		cli.map = map;
		cli.kernel = kernel;
		cli.kernel_config = kconfig;
		cli.no_init = true;
		cli.paths = (const char *const[]){ paths[i] };
		cli.npaths = 1;
		struct mb_runtime rt;
		if (mb_runtime_open(&rt, &cli) != MB_EXIT_OK)
			return 1;
		struct mb_loaded_module *mod;
		struct mb_err err;
		if (mb_runtime_load(&rt, paths[i], &mod, NULL, &err) == 0) {
			loaded++;
			c.m = rt.m;
			c.mod = mod;
			if (mb_bug_table(rt.m, mod, check_entry, &c) > 0)
				with_table++;
		}
		mb_runtime_close(&rt);
	}
	printf("%s%s%s: %zu modules tried, %zu loaded, %zu with __bug_table, %zu entries (%zu in freed init text), "
	       "%zu bad\n", arch, kernel ? " --kernel " : "", kernel ? kernel : "", tried, loaded, with_table, c.entries,
	       c.in_freed_init, c.bad);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	/* A corpus where nothing loads or no module has a table proves nothing. */
	return c.bad == 0 && with_table >= 10 && c.entries >= 100 ? 0 : 1;
}
