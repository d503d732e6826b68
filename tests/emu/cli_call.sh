#!/bin/sh
# `modbed call` through the binary: exit codes, text output, the --json shape.
# usage: cli_call.sh MODBED MODULES_DIR ARCH
set -u
modbed=$1; dir=$2/$3; arch=$3
fail() { echo "FAIL: $*"; exit 1; }
work=$dir/run_work.ko

out=$("$modbed" call "$work" -- fib 10 -- copy_upper o=out:8 str:abc 8 2>/dev/null) || fail "call exit $?"
echo "$out" | grep -q '^fib = 0x37 (55, ' || fail "fib line: $out"
echo "$out" | grep -q '^o: 4142430000000000$' || fail "buffer line: $out"

# A guest fault: exit 3, the fault named on stderr, calls before it printed.
"$modbed" call "$work" -- fib 3 -- write_text 1 >/tmp/mb_cli_$$.out 2>/tmp/mb_cli_$$.err
rc=$?
[ $rc -eq 3 ] || fail "write_text exit $rc, want 3"
grep -q 'guest fault: write-protect at run_work:write_text+0x' /tmp/mb_cli_$$.err || fail "stderr: $(cat /tmp/mb_cli_$$.err)"

# --json: exactly the documented shape.
"$modbed" call --json "$work" -- fib 6 -- str_len s=str:hello -- write_rodata 2 >/tmp/mb_cli_$$.json 2>/dev/null
rc=$?
[ $rc -eq 3 ] || fail "json run exit $rc, want 3"
python3 - /tmp/mb_cli_$$.json <<'PY' || fail "json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"calls", "buffers"}, d
c = d["calls"]
assert [x["func"] for x in c] == ["fib", "str_len", "write_rodata"], c
for x in c:
    assert set(x) == {"func", "ret", "insns", "fault"}, x
    assert isinstance(x["insns"], int)
assert c[0]["ret"] == "0x8" and c[0]["fault"] is None, c[0]
assert c[1]["ret"] == "0x5", c[1]
f = c[2]["fault"]
assert c[2]["ret"] is None
assert f["kind"] == "write-protect" and f["pc"].startswith("0x") and f["addr"].startswith("0x"), f
assert f["pc_sym"].startswith("run_work:write_rodata+0x"), f
assert f["addr_sym"] == "run_work:table_ro+0x4", f
assert d["buffers"] == {"s": "68656c6c6f00"}, d["buffers"]
PY

# Budget: exit 3 with kind budget.
"$modbed" call --json --budget 1000 "$work" -- spin >/tmp/mb_cli_$$.json 2>/dev/null
[ $? -eq 3 ] || fail "spin exit"
grep -q '"kind":"budget"' /tmp/mb_cli_$$.json || fail "budget: $(cat /tmp/mb_cli_$$.json)"
# spin is one branch-to-self: the oops shows it once, with the whole history
# (every entry that one pc) as its count, and marks it as the faulting pc.
"$modbed" call --budget 1000 "$work" -- spin 2>/tmp/mb_cli_$$.err >/dev/null
n=$(sed -n 's/^Last \([0-9]*\) instructions:$/\1/p' /tmp/mb_cli_$$.err)
hist=$(sed -n '/^Last /,/^Call Trace/p' /tmp/mb_cli_$$.err | grep -c 'run_work:spin+0x0 ')
[ -n "$n" ] && [ "$hist" = 1 ] || fail "spin history not collapsed: $(cat /tmp/mb_cli_$$.err)"
grep -q "^ => .*run_work:spin+0x0 " /tmp/mb_cli_$$.err || fail "spin line not marked"
grep -q "^    \.\.\. the line above $n times in a row$" /tmp/mb_cli_$$.err || fail "spin count: $(cat /tmp/mb_cli_$$.err)"

# --budget none: no hook on guest code, so a return's instructions are not
# counted (JSON null, text says so); a fault runs again the exact way and is
# counted as with a budget.
out=$("$modbed" call --budget none "$work" -- fib 10 2>/dev/null) || fail "no budget exit $?"
[ "$out" = "fib = 0x37 (55, insns not counted)" ] || fail "no budget text: $out"
"$modbed" call --json --budget none "$work" -- fib 6 -- write_rodata 2 >/tmp/mb_cli_$$.json 2>/dev/null
[ $? -eq 3 ] || fail "no budget json exit"
"$modbed" call --json "$work" -- fib 6 -- write_rodata 2 >/tmp/mb_cli_$$.ref 2>/dev/null
python3 - /tmp/mb_cli_$$.json /tmp/mb_cli_$$.ref <<'PY' || fail "no budget json: $(cat /tmp/mb_cli_$$.json)"
import json, sys
c = json.load(open(sys.argv[1]))["calls"]
ref = json.load(open(sys.argv[2]))["calls"]
assert c[0]["ret"] == "0x8" and c[0]["insns"] is None, c[0]
assert isinstance(c[1]["insns"], int) and c[1]["insns"] == ref[1]["insns"], (c[1], ref[1])
assert c[1]["fault"]["pc"] == ref[1]["fault"]["pc"], (c[1], ref[1])
PY
"$modbed" call --budget nothing "$work" -- fib 1 2>/dev/null; [ $? -eq 2 ] || fail "bad budget exit"

# Usage errors exit 2; an unknown function exits 1.
"$modbed" call "$work" -- fib bogus:1 2>/dev/null; [ $? -eq 2 ] || fail "bad arg exit"
"$modbed" call "$work" 2>/dev/null; [ $? -eq 2 ] || fail "no function exit"
"$modbed" call "$work" -- no_such_function 2>/dev/null; [ $? -eq 1 ] || fail "unknown function exit"
rm -f /tmp/mb_cli_$$.*
echo "ok $arch"
