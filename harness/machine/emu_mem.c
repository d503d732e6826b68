/* The machine's memory: every arena of the guest space mirrored into Unicorn
 * with its host buffer, permission changes with translated code dropped, the
 * ppc32 time-base pre-scan, freed-init bookkeeping, and guest memory access
 * with guest permissions for host-implemented kernel functions. */
#include "harness/machine/emu_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned to_uc_prot(unsigned perm)
{
	unsigned p = 0;
	if (perm & MB_PERM_R) p |= UC_PROT_READ;
	if (perm & MB_PERM_W) p |= UC_PROT_WRITE;
	if (perm & MB_PERM_X) p |= UC_PROT_EXEC;
	return p;
}

void mb_flush_code(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	if (size)
		uc_ctl_remove_cache(m->uc, addr, addr + size);
	mb_icount_clear(m);
}

/* Drops the code translated in every mapping that was ever executable.
 * Region by region: uc_ctl_remove_cache in 2.0.1 turns the start of its
 * range into Unicorn's RAM address and drops [that, that + size), right
 * only inside one region, and a region uc_mem_protect split off has RAM of
 * its own (a whole mapping at once kept the stub's later slots translated
 * without the code hook). Unreadable regions (guard pages, execute-only
 * symbol slots) are left out: looking their start up fills the TLB, and a
 * filled entry lets reads through that must fault; the caller drops the
 * slots that ran another way. */
void mb_flush_all_code(struct mb_machine *m)
{
	uc_mem_region *reg;
	uint32_t n;
	if (uc_mem_regions(m->uc, &reg, &n) != UC_ERR_OK) {
		for (size_t i = 0; i < m->nmaps; i++)
			if (m->maps[i].ever_exec)
				mb_flush_code(m, m->maps[i].addr, m->maps[i].size);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct mb_mapping *mp = mb_machine_mapping(m, reg[i].begin);
		if (mp && mp->ever_exec && (reg[i].perms & UC_PROT_READ))
			uc_ctl_remove_cache(m->uc, reg[i].begin, reg[i].end + 1);
	}
	uc_free(reg);
	mb_icount_clear(m);
}

void mb_machine_code_changed(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	mb_flush_code(m, addr, size);
}

/* ---- the memory mirror ---------------------------------------------------- */

static struct mb_mapping *mapping_at(const struct mb_machine *m, uint64_t base)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (m->maps[i].addr == base)
			return &m->maps[i];
	return NULL;
}

const struct mb_mapping *mb_machine_mapping(const struct mb_machine *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (addr >= m->maps[i].addr && addr - m->maps[i].addr < m->maps[i].size)
			return &m->maps[i];
	return NULL;
}

static void hazard_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct mb_machine *m = user;
	m->cpu->emulate_hazard(uc, addr, mb_run_insns_at(m, addr, size));
}

/* Removes the hazard hooks inside [base, base+size). */
static void drop_hazards(struct mb_machine *m, struct mb_mapping *mp, uint64_t base, uint64_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < mp->nhazards; i++) {
		if (mp->hazard_addrs[i] - base < size) {
			uc_hook_del(m->uc, mp->hazard_hooks[i]);
			continue;
		}
		mp->hazard_hooks[j] = mp->hazard_hooks[i];
		mp->hazard_addrs[j++] = mp->hazard_addrs[i];
	}
	mp->nhazards = j;
}

void mb_mapping_free(struct mb_mapping *mp)
{
	free(mp->hazard_hooks);
	free(mp->hazard_addrs);
	free(mp->cuts);
	mp->hazard_hooks = NULL;
	mp->hazard_addrs = NULL;
	mp->nhazards = 0;
	mp->cuts = NULL;
	mp->ncuts = mp->cutcap = 0;
}

/* Host-crashing instructions (ppc32 time-base reads under 2.0.1) in code that
 * is made executable get a hook at their address that runs them on the host.
 * Rescanned on every protect to exec (packed pools get new code in pages
 * that were executable already); the range is flushed after, so the hooks
 * are in place before the code is translated. */
