#!/usr/bin/env bash
# Fetches Debian's newest cloud kernel image packages for amd64 and arm64 and
# unpacks their .ko files into $MODBED_CORPUS_CACHE/<modbed arch>/ (default
# ${MODBED_CACHE:-~/.cache/modbed}/corpus: outside the clone, shared by checkouts).
#
# The machine's apt configuration is left alone: apt runs with a private
# state, lists and cache folder under the cache, a sources.list generated from
# the Debian mirrors the machine already uses, and the foreign architecture
# given as an option (no `dpkg --add-architecture`).
#
# usage: fetch.sh [--refresh] [ARCH...]     ARCH: x86_64 | arm64 (default both)
#   --refresh   ask the mirror whether a newer package exists even when a
#               corpus is already unpacked (otherwise a second run does nothing)
# exit: 0 corpus present, 77 cannot fetch (no network / no package: skip),
#       1 anything else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${MODBED_CORPUS_CACHE:-${MODBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modbed}/corpus}
. "$here/../evidence.sh"

say() { echo "corpus: $*"; }
die() { echo "corpus: error: $*" >&2; exit 1; }

refresh=0
arches=()
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	x86_64|arm64) arches+=("$a") ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument '$a' (arches: x86_64 arm64; option: --refresh)" ;;
	esac
done
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 arm64)

for tool in apt-get apt-cache dpkg-deb; do
	command -v "$tool" >/dev/null || skip "$tool not installed (this script needs a Debian host)"
done

# Debian architecture name for a modbed arch.
debarch() { case $1 in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac; }

# One-line sources for every enabled Debian mirror in the machine's apt
# configuration (sources.list, *.list, deb822 *.sources). Other vendors'
# repositories are left out: they carry no kernel and may not serve arm64.
debian_sources() {
	local arch=$1
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk '$1 == "deb" { print }' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			# deb822: blank-line separated stanzas of "Key: value".
			awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && uris != "" && enabled != "no") {
					n = split(uris, u, " "); m = split(suites, s, " ")
					opt = signed != "" ? " signed-by=" signed : ""
					for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
						printf "deb [%s] %s %s %s\n", substr(opt, 2), u[i], s[j], comps
				}
				types = uris = suites = comps = signed = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "signed-by") signed = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { flush() }' "$f"
		done
	} | grep -E '(deb\.debian\.org|/debian(-security)?/?( |$)|debian)' \
	  | sed -E "s/^deb \[\] /deb /; s/^deb (\[[^]]*)\]/deb \1 arch=$arch]/; s/^deb ([^[])/deb [arch=$arch] \1/" \
	  | sort -u
}

# apt-get / apt-cache with every piece of state private to this cache.
apt_priv() {
	local tool=$1 arch=$2; shift 2
	local d=$cache/apt/$arch
	"$tool" -q \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		-o Dir::State="$d/state" -o Dir::State::status="$d/state/status" \
		-o Dir::Cache="$d/cache" \
		-o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/sources.list.d" \
		-o Dir::Etc::Preferences="$d/preferences" -o Dir::Etc::PreferencesParts="$d/preferences.d" \
		-o Debug::NoLocking=true \
		"$@"
}

# The versioned image package the cloud metapackage points at now.
newest_image() {
	local arch=$1 meta=linux-image-cloud-$1
	apt_priv apt-cache "$arch" depends "$meta" 2>/dev/null \
		| awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true
}

fetch_one() {
	local march=$1 arch; arch=$(debarch "$1")
	local out=$cache/$march stamp=$cache/$march/PACKAGE
	if [ -f "$stamp" ] && [ $refresh = 0 ]; then
		local n; n=$(find "$out" -name '*.ko' | wc -l)
		if [ "$n" -gt 0 ]; then
			say "$march: $(cat "$stamp") already unpacked ($n modules in $out); nothing to do (--refresh checks for a newer one)"
			return 0
		fi
	fi

	local d=$cache/apt/$arch
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial" "$d/sources.list.d" "$d/preferences.d"
	: >"$d/state/status"
	debian_sources "$arch" >"$d/sources.list"
	[ -s "$d/sources.list" ] || skip "no Debian mirror configured in /etc/apt (looked in sources.list and sources.list.d)"

	say "$march: updating private package lists for $arch ($(wc -l <"$d/sources.list") Debian sources)"
	# apt-get update exits 0 even when every mirror failed: judge by the lists.
	apt_priv apt-get "$arch" update >"$d/update.log" 2>&1 || true
	if ! ls "$d"/state/lists/*_Packages* >/dev/null 2>&1; then
		grep -E '^(E|W|Err):' "$d/update.log" | sed 's/^/  /' | tail -4 >&2
		skip "$march: cannot reach the Debian mirror (no network?)"
	fi
	if grep -q '^W: Failed to fetch' "$d/update.log"; then
		say "$march: some lists failed to update; using what arrived"
	fi

	local pkg; pkg=$(newest_image "$arch")
	[ -n "$pkg" ] || skip "$march: linux-image-cloud-$arch is not in the configured Debian suites"
	local ver; ver=$(apt_priv apt-cache "$arch" show --no-all-versions "$pkg" | awk '$1 == "Version:" { print $2; exit }' || true)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg $ver" ] && [ -n "$(find "$out" -name '*.ko' -print -quit)" ]; then
		say "$march: $pkg $ver is still the newest and already unpacked; nothing to do"
		return 0
	fi

	say "$march: downloading $pkg $ver"
	local dl=$d/download
	rm -rf "$dl"; mkdir -p "$dl"
	if ! (cd "$dl" && apt_priv apt-get "$arch" download "$pkg:$arch") >"$d/download.log" 2>&1; then
		sed 's/^/  /' "$d/download.log" | tail -5 >&2
		skip "$march: download of $pkg failed"
	fi
	local deb; deb=$(find "$dl" -name '*.deb' -print -quit)
	[ -n "$deb" ] || skip "$march: apt-get download produced no .deb"

	say "$march: unpacking $(basename "$deb")"
	local tmp=$cache/$march.tmp
	rm -rf "$tmp"; mkdir -p "$tmp/root"
	dpkg-deb -x "$deb" "$tmp/root"
	local kdir; kdir=$(find "$tmp/root" -type d -path '*/lib/modules/*/kernel' -print -quit)
	[ -n "$kdir" ] || die "$march: $(basename "$deb") has no lib/modules/*/kernel folder"
	# Compressed modules (CONFIG_MODULE_COMPRESS_*): modbed reads plain ELF.
	find "$kdir" -name '*.ko.xz' -exec xz -d {} +
	find "$kdir" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	find "$kdir" -name '*.ko.gz' -exec gzip -d {} +
	mkdir -p "$tmp/out"
	mv "$kdir" "$tmp/out/kernel"
	# Kernel config and the vmlinux image: kept for export-name extraction.
	find "$tmp/root/boot" -maxdepth 1 -type f \( -name 'config-*' -o -name 'vmlinuz-*' \) \
		-exec cp {} "$tmp/out/" \; 2>/dev/null || true
	echo "$pkg $ver" >"$tmp/out/PACKAGE"
	rm -rf "$out"
	mv "$tmp/out" "$out"
	rm -rf "$tmp" "$dl"
	say "$march: $(find "$out" -name '*.ko' | wc -l) modules from $pkg $ver in $out"
}

mkdir -p "$cache"
for a in "${arches[@]}"; do
	fetch_one "$a"
done
