#!/usr/bin/env bash
# usage: cli_tree.sh MODBED MODULES_DIR ARCH
# `modbed lookup --tree rbtree` and `--tree fast` on the test modules: every
# answer against a brute-force scan of the ranges `modbed load --json`
# reports (a separate run of the same deterministic placement), the counters
# equal between the trees (the bounds policy alone decides fast rejects), and
# on a map without data in vmalloc the kernel policy's single [min, max] pair
# predicts the fast rejects exactly. Then core-diff on the red-black tree and
# the usage errors.
M=$1 D=$2/$3 a=$3
fail=0 n=0
check() { n=$((n+1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail+1)); fi; }
mods=("$D/run_life.ko" "$D/run_user.ko" "$D/run_work.ko")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$M" load --no-init --json --arch "$a" "${mods[@]}" >"$tmp/load.json" || { echo "FAIL: load"; exit 1; }
# Probe addresses: each range's first and last byte, one byte either side,
# its middle, and addresses far from any module.
addrs=$(python3 - "$tmp/load.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = set([0x10, 0x1000])
for m in d["modules"]:
    for t in m["types"]:
        b, z = int(t["base"], 16), int(t["size"], 16)
        s.update([b - 1, b, b + z // 2, b + z - 1, b + z])
print(" ".join(hex(x) for x in sorted(s) if x >= 0))
PY
)
for bounds in kernel split pertype; do
	for tree in fast rbtree; do
		"$M" lookup --no-init --json --arch "$a" --bounds $bounds --tree $tree "${mods[@]}" -- $addrs \
			>"$tmp/$bounds.$tree.json" 2>"$tmp/err"
		check "$bounds/$tree: lookup exit 0" '[ $? = 0 ] || { cat "$tmp/err"; false; }'
		check "$bounds/$tree: answers and counters" 'python3 - "$tmp/load.json" "$tmp/$bounds.$tree.json" $tree $bounds <<'"'"'PY'"'"'
import json, sys
load, got, tree, bounds = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
assert got["tree"] == tree and got["bounds"] == bounds, (got["tree"], got["bounds"])
ranges = [(int(t["base"], 16), int(t["size"], 16), m["name"], t["type"])
          for m in load["modules"] for t in m["types"] if int(t["size"], 16)]
misses = 0
for l in got["lookups"]:
    a = int(l["addr"], 16)
    want = [(n, ty, a - b) for b, z, n, ty in ranges if b <= a < b + z]
    if want:
        n, ty, off = want[0]
        assert (l["module"], l["type"]) == (n, ty), (hex(a), l, want)
    else:
        misses += 1
        assert l["module"] is None, (hex(a), l)
c = got["counters"]
assert c["lookups"] == len(got["lookups"]), c
assert c["fast_rejects"] + c["tree_searches"] == c["lookups"], c
assert c["tree_searches"] - c["empty_searches"] == len(got["lookups"]) - misses, c
PY'
	done
	check "$bounds: rbtree and fast give the same answers and counters" \
		'cmp -s "$tmp/$bounds.fast.json" <(sed "s/\"rbtree\"/\"fast\"/" "$tmp/$bounds.rbtree.json")'
done
# Kernel bounds on a map that keeps data out of vmalloc: one pair over every
# range, min = lowest base, max = highest base + size, compared inclusively
# (__module_address: addr <= addr_max), so the byte just past the last range
# still goes to the tree; exactly the probes outside [min, max] are rejected.
vm=$("$M" maps --arch "$a" --json | python3 -c 'import json,sys; print([m for m in json.load(sys.stdin)["maps"] if m["default"]][0]["data_in_vmalloc"])')
if [ "$vm" = False ]; then
	check "kernel bounds: fast rejects are the probes outside [min, max]" 'python3 - "$tmp/load.json" "$tmp/kernel.rbtree.json" <<'"'"'PY'"'"'
import json, sys
load, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
r = [(int(t["base"], 16), int(t["size"], 16)) for m in load["modules"] for t in m["types"] if int(t["size"], 16)]
lo, hi = min(b for b, z in r), max(b + z for b, z in r)
outside = sum(1 for l in got["lookups"] if not lo <= int(l["addr"], 16) <= hi)
assert got["counters"]["fast_rejects"] == outside, (got["counters"], outside)
PY'
fi

out=$("$M" core-diff --arch "$a" --map all --tree rbtree --ops 2000 --seed 7 --json 2>&1); st=$?
check "core-diff --tree rbtree: clean" '[ $st = 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"differences\"] == 0 and d[\"runs\"] and all(r[\"tree\"] == \"rbtree\" for r in d[\"runs\"]), d" "$out"'
out=$("$M" core-diff --arch "$a" --map all --tree all --ops 500 --json 2>&1); st=$?
check "core-diff --tree all: both trees" '[ $st = 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert sorted(set(r[\"tree\"] for r in d[\"runs\"])) == [\"fast\", \"rbtree\"], d" "$out"'

for cmd in "lookup ${mods[0]} -- 0x10" "load ${mods[0]}" "call ${mods[0]} -- life_add 1 2" "corpus $D" "core-diff --arch $a"; do
	set -- $cmd
	err=$("$M" "$1" --tree avl "${@:2}" 2>&1 >/dev/null); st=$?
	check "${cmd%% *} --tree avl: exit 2 naming the trees" '[ $st = 2 ] && grep -q "unknown lookup tree .avl. (fast, rbtree" <<<"$err"'
done
err=$("$M" maps --tree rbtree 2>&1 >/dev/null); st=$?
check "maps takes no --tree: exit 2" '[ $st = 2 ]'
[ $fail = 0 ] && echo "ok $a: $n checks" || { echo "$fail of $n checks failed"; exit 1; }
