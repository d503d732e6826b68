#!/usr/bin/env bash
# trace --record then --show, one arch: the rendering is byte for byte what
# `modbed trace` prints for the same run (stdout, stderr and exit status;
# text, --jsonl, --calls, --mem, --filter/--start/--stop, --output), for a run of
# several calls ending in a fault, a WARN stepped over and a BUG; the
# recording's block stream, read by an independent parser
# (tracerec_check.py), puts every block at the pc the text trace shows at
# that instruction; a recording whose module file changed, or whose run
# does not replay (a wall-clock stop), is an error; the recorded --timeout
# does not stop the replay.
# usage: trace_record.sh MODBED ARCH MODULE.ko
set -u
M=$1 ARCH=$2 KO=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if [ "$2" != "$3" ]; then echo "FAIL: $ARCH: $1: got '$2', want '$3'"; fail=$((fail+1)); else echo "ok: $1"; fi; }

# same NAME DISPLAY-OPTIONS -- SESSION...: trace vs record + show, the
# display options given to --show (or, with AT=record, to --record).
AT=show
same() {
	local name=$1; shift
	local disp=() rdisp=() sdisp=()
	while [ "$1" != "--" ]; do disp+=("$1"); shift; done
	shift
	if [ "$AT" = record ]; then rdisp=("${disp[@]}"); else sdisp=("${disp[@]}"); fi
	"$M" trace --arch "$ARCH" --no-init "${disp[@]}" "$@" >"$tmp/want.out" 2>"$tmp/want.err"
	local want=$?
	"$M" trace --arch "$ARCH" --no-init --record "$tmp/r.rec" "${rdisp[@]}" "$@" >/dev/null 2>"$tmp/rec.err"
	local rec=$?
	"$M" trace --show "$tmp/r.rec" "${sdisp[@]}" >"$tmp/got.out" 2>"$tmp/got.err"
	local got=$?
	check "$name: exit status of record (as trace's)" "$rec" "$want"
	check "$name: exit status of show" "$got" "$want"
	if cmp -s "$tmp/want.out" "$tmp/got.out" && cmp -s "$tmp/want.err" "$tmp/got.err"; then
		echo "ok: $name: byte-identical ($(wc -c <"$tmp/want.out") bytes)"
	else
		echo "FAIL: $ARCH: $name: show differs from trace"; diff "$tmp/want.out" "$tmp/got.out" | head -5
		diff "$tmp/want.err" "$tmp/got.err" | head -5; fail=$((fail+1))
	fi
}

S=(-- tr_sum 40 -- tr_calls 9 -- tr_rec 5 -- tr_tail_outer 3 -- tr_bug_outer -5 -- tr_fault_outer 1)
same "text, six calls to a fault" -- "$KO" "${S[@]}"
same "jsonl" --jsonl -- "$KO" "${S[@]}"
same "calls" --calls -- "$KO" "${S[@]}"
same "calls jsonl" --calls --jsonl -- "$KO" "${S[@]}"
same "mem" --mem -- "$KO" "${S[@]}"
same "mem jsonl" --mem --jsonl -- "$KO" "${S[@]}"
same "filter, start, stop, json" --filter trace_demo:tr_leaf --start tr_calls --stop tr_rec --json -- "$KO" "${S[@]}"
same "BUG" -- "$KO" -- tr_bug_outer 5
# The kernel's .config and System.map are part of the session: --show
# replays under them (addresses differ without the System.map, layout
# without the config).
if [ "$ARCH" = powerpc32 ]; then
	printf 'c0000000 T _stext\nc0818000 D _etext\n' >"$tmp/System.map"
	printf '# CONFIG_STRICT_MODULE_RWX is not set\n' >"$tmp/config"
	same "mem, --system-map and --kernel-config" --mem -- --system-map "$tmp/System.map" --kernel-config "$tmp/config" \
		"$KO" "${S[@]}"
fi
AT=record   # display options recorded, --show given none
same "calls jsonl, recorded" --calls --jsonl -- "$KO" "${S[@]}"
same "filter, start, stop, mem, recorded" --filter trace_demo:tr_leaf --start tr_calls --stop tr_rec --mem -- "$KO" "${S[@]}"
AT=show
# --show's own display options replace the recorded ones.
"$M" trace --arch "$ARCH" --no-init --record "$tmp/r.rec" --calls "$KO" -- tr_rec 3 >/dev/null
check "show --mem instead of the recorded --calls" \
	"$("$M" trace --show "$tmp/r.rec" --mem | md5sum)" "$("$M" trace --arch "$ARCH" --no-init --mem "$KO" -- tr_rec 3 | md5sum)"
# A stop inside a kernel stub slot (an unimplemented kernel function).
same "unimplemented kernel function" -- "$(dirname "$KO")/run_work.ko" -- fib 3 -- call_missing 1
# Blocks from the fast path (tr_sum, tr_calls) and, for the calls run
# again the exact way (a WARN, a fault), every instruction.
C=(-- tr_sum 1000 -- tr_calls 9 -- tr_bug_outer -5 -- tr_fault_outer 1)
"$M" trace --arch "$ARCH" --no-init --record "$tmp/r.rec" "$KO" "${C[@]}" >/dev/null 2>&1
"$M" trace --show "$tmp/r.rec" --output "$tmp/show.txt" >/dev/null 2>&1
check "show --output: exit status" "$?" 3
"$M" trace --arch "$ARCH" --no-init --output "$tmp/trace.txt" "$KO" "${C[@]}" >/dev/null 2>&1
check "show --output is trace --output" "$(cmp "$tmp/trace.txt" "$tmp/show.txt" && echo same)" same
out=$(python3 "$here/tracerec_check.py" "$tmp/r.rec" "$tmp/trace.txt" "$ARCH" 4 2>&1)
check "blocks at the trace's pcs (independent reader): $out" "$?" 0

# The recorded --timeout bounds the recorded run, not its (slower, traced)
# replay; a call the wall clock stopped does not replay and says so.
"$M" trace --arch "$ARCH" --no-init --timeout 200 --record "$tmp/t.rec" "$KO" -- tr_sum 600000 >/dev/null
check "record within --timeout 200" "$?" 0
"$M" trace --show "$tmp/t.rec" --output /dev/null >/dev/null
check "its render, longer than 200 ms, is not stopped" "$?" 0
"$M" trace --arch "$ARCH" --no-init --timeout 1 --budget 4000000000 --record "$tmp/t.rec" "$KO" -- tr_sum 900000000 >/dev/null 2>&1
check "a run stopped by --timeout 1 exits 3" "$?" 3
err=$("$M" trace --show "$tmp/t.rec" 2>&1 >/dev/null)
check "its render: exit 1" "$?" 1
check "its render: message" "$err" "modbed: $tmp/t.rec: call 1 (tr_sum) was stopped by the wall clock, which does not replay"

# A module file that changed since the recording: refused, naming it.
cp "$KO" "$tmp/m.ko"
"$M" trace --arch "$ARCH" --no-init --record "$tmp/m.rec" "$tmp/m.ko" -- tr_sum 3 >/dev/null
printf 'x' >>"$tmp/m.ko"
err=$("$M" trace --show "$tmp/m.rec" 2>&1 >/dev/null)
check "changed module: exit 1" "$?" 1
check "changed module: message" "$err" "modbed: $tmp/m.rec: module file $tmp/m.ko changed since it was recorded"
echo "$ARCH: $fail failed"
[ "$fail" = 0 ]
