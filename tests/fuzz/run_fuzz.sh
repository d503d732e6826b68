#!/usr/bin/env bash
# A bounded libFuzzer run of fuzz_elf: RUNS executions (-seed=1) from seeds
# made here: the built test modules up to 64 KiB, the regression inputs, and
# per arch a copy of run_life.ko signed as the kernel's sign-file signs
# (a detached CMS/PKCS#7 blob made by openssl, struct module_signature with
# id_type PKCS#7, the magic), which `modbed info` must show signed by the
# key made here, so the run starts inside the PKCS#7 parser. Fails on any
# crash, sanitizer report, leak or timeout (the input is kept as
# fuzz-crash-* in the working directory) and when fewer than RUNS
# executions were made.
# usage: run_fuzz.sh FUZZ_ELF RUNS MODULE_DIR REGRESSION_DIR MODBED OPENSSL [LIBFUZZER_OPTION...]
set -euo pipefail
fuzz=$1 runs=$2 mods=$3 regress=$4 modbed=$5 openssl=$6
shift 6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/seeds" "$tmp/new"
[ -x "$fuzz" ] || { echo "FAIL: $fuzz not built"; exit 1; }

for arch in x86_64 arm64 powerpc32; do
	for ko in "$mods/$arch"/*.ko; do
		[ "$(stat -c %s "$ko")" -le 65536 ] && cp "$ko" "$tmp/seeds/$arch-$(basename "$ko")"
	done
done
cp "$regress"/* "$tmp/seeds/"

"$openssl" req -new -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
	-subj "/CN=modbed fuzz seed" 2>/dev/null
for arch in x86_64 arm64 powerpc32; do
	ko=$mods/$arch/run_life.ko out=$tmp/seeds/$arch-signed.ko
	"$openssl" cms -sign -binary -noattr -nocerts -nosmimecap -outform DER -md sha256 \
		-signer "$tmp/cert.pem" -inkey "$tmp/key.pem" -in "$ko" -out "$tmp/sig"
	len=$(stat -c %s "$tmp/sig")
	{
		cat "$ko" "$tmp/sig"
		# algo, hash, id_type = PKEY_ID_PKCS7, signer_len, key_id_len, pad[3]
		printf '\0\0\2\0\0\0\0\0'
		printf "\\$(printf %03o $((len >> 24 & 255)))\\$(printf %03o $((len >> 16 & 255)))"
		printf "\\$(printf %03o $((len >> 8 & 255)))\\$(printf %03o $((len & 255)))"
		printf '~Module signature appended~\n'
	} >"$out"
	"$modbed" info "$out" | grep -q '^signer: *modbed fuzz seed$' ||
		{ echo "FAIL: $out: modbed info does not show the seed's signer"; "$modbed" info "$out"; exit 1; }
done
echo "$(ls "$tmp/seeds" | wc -l) seeds"

set +e
"$fuzz" -runs="$runs" -seed=1 -max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$PWD/fuzz-" "$@" "$tmp/new" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
set -e
grep -E '^(#[0-9]+ +DONE|INFO: seed corpus|==[0-9]+==|SUMMARY|stat::)' "$tmp/log" | head -20
if [ $rc -ne 0 ]; then
	tail -60 "$tmp/log"
	echo "FAIL: libFuzzer exit $rc (input kept as $PWD/fuzz-*)"
	exit 1
fi
done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")
[ "${done_runs:-0}" -ge "$runs" ] || { echo "FAIL: $done_runs executions, wanted $runs"; exit 1; }
echo "libFuzzer: $done_runs executions, no finding"
