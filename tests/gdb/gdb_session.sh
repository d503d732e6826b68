#!/usr/bin/env bash
# gdb-multiarch drives modbed's GDB stub in batch mode on one arch: stop
# before the call, break in a module function, read an argument register,
# single-step, read module text, write and read back stack memory, continue
# to the end. Every value is checked against an independent source: GDB's
# own reading of the module's symbols (placed by the add-symbol-file line),
# llvm-objdump of the same .ko, and the host's arithmetic for tr_rec.
# usage: gdb_session.sh MODBED GDB LLVM-OBJDUMP ARCH MODULE.ko
set -u
M=$1 GDB=$2 OBJDUMP=$3 ARCH=$4 KO=$5
case $ARCH in
x86_64)    GARCH=i386:x86-64;   ARG=rdi; ENDIAN=little ;;
arm64)     GARCH=aarch64;       ARG=x0;  ENDIAN=little ;;
powerpc32) GARCH=powerpc:common; ARG=r3; ENDIAN=big ;;
*) echo "unknown arch $ARCH"; exit 2 ;;
esac
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
check() { # name got want
	if [ "$2" != "$3" ]; then echo "FAIL: $ARCH: $1: got '$2', want '$3'"; fail=$((fail+1)); else echo "ok: $1 = $2"; fi
}
# Starts `modbed call` on FUNC ARG behind the stub in the background (stdout
# in $tmp/outSUFFIX, stderr in $tmp/errSUFFIX) and waits for its port.
serve() { # SUFFIX FUNC ARG
	timeout 120 "$M" call --arch "$ARCH" --no-init --gdb 127.0.0.1:0 "$KO" -- "$2" "$3" >"$tmp/out$1" 2>"$tmp/err$1" &
	pid=$!
	for _ in $(seq 200); do grep -q "listening on port" "$tmp/err$1" && break; sleep 0.05; done
	port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$tmp/err$1")
}
# gdb in batch mode, attached to the stub with the module's symbols; the
# arguments are its further -ex commands.
attach() {
	timeout 120 "$GDB" -nx -batch \
		-ex 'set pagination off' -ex 'set confirm off' \
		-ex "set architecture $GARCH" -ex "set endian $ENDIAN" \
		-ex "$addsym" \
		-ex "target remote 127.0.0.1:$port" \
		"$@"
}

# The stub refuses addresses other than loopback.
"$M" call --arch "$ARCH" --no-init --gdb 192.0.2.1:1234 "$KO" -- tr_rec 1 >/dev/null 2>"$tmp/refuse"
check "non-loopback --gdb exit status" "$?" 2
grep -q "not a loopback address" "$tmp/refuse" || { echo "FAIL: refusal message: $(cat "$tmp/refuse")"; fail=$((fail+1)); }

N=5
serve "" tr_rec $N
addsym=$(grep '^add-symbol-file' "$tmp/err")
[ -n "$port" ] && [ -n "$addsym" ] || { echo "FAIL: no port/add-symbol-file line: $(cat "$tmp/err")"; exit 1; }

attach \
	-ex 'printf "START %lx\n", $pc' \
	-ex 'printf "SYM %lx\n", (unsigned long)&tr_rec' \
	-ex 'break tr_rec' \
	-ex 'info breakpoints' \
	-ex 'delete' \
	-ex 'break *tr_rec' \
	-ex 'continue' \
	-ex "printf \"ARG %ld\\n\", \$$ARG" \
	-ex 'stepi' \
	-ex 'printf "STEP %lx\n", $pc' \
	-ex 'x/4xb (char *)&tr_sum' \
	-ex 'set {int}($sp - 64) = 0x12345678' \
	-ex 'printf "MEM %x\n", {int}($sp - 64)' \
	-ex 'info registers' \
	-ex 'delete' \
	-ex 'continue' >"$tmp/gdb" 2>&1
wait "$pid"
status=$?
pid=

field() { sed -n "s/^$1 \([0-9a-fx-]*\)$/\1/p" "$tmp/gdb" | head -1; }
sym=$(field SYM)
check "stop before the first instruction" "$(field START)" "$sym"
check "break tr_rec resolves inside tr_rec" \
	"$(grep -c "in tr_rec\|<tr_rec+" "$tmp/gdb" | awk '{print ($1>0)?"yes":"no"}')" yes
