#!/usr/bin/env bash
# Boot a real kernel under QEMU (TCG) with an initramfs whose /init (init.c)
# loads the listed modules in order and prints where the kernel put them;
# the serial console goes to OUTFILE. Exit 0 when the report's end marker
# was seen, 1 on a failed boot, 77 when QEMU, a cross compiler, cpio or the
# kernel cannot be had (1 instead when MODBED_REQUIRE_EVIDENCE=1).
#
# usage: boot.sh ARCH KERNEL MODULE_LIST OUTFILE [MODULE_ROOT]
#   ARCH         x86_64, arm64 or powerpc32
#   KERNEL       a kernel image, or a folder (or a shell pattern naming
#                folders, newest first) holding one vmlinuz-* or vmlinux
#   MODULE_LIST  module paths relative to MODULE_ROOT, in load order; ALL:
#                every module under MODULE_ROOT, dependencies first
#   MODULE_ROOT  default: KERNEL's folder + /kernel (the corpus layout),
#                else KERNEL's folder + /modules (the kbuild layout)
# Next to OUTFILE it writes OUTFILE.modules (the list booted), OUTFILE.root
# (MODULE_ROOT) and OUTFILE.kernel (the kernel's path) for compare.py.
# The boot output is cached under ${MODBED_CACHE:-~/.cache/modbed}/oracle/,
# keyed by the kernel's, the modules' and init.c's hashes and the QEMU
# command, so a second run with the same inputs does not boot again.
# MODBED_ORACLE_TIMEOUT: seconds before QEMU is killed (default 900).
set -uo pipefail
SKIP=77
here=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: boot.sh ARCH KERNEL MODULE_LIST OUTFILE [MODULE_ROOT]" >&2; exit 2; }
if [ $# -lt 4 ] || [ $# -gt 5 ]; then usage; fi
arch=$1 kernel=$2 list=$3 out=$4 root=${5:-}
# No stale report may outlive a skipped or failed boot.
rm -f "$out" "$out.modules" "$out.root" "$out.kernel"

# A missing prerequisite skips, unless the run demands evidence.
missing() {
	if [ "${MODBED_REQUIRE_EVIDENCE:-0}" = 1 ]; then
		echo "boot.sh: $arch: MODBED_REQUIRE_EVIDENCE=1 but $* cannot be had" >&2
		exit 1
	fi
	echo "boot.sh: $arch: skipped: $* cannot be had" >&2
	exit $SKIP
}
die() { echo "boot.sh: $arch: $*" >&2; exit 1; }

# Per arch: the compiler for init, the QEMU machine and the console device.
case $arch in
x86_64)
	cc=gcc; [ "$(uname -m)" = x86_64 ] || cc=x86_64-linux-gnu-gcc
	qemu=(qemu-system-x86_64 -M pc -cpu max -m 1024 -smp 1 -nodefaults)
	console=ttyS0 ;;
arm64)
	cc=aarch64-linux-gnu-gcc
	qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57 -m 1024 -smp 1 -nodefaults)
	console=ttyAMA0 ;;
powerpc32)
	cc=powerpc-linux-gnu-gcc
	qemu=(qemu-system-ppc -M mac99 -cpu G4 -m 512 -smp 1)
	# pmac_zilog names its ports ttyS with SERIAL_PMACZILOG_TTYS (as
	# pmac32_defconfig sets it), else ttyPZ; whichever registers is used.
	console="ttyPZ0 console=ttyS0" ;;
*) usage ;;
esac

command -v "${qemu[0]}" >/dev/null || missing "${qemu[0]}"
command -v "$cc" >/dev/null || missing "$cc"
command -v cpio >/dev/null || missing cpio
# A folder or pattern names the kernel by its usual file names.
if [ ! -f "$kernel" ]; then
	found=
	# The pattern is meant to expand; the newest match wins.
	# shellcheck disable=SC2086
	for d in $kernel; do
		for f in "$d"/vmlinuz-* "$d"/vmlinux; do
			if [ -f "$f" ] && { [ -z "$found" ] || [ "$f" -nt "$found" ]; }; then found=$f; fi
		done
	done
	[ -n "$found" ] || missing "a kernel in $kernel"
	kernel=$found
