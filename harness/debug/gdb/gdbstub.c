#include "harness/debug/gdb/gdbstub.h"

#include "arch/arch.h"
#include "arch/cpu.h"
#include "arch/debug.h"
#include "harness/debug/disasm.h"
#include "harness/machine/emu.h"
#include "harness/debug/gdb/gdbstub_session.h"
#include "harness/load/loader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct mb_gdb {
	const struct mb_arch *arch;
	int lfd, fd;
	uint16_t port;
	struct mb_gdb_session s;
	struct mb_machine *m;
	struct mb_disasm *d;
	const char *func;
	bool first;          /* stop before the next instruction (session start) */
	bool stepping;
	bool detached, killed;
	bool post_call;      /* serving after the call ended */
	bool faulted;
	uint64_t fault_pc;
	uint32_t poll_count;
};

/* GDB's own signal numbers (gdb/signals.def), which the protocol uses. */
enum { GDB_SIGINT = 2, GDB_SIGILL = 4, GDB_SIGTRAP = 5, GDB_SIGABRT = 6, GDB_SIGSEGV = 11,
       GDB_SIGSYS = 12, GDB_SIGALRM = 14, GDB_SIGXCPU = 24 };

int mb_gdb_fault_signal(int kind)
{
	switch (kind) {
	case MB_FAULT_WRITE_PROTECT:
	case MB_FAULT_FETCH_PROTECT:
	case MB_FAULT_UNMAPPED:
	case MB_FAULT_FREED_INIT:
		return GDB_SIGSEGV;
	case MB_FAULT_TRAP:
		return GDB_SIGILL;
	case MB_FAULT_UNRESOLVED_SYMBOL:
		return GDB_SIGSYS;
	case MB_FAULT_STACK_PROTECTOR:
		return GDB_SIGABRT;
	case MB_FAULT_BUDGET:
		return GDB_SIGXCPU;
	case MB_FAULT_TIMEOUT:
		return GDB_SIGALRM;
	default:
		return GDB_SIGTRAP;
	}
}

/* ---- the machine as a GDB target ---------------------------------------- */

static bool t_reg_get(void *ctx, size_t idx, uint64_t *val)
{
	struct mb_gdb *g = ctx;
	const struct mb_dbg_reg *r = &g->arch->debug->regs[idx];
	if (idx == g->arch->debug->pc_index && g->faulted) {
		*val = g->fault_pc; /* Unicorn 2.0.1 leaves the block start in pc */
		return true;
	}
	if (r->uc_reg < 0) {
		*val = 0;
		return true;
	}
	if (mb_cpu_reg_read(mb_machine_uc(g->m), g->arch->cpu, r->uc_reg, val) != UC_ERR_OK)
		return false;
	if (r->bits < 64)
		*val &= (1ull << r->bits) - 1;
	return true;
}

static bool t_reg_set(void *ctx, size_t idx, uint64_t val)
{
	struct mb_gdb *g = ctx;
	const struct mb_dbg_reg *r = &g->arch->debug->regs[idx];
	if (r->uc_reg < 0 || g->post_call)
		return r->uc_reg < 0; /* after the call nothing runs again */
	return mb_cpu_reg_write(mb_machine_uc(g->m), g->arch->cpu, r->uc_reg, val) == UC_ERR_OK;
}

static bool t_mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct mb_gdb *g = ctx;
	struct mb_err err;
	return mb_machine_read(g->m, addr, buf, len, &err) == 0;
}

static bool t_mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct mb_gdb *g = ctx;
	struct mb_err err;
	if (mb_machine_write(g->m, addr, buf, len, &err) != 0)
		return false;
	/* The write may have been code: translated blocks and decodes of it
	 * are stale now. */
	mb_machine_code_changed(g->m, addr, len);
	if (g->d)
		mb_disasm_forget(g->d, addr, len);
	return true;
}

/* ---- listening ------------------------------------------------------------ */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int mb_gdb_listen(struct mb_gdb **out, const char *hostport, bool any_address, const struct mb_arch *arch,
		  struct mb_err *err)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) || !colon[1])
		return mb_fail(err, NULL, NULL, "usage: --gdb %s: give HOST:PORT, e.g. 127.0.0.1:1234", hostport);
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:1234 */
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535)
		return mb_fail(err, NULL, NULL, "usage: --gdb %s: '%s' is not a TCP port", hostport, colon + 1);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0)
		return mb_fail(err, NULL, NULL, "usage: --gdb %s: cannot resolve '%s': %s", hostport, host, gai_strerror(rc));
	if (!is_loopback(ai->ai_addr) && !any_address) {
		freeaddrinfo(ai);
		return mb_fail(err, NULL, NULL,
			       "usage: --gdb %s: '%s' is not a loopback address; the stub gives full control of the "
			       "emulated machine, so only 127.0.0.1/::1 are allowed unless --gdb-any-address is given",
			       hostport, host);
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return mb_fail(err, NULL, NULL, "--gdb %s: cannot listen: %s", hostport, strerror(e));
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	struct mb_gdb *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		close(fd);
		return mb_fail(err, NULL, NULL, "out of memory for the gdb stub");
	}
	g->arch = arch;
	g->lfd = fd;
	g->fd = -1;
	g->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	*out = g;
	return 0;
}

uint16_t mb_gdb_port(const struct mb_gdb *g)
{
	return g->port;
}

