/* /init of the oracle initramfs: a real kernel loads the listed modules and
 * reports where it put them.
 *
 * Built static per arch (gcc, aarch64-linux-gnu-gcc, powerpc-linux-gnu-gcc),
 * so the three arches run the same program and need no busybox. It mounts
 * proc, sysfs and devtmpfs, loads every path in /modules.list in order with
 * finit_module(2) (one "load" line each: ok or the errno), then prints between
 * markers, for every module in load order, its /sys/module/NAME/sections/ files
 * and its /proc/modules line, then /proc/vmallocinfo, and powers off.
 *
 * Everything goes to the console; boot.sh captures the serial port. The
 * kernel's own console messages are silenced (console_loglevel 1) so that
 * they cannot cut into a report line; if a module fails, the kernel log is
 * printed after the report instead. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_MODULES 1024

static char *paths[MAX_MODULES];
static char names[MAX_MODULES][64];
static int nmod;

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("oracle: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* One line of a small file, without its newline ("" when unreadable). */
static void read_line(const char *path, char *buf, size_t n)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* The module's name as the kernel spells it: the file's base name without
 * .ko, '-' as '_' (KBUILD_MODNAME). */
static void module_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t len = strlen(b);
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = '\0';
	char *dot = strstr(out, ".ko");
	if (dot)
		*dot = '\0';
	for (char *c = out; *c; c++)
		if (*c == '-')
			*c = '_';
}

static void read_list(void)
{
	FILE *f = fopen("/modules.list", "r");
	char line[512];
	if (!f) {
		printf("oracle: no /modules.list: %s\n", strerror(errno));
		return;
	}
	while (nmod < MAX_MODULES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		paths[nmod] = strdup(line);
		module_name(line, names[nmod], sizeof(names[nmod]));
		nmod++;
	}
	fclose(f);
}

/* The lowest address of the module's init sections (its init block's
 * base; .symtab/.strtab live there too), 0 if none is listed. */
static unsigned long init_base(const char *name)
{
	char dir[256], path[512], val[128];
	unsigned long lo = 0;
	snprintf(dir, sizeof(dir), "/sys/module/%.63s/sections", name);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, ".init", 5) && strcmp(e->d_name, ".symtab") && strcmp(e->d_name, ".strtab"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		read_line(path, val, sizeof(val));
		unsigned long a = strtoul(val, NULL, 16);
		if (a && (!lo || a < lo))
			lo = a;
	}
	if (d)
		closedir(d);
	return lo & ~4095UL;
}

/* Whether a vmalloc area still starts at addr. */
static int area_live(unsigned long addr)
{
	char want[32], line[256];
	snprintf(want, sizeof(want), "0x%016lx-", addr);
	FILE *f = fopen("/proc/vmallocinfo", "r");
	int live = 0;
	while (f && !live && fgets(line, sizeof(line), f))
		live = !strncmp(line, want, strlen(want));
	if (f)
		fclose(f);
	return live;
}

/* 6.1 frees a module's init block from a work item after an RCU grace
 * period, so with back-to-back loads whether the next module may reuse
 * that range depends on timing (two boots placed 43 and 54 of 149 cores
 * differently). Waiting until the block is gone makes the placement a
 * function of the load order alone: every init block is freed before the
 * next load, as modbed's runtime does. */
static void wait_init_freed(const char *name)
{
	unsigned long base = init_base(name);
	int ms = 0;
	while (base && area_live(base) && ms < 10000) {
		usleep(2000);
		ms += 2;
	}
	if (base && area_live(base))
		printf("oracle: %s: init block 0x%lx still allocated after 10 s\n", name, base);
	/* vfree() takes the area off the list before it purges the lazy
	 * mappings that keep the range busy; let the worker finish. */
	usleep(20000);
}

static int load_all(void)
{
	int failed = 0;
	for (int i = 0; i < nmod; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		long rc = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (rc == 0) {
			printf("oracle: load %s %s ok\n", names[i], paths[i]);
			wait_init_freed(names[i]);
		} else {
			printf("oracle: load %s %s failed %d %s\n", names[i], paths[i], e, strerror(e));
			failed++;
		}
		fflush(stdout);
	}
	return failed;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_sections(const char *name)
{
	char dir[256], path[512], val[128];
	snprintf(dir, sizeof(dir), "/sys/module/%.63s/sections", name);
	DIR *d = opendir(dir);
	if (!d) {
		printf("nosections %s %s\n", name, strerror(errno));
		return;
	}
	char *ents[4096];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ents[n++] = strdup(e->d_name);
	closedir(d);
	qsort(ents, (size_t)n, sizeof(ents[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]);
		read_line(path, val, sizeof(val));
		printf("section %s %s %s\n", name, ents[i], val);
		free(ents[i]);
	}
}

static void print_proc_modules(const char *name)
{
	FILE *f = fopen("/proc/modules", "r");
	char line[1024];
	size_t len = strlen(name);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ')
			printf("procmodules %s", line);
	if (f)
		fclose(f);
}

static void cat(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	if (!f) {
		printf("oracle: cannot read %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* Which kptr_restrict shows real addresses where (printed, not assumed):
 * the first module's .text section and the first vmallocinfo line under 0,
 * 1 and 2. */
static void probe_kptr(void)
{
	char path[256], val[128], vline[256];
	for (int k = 0; k <= 2; k++) {
		char s[4];
		snprintf(s, sizeof(s), "%d", k);
		write_file("/proc/sys/kernel/kptr_restrict", s);
		val[0] = '\0';
		if (nmod) {
			snprintf(path, sizeof(path), "/sys/module/%s/sections/.text", names[0]);
			read_line(path, val, sizeof(val));
		}
		read_line("/proc/vmallocinfo", vline, sizeof(vline));
		printf("kptr_restrict %d section %s vmallocinfo %s\n", k, val, vline);
	}
}

int main(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* Without /dev/console in the archive the kernel gave us no stdout;
	 * devtmpfs provides one, else (a kernel without DEVTMPFS) make it. */
	if (fcntl(1, F_GETFD) < 0) {
		if (access("/dev/console", F_OK) != 0)
			mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	write_file("/proc/sys/kernel/printk", "1");
	struct utsname u;
	if (uname(&u) == 0)
		printf("oracle: kernel %s %s %s\n", u.release, u.version, u.machine);
	/* Real addresses in vmallocinfo while loading (wait_init_freed()). */
	write_file("/proc/sys/kernel/kptr_restrict", "1");
	read_list();
	int failed = load_all();
	probe_kptr();
	/* 1: real addresses for a CAP_SYSLOG reader everywhere (%pK in
	 * vmallocinfo, kallsyms_show_value() for sections and /proc/modules);
	 * 0 hashes %pK. */
	write_file("/proc/sys/kernel/kptr_restrict", "1");
	printf("=== MODBED ORACLE BEGIN ===\n");
	printf("failed %d of %d\n", failed, nmod);
	for (int i = 0; i < nmod; i++) {
		printf("module %s %s\n", names[i], paths[i]);
		print_sections(names[i]);
		print_proc_modules(names[i]);
	}
	cat("/proc/vmallocinfo", "vmalloc ");
	if (failed) {
		int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
		char *buf = n > 0 ? malloc((size_t)n + 1) : NULL;
		int got = buf ? klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n) : -1;
		if (got > 0) {
			buf[got] = '\0';
			for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
				printf("dmesg %s\n", l);
		}
	}
	printf("=== MODBED ORACLE END ===\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* reboot() does not return; if it did, the kernel must not panic on
	 * init exit before QEMU's timeout takes the machine down. */
	for (;;)
		pause();
}
