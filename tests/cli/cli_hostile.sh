#!/usr/bin/env bash
# Hostile input through the modbed binary, each case with its own input:
# the exit status and a message naming the cause (substring), never a
# silent success.
# usage: cli_hostile.sh MODBED MODULE_DIR
M=$1 mods=$2
K=$mods/x86_64/run_work.ko
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# expect STATUS STDERR-SUBSTRING ARGS...   (stdout discarded)
expect() {
	local want=$1 text=$2; shift 2
	local err; err=$("$M" "$@" 2>&1 >/dev/null); local got=$?
	if [ "$got" != "$want" ] || ! grep -qF -- "$text" <<<"$err"; then
		echo "FAIL: modbed $*: exit $got (want $want), stderr: $err"; fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
# expect_out STATUS STDERR-SUBSTRING OUTFILE ARGS...   (stdout to OUTFILE)
expect_out() {
	local want=$1 text=$2 out=$3; shift 3
	local err; err=$("$M" "$@" 2>&1 >"$out"); local got=$?
	if [ "$got" != "$want" ] || ! grep -qF -- "$text" <<<"$err"; then
		echo "FAIL: modbed $* >$out: exit $got (want $want), stderr: $err"; fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

# expect_stdout STATUS STDOUT-SUBSTRING ARGS...
expect_stdout() {
	local want=$1 text=$2; shift 2
	local out; out=$("$M" "$@" 2>&1); local got=$?
	if [ "$got" != "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
		echo "FAIL: modbed $*: exit $got (want $want), output: $out"; fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

# Numbers: nothing but an optional '-' before the digits; limits unsigned.
expect 2 "' -5' is not an argument" call "$K" -- str_len " -5"
expect 2 "' 5' is not an argument" call "$K" -- str_len " 5"
expect 2 "'+5' is not an argument" call "$K" -- str_len "+5"
expect 2 "--budget takes a non-negative integer, not '-1'" call --budget -1 "$K" -- str_len 0
expect 2 "--timeout takes a non-negative integer, not '-5'" call --timeout -5 "$K" -- str_len 0
expect 2 "out: needs a size" call "$K" -- str_len out:-1

# buf:@PATH: a directory, a read error, the size limit's edge.
expect 1 "$tmp: is a directory, not a buffer file" call "$K" -- str_len "buf:@$tmp"
expect 1 "/proc/self/mem: read error: Input/output error" call "$K" -- str_len buf:@/proc/self/mem
truncate -s 67108864 "$tmp/limit"
truncate -s 67108865 "$tmp/over"
# exactly the limit passes the reader; the 16 MiB guest heap then says no
expect 1 "guest heap full: cannot allocate 67108864 bytes" call "$K" -- str_len "buf:@$tmp/limit"
expect 1 "$tmp/over: buffer file larger than 67108864 bytes" call "$K" -- str_len "buf:@$tmp/over"
rm -f "$tmp/limit" "$tmp/over"

# Output that cannot be written is an error, whatever the command.
expect_out 1 "standard output: write error: No space left on device" /dev/full load "$K"
expect_out 1 "standard output: write error: No space left on device" /dev/full call "$K" -- str_len str:abc
expect_out 1 "standard output: write error: No space left on device" /dev/full trace "$K" -- str_len str:abc
expect 1 "/dev/full: cannot write the trace: No space left on device" trace --output /dev/full "$K" -- str_len str:abc

# Directory symlink loops: one module in a folder with sub/up -> .. and a
# second link to the module itself is one module, for corpus and --modpath.
mkdir -p "$tmp/loop/sub"
cp "$mods/x86_64/mp_lib.ko" "$tmp/loop/"
ln -s .. "$tmp/loop/sub/up"
ln -s ../mp_lib.ko "$tmp/loop/sub/again.ko"
expect_stdout 0 "corpus: 1 x86_64 modules under $tmp/loop" corpus "$tmp/loop"
expect_stdout 0 "1 of 1 modules loaded, 0 failed" corpus "$tmp/loop"
n=$("$M" load --modpath "$tmp/loop" "$mods/x86_64/mp_user.ko" 2>&1 | grep -c '^module ')
[ "$n" = 2 ] && pass=$((pass + 1)) || { echo "FAIL: --modpath over a symlink loop: $n modules loaded, want 2"; fail=$((fail + 1)); }

# A mixed tree: corpus takes the arch most of its modules are built for,
# unless --arch names another.
mkdir -p "$tmp/mixed"
cp "$mods/arm64/mp_lib.ko" "$mods/arm64/run_life.ko" "$tmp/mixed/"
cp "$mods/x86_64/mp_user.ko" "$tmp/mixed/x86-mp_user.ko"
expect_stdout 0 "corpus: 2 arm64 modules under $tmp/mixed" corpus "$tmp/mixed"
expect_stdout 0 "corpus: 1 x86_64 modules under $tmp/mixed" corpus --arch x86_64 "$tmp/mixed"
expect_stdout 0 "study builtin: 2 arm64 files" study builtin "$tmp/mixed"
expect 1 "$tmp/mixed/gone.ko: cannot open: No such file or directory" study builtin "$tmp/mixed/mp_lib.ko" "$tmp/mixed/gone.ko"

# Files that are not modules, or are damaged: the message says what is wrong.
L=$mods/x86_64/run_life.ko
head -c 8 "$L" >"$tmp/trunc8.ko"
expect 1 "trunc8.ko: ELF identification truncated: file has 8 bytes, needs 16" load "$tmp/trunc8.ko"
python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(100000)))' \
	>"$tmp/random.ko"
expect 1 "random.ko: not an ELF file (100000 bytes, no \177ELF magic)" load "$tmp/random.ko"
expect 1 "random.ko: not an ELF file (100000 bytes, no \177ELF magic)" load --arch x86_64 "$tmp/random.ko"
mkdir "$tmp/dir.ko"
expect 1 "dir.ko: is a directory, not a module file" load "$tmp/dir.ko"
expect 1 "dir.ko: is a directory, not a module file" load --arch x86_64 "$tmp/dir.ko"
: >"$tmp/empty.ko"
expect 1 "empty.ko: not an ELF file: the file is empty" load "$tmp/empty.ko"
# Section-header edits of an ELF64 little-endian object: NAME FIELD VALUE.
edit() {
	python3 - "$L" "$@" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = bytearray(open(src, "rb").read())
shoff, = struct.unpack_from("<Q", b, 40)
ent, num, strx = struct.unpack_from("<HHH", b, 58)
stroff, = struct.unpack_from("<Q", b, shoff + strx * ent + 24)
fields = {"flags|": (8, "<Q"), "size": (32, "<Q")}
for name, field, value in zip(sys.argv[3::3], sys.argv[4::3], sys.argv[5::3]):
    if name == "ehdr.machine":
        struct.pack_into("<H", b, 18, int(value, 0))
        continue
    for i in range(num):
        at = shoff + i * ent
        n, = struct.unpack_from("<I", b, at)
        if b[stroff + n:b.index(0, stroff + n)].decode() == name:
            off, fmt = fields[field]
            old, = struct.unpack_from(fmt, b, at + off)
            struct.pack_into(fmt, b, at + off, old | int(value, 0) if field.endswith("|") else int(value, 0))
open(out, "wb").write(b)
PY
}
edit "$tmp/zrela.ko" .rela.text "flags|" 0x800
expect 1 "zrela.ko: .rela.text: SHF_COMPRESSED: a compressed relocation section cannot be loaded" load "$tmp/zrela.ko"
edit "$tmp/zsym.ko" .symtab "flags|" 0x800
expect 1 "zsym.ko: .symtab: SHF_COMPRESSED: a compressed symbol table section cannot be loaded" load "$tmp/zsym.ko"
edit "$tmp/machine.ko" ehdr.machine x 183
expect 1 "is the ELF header's machine field (arm64) right for this object?" load "$tmp/machine.ko"
edit "$tmp/bsshuge.ko" .bss size 0xfffffffffffffff0
expect 1 "bsshuge.ko: section .bss (index 11): size 0xfffffffffffffff0 overflows its module memory type" load "$tmp/bsshuge.ko"
edit "$tmp/kstr0.ko" __ksymtab_strings size 0
expect 1 "kstr0.ko: __ksymtab: entry 0: name at 0x" load "$tmp/kstr0.ko"
expect 1 "is not inside __ksymtab_strings (size 0)" load "$tmp/kstr0.ko"

# A trace filter that names nothing loaded is a usage error, not an empty trace.
expect 2 "--filter nosuch:x: no loaded module named nosuch" trace --filter nosuch:x "$K" -- str_len str:ab
expect 2 "--filter run_work:nosuch: module run_work has no symbol nosuch" trace --filter run_work:nosuch "$K" -- str_len str:ab
expect_stdout 0 "run_work:str_len+0x0" trace --filter run_work:str_len "$K" -- str_len str:ab

# Trace recordings that are damaged: one error naming the file, exit 1.
R=$tmp/ok.rec
"$M" trace --record "$R" "$K" -- str_len str:abc >/dev/null
recpatch() {   # recpatch OUT WHAT: a copy of $R with one field changed
	python3 - "$R" "$@" <<'PY'
import sys
src, out, what = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
def le(p, n): return int.from_bytes(b[p:p + n], "little")
p = 20
for _ in range(le(16, 4)): p += 4 + le(p, 4)          # session arguments
for _ in range(3): p += 4 + le(p, 4)                  # arch, map, kernel
nmods_at = p; p += 4
for _ in range(le(nmods_at, 4)):
    for _ in range(2): p += 4 + le(p, 4)
    p += 24
call = p; p += 1; p += 4 + le(p, 4); p += 8 * 3 + 2 + 8
nblocks_at = p; stream = p + 16
if what == "magic": b[0:8] = b"MBTRACEX"
elif what == "version": b[8] = 2
elif what == "nargs": b[16:20] = (0xFFFFFFF0).to_bytes(4, "little")
elif what == "nmods": b[nmods_at:nmods_at + 4] = (1 << 30).to_bytes(4, "little")
elif what == "nblocks": b[nblocks_at:nblocks_at + 8] = (le(nblocks_at, 8) + 1).to_bytes(8, "little")
elif what == "ncalls": b[-4:] = (7).to_bytes(4, "little")
elif what == "pc": b[stream + 1] ^= 0x02    # first block's pc, +-1: still a valid stream
elif what == "tag": b[call] = ord("Z")
open(out, "wb").write(b)
PY
}
head -c 40 "$R" >"$tmp/trunc.rec"
expect 1 "trunc.rec: truncated or corrupted recording: argument count (at byte 20)" trace --show "$tmp/trunc.rec"
head -c $(( $(stat -c %s "$R") - 3 )) "$R" >"$tmp/trunc2.rec"
expect 1 "trunc2.rec: truncated or corrupted recording: call count" trace --show "$tmp/trunc2.rec"
: >"$tmp/empty.rec"
expect 1 "empty.rec: not a modbed trace recording (bad magic)" trace --show "$tmp/empty.rec"
expect 1 "$tmp/none.rec: cannot read: No such file or directory" trace --show "$tmp/none.rec"
# recpatch's cases: the field changed, what the error says.
while read -r what text; do
	recpatch "$tmp/$what.rec" "$what"
	expect 1 "$what.rec: $text" trace --show "$tmp/$what.rec"
done <<'CASES'
magic not a modbed trace recording (bad magic)
version recording format version 2; this modbed reads version 1
nargs truncated or corrupted recording: argument count (at byte 20)
nmods truncated or corrupted recording: module count
nblocks truncated or corrupted recording: block stream
ncalls corrupted recording: 1 calls, the end says 7
tag truncated or corrupted recording: call record tag
pc call 1 (str_len): the replay differs from the recording: instruction 0 is at 0x
CASES
expect 2 "--show and --record: one or the other" trace --show "$R" --record "$tmp/x.rec"
expect 2 "--record writes no trace: --output (to --show) and --gdb are not for it" \
	trace --record "$tmp/x.rec" --output "$tmp/x.txt" "$K" -- str_len str:abc
expect 2 "--filter nosuch: no loaded module named nosuch" trace --record "$tmp/x.rec" --filter nosuch "$K" -- str_len str:abc
expect 2 "not one 'call' takes" call --record "$tmp/x.rec" "$K" -- str_len str:abc
expect 1 "/nonexistent/x.rec: cannot write the recording: No such file or directory" trace --record /nonexistent/x.rec "$K" -- str_len str:abc
expect 1 "/dev/full: cannot write the recording: No space left on device" trace --record /dev/full "$K" -- str_len str:abc

# A runaway recursion runs into the guard page below the stack and says so.
for a in x86_64 arm64 powerpc32; do
	expect 3 "stack overflow: the guard page below the stack" call "$mods/$a/run_work.ko" -- fib 100000
	expect 3 "write of stack guard page (below the stack)+0x" call "$mods/$a/run_work.ko" -- fib 100000
done

# An unknown kernel data symbol: reading or writing it stops the call as an
# unresolved symbol naming it (it read the trap slot's instruction bytes and
# exited 0, or reported a write-protect fault); --strict-symbols refuses the
# load naming it.
for a in x86_64 arm64 powerpc32; do
	U=$mods/$a/run_unknown.ko
	expect 3 "read of unresolved kernel symbol modbed_unknown_data from run_unknown:read_unknown+0x" \
		call "$U" -- read_unknown
	expect 3 "write of unresolved kernel symbol modbed_unknown_data from run_unknown:write_unknown+0x" \
		call "$U" -- write_unknown 5
	expect 3 "guest fault: unresolved-symbol at run_unknown:write_unknown" call "$U" -- write_unknown 5
	expect 1 "1 undefined symbol found nowhere (--strict-symbols): modbed_unknown_data" \
		load --strict-symbols "$U"
done

# --system-map FILE (the booted kernel's _stext/_etext): a file that cannot
# be read or is not a System.map is refused naming the file; an image the
# map cannot hold is refused naming the reason. A good one moves ppc32's
# near window to _etext - 32 MiB (0xc0818000 - 32 MiB, hand computed).
P=$mods/powerpc32/run_work.ko
printf 'c0000000 T _stext\n' >"$tmp/nostext.map"
printf 'c0000000 T _stext\nc0818000 D _etext\n' >"$tmp/good.map"
printf 'c0818000 D _etext\n' >"$tmp/noetext.map"
printf 'c0818000 T _stext\nc0000000 D _etext\n' >"$tmp/back.map"
printf 'c0000000 T _stext\nc1800000 D _etext\n' >"$tmp/big.map"
expect 1 "modbed: $tmp/none.map: cannot read the System.map: No such file or directory" \
	load --no-init --system-map "$tmp/none.map" "$P"
expect 1 "modbed: $tmp/nostext.map: no _etext symbol (not a System.map?)" load --no-init --system-map "$tmp/nostext.map" "$P"
expect 1 "modbed: $tmp/noetext.map: no _stext symbol (not a System.map?)" load --no-init --system-map "$tmp/noetext.map" "$P"
expect 1 "modbed: $tmp/back.map: _stext 0xc0818000, _etext 0xc0000000: _etext is not above _stext" \
	load --no-init --system-map "$tmp/back.map" "$P"
expect 1 "_etext 0xc1800000: the kernel image [_stext, _etext) overlaps the map's scratch area" \
	corpus --system-map "$tmp/big.map" "$mods/powerpc32"
expect 1 "modbed: $tmp: read error" load --no-init --system-map "$tmp" "$P"
expect 2 "an option given is not one 'info' takes" info --system-map "$tmp/good.map" "$P"
expect_stdout 0 "text           0xbe818000" load --no-init --system-map "$tmp/good.map" "$P"
expect_stdout 0 "; System.map $tmp/good.map: _etext 0xc0818000)" load --no-init --system-map "$tmp/good.map" "$P"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
