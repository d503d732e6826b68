#!/usr/bin/env bash
# The 6.1 rule set against the real kernel: the first three modules a booted
# Debian 6.1.0-57 cloud kernel loaded (kver61_sections.txt, read from its
# /sys/module/*/sections) loaded by modbed in the same order, init skipped but
# its memory freed as after a successful init (--skip-init), must land at the
# same absolute addresses, section by section: the kernel rule set picked
# from the modules' vermagic (6.1), the map chosen for that kernel on arm64,
# x86_64-nokaslr (the KASLR build under nokaslr, with the boot-time
# bpf_prog_pack) on x86_64. With --kernel latest they must not all match.
# usage: kver_check.sh MODBED CORPUS_DIR
set -uo pipefail
modbed=$1 corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
SKIP=77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

for arch in x86_64 arm64; do
	dir=$corpus/$arch/kernel/crypto
	if [ ! -f "$dir/aegis128.ko" ]; then
		echo "kver: SKIP: no corpus under $corpus/$arch (run tests/corpus/fetch.sh)"
		exit $SKIP
	fi
	case $arch in
	x86_64) opts="--map x86_64-nokaslr --kallsyms all" ;; # Debian amd64: CONFIG_KALLSYMS_ALL
	arm64) opts="--kallsyms text" ;;
	esac
	files="$dir/aegis128.ko $dir/af_alg.ko $dir/algif_hash.ko"
	if ! "$modbed" info "$dir/aegis128.ko" | grep -q '^vermagic: *6\.1\.0-57-cloud-'; then
		echo "kver: SKIP: the corpus is not the 6.1.0-57 build the expectations were read from"
		exit $SKIP
	fi
	for kernel in default latest; do
		kopt=""
		[ $kernel = latest ] && kopt="--kernel latest"
		# shellcheck disable=SC2086
		if ! "$modbed" load --skip-init $opts $kopt --dump "$tmp/$arch-$kernel" $files >"$tmp/out" 2>&1; then
			echo "FAIL: $arch ($kernel): load failed"; cat "$tmp/out"; failed=$((failed + 1)); continue
		fi
		python3 - "$tmp/$arch-$kernel/layout.json" >"$tmp/got-$kernel" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1]))["modules"]:
    for s in m["sections"]:
        print(m["name"], s["name"], hex(int(s["addr"], 16)))
PY
		grep "^$arch " "$here/kver61_sections.txt" | cut -d' ' -f2- | sort >"$tmp/want"
		# the real kernel lists every allocated section; compare those
		join -j1 <(awk '{print $1"/"$2, $3}' "$tmp/want" | sort) \
			<(awk '{print $1"/"$2, $3}' "$tmp/got-$kernel" | sort) >"$tmp/joined"
		n=$(wc -l <"$tmp/want")
		same=$(awk '$2 == $3' "$tmp/joined" | wc -l)
		echo "$arch ($kernel): $same of $n sections at the real kernel's address"
		if [ $kernel = default ]; then
			grep -q "kernel 6.1 (rules of 5.18-6.1; vermagic 6.1.0-57-cloud-" "$tmp/out" ||
				{ echo "FAIL: $arch: the summary does not name the 6.1 rule set from vermagic"; failed=$((failed + 1)); }
			[ "$same" = "$n" ] || { echo "FAIL: $arch: differences (section real modbed):";
				awk '$2 != $3' "$tmp/joined" | head; failed=$((failed + 1)); }
		elif [ "$same" = "$n" ]; then
			echo "FAIL: $arch: --kernel latest matched 6.1 everywhere (the rule set made no difference)"
			failed=$((failed + 1))
		fi
	done
done
[ $failed = 0 ] && echo "kver: all passed" || echo "kver: $failed failed"
exit $((failed > 0))
