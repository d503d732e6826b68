#!/usr/bin/env bash
# Builds real kernel modules from Debian's linux-source-6.1 with kbuild, one
# set per defconfig, all with the same config fragment (kbuild.fragment), and
# for powerpc32-book3s32 also the vmlinux that loads them (the ppc32 oracle).
#
# Cache: ${MODBED_CACHE:-~/.cache/modbed}/kbuild/<source version>-<fragment hash>/<SET>/
#   modules/<kbuild path>.ko   every wanted module (lib/crc7.ko, crypto/...)
#   modules.list               the same paths, dependencies first (load order)
#   config-<kernelrelease>     the .config they were built with
#   vmlinux, System.map        powerpc32-book3s32 only: the oracle kernel
#   times                      seconds per build step of the cold build
# The O= build trees live beside the sets in .obj/<SET> (not under <SET>/, so
# `modbed corpus <SET dir>` sees only the collected modules). The source is
# unpacked once per source version in kbuild/src/.
#
# usage: kbuild.sh [SET...]       SET: powerpc32-book3s32 powerpc32-8xx x86_64 arm64
#                                 (default all)
#        kbuild.sh --print-dir    the cache folder of this source and fragment
#        kbuild.sh --config-only [SET...]   configure and check the fragment
#                                 against the resolved .config, build nothing
# env:   MODBED_CACHE (cache root), MODBED_KBUILD_JOBS (make -j, default 2)
# exit:  0 every set present, 77 cannot build here (a missing package is
#        named), 1 error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=${MODBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modbed}/kbuild
tarball=/usr/src/linux-source-6.1.tar.xz
srcpkg=linux-source-6.1
jobs=${MODBED_KBUILD_JOBS:-2}
all_sets="powerpc32-book3s32 powerpc32-8xx x86_64 arm64"
# Bump when the recipe (not the fragment) changes what lands in the cache.
recipe=1
SKIP=77

say() { echo "kbuild: $*"; }
skip() { echo "kbuild: SKIP: $*" >&2; exit $SKIP; }
die() { echo "kbuild: error: $*" >&2; exit 1; }

# The cache key: the source package version and a hash over every fragment
# (a set's own fragment changes that set's config, so it is part of the key).
src_version() { dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null || true; }
fragment_hash() {
	{ echo "recipe $recipe"; cat "$here"/kbuild.fragment "$here"/kbuild.*.fragment 2>/dev/null; } \
		| sha256sum | cut -c1-12
}
version=$(src_version)
key=${version:-none}-$(fragment_hash)
keydir=$root/$key

sets=()
config_only=0
for a in "$@"; do
	case $a in
	--print-dir) echo "$keydir"; exit 0 ;;
	--config-only) config_only=1 ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	powerpc32-book3s32|powerpc32-8xx|x86_64|arm64) sets+=("$a") ;;
	*) die "unknown argument '$a' (sets: $all_sets; option: --print-dir)" ;;
	esac
done
[ ${#sets[@]} -gt 0 ] || read -r -a sets <<<"$all_sets"

# What each set is built with. pre: objects modules_prepare leaves out that
# every module links (ppc32: the out-of-line register save/restore helpers).
host=$(uname -m)
set_vars() {
	pre="" image=""
	case $1 in
	powerpc32-book3s32|powerpc32-8xx)
		karch=powerpc cross=powerpc-linux-gnu-
		pkgs="gcc-powerpc-linux-gnu binutils-powerpc-linux-gnu"
		pre=arch/powerpc/lib/crtsavres.o
		if [ "$1" = powerpc32-8xx ]; then defconfig=mpc885_ads_defconfig
		else defconfig=pmac32_defconfig image=vmlinux; fi ;;
	x86_64)
		karch=x86_64 defconfig=x86_64_defconfig
		if [ "$host" = x86_64 ]; then cross="" pkgs=gcc
		else cross=x86_64-linux-gnu- pkgs=gcc-x86-64-linux-gnu; fi ;;
	arm64)
		karch=arm64 defconfig=defconfig
		if [ "$host" = aarch64 ]; then cross="" pkgs=gcc
		else cross=aarch64-linux-gnu- pkgs="gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu"; fi ;;
	esac
}

# Everything a build needs, by the package that provides it.
check_tools() {
	local missing=""
	command -v "${cross}gcc" >/dev/null || missing+=" ${pkgs%% *}"
	command -v "${cross}ld" >/dev/null || missing+=" ${pkgs##* }"
	local t p
	for t in make:make flex:flex bison:bison bc:bc perl:perl xz:xz-utils modinfo:kmod \
		 flock:util-linux gcc:gcc; do
		command -v "${t%%:*}" >/dev/null || missing+=" ${t##*:}"
	done
	for p in openssl/opensslv.h:libssl-dev libelf.h:libelf-dev; do
		[ -f "/usr/include/${p%%:*}" ] || missing+=" ${p##*:}"
	done
	[ -z "$missing" ] || skip "$set: missing Debian packages:$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
}

