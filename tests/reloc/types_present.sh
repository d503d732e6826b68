#!/usr/bin/env bash
# Every relocation type the arch's kernel loader accepts must occur in the
# built test modules, and every bad module must carry the type it exists
# for. llvm-readelf is the independent reader.
#   types_present.sh READELF MODULES_DIR ARCH
set -u
readelf=$1 dir=$2 arch=$3

case $arch in
x86_64)
	want="R_X86_64_NONE R_X86_64_64 R_X86_64_PC32 R_X86_64_PLT32 R_X86_64_32
	      R_X86_64_32S R_X86_64_PC64"
	bad="bad_gotpcrel:R_X86_64_REX_GOTPCRELX bad_range:R_X86_64_32 bad_nonzero:R_X86_64_64" ;;
arm64)
	want="R_AARCH64_NONE R_AARCH64_ABS64 R_AARCH64_ABS32 R_AARCH64_ABS16
	      R_AARCH64_PREL64 R_AARCH64_PREL32 R_AARCH64_PREL16
	      R_AARCH64_MOVW_UABS_G0 R_AARCH64_MOVW_UABS_G0_NC R_AARCH64_MOVW_UABS_G1
	      R_AARCH64_MOVW_UABS_G1_NC R_AARCH64_MOVW_UABS_G2 R_AARCH64_MOVW_UABS_G2_NC
	      R_AARCH64_MOVW_UABS_G3 R_AARCH64_MOVW_SABS_G0 R_AARCH64_MOVW_SABS_G1
	      R_AARCH64_MOVW_SABS_G2 R_AARCH64_MOVW_PREL_G0 R_AARCH64_MOVW_PREL_G0_NC
	      R_AARCH64_MOVW_PREL_G1 R_AARCH64_MOVW_PREL_G1_NC R_AARCH64_MOVW_PREL_G2
	      R_AARCH64_MOVW_PREL_G2_NC R_AARCH64_MOVW_PREL_G3 R_AARCH64_LD_PREL_LO19
	      R_AARCH64_ADR_PREL_LO21 R_AARCH64_ADR_PREL_PG_HI21 R_AARCH64_ADR_PREL_PG_HI21_NC
	      R_AARCH64_ADD_ABS_LO12_NC R_AARCH64_LDST8_ABS_LO12_NC R_AARCH64_LDST16_ABS_LO12_NC
	      R_AARCH64_LDST32_ABS_LO12_NC R_AARCH64_LDST64_ABS_LO12_NC
	      R_AARCH64_LDST128_ABS_LO12_NC R_AARCH64_TSTBR14 R_AARCH64_CONDBR19
	      R_AARCH64_JUMP26 R_AARCH64_CALL26"
	bad="bad_range:R_AARCH64_TSTBR14 bad_range:R_AARCH64_CONDBR19 bad_got:R_AARCH64_ADR_GOT_PAGE" ;;
powerpc32)
	want="R_PPC_ADDR32 R_PPC_ADDR16_LO R_PPC_ADDR16_HI R_PPC_ADDR16_HA R_PPC_REL24 R_PPC_REL32"
	bad="bad_rel16:R_PPC_REL16_HA bad_addr24:R_PPC_ADDR24 bad_rel14:R_PPC_REL14" ;;
*)
	echo "types_present: unknown arch $arch" >&2; exit 2 ;;
esac

mapfile -t good < "$dir/$arch/modules.txt"
[ ${#good[@]} -gt 0 ] || { echo "no modules listed in $dir/$arch/modules.txt"; exit 1; }
seen=$("$readelf" -r "${good[@]}" | awk '$3 ~ /^R_/ {print $3}' | sort -u)

pass=0 fail=0
for t in $want; do
	if grep -qx "$t" <<<"$seen"; then pass=$((pass + 1)); else
		echo "missing: $t in no $arch test module"; fail=$((fail + 1)); fi
done
for b in $bad; do
	m=${b%%:*} t=${b#*:}
	if "$readelf" -r "$dir/$arch/$m.ko" | awk '{print $3}' | grep -qx "$t"; then
		pass=$((pass + 1)); else echo "missing: $t in $arch/$m.ko"; fail=$((fail + 1)); fi
done
echo "$arch: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
