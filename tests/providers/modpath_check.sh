#!/usr/bin/env bash
# --modpath on purpose-built modules (expected values worked out by hand from
# the sources):
#  1. mp_user needs mp_lib_fn: with --modpath, mp_lib is loaded (and its init
#     run) first and mp_user_fn(5) = 3*5 + 1 + 100 = 116;
#  2. without --modpath the symbol is bound to a trap and calling it faults
#     naming it (exit 3);
#  3. mp_cyc_a <-> mp_cyc_b is refused naming the cycle, and nothing stays
#     loaded (exit 1).
# usage: modpath_check.sh MODBED ARCH MODULE_DIR
M=$1 arch=$2 dir=$3
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAIL: $arch: $1"; fail=$((fail + 1)); fi; }

out=$("$M" call --arch "$arch" --json --modpath "$dir" "$dir/mp_user.ko" -- mp_user_fn 5 2>&1)
rc=$?
check "mp_user_fn 5 with --modpath: exit $rc, $out" '[ $rc = 0 ] && grep -q "\"ret\":\"0x74\"" <<<"$out"'

out=$("$M" load --arch "$arch" --json --no-init --modpath "$dir" "$dir/mp_user.ko" 2>&1)
order=$(grep -o '"path": "[^"]*"' <<<"$out" | sed -E 's|.*/([^/]*)\.ko"|\1|' | tr '\n' ' ')
check "load order with --modpath is '$order'" '[ "$order" = "mp_lib mp_user " ]'

out=$("$M" call --arch "$arch" "$dir/mp_user.ko" -- mp_user_fn 5 2>&1)
rc=$?
check "without --modpath: exit $rc, $out" '[ $rc = 3 ] && grep -q "mp_lib_fn" <<<"$out"'

out=$("$M" load --arch "$arch" --no-init --modpath "$dir" "$dir/mp_cyc_a.ko" 2>&1)
rc=$?
check "cycle: exit $rc, $out" '[ $rc = 1 ] && grep -q "dependency cycle through symbol mp_cyc_a_fn: mp_cyc_a -> mp_cyc_b -> mp_cyc_a" <<<"$out"'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
