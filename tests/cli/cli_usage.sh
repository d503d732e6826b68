#!/usr/bin/env bash
# Usage errors exit 2 with a message naming the problem; help exits 0.
M=$1
fail=0
expect() { # expected-status expected-stderr-substring args...
	local want=$1 text=$2; shift 2
	local err; err=$("$M" "$@" 2>&1 >/dev/null); local got=$?
	if [ "$got" != "$want" ] || ! grep -qF -- "$text" <<<"$err"; then
		echo "FAIL: modbed $*: exit $got (want $want), stderr: $err"; fail=$((fail+1))
	fi
}
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "unknown option --bogus" maps --bogus
expect 2 "--seed takes a non-negative integer" maps --seed xyz
expect 2 "usage" 
expect 2 "usage: study builtin FILE" study corpus-dir
expect 2 "--fail-rate takes a non-negative integer" load --fail-rate x a.ko
"$M" --help | grep -q "modbed maps" || { echo "FAIL: --help lists no maps"; fail=$((fail+1)); }
echo "$((6 - fail)) passed, $fail failed"
[ "$fail" = 0 ]