static int scan_hazards(struct mb_machine *m, struct mb_mapping *mp, const struct mb_space_arena *a,
			uint64_t base, uint64_t size, struct mb_err *err)
{
	if (!m->cpu->hazard_at)
		return 0;
	drop_hazards(m, mp, base, size);
	const uint8_t *host = a->host + (base - a->base);
	for (uint64_t off = 0; off + m->cpu->insn_align <= size; off += m->cpu->insn_align) {
		if (!m->cpu->hazard_at(host + off, size - off))
			continue;
		uc_hook h;
		uint64_t at = base + off;
		if (uc_hook_add(m->uc, &h, UC_HOOK_CODE, (void *)hazard_hook, m, at, at) != UC_ERR_OK)
			return mb_fail(err, a->name, NULL, "cannot hook %s at 0x%" PRIx64,
				       m->cpu->hazard_what, at);
		uc_hook *nh = realloc(mp->hazard_hooks, (mp->nhazards + 1) * sizeof(*nh));
		uint64_t *na = nh ? realloc(mp->hazard_addrs, (mp->nhazards + 1) * sizeof(*na)) : NULL;
		if (nh)
			mp->hazard_hooks = nh;
		if (!na) {
			uc_hook_del(m->uc, h);
			return mb_fail(err, a->name, NULL, "out of memory");
		}
		mp->hazard_addrs = na;
		nh[mp->nhazards] = h;
		na[mp->nhazards++] = at;
	}
	mb_flush_code(m, base, size);
	return 0;
}

static void forget_freed(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < m->nfreed; i++) {
		struct mb_freed f = m->freed[i];
		bool overlap = f.addr < addr + size && addr < f.addr + f.size;
		if (!overlap)
			m->freed[j++] = f;
	}
	m->nfreed = j;
}

/* ---- Unicorn's region budget ------------------------------------------------
 *
 * Unicorn 2.0.1 keeps one memory region per mapping and per permission run
 * a protect splits off, and aborts (phys_section_add) once a machine holds
 * its target page size of them: 1,024 on arm64, 4,096 elsewhere; a
 * distribution tree is ~6 per module. Each new region also costs time
 * growing with the square of the regions there are (its RAM block search).
 * So module arenas go into Unicorn while 256 regions (at most half the
 * budget) are in use, and otherwise on first touch: the unmapped access's
 * hook maps the arena with the permissions of its pages, and the access
 * goes on. Permissions stay Unicorn's, exact as before. The rest of the
 * budget is for those first touches;
 * arenas mapped that way leave again (least recently mapped first) when
 * the next arena is created, never during a run. Fixed arenas (stub,
 * scratch) always stay. */

static size_t eager_max(const struct mb_machine *m)
{
	return m->uc_region_max / 2 < 256 ? m->uc_region_max / 2 : 256;
}

static bool has_cut(const struct mb_mapping *mp, uint64_t at)
{
	for (size_t i = 0; i < mp->ncuts; i++)
		if (mp->cuts[i] == at)
			return true;
	return false;
}

/* New regions a protect of [base, base+size) splits off (Unicorn splits a
 * region at each end of the range that falls inside it). */
static size_t new_cuts(const struct mb_mapping *mp, uint64_t base, uint64_t size)
{
	size_t n = 0;
	if (base > mp->addr && !has_cut(mp, base))
		n++;
	if (base + size < mp->addr + mp->size && !has_cut(mp, base + size))
		n++;
	return n;
}

static int add_cut(struct mb_mapping *mp, uint64_t at)
{
	if (at <= mp->addr || at >= mp->addr + mp->size || has_cut(mp, at))
		return 0;
	if (mp->ncuts == mp->cutcap) {
		size_t cap = mp->cutcap ? 2 * mp->cutcap : 8;
		uint64_t *n = realloc(mp->cuts, cap * sizeof(*n));
		if (!n)
			return -1;
		mp->cuts = n;
		mp->cutcap = cap;
	}
	mp->cuts[mp->ncuts++] = at;
	return 0;
}

