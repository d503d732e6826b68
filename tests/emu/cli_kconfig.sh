#!/bin/sh
# --kernel-config: a kernel without CONFIG_STRICT_MODULE_RWX, against the
# rules read from Linux 6.1 (kernel/module/strict_rwx.c, main.c, internal.h;
# arch/powerpc/kernel/module.c) by hand, not from modbed:
#   - module_enable_ro/nx do nothing, module_enable_x still makes text
#     executable; every other page keeps its allocation's protection:
#     module_alloc() is PAGE_KERNEL_EXEC on powerpc without STRICT_MODULE_RWX
#     (strict_module_rwx_enabled() ? PAGE_KERNEL : PAGE_KERNEL_EXEC),
#     PAGE_KERNEL on x86_64/arm64; vzalloc() and execmem's data range
#     PAGE_KERNEL. So on powerpc32 all that comes from the module area is
#     rwx (text; 6.1's init block; since 6.10 init text only), the vmalloc
#     data rw-; on x86_64/arm64 text rwx, the rest rw-.
#   - strict_align() is the identity: in a 6.1 block each class starts
#     where the one before it ended (base = previous base + bytes used).
#   - so the module's own writes to its text and rodata succeed, where with
#     STRICT_MODULE_RWX=y they are write-protect faults (exit 3).
# usage: cli_kconfig.sh MODBED MODULES_DIR ARCH
set -u
modbed=$1; dir=$2/$3; arch=$3
work=$dir/run_work.ko
life=$dir/run_life.ko  # has init data: the 6.1 init block beyond its text
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf 'CONFIG_MODULES=y\n# CONFIG_STRICT_MODULE_RWX is not set\n' >"$tmp/lax.config"
printf 'CONFIG_MODULES=y\nCONFIG_STRICT_MODULE_RWX=y\n' >"$tmp/strict.config"

for k in 6.1 latest; do
	for c in lax strict; do
		"$modbed" load --no-init --json --kernel $k --kernel-config "$tmp/$c.config" "$work" "$life" >"$tmp/$k-$c.json" ||
			fail "$k $c: load exit $?"
	done
	python3 - "$tmp/$k-lax.json" "$tmp/$k-strict.json" "$arch" "$k" <<'PY' || fail "$arch --kernel $k: see above"
import json, sys
lax, strict = (json.load(open(p)) for p in sys.argv[1:3])
arch, k = sys.argv[3], sys.argv[4]
ppc = arch == 'powerpc32'
assert lax['strict_module_rwx'] is False and strict['strict_module_rwx'] is True, (lax, strict)
assert lax['kernel_config'].endswith('lax.config'), lax
types = lambda d, i: {t['type']: t for t in d['modules'][i]['types']}
# from the module area (module_alloc / execmem text): text, and in 6.1 the
# whole init block; 6.10+ takes init data and init rodata from the data range
module_area = {'text', 'init_text'} | ({'init_rodata', 'init_data'} if k == '6.1' else set())
if not ppc:  # no data in vmalloc: the core data types share the text's block
    module_area |= {'rodata', 'ro_after_init', 'data'} if k == '6.1' else set()
want_strict = {'text': 'r-x', 'init_text': 'r-x', 'rodata': 'r--', 'init_rodata': 'r--',
               'ro_after_init': 'r--', 'data': 'rw-', 'init_data': 'rw-'}
checked = set()
for i in range(len(lax['modules'])):
  L, S = types(lax, i), types(strict, i)
  for t, v in L.items():
    if t in ('text', 'init_text'):
        want = 'rwx'                      # module_enable_x on any allocation
    elif ppc and t in module_area:
        want = 'rwx'                      # PAGE_KERNEL_EXEC
    else:
        want = 'rw-'                      # PAGE_KERNEL
    assert v['perm'] == want, (arch, k, t, v['perm'], want)
    checked.add(t)
  for t, v in S.items():
    assert v['perm'] == want_strict[t], (arch, k, 'strict', t, v['perm'])
# not vacuous: text, data and init data were all seen
assert {'text', 'data', 'init_data'} <= checked, checked
L, S = types(lax, 0), types(strict, 0)
if k == '6.1':
    # one block per group; each present class right after the one before
    blocks = [['text'], ['rodata', 'ro_after_init', 'data']] if ppc else [['text', 'rodata', 'ro_after_init', 'data']]
    blocks.append(['init_text', 'init_rodata', 'init_data'])
    pairs = 0
    for b in blocks:
        present = [t for t in b if t in L and int(L[t]['used'], 16)]
        for a, n in zip(present, present[1:]):
            ea = int(L[a]['base'], 16) + int(L[a]['used'], 16)
            assert int(L[n]['base'], 16) == ea, (arch, t, a, n, L[a], L[n])
            sa, sn = int(S[a]['base'], 16), int(S[n]['base'], 16)
            assert sn % 4096 == 0 and sn >= sa + int(S[a]['used'], 16), (arch, 'strict', a, n)
            pairs += 1
    assert pairs > 0, 'no two classes share a block: nothing checked'
print('%s --kernel %s: permissions and class starts as without STRICT_MODULE_RWX' % (arch, k))
PY
	# the module writes its own text and rodata
	for f in write_text write_rodata; do
		"$modbed" call --kernel $k --kernel-config "$tmp/lax.config" "$work" -- $f 1 >"$tmp/out" 2>&1 ||
			fail "$k: $f without STRICT_MODULE_RWX: exit $?: $(cat "$tmp/out")"
		"$modbed" call --kernel $k --kernel-config "$tmp/strict.config" "$work" -- $f 1 >"$tmp/out" 2>&1
		rc=$?
		[ $rc = 3 ] && grep -q 'guest fault: write-protect' "$tmp/out" ||
			fail "$k: $f with STRICT_MODULE_RWX: exit $rc, want a write-protect fault: $(cat "$tmp/out")"
	done
	echo "$arch --kernel $k: write_text, write_rodata succeed without STRICT_MODULE_RWX, fault with it"
done

# The summary line names the config and what it decided.
"$modbed" load --no-init --kernel-config "$tmp/lax.config" "$work" | head -1 | grep -q "; config $tmp/lax.config: STRICT_MODULE_RWX off)" ||
	fail "summary line: $("$modbed" load --no-init --kernel-config "$tmp/lax.config" "$work" | head -1)"
# Errors name the file: exit 1.
"$modbed" load --no-init --kernel-config "$tmp/none" "$work" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "^modbed: $tmp/none: cannot read the kernel config" "$tmp/err" || fail "missing config: exit $rc: $(cat "$tmp/err")"
echo 'not a config' >"$tmp/junk"
"$modbed" load --no-init --kernel-config "$tmp/junk" "$work" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "^modbed: $tmp/junk: not a kernel config" "$tmp/err" || fail "junk config: exit $rc: $(cat "$tmp/err")"
# Commands that place nothing refuse it as a usage error.
"$modbed" info --kernel-config "$tmp/lax.config" "$work" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || fail "info --kernel-config: exit $rc, want 2"
echo "$arch: --kernel-config: all checks passed"