check "argument of the recursive call" "$(field ARG)" $((N - 1))

# llvm-objdump: size of tr_rec's first instruction, first bytes of tr_sum.
dis=$("$OBJDUMP" -d --section=.text "$KO")
first2=$(awk '/<tr_rec>:/{f=1;next} f&&/^ *[0-9a-f]+:/{sub(":","",$1); print $1; if(++n==2) exit}' <<<"$dis")
o1=$(sed -n 1p <<<"$first2"); o2=$(sed -n 2p <<<"$first2")
check "stepi advances one instruction" "$(field STEP)" "$(printf '%x' $((0x$sym + 0x$o2 - 0x$o1)))"
want=$(awk '/<tr_sum>:/{f=1;next} f&&/^ *[0-9a-f]+:/{for(i=2;i<=NF&&n<4;i++) if($i ~ /^[0-9a-f][0-9a-f]$/){printf "0x%s ", $i; n++} if(n>=4) exit}' <<<"$dis")
got=$(grep '<tr_sum>:' "$tmp/gdb" | head -1 | sed 's/.*<tr_sum>:[[:space:]]*//' | tr -s '\t ' '  ')
check "module text read through the stub" "${got% }" "${want% }"
check "stack write read back" "$(field MEM)" 12345678
result=0
for ((k = 1; k <= N; k++)); do result=$((result + k)); done
check "return value on gdb's console" "$(grep -o 'tr_rec returned 0x[0-9a-f]*' "$tmp/gdb")" "tr_rec returned $(printf '0x%x' $result)"
check "exit code" "$(grep -o 'exited with code [0-7]*' "$tmp/gdb")" "exited with code $(printf '0%o' $result)"
check "modbed's own result" "$(grep -o '^tr_rec = 0x[0-9a-f]*' "$tmp/out")" "tr_rec = $(printf '0x%x' $result)"
check "modbed exit status" "$status" 0
# A fault is a signal stop at the faulting instruction; continuing ends the
# session with the signal, and modbed exits 3.
serve 2 tr_fault_outer 1
attach \
	-ex 'continue' \
	-ex 'info symbol $pc' \
	-ex 'continue' >"$tmp/gdb2" 2>&1
wait "$pid"
status=$?
pid=
check "fault stop signal" "$(grep -o 'received signal SIG[A-Z]*' "$tmp/gdb2" | head -1)" "received signal SIGSEGV"
check "fault pc in the faulting function" "$(grep -o '^tr_fault_inner\( + [0-9]*\)\? in section .text' "$tmp/gdb2" | sed 's/ + [0-9]*//')" \
	"tr_fault_inner in section .text"
check "session ends with the signal" "$(grep -o 'terminated with signal SIG[A-Z]*' "$tmp/gdb2")" \
	"terminated with signal SIGSEGV"
check "modbed exit status after a fault" "$status" 3
cat "$tmp/gdb2" >>"$tmp/gdb"

# A kill from gdb, and gdb going away, stop the run: not a guest fault (no
# oops, not exit 3) but exit 1 with one line saying what stopped it.
# stopped_by N WHAT: run N ended by gdb (not a guest fault): exit 1 and one
# line "tr_rec: run stopped: WHAT", no oops.
stopped_by() {
	wait "$pid"
	local status=$?
	pid=
	check "modbed exit status after $2" "$status" 1
	check "$2 message" "$(grep -c "tr_rec: run stopped: $2\$" "$tmp/err$1")" 1
	check "no oops after $2" "$(grep -c 'cut here\|guest fault' "$tmp/err$1")" 0
}
serve 3 tr_rec 1
attach -ex 'kill' >"$tmp/gdb3" 2>&1
stopped_by 3 "killed by gdb"
serve 4 tr_rec 1
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$port"
stopped_by 4 "gdb disconnected"

if [ "$fail" != 0 ]; then
	echo "---- gdb output"; cat "$tmp/gdb"; echo "---- modbed stderr"; cat "$tmp/err"
fi
echo "$ARCH: $fail failed"
[ "$fail" = 0 ]
