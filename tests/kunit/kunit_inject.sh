#!/usr/bin/env bash
# The KUnit suites notice what modbed gets wrong. Two modules are broken on
# purpose (elfpatch.py) and run with an intact one after them:
#   test_linear_ranges.ko: the relocations of range_test_get_value against
#     its writable data get +16 (a wrong relocation): exactly that case fails,
#     with KUnit's EXPECTATION FAILED report;
#   bitfield_kunit.ko: .init.text (its cases are __init) loses execute
#     permission: both cases fail with modbed's fetch-protect report as "#"
#     lines, and the intact test_sort.ko after them still passes.
# usage: kunit_inject.sh MODBED SET ARCH [MAP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
suite_args "$@"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 "$here/elfpatch.py" skew "$MODDIR/lib/test_linear_ranges.ko" "$tmp/test_linear_ranges.ko" range_test_get_value 16
python3 "$here/elfpatch.py" noexec "$MODDIR/lib/bitfield_kunit.ko" "$tmp/bitfield_kunit.ko" .init.text
rc=0
"$modbed" kunit --arch "$arch" "${mapopt[@]}" --modpath "$MODDIR" "$tmp/test_linear_ranges.ko" "$tmp/bitfield_kunit.ko" \
	"$MODDIR/lib/test_sort.ko" >"$tmp/out.ktap" 2>"$tmp/err" || rc=$?
cat "$tmp/err"
fail() { cat "$tmp/out.ktap"; echo "FAIL: $*"; exit 1; }
[ $rc = 1 ] || fail "exit $rc, expected 1 (cases failed)"
failed=$(grep -E '^    not ok ' "$tmp/out.ktap" | awk '{print $4}' | sort | tr '\n' ' ')
[ "$failed" = "range_test_get_value test_bitfields_constants test_bitfields_variables " ] \
	|| fail "failed cases: '$failed'"
grep -q '# range_test_get_value: EXPECTATION FAILED at lib/test_linear_ranges.c' "$tmp/out.ktap" \
	|| fail "no expectation report for range_test_get_value"
[ "$(grep -c '# kthread killed by a guest fault: fetch-protect at bitfield_kunit:test_bitfields_' "$tmp/out.ktap")" = 2 ] \
	|| fail "no fetch-protect report for each bitfield case"
grep -qE '^    ok [0-9]+ test_sort$' "$tmp/out.ktap" || fail "test_sort did not pass after the broken modules"
grep -qE '^ok [0-9]+ lib_sort$' "$tmp/out.ktap" || fail "lib_sort suite not ok"
echo "PASS: $set: the wrong relocation and the missing execute permission fail exactly the named cases"