# One unpacked source tree per source version, shared by all sets and keys.
unpack() {
	srcdir=$root/src/$version/linux-source-6.1
	[ -f "$srcdir/Makefile" ] && return 0
	mkdir -p "$root/src"
	exec 8>"$root/src/lock"
	flock 8
	if [ ! -f "$srcdir/Makefile" ]; then
		say "unpacking $tarball ($version)"
		local t0=$SECONDS tmp=$root/src/$version.tmp
		rm -rf "$tmp"; mkdir -p "$tmp"
		nice -n 10 tar -xf "$tarball" -C "$tmp"
		rm -rf "$root/src/$version"
		mv "$tmp" "$root/src/$version"
		unpack_s=$((SECONDS - t0))
		say "unpacked in ${unpack_s} s"
	fi
	exec 8>&-
}

kmake() {
	nice -n 10 make -C "$srcdir" O="$obj" ARCH="$karch" ${cross:+CROSS_COMPILE=$cross} \
		KBUILD_BUILD_USER=modbed KBUILD_BUILD_HOST=modbed \
		KBUILD_BUILD_TIMESTAMP="$version" -j"$jobs" "$@"
}

# Runs one make step, logging to $log; on failure shows the log's tail.
step() {
	local name=$1; shift
	local t0=$SECONDS
	echo "== $name: make $*" >>"$log"
	if ! kmake "$@" >>"$log" 2>&1; then
		grep -E 'error|Error|undefined' "$log" | tail -15 >&2 || true
		tail -5 "$log" >&2
		die "$set: $name failed (log: $log)"
	fi
	echo "$name $((SECONDS - t0))" >>"$times"
	say "$set: $name $((SECONDS - t0)) s"
}

# The fragment lines that apply to a set: the shared fragment, then the set's.
fragment_lines() {
	cat "$here/kbuild.fragment"
	[ ! -f "$here/kbuild.$1.fragment" ] || cat "$here/kbuild.$1.fragment"
}

