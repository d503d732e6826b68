#!/usr/bin/env bash
# `make test` leaves a JUnit file (ctest --output-junit): a small ctest run
# in this build writes one, and it validates against junit.xsd.
# usage: ctest_junit.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$1"
ctest -R '^cli_usage$' --output-junit "$tmp/ctest.xml" >/dev/null
xmllint --noout --schema "$here/junit.xsd" "$tmp/ctest.xml"
[ "$(xmllint --xpath 'count(//testcase)' "$tmp/ctest.xml")" = 1 ] || { echo "FAIL: testcase count"; exit 1; }
echo "PASS: ctest's JUnit validates"
