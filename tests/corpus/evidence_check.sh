#!/usr/bin/env bash
# Each corpus check, pointed at a corpus that is not there: skipped (77) with
# a message naming what is missing, and failed (1) with the same message
# under MODBED_REQUIRE_EVIDENCE=1 (as .ci/run sets it).
# usage: evidence_check.sh NAME=COMMAND... (each COMMAND a shell word list
#        whose corpus argument is /nonexistent-corpus)
set -uo pipefail
failed=0 n=0
for spec in "$@"; do
	name=${spec%%=*} cmd=${spec#*=}
	for req in "" 1; do
		out=$(MODBED_REQUIRE_EVIDENCE=$req bash -c "$cmd" 2>&1)
		rc=$?
		want=77 msg="SKIP: "
		[ "$req" = 1 ] && want=1 msg="FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: "
		if [ $rc -ne $want ] || ! grep -qF "$msg" <<<"$out" || ! grep -q "nonexistent-corpus" <<<"$out"; then
			echo "FAIL $name (MODBED_REQUIRE_EVIDENCE=$req): exit $rc, want $want; output: $out"
			failed=$((failed + 1))
		fi
		n=$((n + 1))
	done
done
echo "$n runs, $failed failures"
[ $failed -eq 0 ] && [ $n -gt 0 ]
