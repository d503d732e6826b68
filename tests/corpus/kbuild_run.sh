#!/usr/bin/env bash
# Runs a corpus test over one kbuild set (tests/corpus/kbuild.sh builds the
# sets into the cache; SET_DIR/DONE marks a finished one). Without the set
# the test is skipped (77), or fails when MODBED_REQUIRE_EVIDENCE=1.
# The text @KCONFIG@ in any argument becomes the set's kernel .config
# (SET_DIR/config-VERSION, which kbuild.sh keeps), so every check loads the
# set as the kernel it was built for would (STRICT_MODULE_RWX or not).
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
configs=("$set_dir"/config-[0-9]*)  # not config-notes
if [ ${#configs[@]} != 1 ] || [ ! -f "${configs[0]}" ]; then
	echo "kbuild_run: $set_dir: want one kernel config (config-VERSION), found: ${configs[*]}" >&2
	exit 1
fi
args=()
for a in "$@"; do args+=("${a//@KCONFIG@/${configs[0]}}"); done
exec "${args[@]}"
