# Shared by the KUnit tests: where the kbuild module sets and the 6.1 source
# of kunit.py are. Sourced; sets SETDIR, MODDIR and KUNIT_PY or exits 77.
cache=${MODBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modbed}
# skip: 77, or a failure under MODBED_REQUIRE_EVIDENCE=1 (.ci/run).
. "$(dirname "${BASH_SOURCE[0]}")/../evidence.sh"

# suite_args MODBED SET ARCH [MAP]: the per-set tests' arguments; sets
# modbed, set, arch, mapopt (--map MAP or nothing) and finds the set.
suite_args() {
	modbed=$1 set=$2 arch=$3
	mapopt=(); [ -z "${4:-}" ] || mapopt=(--map "$4")
	find_set "$set"
}

# find_set SET: the newest complete kbuild set (tests/corpus/kbuild.sh).
find_set() {
	SETDIR=""
	if [ -n "${MODBED_KBUILD_DIR:-}" ]; then
		SETDIR=$MODBED_KBUILD_DIR/$1
	else
		local d
		for d in $(ls -dt "$cache"/kbuild/*/"$1" 2>/dev/null); do
			[ -f "$d/DONE" ] && { SETDIR=$d; break; }
		done
	fi
	[ -n "$SETDIR" ] && [ -d "$SETDIR/modules" ] || skip "no kbuild module set $1 (run tests/corpus/kbuild.sh $1)"
	MODDIR=$SETDIR/modules
}

# find_kunit_py: tools/testing/kunit/kunit.py of the same 6.1 source, from
# the kbuild source tree or unpacked from Debian's linux-source-6.1 tarball.
find_kunit_py() {
	local k
	for k in "$cache"/kbuild/src/*/linux-source-6.1/tools/testing/kunit/kunit.py; do
		[ -f "$k" ] && { KUNIT_PY=$k; return 0; }
	done
	local tarball=/usr/src/linux-source-6.1.tar.xz dst=$cache/kunit-py
	KUNIT_PY=$dst/linux-source-6.1/tools/testing/kunit/kunit.py
	[ -f "$KUNIT_PY" ] && return 0
	[ -f "$tarball" ] || skip "no 6.1 source for kunit.py (Debian package linux-source-6.1)"
	mkdir -p "$dst"
	tar -xJf "$tarball" -C "$dst" --wildcards 'linux-source-6.1/tools/testing/kunit/*' || skip "cannot unpack kunit.py"
}

# The lib/ KUnit suites every set builds (kernel/time/time_test.ko takes
# minutes on the emulated CPU: only with MODBED_KUNIT_SLOW=1).
SUITES="lib/kunit/kunit-test.ko lib/kunit/kunit-example-test.ko lib/list-test.ko lib/bitfield_kunit.ko
lib/test_bits.ko lib/overflow_kunit.ko lib/cmdline_kunit.ko lib/test_sort.ko lib/test_list_sort.ko
lib/test_linear_ranges.ko lib/test_hash.ko lib/memcpy_kunit.ko lib/is_signed_type_kunit.ko
lib/math/rational-test.ko"
if [ "${MODBED_KUNIT_SLOW:-0}" = 1 ]; then SUITES="$SUITES kernel/time/time_test.ko"; fi
