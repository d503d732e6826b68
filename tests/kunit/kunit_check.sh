#!/usr/bin/env bash
# The kernel's own KUnit suites (real 6.1 modules from the kbuild set) run by
# the real kunit.ko under `modbed kunit`: every case passes or is skipped for
# a reason listed in skips.txt, at least 15 suites ran, and the 6.1 source's
# own parser (kunit.py parse) counts the same tests, passes, skips and
# failures as modbed does.
# usage: kunit_check.sh MODBED SET ARCH [MAP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
suite_args "$@"
find_kunit_py
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=()
for s in $SUITES; do
	[ -f "$MODDIR/$s" ] || { echo "FAIL: $set lacks $s"; exit 1; }
	files+=("$MODDIR/$s")
done
rc=0
"$modbed" kunit --arch "$arch" "${mapopt[@]}" --modpath "$MODDIR" "${files[@]}" >"$tmp/out.ktap" 2>"$tmp/err" || rc=$?
cat "$tmp/err"
if [ $rc != 0 ]; then
	grep -B20 '^ *not ok' "$tmp/out.ktap" | head -80
	echo "FAIL: modbed kunit exit $rc"; exit 1
fi
# modbed: kunit: ARCH: S suites, C cases: ...; T tests (params counted): P passed, K skipped, F failed
summary=$(grep '^modbed: kunit:' "$tmp/err")
read -r suites tests passed skipped failed < <(echo "$summary" | sed -E \
	's/.*: ([0-9]+) suites, .*; ([0-9]+) tests \(params counted\): ([0-9]+) passed, ([0-9]+) skipped, ([0-9]+) failed.*/\1 \2 \3 \4 \5/')
[ "$suites" -ge 15 ] || { echo "FAIL: only $suites suites ran"; exit 1; }
# Every skip has a reason a kernel developer accepts.
grep -E '^ *ok [0-9]+ .* # SKIP' "$tmp/out.ktap" | sed -E 's/^ *ok [0-9]+ (.*) # SKIP (.*)$/\1|\2/' >"$tmp/skips" || true
while IFS='|' read -r case reason; do
	grep -qxF "$case|$reason" "$here/skips.txt" || { echo "FAIL: $case skipped for an unlisted reason: $reason"; exit 1; }
done <"$tmp/skips"
# kunit.py's parser over the same output.
python3 "$KUNIT_PY" parse "$tmp/out.ktap" >"$tmp/parsed" 2>&1 || true
line=$(grep -o 'Ran [0-9]* tests:.*' "$tmp/parsed" | sed 's/\x1b\[[0-9;]*m//g' | tail -1)
[ -n "$line" ] || { tail -20 "$tmp/parsed"; echo "FAIL: kunit.py parse gave no totals"; exit 1; }
k_tests=$(echo "$line" | sed -E 's/Ran ([0-9]+) tests.*/\1/')
k_passed=$(echo "$line" | grep -oE 'passed: [0-9]+' | grep -oE '[0-9]+' || echo 0)
k_skipped=$(echo "$line" | grep -oE 'skipped: [0-9]+' | grep -oE '[0-9]+' || echo 0)
k_failed=$(echo "$line" | grep -oE 'failed: [0-9]+' | grep -oE '[0-9]+' || echo 0)
k_errors=$(echo "$line" | grep -oE 'errors: [0-9]+' | grep -oE '[0-9]+' || echo 0)
echo "modbed:   $tests tests, $passed passed, $skipped skipped, $failed failed ($suites suites)"
echo "kunit.py: $k_tests tests, $k_passed passed, $k_skipped skipped, $k_failed failed, $k_errors errors"
[ "$tests $passed $skipped $failed" = "$k_tests $k_passed $k_skipped $k_failed" ] && [ "$k_errors" = 0 ] \
	|| { echo "FAIL: counts differ"; exit 1; }
echo "PASS: $set: $suites suites, $tests tests"