fi
[ -r "$kernel" ] || missing "kernel $kernel"
[ "$list" = ALL ] || [ -r "$list" ] || die "$list: cannot read the module list"
if [ -z "$root" ]; then
	root=$(dirname "$kernel")/kernel
	[ -d "$root" ] || root=$(dirname "$kernel")/modules
fi
[ -d "$root" ] || missing "module folder $root"

cache=${MODBED_CACHE:-$HOME/.cache/modbed}/oracle
mkdir -p "$cache" || die "$cache: cannot create"

# The modules in list order (comments and blank lines ignored).
if [ "$list" = ALL ]; then
	command -v python3 >/dev/null || missing python3
	mapfile -t mods < <(find "$root" -name '*.ko' -printf '%f\n' | sed 's/\.ko$//' |
		python3 "$here/pick_modules.py" "$root" /dev/stdin) || die "$root: cannot order the modules"
else
	mapfile -t mods < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$list")
fi
[ ${#mods[@]} -gt 0 ] || die "$list: no modules listed"
for m in "${mods[@]}"; do
	[ -r "$root/$m" ] || die "$root/$m: listed in $list but missing"
done

append="console=$console nokaslr panic=-1 loglevel=1"

# init: cached per source and compiler.
init_key=$( { cat "$here/init.c"; "$cc" --version | head -1; } | sha256sum | cut -c1-16)
init=$cache/init-$arch-$init_key
if [ ! -x "$init" ]; then
	"$cc" -static -O2 -Wall -Wextra -Werror -o "$init.tmp" "$here/init.c" || die "init.c does not build with $cc"
	mv "$init.tmp" "$init"
fi

# The boot's key: kernel, each module's bytes in order, init, QEMU command.
key=$( {
	sha256sum <"$kernel"
	for m in "${mods[@]}"; do printf '%s ' "$m"; sha256sum <"$root/$m"; done
	echo "$init_key ${qemu[*]} $append"
} | sha256sum | cut -c1-24)
cached=$cache/boot-$arch-$key.log
end_marker='=== MODBED ORACLE END ==='
{ printf '%s\n' "${mods[@]}" >"$out.modules" && echo "$root" >"$out.root" && echo "$kernel" >"$out.kernel"; } ||
	die "$out: cannot write"
if [ -s "$cached" ] && grep -q "$end_marker" "$cached"; then
	cp "$cached" "$out" || die "$out: cannot write"
	echo "boot.sh: $arch: cached boot output $cached"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/m"
cp "$init" "$tmp/root/init"
for m in "${mods[@]}"; do
	mkdir -p "$tmp/root/m/$(dirname "$m")"
	cp "$root/$m" "$tmp/root/m/$m"
	echo "/m/$m"
done >"$tmp/root/modules.list"
(cd "$tmp/root" && find . -print | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 >"$tmp/initrd.cpio") ||
	die "cpio failed"

timeout=${MODBED_ORACLE_TIMEOUT:-900}
start=$(date +%s)
timeout -k 10 "$timeout" "${qemu[@]}" -display none -monitor none -no-reboot \
	-serial "file:$tmp/serial.log" -kernel "$kernel" -initrd "$tmp/initrd.cpio" -append "$append" \
	</dev/null >"$tmp/qemu.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
cp "$tmp/serial.log" "$out" 2>/dev/null || : >"$out"
if ! grep -q "$end_marker" "$out"; then
	[ $rc = 124 ] && echo "boot.sh: $arch: QEMU killed after ${timeout}s" >&2
	sed 's/^/qemu: /' "$tmp/qemu.out" >&2
	tail -20 "$out" | sed 's/^/console: /' >&2
	die "no end marker in the console output (QEMU exit $rc, ${secs}s); output in $out"
fi
cp "$out" "$cached.tmp" && mv "$cached.tmp" "$cached"
echo "boot.sh: $arch: booted and loaded ${#mods[@]} modules in ${secs}s ($(grep -c '^oracle: load .* ok' "$out") ok)"