# scripts/config arguments for the fragment.
config_args() {
	fragment_lines "$set" | awk '
	/^[ \t]*(#|$)/ { next }
	{
		split($1, kv, "="); sym = kv[1]; sub(/^CONFIG_/, "", sym)
		val = substr($1, length(kv[1]) + 2)
		if (val == "m") print "--module", sym
		else if (val == "y") print "--enable", sym
		else if (val == "n") print "--disable", sym
		else print "--set-val", sym, val
	}'
}

# Checks the resolved .config against the fragment. Prints the wanted .ko
# paths; an unexpected value is an error, an expected one (~SET) is noted.
wanted_modules() {
	fragment_lines "$set" | awk -v set="$set" -v cfg="$obj/.config" -v notes="$out.notes" '
	BEGIN {
		while ((getline l < cfg) > 0) {
			if (l ~ /^CONFIG_[A-Za-z0-9_]+=/) { i = index(l, "="); have[substr(l, 1, i - 1)] = substr(l, i + 1) }
		}
		bad = 0
	}
	/^[ \t]*(#|$)/ { next }
	{
		i = index($1, "="); sym = substr($1, 1, i - 1); want = substr($1, i + 1)
		got = (sym in have) ? have[sym] : "n"
		expected_off = 0
		for (f = 2; f <= NF; f++) if ($f == "~" set) expected_off = 1
		if (got == want) {
			for (f = 2; f <= NF; f++) if ($f ~ /\.ko$/) print $f
			if (expected_off) print sym "=" got " although marked ~" set " (module built)" > notes
		} else if (expected_off) {
			print sym "=" got " (expected here; not a module)" > notes
		} else {
			printf "kbuild: error: %s: %s is %s after olddefconfig, fragment asks %s (mark it ~%s if that is right)\n", set, sym, got, want, set > "/dev/stderr"
			bad = 1
		}
	}
	END { exit bad }'
}

# Module dependencies from .modinfo (modinfo reads any ELF class and byte
# order), then a load order: dependencies first, ties by path.
load_order() {
	local ko name deps
	: >"$out.deps"
	while read -r ko; do
		name=$(basename "$ko" .ko)
		deps=$(modinfo -F depends "$mods/$ko" 2>/dev/null | tr ',' ' ') \
			|| die "$set: modinfo cannot read $ko"
		echo "$ko $name $deps" >>"$out.deps"
	done <"$out.wanted"
	awk '
	{ path[$2] = $1; names[++n] = $2; for (f = 3; f <= NF; f++) dep[$2, ++nd[$2]] = $f }
	END {
		for (i = 1; i <= n; i++) for (j = 1; j <= nd[names[i]]; j++) {
			d = dep[names[i], j]
			if (!(d in path)) { printf "kbuild: error: %s needs module %s, which is not in the set (add it to kbuild.fragment)\n", path[names[i]], d > "/dev/stderr"; bad = 1 }
		}
		if (bad) exit 1
		# Kahn: repeatedly emit, in path order, every module whose deps are out.
		left = n
		while (left > 0) {
			m = 0
			for (i = 1; i <= n; i++) {
				x = names[i]; if (x in done) continue
				ok = 1
				for (j = 1; j <= nd[x]; j++) if (!(dep[x, j] in done)) ok = 0
				if (ok) ready[++m] = path[x]
			}
			if (m == 0) { print "kbuild: error: dependency cycle among the modules" > "/dev/stderr"; exit 1 }
			# insertion sort of this round by path
			for (i = 2; i <= m; i++) { v = ready[i]; for (j = i - 1; j >= 1 && ready[j] > v; j--) ready[j + 1] = ready[j]; ready[j + 1] = v }
			for (i = 1; i <= m; i++) { print ready[i]; p = ready[i]; sub(/.*\//, "", p); sub(/\.ko$/, "", p); done[p] = 1 }
			left -= m
		}
	}' "$out.deps"
}

summary() {
	local n; n=$(wc -l <"$out/modules.list")
	local extra=""; [ ! -f "$out/vmlinux" ] || extra=" + vmlinux"
	say "$set: $n modules$extra in $out ($(tr '\n' ' ' <"$out/times" | sed 's/ $//'))"
}

build_set() {
	set=$1
	set_vars "$set"
	out=$keydir/$set
	obj=$keydir/.obj/$set
	if [ -f "$out/DONE" ] && [ -f "$out/modules.list" ]; then
		summary
		return 0
	fi
	if [ -z "$version" ] || [ ! -f "$tarball" ]; then
		skip "$set: missing Debian package: $srcpkg ($tarball)"
	fi
	check_tools
	mkdir -p "$keydir/.obj"
	exec 9>"$keydir/.obj/$set.lock"
	flock 9
	if [ -f "$out/DONE" ]; then summary; exec 9>&-; return 0; fi

	unpack
	rm -rf "$out" "$out.tmp"
	mkdir -p "$obj" "$out.tmp"
	log=$out.tmp/build.log times=$out.tmp/times
	: >"$log"
	[ -z "${unpack_s:-}" ] || echo "unpack $unpack_s" >"$times"
	unpack_s=""
	local t0=$SECONDS

	# Config: defconfig, the fragment, olddefconfig; then check it took.
	step defconfig "$defconfig"
	local args; args=$(config_args)
	# shellcheck disable=SC2086 # one word per argument by construction
	"$srcdir/scripts/config" --file "$obj/.config" $args
	step olddefconfig olddefconfig
	rm -f "$out.notes"
	wanted_modules >"$out.wanted.all" || die "$set: the config does not match kbuild.fragment"
	sort -u "$out.wanted.all" >"$out.wanted"
	rm -f "$out.wanted.all"
	if [ $config_only = 1 ]; then
		say "$set: config matches the fragment; $(wc -l <"$out.wanted") modules wanted"
		[ ! -f "$out.notes" ] || sed 's/^/  /' "$out.notes"
		rm -rf "$out.tmp" "$out.wanted" "$out.notes"
		exec 9>&-
		return 0
	fi

	step modules_prepare modules_prepare
	# shellcheck disable=SC2086
	[ -z "$pre" ] || step prebuild $pre
	# shellcheck disable=SC2046
	step modules $(cat "$out.wanted")
	[ -z "$image" ] || step "$image" "$image"

	# Collect and verify: every wanted module really built.
	mods=$out.tmp/modules
	local ko missing=0
	while read -r ko; do
		if [ ! -f "$obj/$ko" ]; then echo "kbuild: error: $set: $ko was not built" >&2; missing=1; continue; fi
		mkdir -p "$mods/$(dirname "$ko")"
		cp "$obj/$ko" "$mods/$ko"
	done <"$out.wanted"
	[ $missing = 0 ] || die "$set: wanted modules missing (log: $log)"
	load_order >"$out.tmp/modules.list" || die "$set: no load order"
	local rel; rel=$(cat "$obj/include/config/kernel.release")
	cp "$obj/.config" "$out.tmp/config-$rel"
	if [ -n "$image" ]; then
		cp "$obj/$image" "$out.tmp/$image"
		cp "$obj/System.map" "$out.tmp/System.map"
	fi
	[ ! -f "$out.notes" ] || mv "$out.notes" "$out.tmp/config-notes"
	rm -f "$out.wanted" "$out.deps"
	echo "total $((SECONDS - t0))" >>"$times"
	echo "$key $set $(date -u +%FT%TZ)" >"$out.tmp/DONE"
	mv "$out.tmp" "$out"
	summary
	exec 9>&-
}

for s in "${sets[@]}"; do
	build_set "$s"
done
