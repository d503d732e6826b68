#!/usr/bin/env bash
# modbed trace / call on the command line, one arch: the trace streams one
# line per executed instruction (as many as the emulator counted), --calls
# pairs every call with a return at the host-computed depth, faults exit 3
# with an oops whose call trace the replay (call) or the tracer (trace)
# built, and option errors are usage errors.
# usage: trace_cli.sh MODBED ARCH MODULE.ko
set -u
M=$1 ARCH=$2 KO=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if [ "$2" != "$3" ]; then echo "FAIL: $ARCH: $1: got '$2', want '$3'"; fail=$((fail+1)); else echo "ok: $1"; fi; }
run() { "$M" "$1" --arch "$ARCH" --no-init "${@:2}"; }

run trace --jsonl --output "$tmp/t.jsonl" "$KO" -- tr_sum 7 >"$tmp/out" 2>"$tmp/err"
check "trace exit status" "$?" 0
insns=$(sed -n 's/^tr_sum = .*, \([0-9]*\) insns)$/\1/p' "$tmp/out")
check "one JSON line per executed instruction" "$(wc -l <"$tmp/t.jsonl")" "$insns"
check "every line has pc, sym, bytes, insn, regs" \
	"$(grep -c '^{"pc":"0x[0-9a-f]*","sym":"trace_demo:tr_sum+0x[0-9a-f]*","bytes":"[0-9a-f ]*","insn":"[^"]*",\("note":"[^"]*",\)\?"regs":{.*}}$' "$tmp/t.jsonl")" "$insns"
check "result" "$(grep -o '^tr_sum = 0x[0-9a-f]*' "$tmp/out")" "tr_sum = $(printf '0x%x' $((3 * 7 * 8 / 2)))"

N=6

# A negative argument prints as the register holds it, at the target's word
# width, for the top-level call as for the nested ones.
run trace --calls "$KO" -- tr_bug_outer -5 >"$tmp/neg" 2>/dev/null
if [ "$ARCH" = powerpc32 ]; then want=0xfffffffb; else want=0xfffffffffffffffb; fi
check "top-level argument at word width" "$(sed -n 's/^-> trace_demo:tr_bug_outer(\(.*\))$/\1/p' "$tmp/neg")" "$want"
run trace --calls --jsonl "$KO" -- tr_rec $N >"$tmp/calls" 2>&1
calls=$(grep -c '"event":"call"' "$tmp/calls")
rets=$(grep -c '"event":"ret"' "$tmp/calls")
check "a return for every call" "$rets" "$calls"
check "calls: one per recursion level" "$calls" $((N + 1))
check "deepest call" "$(grep -o '"depth":[0-9]*' "$tmp/calls" | sort -t: -k2 -n | tail -1)" "\"depth\":$N"

run trace --output "$tmp/f.txt" "$KO" -- tr_fault_outer 1 >/dev/null 2>"$tmp/ferr"
check "trace of a fault exits 3" "$?" 3
check "trace's call trace has 3 frames" "$(sed -n '/^Call Trace:/,/end trace/p' "$tmp/ferr" | grep -c '\[<')" 3
run call --json "$KO" -- tr_fault_outer 1 >"$tmp/f.json" 2>"$tmp/cerr"
check "call of a fault exits 3" "$?" 3
check "call's replayed backtrace" \
	"$(grep -o '"backtrace":\[[^]]*\]' "$tmp/f.json" | grep -o 'trace_demo:tr_fault_[a-z]*' | tr '\n' ' ')" \
	"trace_demo:tr_fault_inner trace_demo:tr_fault_mid trace_demo:tr_fault_outer "

run trace --start nosuch "$KO" -- tr_sum 1 >/dev/null 2>&1
check "unknown --start symbol is a usage error" "$?" 2
run call --calls "$KO" -- tr_sum 1 >/dev/null 2>&1
check "trace options on call are a usage error" "$?" 2
run trace --output /nonexistent/dir/t "$KO" -- tr_sum 1 >/dev/null 2>&1
check "unwritable --output is an error" "$?" 1
echo "$ARCH: $fail failed"
[ "$fail" = 0 ]