int mb_gdb_accept(struct mb_gdb *g, unsigned timeout_ms, struct mb_err *err)
{
	struct pollfd p = { .fd = g->lfd, .events = POLLIN };
	int rc;
	do
		rc = poll(&p, 1, (int)timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		return mb_fail(err, NULL, NULL, "gdb: no debugger connected to port %u within %u s", g->port,
			       timeout_ms / 1000);
	g->fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (g->fd < 0)
		return mb_fail(err, NULL, NULL, "gdb: accept on port %u failed: %s", g->port, strerror(errno));
	struct mb_gdb_target tgt = { g, t_reg_get, t_reg_set, t_mem_read, t_mem_write };
	mb_gdb_session_init(&g->s, g->fd, g->arch, &tgt);
	g->first = true;
	return 0;
}

/* ---- running -------------------------------------------------------------- */

static void resume(struct mb_gdb *g, enum mb_gdb_resume r)
{
	g->stepping = r == MB_GDB_STEP;
	if (r == MB_GDB_DETACH)
		g->detached = true;
	if (r == MB_GDB_KILL) {
		g->killed = true;
		if (!g->post_call)
			mb_machine_stop(g->m, g->s.gone ? "gdb disconnected" : "killed by gdb");
	}
}

static void observe(void *ctx, struct mb_machine *m, uint64_t pc, uint32_t size)
{
	(void)m;
	(void)size;
	struct mb_gdb *g = ctx;
	if (g->detached || g->killed)
		return;
	bool interrupted = false;
	/* Ctrl-C from GDB: look for it now and then, not on every instruction. */
	if ((++g->poll_count & 0xffff) == 0)
		interrupted = mb_rsp_poll_interrupt(&g->s.rsp);
	if (!g->first && !g->stepping && !interrupted && !mb_gdb_has_breakpoint(&g->s, pc))
		return;
	const char *stop = g->first ? NULL : interrupted ? "S02" : "S05";
	g->first = false;
	resume(g, mb_gdb_serve(&g->s, stop));
}

void mb_gdb_call_begin(struct mb_gdb *g, struct mb_machine *m, struct mb_disasm *d, const char *func)
{
	g->m = m;
	g->d = d;
	g->func = func;
	g->faulted = false;
	g->post_call = false;
	if (!g->detached && !g->killed && g->fd >= 0)
		mb_machine_add_observer(m, observe, g);
}

void mb_gdb_call_end(struct mb_gdb *g, const struct mb_call_result *res, bool last)
{
	mb_machine_remove_observer(g->m, observe, g);
	if (g->detached || g->killed || g->fd < 0)
		return;
	g->post_call = true;
	char stop[16], console[600];
	if (res->faulted) {
		g->faulted = true;
		g->fault_pc = res->fault.pc;
		int sig = mb_gdb_fault_signal(res->fault.kind);
		snprintf(stop, sizeof(stop), "S%02x", sig);
		resume(g, mb_gdb_serve(&g->s, stop));
		if (g->killed || g->detached)
			return;
		snprintf(stop, sizeof(stop), "X%02x", sig);
		snprintf(console, sizeof(console), "modbed: %s faulted at %s: %s\n", g->func, res->fault.pc_sym,
			 res->fault.detail);
		mb_gdb_finish(&g->s, stop, console);
		g->killed = true;
		return;
	}
	/* Stepping off the end, or `finish` from the outermost frame (a
	 * breakpoint on the return address): one more stop, after the return. */
	uint64_t pc = 0;
	t_reg_get(g, g->arch->debug->pc_index, &pc);
	if (g->stepping || mb_gdb_has_breakpoint(&g->s, pc)) {
		resume(g, mb_gdb_serve(&g->s, "S05"));
		if (g->killed || g->detached)
			return;
	}
	if (!last)
		return;
	snprintf(stop, sizeof(stop), "W%02x", (unsigned)(res->ret & 0xff));
	snprintf(console, sizeof(console), "modbed: %s returned 0x%" PRIx64 " (%" PRId64 ")\n", g->func, res->ret,
		 (int64_t)res->ret);
	mb_gdb_finish(&g->s, stop, console);
	g->killed = true;
}

void mb_gdb_close(struct mb_gdb *g)
{
	if (g == NULL)
		return;
	if (g->m)
		mb_machine_remove_observer(g->m, observe, g);
	if (g->fd >= 0) {
		mb_gdb_session_fini(&g->s);
		close(g->fd);
	}
	close(g->lfd);
	free(g);
}

/* ---- symbols for GDB -------------------------------------------------------- */

void mb_gdb_print_symbol_files(FILE *f, const struct mb_loader *l)
{
	for (const struct mb_loaded_module *mod = l->modules; mod; mod = mod->next) {
		if (mod->path == NULL)
			continue;
		fprintf(f, "add-symbol-file %s", mod->path);
		for (size_t i = 0; i < mod->nsections; i++) {
			const struct mb_placed_section *s = &mod->sections[i];
			if (s->size == 0 || s->name == NULL)
				continue;
			/* Freed init sections are gone; GDB would show stale symbols. */
			if (mod->init_freed && mod_mem_type_is_init(s->type))
				continue;
			fprintf(f, " -s %s 0x%" PRIx64, s->name, s->addr);
		}
		fputc('\n', f);
	}
}