/* Takes a module arena out of Unicorn (between runs only). */
static void evict(struct mb_machine *m, struct mb_mapping *mp)
{
	mb_flush_code(m, mp->addr, mp->size);
	uc_mem_unmap(m->uc, mp->addr, mp->size);
	m->uc_regions -= mp->ncuts + 1;
	mp->ncuts = 0;
	mp->in_uc = false;
	mp->on_touch = false;
}

/* Between runs: arenas mapped on first touch leave, least recently mapped
 * first, until the first-touch half of the budget is free again. */
static void trim(struct mb_machine *m)
{
	while (m->uc_regions > eager_max(m)) {
		struct mb_mapping *lru = NULL;
		for (size_t i = 0; i < m->nmaps; i++) {
			struct mb_mapping *mp = &m->maps[i];
			if (mp->on_touch && (!lru || mp->used < lru->used))
				lru = mp;
		}
		if (!lru)
			return;
		evict(m, lru);
	}
}

/* Maps an arena out of Unicorn back in, one region per run of pages with
 * one permission, as its protects left it. */
static bool map_back(struct mb_machine *m, struct mb_mapping *mp, const struct mb_space_arena *a)
{
	uint64_t pg = m->space->page_size, np = a->size / pg;
	size_t runs = 0;
	for (uint64_t p = 0; p < np; p++)
		runs += p == 0 || a->page_perm[p] != a->page_perm[p - 1];
	if (m->uc_regions + runs > m->uc_region_max)
		return false;
	mp->ncuts = 0;
	for (uint64_t p = 0, start = 0; p <= np; p++) {
		if (p < np && a->page_perm[p] == a->page_perm[start])
			continue;
		uint64_t at = a->base + start * pg, len = (p - start) * pg;
		if (uc_mem_map_ptr(m->uc, at, len, to_uc_prot(a->page_perm[start]), a->host + start * pg) != UC_ERR_OK ||
		    add_cut(mp, at) != 0) {
			if (at > a->base)
				uc_mem_unmap(m->uc, a->base, at - a->base);
			mp->ncuts = 0;
			return false;
		}
		start = p;
	}
	m->uc_regions += runs;
	mp->in_uc = true;
	mp->on_touch = true;
	mp->used = ++m->map_clock;
	return true;
}

static struct mb_mapping *mapping_at(const struct mb_machine *m, uint64_t base);

/* Maps the arenas under [addr, addr + len) that are out of Unicorn. */
static bool map_touched(struct mb_machine *m, uint64_t addr, uint64_t len)
{
	bool any = false;
	for (uint64_t at = addr; at - addr < (len ? len : 1);) {
		struct mb_space_arena *a = mb_space_find(m->space, at);
		if (!a)
			break;
		struct mb_mapping *mp = mapping_at(m, a->base);
		if (!mp || mp->in_uc || !map_back(m, mp, a))
			break;
		any = true;
		at = a->base + a->size;
	}
	return any;
}

/* First touch of module memory out of Unicorn: map it and go on. Runs
 * before the run's own invalid-access hook, which then sees nothing. */
static bool demand_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
	(void)uc; (void)value;
	struct mb_machine *m = user;
	struct mb_space_arena *a = mb_space_find(m->space, addr);
	struct mb_mapping *mp = a ? mapping_at(m, a->base) : NULL;
	if (!mp || mp->in_uc)
		return false;
	if (map_back(m, mp, a))
		return true;
	const char *access = type == UC_MEM_FETCH_UNMAPPED ? "fetch" : type == UC_MEM_WRITE_UNMAPPED ? "write" : "read";
	mb_run_fault(m, MB_FAULT_UNMAPPED, 0, true, addr, access,
		     "%s of %d bytes at 0x%" PRIx64 " in %s: one call touched more module memory than the "
		     "%zu memory regions Unicorn holds", access, size, addr, mp->name, m->uc_region_max);
	return false;
}

