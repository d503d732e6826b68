#!/usr/bin/env bash
# `modbed info` on every corpus module against an independent reading of the
# same bytes: .modinfo strings as llvm-readelf -p prints them, __versions
# entry count from llvm-readelf's section size / 64, and the signature
# trailer decoded with tail/od (sig_len is the big-endian word before the
# magic; the signature starts sig_len + 40 bytes before the end).
# usage: info_check.sh MODBED CORPUS_DIR LLVM_OBJCOPY LLVM_READELF
set -uo pipefail
modbed=$1 corpus=$2 objcopy=$3 readelf=$4
. "$(dirname "$0")/../evidence.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }  # a whole-run failure

for arch in x86_64 arm64; do
	dir=$corpus/$arch
	find "$dir" -name '*.ko' 2>/dev/null | sort >"$tmp/list"
	[ -s "$tmp/list" ] || skip "corpus: no modules under $dir (run tests/corpus/fetch.sh)"

	# modbed's view: one "file<TAB>field<TAB>value" line per checked field.
	xargs -a "$tmp/list" -n 64 "$modbed" info >"$tmp/info" 2>"$tmp/err" || { cat "$tmp/err"; fail "$arch: modbed info exited non-zero"; }
	awk -v OFS='\t' '
		/^filename:/ { f = $2 }
		/^vermagic:/ { v = $0; sub(/^vermagic:[ ]+/, "", v); print f, "vermagic", v }
		/^license:/ { v = $0; sub(/^license:[ ]+/, "", v); print f, "license", v }
		/^depends:/ { v = $0; sub(/^depends:[ ]*/, "", v); print f, "depends", v }
		/^versions:/ { print f, "versions", ($2 == "none" ? 0 : $2) }
		/^parm:/ { n[f]++ }
		/^signature:/ { print f, "sig", ($2 == "none" ? "none" : $3 " " $7) }
		END { for (k in n) print k, "nparm", n[k] }' "$tmp/info" | sort >"$tmp/got"

	# The independent view.
	: >"$tmp/want"
	# (mawk has no hex input: the shell converts the size.)
	xargs -a "$tmp/list" "$readelf" -S -W 2>/dev/null | awk '
		/^File: / { f = $2 }
		{ for (i = 2; i <= NF; i++) if ($i == "__versions") print f, $(i + 4) }' |
	while read -r f hex; do printf '%s\tversions\t%d\n' "$f" $((0x$hex / 64)); done >>"$tmp/want"
	# .modinfo strings, many files per llvm-readelf process.
	xargs -a "$tmp/list" -n 200 "$readelf" -p .modinfo 2>/dev/null | awk -v OFS='\t' '
		function flush() {
			if (f == "") return
			if (!d) print f, "depends", ""
			n = 0; for (k in p) n++
			if (n) print f, "nparm", n
			delete p
		}
		/^File: / { flush(); f = substr($0, 7); d = 0; next }
		/^\[ *[0-9a-f]+\] / {
			s = $0; sub(/^\[ *[0-9a-f]+\] /, "", s)
			if (s ~ /^vermagic=/) print f, "vermagic", substr(s, 10)
			else if (s ~ /^license=/) print f, "license", substr(s, 9)
			else if (s ~ /^depends=/) { print f, "depends", substr(s, 9); d = 1 }
			else if (s ~ /^parm(type)?=/) { split(substr(s, index(s, "=") + 1), a, ":"); p[a[1]] = 1 }
		}
		END { flush() }' >>"$tmp/want"
	# The trailer: magic in the last 28 bytes, sig_len the big-endian word before it.
	while read -r ko; do
		size=$(stat -c %s "$ko")
		tail -c 40 "$ko" | od -An -v -tu1 | tr -s ' \n' ' ' | awk -v f="$ko" -v size="$size" -v OFS='\t' '{
			magic = "126 77 111 100 117 108 101 32 115 105 103 110 97 116 117 114 101 32 97 112 112 101 110 100 101 100 126 10"
			m = ""; for (i = 13; i <= 40; i++) m = m (i > 13 ? " " : "") $i
			if (NF == 40 && m == magic) {
				len = $9 * 16777216 + $10 * 65536 + $11 * 256 + $12
				print f, "sig", len " " (size - 40 - len)
			} else print f, "sig", "none"
		}' >>"$tmp/want"
	done <"$tmp/list"
	sort -o "$tmp/want" "$tmp/want"

	# The PKCS#7 signer, serial and digest of a sample, against openssl's
	# own decoding.
	awk 'NR % 50 == 1' "$tmp/list" >"$tmp/sample"
	while read -r ko; do
		len=$(awk -F'\t' -v f="$ko" '$1 == f && $2 == "sig" { split($3, a, " "); print a[1] }' "$tmp/want")
		[ -n "$len" ] && [ "$len" != none ] || continue
		tail -c $((len + 40)) "$ko" | head -c "$len" >"$tmp/p7"
		openssl pkcs7 -inform DER -in "$tmp/p7" -print 2>/dev/null | awk -v f="$ko" -v OFS='\t' '
			/issuer: CN=/ && !cn { cn = $0; sub(/.*issuer: CN=/, "", cn); sub(/,.*/, "", cn) }
			/serial: 0x/ && !se { se = $2; sub(/^0x/, "", se) }
			/algorithm:/ && !al { al = $2 }
			END { print f, "signer", cn; print f, "serial", se; print f, "hash", al }' >>"$tmp/p7want"
		"$modbed" info "$ko" | awk -v f="$ko" -v OFS='\t' '
			/^signer:/ { v = $0; sub(/^signer:[ ]+/, "", v); print f, "signer", v }
			/^sig_key:/ { v = $2; gsub(/:/, "", v); sub(/^(00)+/, "", v); print f, "serial", v }
			/^sig_hashalgo:/ { print f, "hash", $2 }' >>"$tmp/p7got"
	done <"$tmp/sample"
	if ! diff "$tmp/p7want" "$tmp/p7got" >"$tmp/p7diff"; then
		head -10 "$tmp/p7diff"
		fail "$arch: PKCS#7 signer/serial/digest differ from openssl's"
	else
		echo "$arch: PKCS#7 signer, serial and digest of $(wc -l <"$tmp/sample") modules equal openssl's"
	fi
	rm -f "$tmp/p7want" "$tmp/p7got"

	n=$(wc -l <"$tmp/list")
	if ! diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		head -20 "$tmp/diff"
		bad=$(grep '^[<>]' "$tmp/diff" | cut -f1 | cut -c3- | sort -u | wc -l)
		echo "FAIL: $arch: modbed info differs from the independent reading for $bad modules"
		failed=$((failed + bad))
		n=$((n - bad))
	fi
	echo "$arch: $(wc -l <"$tmp/want") fields of $(wc -l <"$tmp/list") modules compared"
	checked=$((checked + n))
done
echo "$checked passed, $failed failed"
[ "$failed" = 0 ]
