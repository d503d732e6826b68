#!/usr/bin/env bash
# modbed matrix over arch x policy x bounds with call checks (life.spec,
# expected values by hand): every cell passes; the JUnit file validates with
# xmllint against junit.xsd (which CTest's own --output-junit file must
# validate against too); one testsuite per cell and one testcase per check;
# --json agrees. Then a spec with a wrong expectation: exit 1, one failure
# per cell naming the expected value. Progress is one plain line per cell
# when stderr is not a terminal.
# usage: matrix_check.sh MODBED MODULES_DIR (per-arch test modules)
set -euo pipefail
modbed=$1 mods=$2
here=$(cd "$(dirname "$0")" && pwd)
xsd=$here/junit.xsd
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
files=("$mods"/x86_64/run_life.ko "$mods"/arm64/run_life.ko "$mods"/powerpc32/run_life.ko)

"$modbed" matrix "${files[@]}" --arch all --policy all --bounds all -j 2 --spec "$here/life.spec" \
	--junit "$tmp/good.xml" --json >"$tmp/good.json" 2>"$tmp/good.err" || { cat "$tmp/good.err"; fail "good spec: exit $?"; }
xmllint --noout --schema "$xsd" "$tmp/good.xml" || fail "JUnit does not validate"
[ "$(xmllint --xpath 'count(/testsuites/testsuite)' "$tmp/good.xml")" = 27 ] || fail "not 27 testsuites"
[ "$(xmllint --xpath 'count(//testcase)' "$tmp/good.xml")" = 81 ] || fail "not 81 testcases"
[ "$(xmllint --xpath 'count(//failure)' "$tmp/good.xml")" = 0 ] || fail "failures in the good run"
[ "$(xmllint --xpath 'string(/testsuites/@tests)' "$tmp/good.xml")" = 81 ] || fail "testsuites/@tests"
python3 - "$tmp/good.json" <<'PY' || fail "JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cells"] == 27 and d["failed_cells"] == 0, d
cells = {(r["arch"], r["policy"], r["bounds"]) for r in d["results"]}
assert len(cells) == 27, cells
for r in d["results"]:
    assert r["status"] == "pass" and len(r["calls"]) == 3, r
    assert all(c["status"] == "pass" for c in r["calls"]), r
    assert "fault write-protect" in r["calls"][2]["message"], r
PY
[ "$(grep -c '^modbed: matrix: \[[0-9]*/27\] .*: ok' "$tmp/good.err")" = 27 ] || { cat "$tmp/good.err"; fail "progress lines"; }

sed 's/=> 304 /=> 305 /' "$here/life.spec" >"$tmp/bad.spec"
rc=0
"$modbed" matrix "${files[@]}" --arch all --policy all --bounds all -j 2 --spec "$tmp/bad.spec" \
	--junit "$tmp/bad.xml" 2>"$tmp/bad.err" || rc=$?
[ $rc = 1 ] || fail "bad spec: exit $rc, expected 1"
xmllint --noout --schema "$xsd" "$tmp/bad.xml" || fail "bad JUnit does not validate"
[ "$(xmllint --xpath 'count(//failure)' "$tmp/bad.xml")" = 27 ] || fail "not one failure per cell"
[ "$(xmllint --xpath 'count(//failure[contains(@message, "add returned 0x130; expected 0x131")])' "$tmp/bad.xml")" = 27 ] \
	|| fail "failure messages"
echo "PASS: 27 cells, JUnit valid, wrong expectation caught in every cell"