int mb_mem_install(struct mb_machine *m, struct mb_err *err)
{
	uint32_t page = 0;
	if (uc_ctl(m->uc, MB_UC_CTL(UC_CTL_UC_PAGE_SIZE, 1, UC_CTL_IO_READ), &page) != UC_ERR_OK || page < 256)
		page = 1024;
	/* phys_section_add asserts fewer sections than the page size; a few
	 * are Unicorn's own. */
	m->uc_region_max = page - 64;
	if (uc_hook_add(m->uc, &m->demand_hook, UC_HOOK_MEM_UNMAPPED, (void *)demand_hook, m, 1, 0) != UC_ERR_OK)
		return mb_fail(err, NULL, NULL, "cannot install the %s memory hook", m->arch->name);
	return 0;
}

static int obs_created(void *ctx, const struct mb_space_arena *a, struct mb_err *err)
{
	struct mb_machine *m = ctx;
	if (m->cpu->addr_ok && (!m->cpu->addr_ok(a->base) || !m->cpu->addr_ok(a->base + a->size - 1)))
		return mb_fail(err, a->name, NULL,
			       "[0x%" PRIx64 ", 0x%" PRIx64 ") is not a canonical %s address range",
			       a->base, a->base + a->size, m->arch->name);
	if (m->nmaps == m->mapcap) {
		size_t cap = m->mapcap ? 2 * m->mapcap : 16;
		struct mb_mapping *n = realloc(m->maps, cap * sizeof(*n));
		if (!n)
			return mb_fail(err, a->name, NULL, "out of memory");
		m->maps = n;
		m->mapcap = cap;
	}
	/* A module arena waits for its first touch when the regions run out. */
	trim(m);
	bool fixed = a->owner == NULL, now = fixed || m->uc_regions + 1 <= eager_max(m);
	uc_err e = now ? uc_mem_map_ptr(m->uc, a->base, a->size, to_uc_prot(a->perm), a->host) : UC_ERR_OK;
	if (e != UC_ERR_OK)
		return mb_fail(err, a->name, NULL, "cannot map [0x%" PRIx64 ", 0x%" PRIx64 ") in the %s emulator: %s",
			       a->base, a->base + a->size, m->arch->name, uc_strerror(e));
	if (mb_snap_track(&m->snap, a->host, (size_t)a->size) != 0) {
		if (now)
			uc_mem_unmap(m->uc, a->base, a->size);
		return mb_fail(err, a->name, NULL, "out of memory");
	}
	/* Code that ran here before (an unloaded module) must not be reused. */
	mb_flush_code(m, a->base, a->size);
	struct mb_mapping *mp = &m->maps[m->nmaps++];
	memset(mp, 0, sizeof(*mp));
	mp->addr = a->base;
	mp->size = a->size;
	mp->prot = a->perm;
	mp->ever_exec = (a->perm & MB_PERM_X) != 0;
	mp->fixed = fixed;
	mp->in_uc = now;
	mp->used = ++m->map_clock;
	m->uc_regions += now;
	snprintf(mp->name, sizeof(mp->name), "%s", a->name);
	forget_freed(m, a->base, a->size);
	if (a->perm & MB_PERM_X) {
		if (scan_hazards(m, mp, a, a->base, a->size, err) != 0) {
			drop_hazards(m, mp, a->base, a->size);
			mb_mapping_free(mp);
			mb_snap_untrack(&m->snap, a->host);
			if (now)
				uc_mem_unmap(m->uc, a->base, a->size);
			m->uc_regions -= now;
			m->nmaps--;
			return -1;
		}
	}
	return 0;
}

