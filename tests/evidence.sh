# Sourced by shell tests. `skip WHAT`: the test cannot run for want of
# evidence (the Debian corpus, an oracle): exit 77 (CTest: skipped), or,
# with MODBED_REQUIRE_EVIDENCE=1 (set by .ci/run), exit 1. Both say what is
# missing.
skip() {
	if [ "${MODBED_REQUIRE_EVIDENCE:-}" = 1 ]; then
		echo "FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}
