#!/usr/bin/env bash
# usage: cli_canary.sh MODBED MODULES_DIR ARCH LLVM_OBJDUMP
# run_canary.ko, built with the kernel's stack protector flags: the code
# reads the canary where that arch's kernel keeps it (checked in llvm-objdump's
# disassembly), a safe call returns the value computed here, and a smashing
# call through `modbed call` exits 3 with a stack-protector fault whose pc is
# canary_copy's call to __stack_chk_fail (the relocation objdump shows).
M=$1 ko=$2/$3/run_canary.ko a=$3 OBJDUMP=$4
fail=0 n=0
check() { n=$((n+1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$OBJDUMP" -dr "$ko" >"$tmp/dis" || { echo "FAIL: objdump"; exit 1; }
# Canary loads per function (prologue and epilogue each read it).
case $a in
x86_64)    pat='movq[[:space:]]+%gs:40, %r' ;;           # %gs:40, fixed_percpu_data
arm64)     pat='ldr[[:space:]]+(x[0-9]+), \[\1, #1400\]' ;;  # sp_el0 + TSK_STACK_CANARY
powerpc32) pat='lwz [0-9]+, -28680\(2\)' ;;               # clang's r2 - 0x7008 TLS slot
esac
for fn in canary_copy canary_mix; do
	loads=$(awk -v f="<$fn>:" '$2 == f { on = 1; next } /^[0-9a-f]+ <.*>:$/ { on = 0 } on' "$tmp/dis" | grep -Ec "$pat")
	check "$fn reads the canary from the kernel's place twice" '[ "$loads" = 2 ]'
	if [ "$a" = arm64 ]; then
		sys=$(awk -v f="<$fn>:" '$2 == f { on = 1; next } /^[0-9a-f]+ <.*>:$/ { on = 0 } on' "$tmp/dis" | grep -Ec 'mrs[[:space:]]+x[0-9]+, SP_EL0')
		check "$fn takes the task pointer from sp_el0" '[ "$sys" = 2 ]'
	fi
done
# Offset of canary_copy's __stack_chk_fail relocation from the function start.
set -- $(awk '$2 == "<canary_copy>:" { base = $1; on = 1; next }
	     /^[0-9a-f]+ <.*>:$/ { on = 0 }
	     on && /__stack_chk_fail/ { sub(":", "", $1); print base, $1; exit }' "$tmp/dis")
check "objdump shows canary_copy calling __stack_chk_fail" '[ $# = 2 ]'
rel=$(( 16#${2:-0} - 16#${1:-0} ))

# Safe calls: canary_mix(a, b) = v[a & 3] * 7 + v[b & 3], v = { a, b, a ^ b, a - b }.
x=5 y=10
v=($x $y $((x ^ y)) $((x - y)))
want=$(( v[x & 3] * 7 + v[y & 3] ))
out=$("$M" call --json "$ko" -- canary_mix $x $y -- canary_copy s=str:abcdefghijklmnopqrstuvwxyz0123456789 24 \
	2>"$tmp/err"); st=$?
check "smash: exit 3" '[ $st = 3 ]'
check "canary_mix returns $want, then canary_copy faults as stack-protector at its __stack_chk_fail call" \
	'python3 - "$out" "$want" "$rel" <<'"'"'PY'"'"'
import json, sys
d, want, rel = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mix, cp = d["calls"]
assert mix["fault"] is None and int(mix["ret"], 16) in (want % (1 << 32), want % (1 << 64)), mix
f = cp["fault"]
assert cp["ret"] is None and f["kind"] == "stack-protector", cp
sym, off = f["pc_sym"].split("+")
assert sym == "run_canary:canary_copy", f
# The call instruction holds the relocated field: at its start (arm64, ppc32)
# or after the opcode byte (x86_64 call rel32).
assert 0 <= rel - int(off, 16) < 8, (f["pc_sym"], rel)
PY'
check "stderr names the fault" 'grep -q "guest fault: stack-protector at run_canary:canary_copy+0x" "$tmp/err"'
out=$("$M" call "$ko" -- canary_copy s=str:abcdefgh 8 2>&1); st=$?
check "a safe length returns normally" '[ $st = 0 ]'
[ $fail = 0 ] && echo "ok $a: $n checks" || { echo "$fail of $n checks failed"; exit 1; }
