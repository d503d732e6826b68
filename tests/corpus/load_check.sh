#!/usr/bin/env bash
# Every corpus module places and relocates: `modbed corpus` loads each arch's
# whole tree (providers first) and must report every module loaded, none
# failed, and per relocation type exactly the count llvm-readelf lists in the
# files (every relocation section of these modules targets an allocated
# section, so every entry is applied).
# usage: load_check.sh MODBED CORPUS_DIR LLVM_READELF [POLICY]
set -uo pipefail
modbed=$1 corpus=$2 readelf=$3 policy=${4:-kernel}
SKIP=77

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

for arch in x86_64 arm64; do
	dir=$corpus/$arch
	n=$(find "$dir" -name '*.ko' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || { echo "corpus: SKIP: no modules under $dir (run tests/corpus/fetch.sh)"; exit $SKIP; }

	"$modbed" corpus "$dir" --arch "$arch" --policy "$policy" >"$tmp/out" 2>&1
	rc=$?
	line=$(grep -m1 "^policy $policy:" "$tmp/out")
	echo "$arch: $line"
	if [ $rc != 0 ] || ! grep -q "^policy $policy: $n of $n modules loaded, 0 failed" <<<"$line"; then
		echo "FAIL: $arch: not every module loaded (exit $rc)"
		sed -n '/^failed modules/,$p' "$tmp/out" | head -20
		failed=$((failed + 1))
		continue
	fi
	awk '/^    R_/ { print $1, $2 }' "$tmp/out" | sort >"$tmp/got"
	find "$dir" -name '*.ko' -print0 | xargs -0 "$readelf" -r 2>/dev/null |
		awk '$3 ~ /^R_/ { c[$3]++ } END { for (t in c) print t, c[t] }' | sort >"$tmp/want"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		echo "$arch: $n modules, relocations per type equal llvm-readelf's: $(awk '{ s += $2 } END { print s }' "$tmp/want")"
		passed=$((passed + 1))
	else
		echo "FAIL: $arch: relocation counts differ from llvm-readelf (< readelf, > modbed):"
		cat "$tmp/diff"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