static void obs_released(void *ctx, const struct mb_space_arena *a)
{
	struct mb_machine *m = ctx;
	struct mb_mapping *mp = mapping_at(m, a->base);
	if (!mp)
		return;
	mb_flush_code(m, a->base, a->size);
	drop_hazards(m, mp, a->base, a->size);
	mb_snap_untrack(&m->snap, a->host);
	if (mp->in_uc) {
		uc_mem_unmap(m->uc, a->base, a->size);
		m->uc_regions -= mp->ncuts + 1;
	}
	mb_mapping_free(mp);
	*mp = m->maps[--m->nmaps];
}

static int obs_protected(void *ctx, const struct mb_space_arena *a, uint64_t base, uint64_t size,
			 unsigned perm, struct mb_err *err)
{
	struct mb_machine *m = ctx;
	struct mb_mapping *mp = mapping_at(m, a->base);
	/* A split that does not fit: the arena leaves Unicorn until touched
	 * (a fixed one splits anyway; there are few). */
	size_t more = mp && mp->in_uc ? new_cuts(mp, base, size) : 0;
	if (more && !mp->fixed && m->uc_regions + more > (mp->on_touch ? m->uc_region_max : eager_max(m)))
		evict(m, mp);
	if (!mp || mp->in_uc) {
		uc_err e = uc_mem_protect(m->uc, base, size, to_uc_prot(perm));
		if (e != UC_ERR_OK)
			return mb_fail(err, a->name, NULL, "cannot protect [0x%" PRIx64 ", 0x%" PRIx64 "): %s",
				       base, base + size, uc_strerror(e));
	}
	if (mp && mp->in_uc) {
		m->uc_regions += more;
		if (add_cut(mp, base) != 0 || add_cut(mp, base + size) != 0)
			evict(m, mp);  /* out of memory for its cuts: counted high, never low */
	}
	/* Revoking exec does not reach already-translated blocks: drop them. */
	mb_flush_code(m, base, size);
	if (mp && (perm & MB_PERM_X) && scan_hazards(m, mp, a, base, size, err) != 0)
		return -1;
	if (mp) {
		mp->prot = perm;
		mp->ever_exec |= (perm & MB_PERM_X) != 0;
	}
	return 0;
}

void mb_machine_mark_freed_init(struct mb_machine *m, uint64_t addr, uint64_t size)
{
	if (!size)
		return;
	struct mb_freed *n = m->nfreed == m->freedcap
		? realloc(m->freed, (m->freedcap ? 2 * m->freedcap : 8) * sizeof(*n)) : m->freed;
	if (!n)
		return;
	if (m->nfreed == m->freedcap)
		m->freedcap = m->freedcap ? 2 * m->freedcap : 8;
	m->freed = n;
	m->freed[m->nfreed++] = (struct mb_freed){ addr, size };
}

bool mb_machine_is_freed(const struct mb_machine *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nfreed; i++)
		if (addr >= m->freed[i].addr && addr - m->freed[i].addr < m->freed[i].size)
			return true;
	return false;
}

size_t mb_machine_nmaps(const struct mb_machine *m)
{
	return m->nmaps;
}

bool mb_machine_is_mapped(const struct mb_machine *m, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < m->nmaps; i++)
		if (m->maps[i].addr < addr + size && addr < m->maps[i].addr + m->maps[i].size)
			return true;
	return false;
}

int mb_machine_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len, struct mb_err *err)
{
	if (uc_mem_read(m->uc, addr, buf, len) != UC_ERR_OK &&
	    (!map_touched(m, addr, len) || uc_mem_read(m->uc, addr, buf, len) != UC_ERR_OK))
		return mb_fail(err, NULL, NULL, "cannot read %zu bytes at 0x%" PRIx64 ": not mapped", len, addr);
	return 0;
}

