#!/usr/bin/env bash
# Every corpus module places and relocates: `modbed corpus` loads each arch's
# whole tree (providers first) and must report every module loaded, none
# failed, per relocation type exactly the count llvm-readelf lists in the
# files (every relocation section of these modules targets an allocated
# section, so every entry is applied), and the special sections in the
# mod_mem types kmod-corpus.md lists for them.
# usage: load_check.sh MODBED CORPUS_DIR LLVM_READELF [POLICY]
set -uo pipefail
modbed=$1 corpus=$2 readelf=$3 policy=${4:-kernel}
SKIP=77

expected_sections() {
	case $1 in
	x86_64) cat <<'EOT'
.altinstructions 78: rodata
.altinstr_replacement 78: text
.altinstr_aux 10: text
__jump_table 360: ro_after_init
.static_call_sites 216: ro_after_init
.static_call.text 44: text
.orc_unwind 1120: rodata
.orc_unwind_ip 1120: rodata
.return_sites 1114: rodata
.retpoline_sites 435: rodata
.smp_locks 396: rodata
.parainstructions 54: rodata
__patchable_function_entries absent
__mcount_loc 1110: rodata
__ex_table 8: rodata
__bug_table 461: data
.plt absent
.init.plt absent
.text.ftrace_trampoline absent
__ksymtab 106: rodata
__ksymtab_gpl 218: rodata
__ksymtab_strings 276: rodata
__kcrctab 106: rodata
__kcrctab_gpl 218: rodata
.gnu.linkonce.this_module 1121: data
.modinfo absent
__versions absent
.data..ro_after_init 22: ro_after_init
.data..percpu absent
.note.Linux 1121: rodata
__param 199: rodata
__dyndbg 278: data
EOT
	;;
	arm64) cat <<'EOT'
.altinstructions 554: rodata
.altinstr_replacement absent
.altinstr_aux absent
__jump_table 362: ro_after_init
.static_call_sites absent
.static_call.text absent
.orc_unwind absent
.orc_unwind_ip absent
.return_sites absent
.retpoline_sites absent
.smp_locks absent
.parainstructions absent
__patchable_function_entries 981: data
__mcount_loc absent
__ex_table 50: rodata
__bug_table 469: data
.plt 992: text
.init.plt 992: init_text
.text.ftrace_trampoline 992: text
__ksymtab 112: rodata
__ksymtab_gpl 184: rodata
__ksymtab_strings 250: rodata
__kcrctab 112: rodata
__kcrctab_gpl 184: rodata
.gnu.linkonce.this_module 992: data
.modinfo absent
__versions absent
.data..ro_after_init 21: ro_after_init
.data..percpu absent
.note.Linux 992: rodata
__param 170: rodata
__dyndbg 243: data
EOT
	;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

for arch in x86_64 arm64; do
	dir=$corpus/$arch
	n=$(find "$dir" -name '*.ko' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || { echo "corpus: SKIP: no modules under $dir (run tests/corpus/fetch.sh)"; exit $SKIP; }

	"$modbed" corpus "$dir" --arch "$arch" --policy "$policy" >"$tmp/out" 2>&1
	rc=$?
	# The pass without kallsyms copies (a second one with them follows when
	# the kernel config is beside the modules).
	awk -v h="policy $policy:" 'index($0, h) == 1 { on = 1; print; next } /^policy / { on = 0 } on' \
		"$tmp/out" >"$tmp/pass"
	line=$(head -1 "$tmp/pass")
	echo "$arch: $line"
	if [ $rc != 0 ] || ! grep -q "^policy $policy: $n of $n modules loaded, 0 failed" <<<"$line"; then
		echo "FAIL: $arch: not every module loaded (exit $rc)"
		sed -n '/^failed modules/,$p' "$tmp/out" | head -20
		failed=$((failed + 1))
		continue
	fi
	# Where the special sections went: kmod-corpus.md 3.1's module counts and
	# loader classes (.static_call_sites: ro_after_init, the rule of kernels
	# with module_mark_ro_after_init and HAVE_STATIC_CALL_INLINE, which the
	# x86_64 maps model; 6.1 itself left it in data).
	sed -n '/special sections/,$p' "$tmp/pass" | awk 'NR > 1 && NF >= 2 && !/^kernel \// && !/^failed/ { $1 = $1; print }' >"$tmp/sec_got"
	expected_sections "$arch" | awk '{ $1 = $1; print }' >"$tmp/sec_want"
	if ! diff "$tmp/sec_want" "$tmp/sec_got" >"$tmp/sec_diff"; then
		echo "FAIL: $arch: special sections placed differently from kmod-corpus.md (< expected, > modbed):"
		cat "$tmp/sec_diff"
		failed=$((failed + 1))
		continue
	fi
	# Never loaded, though present in the files.
	for s in .modinfo __versions .data..percpu; do
		have=$(find "$dir" -name '*.ko' -print0 | xargs -0 "$readelf" -S -W 2>/dev/null | grep -c " $s ")
		echo "$arch: $s present in $have modules, loaded in none"
	done
	awk '/^    R_/ { print $1, $2 }' "$tmp/pass" | sort >"$tmp/got"
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
