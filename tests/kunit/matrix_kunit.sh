#!/usr/bin/env bash
# The KUnit suites of every built kbuild set through
# `modbed matrix --arch all --policy all --bounds all -j 2`: every cell
# passes with the same test counts, and the JUnit file validates against
# junit.xsd with xmllint. Prints the time per cell (README).
# usage: matrix_kunit.sh MODBED JUNIT_XSD
set -euo pipefail
modbed=$1 xsd=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=() mp=() sets=0 arches=""
for pair in powerpc32-book3s32:powerpc32 x86_64:x86_64 arm64:arm64; do
	set=${pair%%:*}
	( find_set "$set" >/dev/null ) || continue
	find_set "$set"
	sets=$((sets + 1))
	arches=${arches:+$arches,}${pair##*:}
	mp+=(--modpath "$MODDIR")
	for s in $SUITES; do files+=("$MODDIR/$s"); done
done
[ $sets -gt 0 ] || skip "no kbuild module set built"
[ $sets != 3 ] || arches=all   # every arch: exactly the issue's --arch all
rc=0
"$modbed" matrix "${files[@]}" "${mp[@]}" --arch "$arches" --policy all --bounds all -j 2 \
	--junit "$tmp/kunit.xml" --json >"$tmp/kunit.json" 2>"$tmp/err" || rc=$?
cat "$tmp/err"
[ $rc = 0 ] || { echo "FAIL: matrix exit $rc"; exit 1; }
xmllint --noout --schema "$xsd" "$tmp/kunit.xml" || { echo "FAIL: JUnit does not validate"; exit 1; }
python3 - "$tmp/kunit.json" $((sets * 9)) <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cells"] == int(sys.argv[2]) and d["failed_cells"] == 0, (d["cells"], d["failed_cells"])
counts = {(r["tests_passed"], r["tests_skipped"], r["tests_failed"]) for r in d["results"]}
assert len(counts) == 1 and next(iter(counts))[2] == 0, counts
secs = [float(r["seconds"]) for r in d["results"]]
print("PASS: %d cells, %s tests each; %.2f s per cell (min %.2f, max %.2f), %s s wall"
      % (d["cells"], next(iter(counts)), sum(secs) / len(secs), min(secs), max(secs), d["wall_seconds"]))
PY
