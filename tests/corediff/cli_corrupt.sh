#!/usr/bin/env bash
# End to end: `modbed core-diff` with the deliberately wrong guest driver
# (coreguest_corrupt: flags operation 1000's result) must exit 1 and print
# the operation in full with both results; with the real driver, exit 0.
# usage: cli_corrupt.sh MODBED MODULES_DIR ARCH
set -u
modbed=$1 modules=$2 arch=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/$arch"
ln -s "$modules/$arch/coreguest_corrupt.ko" "$tmp/$arch/coreguest.ko"
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$tmp/out"; exit 1; }

MODBED_COREGUEST_DIR=$tmp "$modbed" core-diff --arch "$arch" --map edge32 --ops 3000 --seed 5 >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc with a corrupt guest, expected 1"
grep -q "3000 ops, 1 differences" "$tmp/out" || fail "no count of 1 difference"
grep -q "^  first difference: operation 1000: " "$tmp/out" || fail "operation 1000 not named"
grep -q "^    host:  " "$tmp/out" || fail "no host result"
grep -q "^    guest: .*\[a value did not fit" "$tmp/out" || fail "no guest result showing the corruption"
grep -q "^core-diff: 1 runs, 3000 operations, 1 differences" "$tmp/out" || fail "no summary"

# the same as JSON: valid, with the difference and the operation in it
MODBED_COREGUEST_DIR=$tmp "$modbed" core-diff --arch "$arch" --map edge32 --ops 3000 --seed 5 --json >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "--json: exit status $rc with a corrupt guest, expected 1"
python3 - "$tmp/out" <<'PY' || fail "--json output"
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
assert d["differences"] == 1 and run["differences"] == 1, d
assert run["first"]["index"] == 1000 and run["first"]["op"], run
assert run["first"]["host"] != run["first"]["guest"], run
PY

MODBED_COREGUEST_DIR=$modules "$modbed" core-diff --arch "$arch" --map edge32 --ops 3000 --seed 5 >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "exit status $rc with the real guest, expected 0"
grep -q "3000 ops, 0 differences" "$tmp/out" || fail "real guest: differences"

# usage errors exit 2
"$modbed" core-diff --arch "$arch" --map no-such-map >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "unknown map: expected exit 2"
"$modbed" core-diff --arch "$arch" --bounds sideways >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "unknown bounds: expected exit 2"
echo "ok: $arch"
