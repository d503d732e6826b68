/* Random relocations on every arch (any type number, value, place, offset,
 * PLT state): apply() must never touch memory outside the location and the
 * PLT, and whenever it refuses, everything it was given is exactly as
 * before. Run under the sanitizers by `make asan`. */
#include "arch/arch.h"
#include "arch/reloc.h"
#include "tests/check_main.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Values near the interesting edges: small, near a branch range, huge. */
static uint64_t rnd_value(uint64_t base)
{
	switch (rnd() % 6) {
	case 0: return rnd();
	case 1: return base + (rnd() % 0x10000) - 0x8000;
	case 2: return base + (rnd() % 0x10000000) - 0x8000000;
	case 3: return base + (rnd() % 0x200000000ull) - 0x100000000ull;
	case 4: return rnd() % 0x20000;
	default: return (uint64_t)-(int64_t)(rnd() % 0x20000);
	}
}

static void run_arch(const char *name)
{
	const struct mb_arch *arch = mb_arch_by_name(name);
	ck_assert_ptr_nonnull(arch);
	const struct mb_reloc_ops *ops = arch->reloc;
	/* Types the arch defines, plus any number. */
	uint32_t known[64];
	size_t nknown = 0;
	for (uint32_t t = 0; t < 1100 && nknown < 64; t++)
		if (ops->type_name(t) && rnd() % 3 == 0)
			known[nknown++] = t;
	ck_assert_uint_gt(nknown, 0);

	uint64_t base = arch->ptr_bytes == 8 ? 0xffff800008000000ull : 0xb0000000ull;
	struct mb_reloc_config cfg = { .arm64_erratum_843419 = true };
	enum { SEC = 64, GUARD = 32, PLTN = 4 };
	uint8_t buf[GUARD + SEC + GUARD], pltbuf[2][GUARD + 16 * PLTN + 16 + GUARD];
	uint8_t before[sizeof(buf)], pbefore[2][sizeof(pltbuf[0])];
	size_t ok = 0, refused = 0, via_plt = 0, plt_full = 0;
	/* The call type that goes through a module PLT (R_AARCH64_CALL26,
	 * R_PPC_REL24); x86_64 modules have none. */
	uint32_t far_branch = strcmp(name, "arm64") == 0 ? 283 : strcmp(name, "powerpc32") == 0 ? 10 : 0;
	struct mb_plt_state plt;

	for (int iter = 0; iter < 50000; iter++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rnd();
		if (rnd() % 4 == 0)
			memset(buf + GUARD, 0, SEC);  /* x86 needs zero targets to say yes */
		/* The PLTs live for 64 sites, so that they fill up: every entry
		 * past the reserved count must be refused. */
		if (iter % 64 == 0) {
			for (int p = 0; p < 2; p++)
				for (size_t i = 0; i < sizeof(pltbuf[p]); i++)
					pltbuf[p][i] = i < GUARD || i >= sizeof(pltbuf[p]) - GUARD ? 0xee : 0;
			plt = (struct mb_plt_state){
				.core = { .addr = base + 0x100000, .bytes = pltbuf[0] + GUARD, .size = 16 * PLTN + 16,
					  .max = (uint32_t)(rnd() % (PLTN + 1)) },
				.init = { .addr = base + 0x200000, .bytes = pltbuf[1] + GUARD, .size = 16 * PLTN + 16,
					  .max = (uint32_t)(rnd() % (PLTN + 1)) },
			};
		}
		uint64_t sec_addr = base + (rnd() % 0x1000) * 4 + (rnd() % 8 == 0 ? rnd() % 4 : 0);
		/* A third of the sites: a call 1 GiB away, which needs a PLT entry. */
		bool far_call = far_branch && rnd() % 3 == 0;
		struct mb_reloc_site s = {
			.type = far_call ? far_branch : rnd() % 2 ? known[rnd() % nknown] : (uint32_t)(rnd() % 1100),
			.S = far_call ? sec_addr + 0x40000000 + (rnd() % 0x1000) * 4 : rnd_value(sec_addr),
			.A = (int64_t)(rnd() % 64) - 32,
			.sec_bytes = buf + GUARD, .sec_addr = sec_addr, .sec_size = SEC,
			.offset = far_call ? (rnd() % (SEC / 4)) * 4 : rnd() % (SEC + 8), .in_init = rnd() % 2,
			.cfg = rnd() % 2 ? &cfg : NULL,
		};
		struct mb_plt_state plt0 = plt;
		memcpy(before, buf, sizeof(buf));
		memcpy(pbefore, pltbuf, sizeof(pltbuf));
		struct mb_reloc_result res;
		ops->apply(&s, rnd() % 8 ? &plt : NULL, &res);

		/* Never outside the section or the PLTs' capacity. */
		ck_assert_mem_eq(buf, before, GUARD);
		ck_assert_mem_eq(buf + GUARD + SEC, before + GUARD + SEC, GUARD);
		for (int p = 0; p < 2; p++) {
			ck_assert_mem_eq(pltbuf[p], pbefore[p], GUARD);
			ck_assert_mem_eq(pltbuf[p] + sizeof(pltbuf[p]) - GUARD,
					 pbefore[p] + sizeof(pltbuf[p]) - GUARD, GUARD);
		}
		ck_assert_uint_le(plt.core.used, plt.core.max);
		ck_assert_uint_le(plt.init.used, plt.init.max);
		if (res.status != MB_RELOC_OK) {
			refused++;
			plt_full += res.status == MB_RELOC_PLT_FULL;
			ck_assert_mem_eq(buf, before, sizeof(buf));
			ck_assert_mem_eq(pltbuf, pbefore, sizeof(pltbuf));
			ck_assert_uint_eq(plt.core.used, plt0.core.used);
			ck_assert_uint_eq(plt.init.used, plt0.init.used);
			ck_assert(!res.via_plt);
			continue;
		}
		ok++;
		via_plt += res.via_plt;
		/* Accepted: only bytes within the 4-byte word or 8-byte datum at
		 * (or, ppc32 ADDR16, just before) the location changed. */
		for (size_t i = GUARD; i < GUARD + SEC; i++) {
			uint64_t off = i - GUARD;
			bool near = off + 3 >= s.offset && off < s.offset + 8;
			if (!near)
				ck_assert_msg(buf[i] == before[i], "%s: %s wrote at +%llu for r_offset %llu",
					      name, ops->type_name(s.type) ? ops->type_name(s.type) : "?",
					      (unsigned long long)off, (unsigned long long)s.offset);
		}
		if (!res.via_plt)
			ck_assert_mem_eq(pltbuf, pbefore, sizeof(pltbuf));
	}
	ck_assert_uint_gt(ok, 500);
	ck_assert_uint_gt(refused, 500);
	/* x86_64 has no PLT; the others must have met both cases often. */
	if (far_branch) {
		ck_assert_uint_gt(via_plt, 100);
		ck_assert_uint_gt(plt_full, 100);
	}
}

static const char *test_arch;

START_TEST(random_sites)
{
	rng_state = 0x5eed0000u + (uint64_t)strlen(test_arch);
	run_arch(test_arch);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	test_arch = argv[1];
	const struct check_test tests[] = {
		CHECK_TEST(random_sites),
	};
	const struct check_suite cs = { .suite = "reloc_random", .tcase = test_arch, .timeout = 120 };
	return CHECK_RUN(&cs, tests);
}
