#!/usr/bin/env bash
# A real BUG_ON in a corpus module (lru_cache's lc_put on an empty cache)
# traps on both CPUs; modbed must exit 3 and name the file and line that the
# module's __bug_table gives for the trap. The expected file and line are read
# from the object with llvm tools: the .rela__bug_table entry whose bug_addr
# points at the trap (function value + offset), its line field from the
# section bytes, and the file string its file_disp relocation points at.
# usage: bug_check.sh MODBED CORPUS_DIR LLVM_READELF LLVM_OBJCOPY LLVM_NM
set -uo pipefail
modbed=$1 corpus=$2 readelf=$3 objcopy=$4 nm=$5
. "$(dirname "$0")/../evidence.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# Prints the NUL-terminated string at OFFSET of section NAME of KO.
string_at() {
	"$objcopy" --dump-section "$2=$tmp/sec" "$1" "$tmp/junk" 2>/dev/null || return 1
	tail -c +$(($3 + 1)) "$tmp/sec" | tr '\0' '\n' | head -1
}

for arch in x86_64 arm64; do
	ko=$corpus/$arch/kernel/lib/lru_cache.ko
	[ -f "$ko" ] || skip "corpus: $ko missing (run tests/corpus/fetch.sh)"
	"$modbed" call --json --no-init "$ko" -- lc_put out:256 out:64 >"$tmp/out" 2>/dev/null
	rc=$?
	pcsym=$(grep -o '"pc_sym":"[^"]*"' "$tmp/out" | head -1 | cut -d'"' -f4)
	got=$(grep -o '"bug":{[^}]*}' "$tmp/out" | sed -E 's/.*"file":"([^"]*)","line":([0-9]+).*/\1:\2/')

	# Independent reading of the object.
	fn=${pcsym#*:}; fn=${fn%+*}; off=$((${pcsym##*+}))
	read -r fval fndx < <("$readelf" -s -W "$ko" | awk -v f="$fn" '$8 == f { print $2, $7; exit }')
	secname() { "$readelf" -S -W "$ko" | sed -nE "s/^ *\[ *$1\] ([^ ]+) .*/\1/p"; }
	fsec=$(secname "$fndx")
	trap_off=$((0x$fval + off))
	"$readelf" -r -W "$ko" | awk '/^Relocation section/ { on = ($3 == "'"'"'.rela__bug_table'"'"'") } on && $3 ~ /^R_/' >"$tmp/rel"
	entry=$(awk -v s="$fsec" -v a="$(printf '%x' $trap_off)" '$5 == s && $7 == a { print $1; exit }' "$tmp/rel")
	want=""
	if [ -n "$entry" ]; then
		e=$((0x$entry))
		"$objcopy" --dump-section "__bug_table=$tmp/bt" "$ko" "$tmp/junk"
		line=$(tail -c +$((e + 9)) "$tmp/bt" | head -c 2 | od -An -tu2 | tr -d ' ')
		read -r fsym fadd < <(awk -v o="$(printf '%016x' $((e + 4)))" '$1 == o { print $5, $7; exit }' "$tmp/rel")
		if [ "${fsym#.}" != "$fsym" ] && secname '[0-9]*' | grep -qx -- "$fsym"; then
			fsec2=$fsym fval2=0
		else
			read -r fval2 fndx2 < <("$readelf" -s -W "$ko" | awk -v f="$fsym" '$8 == f { print $2, $7; exit }')
			fsec2=$(secname "$fndx2")
			fval2=$((0x$fval2))
		fi
		file=$(string_at "$ko" "$fsec2" $((fval2 + 0x$fadd)))
		want="$file:$line"
	fi
	if [ $rc = 3 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "$arch: trap at $pcsym decoded as $got (exit 3)"
		passed=$((passed + 1))
	else
		echo "FAIL: $arch: exit $rc, trap at '$pcsym', modbed says '$got', __bug_table says '$want'"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
