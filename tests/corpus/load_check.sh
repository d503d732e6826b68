#!/usr/bin/env bash
# Every corpus module places and relocates: `modbed corpus` loads each arch's
# whole tree (providers first) and must report every module loaded, none
# failed, per relocation type exactly the count llvm-readelf lists in the
# files (every relocation section of these modules targets an allocated
# section, so every entry is applied), and the special sections in the
# mod_mem types kmod-corpus.md lists for them.
# With SET_DIR ARCH KMAPS after the policy, the modules are a kbuild set's
# (SET_DIR/modules, with SET_DIR/modules.list in dependency order): then also
# every module of the list loads in one `modbed load` (kernel stub, exports
# across modules) with 0 failed. KMAPS: one or more KERNEL:MAP (--kernel
# KERNEL --map MAP; an empty KERNEL: the modules' vermagic), a plain MAP is
# :MAP. POLICY may list several policies ("kernel packed"). Every kernel and
# policy is checked against the same llvm-readelf reading of the files,
# taken once (it costs more than the loads). KCONFIG: the set's kernel
# .config, given to every load as --kernel-config.
# usage: load_check.sh MODBED CORPUS_DIR LLVM_READELF [POLICIES [SET_DIR ARCH KMAPS [KCONFIG]]]
set -uo pipefail
modbed=$(realpath "$1") corpus=$2 readelf=$3 policies=${4:-kernel}
set_dir=${5:-} set_arch=${6:-} set_kmaps=${7:-} set_config=${8:-}
. "$(dirname "$0")/../evidence.sh"

# Where the kernel's rules put each special section, per arch: a mod_mem
# type (from its flags, the names' rules and, for .static_call_sites, the
# arch's static-call support) or `dropped` (never loaded: the kernel clears
# SHF_ALLOC). How many modules carry each section is
# read from the files by llvm-readelf, so the check holds for any kernel
# build, not just the one kmod-corpus.md describes.
section_rules() {
	# With HAVE_STATIC_CALL_INLINE (x86_64) the call sites are ro_after_init
	# since 6.15 (module_mark_ro_after_init); before, and elsewhere, the
	# section is plain writable data. $2: the rule set modbed reported.
	case $1/$2 in
	x86_64/6.15) echo ".static_call_sites ro_after_init" ;;
	*) echo ".static_call_sites data" ;;
	esac
	cat <<'EOT'
.altinstructions rodata
.altinstr_replacement text
.altinstr_aux text
__jump_table ro_after_init
.static_call.text text
.orc_unwind rodata
.orc_unwind_ip rodata
.return_sites rodata
.retpoline_sites rodata
.smp_locks rodata
.parainstructions rodata
__patchable_function_entries data
__mcount_loc rodata
__ex_table rodata
__bug_table data
.plt text
.init.plt init_text
.text.ftrace_trampoline text
__ksymtab rodata
__ksymtab_gpl rodata
__ksymtab_strings rodata
__kcrctab rodata
__kcrctab_gpl rodata
.gnu.linkonce.this_module data
.modinfo dropped
__versions dropped
.data..ro_after_init ro_after_init
.data..percpu dropped
.note.Linux rodata
__param rodata
__dyndbg data
EOT
}

# "name count" for every section name, counting each module once.
section_counts() {
	find "$1" -name '*.ko' -print0 | xargs -0 -n 256 "$readelf" -S -W 2>/dev/null | awk '
		/^File: / { f = $2; next }
		/^ *\[ *[0-9]+\] / { sub(/^ *\[ *[0-9]+\] */, ""); if (!seen[f SUBSEP $1]++) c[$1]++ }
		END { for (s in c) print s, c[s] }'
}

