#!/usr/bin/env bash
# Runs a corpus test over one kbuild set (tests/corpus/kbuild.sh builds the
# sets into the cache; SET_DIR/DONE marks a finished one). Without the set
# the test is skipped (77), or fails when MODBED_REQUIRE_EVIDENCE=1.
# usage: kbuild_run.sh SET_DIR COMMAND ARGS...
set -u
set_dir=$1
shift
if [ ! -f "$set_dir/DONE" ]; then
	if [ "${MODBED_REQUIRE_EVIDENCE:-0}" = 1 ]; then
		echo "kbuild_run: MODBED_REQUIRE_EVIDENCE=1 but $set_dir is not built (tests/corpus/kbuild.sh)" >&2
		exit 1
	fi
	echo "kbuild_run: SKIP: $set_dir is not built (tests/corpus/kbuild.sh)"
	exit 77
fi
exec "$@"