int mb_machine_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len,
		     struct mb_err *err)
{
	if (uc_mem_write(m->uc, addr, buf, len) != UC_ERR_OK &&
	    (!map_touched(m, addr, len) || uc_mem_write(m->uc, addr, buf, len) != UC_ERR_OK))
		return mb_fail(err, NULL, NULL, "cannot write %zu bytes at 0x%" PRIx64 ": not mapped", len, addr);
	return 0;
}

/* ---- guest-permission access for host implementations ---------------------- */

static int guest_access(struct mb_machine *m, uint64_t addr, size_t len, unsigned need,
			const char *access)
{
	uint64_t page = m->space->page_size;
	for (uint64_t a = addr; len && a - addr < len; a = (a | (page - 1)) + 1) {
		unsigned perm = mb_space_perm(m->space, a);
		if ((perm & need) == need)
			continue;
		enum mb_fault_kind kind = MB_FAULT_UNMAPPED;
		if (perm != MB_PERM_NONE)
			kind = (need & MB_PERM_W) ? MB_FAULT_WRITE_PROTECT : MB_FAULT_UNMAPPED;
		else if (mb_machine_is_freed(m, a))
			kind = MB_FAULT_FREED_INIT;
		mb_run_fault(m, kind, 0, true, a, access, "%s of %zu bytes at 0x%" PRIx64 " by a kernel function",
			     access, len, addr);
		return -1;
	}
	return 0;
}

/* The bytes from addr up to the end of its page, at most max. */
static size_t page_rest(const struct mb_machine *m, uint64_t addr, size_t max)
{
	uint64_t rest = ((addr | (m->space->page_size - 1)) + 1) - addr;
	return rest < max ? (size_t)rest : max;
}

static void copy_guest(struct mb_machine *m, uint64_t addr, void *buf, const void *src, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = page_rest(m, a, len - done);
		uint8_t *h = mb_space_host(m->space, a, chunk);
		if (src)
			memcpy(h, (const uint8_t *)src + done, chunk);
		else
			memcpy((uint8_t *)buf + done, h, chunk);
		done += chunk;
	}
}

int mb_guest_read(struct mb_machine *m, uint64_t addr, void *buf, size_t len)
{
	if (guest_access(m, addr, len, MB_PERM_R, "read") != 0)
		return -1;
	copy_guest(m, addr, buf, NULL, len);
	return 0;
}

int mb_guest_write(struct mb_machine *m, uint64_t addr, const void *buf, size_t len)
{
	if (guest_access(m, addr, len, MB_PERM_W, "write") != 0)
		return -1;
	copy_guest(m, addr, NULL, buf, len);
	return 0;
}

/* Byte by byte in effect (a fault names the first byte that cannot be read,
 * as a one-byte read there), but looked up once per page: host functions
 * that walk strings (name hashes, strlen) spent most of a KUnit run in a
 * permission lookup per byte. */
int mb_guest_read_each(struct mb_machine *m, uint64_t addr, void *buf, size_t len)
{
	for (size_t done = 0, n; done < len; done += n) {
		n = page_rest(m, addr + done, len - done);
		if (guest_access(m, addr + done, 1, MB_PERM_R, "read") != 0)
			return -1;
		copy_guest(m, addr + done, (uint8_t *)buf + done, NULL, n);
	}
	return 0;
}

long mb_guest_strnlen(struct mb_machine *m, uint64_t addr, size_t max)
{
	for (size_t done = 0, n; done < max; done += n) {
		n = page_rest(m, addr + done, max - done);
		if (guest_access(m, addr + done, 1, MB_PERM_R, "read") != 0)
			return -1;
		const uint8_t *h = mb_space_host(m->space, addr + done, n);
		const uint8_t *nul = memchr(h, 0, n);
		if (nul)
			return (long)(done + (size_t)(nul - h));
	}
	return (long)max;
}


void mb_mirror_observer(struct mb_machine *m, struct mb_space_observer *o)
{
	*o = (struct mb_space_observer){ m, obs_created, obs_released, obs_protected };
}
