#!/usr/bin/env bash
# Regenerates the pictures in docs/pictures/ (README "modbed map"): one SVG
# per placement policy for the same 40 Debian 6.1 amd64 modules, on the
# x86_64-nokaslr map (Debian's KASLR build booted with nokaslr, the 2 MiB
# bpf_prog_pack first), inits skipped (no hardware) but init memory freed
# as after a successful init, kallsyms copies as Debian's kernel keeps them.
# The set: the upper half of the corpus by file size, every 14th.
#
# usage: docs/pictures/generate.sh [MODBED] [CORPUS_DIR]
#        (defaults: build/modbed, ${MODBED_CACHE:-~/.cache/modbed}/corpus)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
modbed=${1:-$here/../../build/modbed}
corpus=${2:-${MODBED_CACHE:-$HOME/.cache/modbed}/corpus}
mapfile -t set < <(find "$corpus/x86_64/kernel" -name '*.ko' -printf '%s %P\n' | sort -n -k1,1 -k2,2 |
	tail -n 560 | awk -v d="$corpus/x86_64/kernel/" 'NR % 14 == 0 { print d $2 }')
[ "${#set[@]}" = 40 ] || { echo "generate.sh: expected 40 modules under $corpus/x86_64, found ${#set[@]}" >&2; exit 1; }
printf '%s\n' "${set[@]#"$corpus/x86_64/kernel/"}" >"$here/modules.txt"
common=(--map x86_64-nokaslr --skip-init --kallsyms all)
"$modbed" map "${set[@]}" "${common[@]}" --policy kernel --svg "$here/kernel.svg"
"$modbed" map "${set[@]}" "${common[@]}" --policy packed --svg "$here/packed.svg"
"$modbed" map "${set[@]}" "${common[@]}" --policy builtin --pack page --svg "$here/builtin-page.svg"
"$modbed" map "${set[@]}" "${common[@]}" --policy builtin --pack section --svg "$here/builtin-section.svg"
