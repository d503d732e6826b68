#!/usr/bin/env bash
# `modbed maps`: every variant listed, JSON well formed with the fields the
# README promises, usage errors exit 2.
M=$1
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail+1)); fi; }
out=$("$M" maps) || { echo "FAIL: modbed maps exit $?"; exit 1; }
for m in x86_64 x86_64-kaslr x86_64-nokaslr x86_64-nokaslr-bare arm64-48bit arm64-48bit-6.1 \
	powerpc32-book3s32 powerpc32-8xx powerpc32-book3s32-6.1 powerpc32-8xx-6.1; do
	check "maps lists $m" "grep -q '^$m ' <<<\"\$out\""
done
json=$("$M" maps --json --arch all)
check "json parses" "python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"maps\"])==10' <<<\"\$json\""
check "json fields" "python3 -c '
import json,sys
d=json.load(sys.stdin)
for m in d[\"maps\"]:
    assert set(m[\"types\"])=={\"text\",\"data\",\"rodata\",\"ro_after_init\",\"init_text\",\"init_data\",\"init_rodata\"}
    assert m[\"types\"][\"init_data\"]==m[\"types\"][\"data\"]
    assert int(m[\"kernel\"][\"start\"],16) and m[\"regions\"]
' <<<\"\$json\""
check "one arch" "[ \$(\"$M\" maps --arch arm64 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"maps\"]))') = 2 ]"
check "kaslr seed moves the window" "\"$M\" maps --map x86_64-kaslr --seed 3 | grep -q 'random offset: 0x[0-9a-f]*000 '"
for pol in kernel packed; do
	check "sample placement ($pol) inside windows and arenas" "\"$M\" maps --json --policy $pol | python3 -c '
import json,sys
d=json.load(sys.stdin)
for m in d[\"maps\"]:
    for mod in m[\"sample\"][\"modules\"]:
        assert \"error\" not in mod, mod
        for t in mod[\"types\"]:
            b,s=int(t[\"base\"],16),int(t[\"size\"],16)
            ab,asz=int(t[\"arena_base\"],16),int(t[\"arena_size\"],16)
            assert ab<=b and b+s<=ab+asz, t
            w=m[\"types\"][t[\"type\"]]
            assert any(int(x[\"start\"],16)<=b and b+s-1<=int(x[\"last\"],16) for x in w), (m[\"name\"],t)
'"
done
"$M" maps --policy bogus >/dev/null 2>&1; check "unknown policy exits 2" "[ $? = 2 ]"
"$M" maps --arch sparc >/dev/null 2>&1; check "unknown arch exits 2" "[ $? = 2 ]"
"$M" maps --map nope >/dev/null 2>&1; check "unknown map exits 2" "[ $? = 2 ]"
"$M" maps --arch arm64 --map powerpc32-8xx >/dev/null 2>&1; check "map of another arch exits 2" "[ $? = 2 ]"
echo "$fail failed"
[ "$fail" = 0 ]
