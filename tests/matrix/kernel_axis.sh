#!/usr/bin/env bash
# The --kernel axis reaches loading: a version older than every modelled
# rule set (4.0, a usage error for `load`) fails its cell and the run, while
# the cells of modelled versions pass.
# usage: kernel_axis.sh MODBED MODULES_OUT
set -uo pipefail
modbed=$1 mods=$2
out=$("$modbed" matrix --arch x86_64 --kernel 6.1,latest,4.0 "$mods/x86_64/run_life.ko" 2>&1)
rc=$?
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
[ $rc = 1 ] || fail "exit $rc, expected 1 (the 4.0 cell fails)"
grep -q '/6\.1: ok' <<<"$out" || fail "the 6.1 cell did not pass"
grep -q '/latest: ok' <<<"$out" || fail "the latest cell did not pass"
grep -q '/4\.0: FAIL' <<<"$out" || fail "the 4.0 cell did not fail"
echo "ok: 6.1 and latest pass, 4.0 fails"