# What `modbed corpus` must list: "name N: type" when N modules carry a
# loaded section, else "name absent".
expected_sections() {
	section_rules "$1" "$2" | awk 'NR == FNR { c[$1] = $2; next }
		{ n = c[$1] + 0; if ($2 == "dropped" || n == 0) print $1, "absent"; else print $1, n ":", $2 }' \
		"$tmp/counts" -
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# One run of `modbed corpus` (and with a set, one `modbed load` of its list)
# under OPTS..., checked against the references in $tmp/ref.
# usage: check_run ARCH DIR N LABEL POLICY OPTS...
check_run() {
	local arch=$1 dir=$2 n=$3 label=$4 policy=$5
	shift 5
	if [ -n "$set_dir" ]; then
		# modules.list is in dependency order: one command, providers first.
		mapfile -t list <"$set_dir/modules.list"
		(cd "$dir" && "$modbed" load --no-init --arch "$arch" "$@" --policy "$policy" "${list[@]}") \
			>"$tmp/all" 2>&1
		rc=$?
		got=$(grep -c '^module ' "$tmp/all")
		echo "$arch ($label): modbed load of modules.list: ${#list[@]} files, $got modules loaded (exit $rc)"
		if [ $rc != 0 ] || [ "$got" != "${#list[@]}" ] || [ "${#list[@]}" != "$n" ]; then
			echo "FAIL: $arch ($label): one load of all $n modules"; grep '^modbed:' "$tmp/all" | head -5
			return 1
		fi
	fi

	"$modbed" corpus "$dir" --arch "$arch" "$@" --policy "$policy" >"$tmp/out" 2>&1
	rc=$?
	# The pass without kallsyms copies (a second one with them follows when
	# the kernel config is beside the modules).
	awk -v h="policy $policy:" 'index($0, h) == 1 { on = 1; print; next } /^policy / { on = 0 } on' \
		"$tmp/out" >"$tmp/pass"
	line=$(head -1 "$tmp/pass")
	echo "$arch ($label): $line"
	if [ $rc != 0 ] || ! grep -q "^policy $policy: $n of $n modules loaded, 0 failed" <<<"$line"; then
		echo "FAIL: $arch ($label): not every module loaded (exit $rc)"
		sed -n '/^failed modules/,$p' "$tmp/out" | head -20
		return 1
	fi
	# Where the special sections went: kmod-corpus.md 3.1's loader classes,
	# module counts from llvm-readelf (.static_call_sites by the rule set
	# modbed took: from the modules' vermagic, 6.1 for this corpus, or
	# --kernel).
	kernel=$(sed -n 's/^corpus: .*, kernel \([0-9.]*\) (rules of.*/\1/p' "$tmp/out" | head -1)
	echo "$arch ($label): kernel rule set $kernel"
	# the rule set asked for ($k of the caller's loop), not the vermagic's
	if [ -n "$k" ] && ! grep -q "^corpus: .*, kernel $kernel (rules of [^;]*; --kernel $k[;)]" "$tmp/out"; then
		echo "FAIL: $arch ($label): modbed did not take --kernel $k: $(grep '^corpus: ' "$tmp/out" | head -1)"
		return 1
	fi
	# the set's own .config, read the way the kernel's Kconfig wrote it
	if [ -n "$set_config" ]; then
		rwx=off
		grep -qx 'CONFIG_STRICT_MODULE_RWX=y' "$set_config" && rwx=on
		if ! grep -qF "; config $set_config: STRICT_MODULE_RWX $rwx)" "$tmp/out"; then
			echo "FAIL: $arch ($label): modbed did not load as $set_config says (STRICT_MODULE_RWX $rwx): $(grep '^corpus: ' "$tmp/out" | head -1)"
			return 1
		fi
		echo "$arch ($label): kernel config $(basename "$set_config"): STRICT_MODULE_RWX $rwx"
	fi
	sed -n '/special sections/,$p' "$tmp/pass" | awk 'NR > 1 && NF >= 2 && !/^kernel \// && !/^failed/ { $1 = $1; print }' | sort >"$tmp/sec_got"
	expected_sections "$arch" "$kernel" | awk '{ $1 = $1; print }' | sort >"$tmp/sec_want"
	if ! diff "$tmp/sec_want" "$tmp/sec_got" >"$tmp/sec_diff"; then
		echo "FAIL: $arch ($label): special sections placed differently from kmod-corpus.md (< expected, > modbed):"
		cat "$tmp/sec_diff"
		return 1
	fi
	awk '/^    R_/ { print $1, $2 }' "$tmp/pass" | sort >"$tmp/got"
	skip_got=$(sed -n 's/.*skipped (target not allocated): \([0-9]*\).*/\1/p' "$tmp/pass" | head -1)
	if [ "skipped $skip_got" != "$(cat "$tmp/skip_want")" ]; then
		echo "FAIL: $arch ($label): modbed skipped $skip_got relocations of non-allocated sections, llvm-readelf lists $(cat "$tmp/skip_want") in .debug_*"
		return 1
	fi
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		echo "$arch ($label): $n modules, relocations per type equal llvm-readelf's: $(awk '{ s += $2 } END { print s }' "$tmp/want")"
	else
		echo "FAIL: $arch ($label): relocation counts differ from llvm-readelf (< readelf, > modbed):"
		cat "$tmp/diff"
		return 1
	fi
}

if [ -n "$set_dir" ]; then arches=$set_arch; else arches="x86_64 arm64"; fi
for arch in $arches; do
	dir=$corpus/$arch kmaps=":"
	[ -n "$set_dir" ] && { dir=$set_dir/modules; kmaps=$set_kmaps; }
	n=$(find "$dir" -name '*.ko' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || skip "corpus: no modules under $dir (run tests/corpus/${set_dir:+kbuild}${set_dir:-fetch}.sh)"

	# The references, from the files alone, once per tree.
	section_counts "$dir" >"$tmp/counts"
	# Never loaded, though present in the files.
	for s in .modinfo __versions .data..percpu; do
		have=$(awk -v s="$s" '$1 == s { print $2 }' "$tmp/counts")
		echo "$arch: $s present in ${have:-0} modules, loaded in none"
	done
	# Debug sections (kbuild sets with CONFIG_DEBUG_INFO) are not allocated:
	# their relocations are counted as skipped, not applied.
	find "$dir" -name '*.ko' -print0 | xargs -0 "$readelf" -r 2>/dev/null |
		awk '/^Relocation section/ { dbg = ($3 ~ /^.\.rela?\.debug_/) }
		     $3 ~ /^R_/ { if (dbg) s++; else c[$3]++ }
		     END { for (t in c) print t, c[t]; print "skipped", s + 0 >"/dev/stderr" }' 2>"$tmp/skip_want" |
		sort >"$tmp/want"

	for km in $kmaps; do
		case $km in *:*) k=${km%%:*} m=${km#*:} ;; *) k='' m=$km ;; esac
		opts=()
		[ -n "$m" ] && opts+=(--map "$m")
		[ -n "$k" ] && opts+=(--kernel "$k")
		[ -n "$set_config" ] && opts+=(--kernel-config "$set_config")
		for policy in $policies; do
			label="policy $policy${m:+, $m}${k:+, --kernel $k}"
			if check_run "$arch" "$dir" "$n" "$label" "$policy" "${opts[@]}"; then
				passed=$((passed + 1))
			else
				failed=$((failed + 1))
			fi
		done
	done
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
