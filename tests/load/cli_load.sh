#!/usr/bin/env bash
# modbed load / lookup through the binary: exit codes, one-line errors,
# --arch inference, --json that parses, lookup answers checked against the
# load's own JSON (an independent run of the same deterministic placement).
M=$1 D=$2
fail=0 n=0
check() { n=$((n+1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail+1)); fi; }
for a in x86_64 arm64 powerpc32; do
	life=$D/$a/run_life.ko user=$D/$a/run_user.ko
	out=$("$M" load --no-init "$life" "$user" 2>&1); st=$?
	check "$a: load infers the arch and succeeds" '[ $st = 0 ] && grep -q "^arch $a," <<<"$out"'
	check "$a: run_user imports from run_life" 'grep -Eq "life_counter +0x[0-9a-f]+ +module run_life" <<<"$out"'
	json=$("$M" load --no-init --json --arch "$a" "$life")
	check "$a: --json parses" 'python3 -c "import json,sys; json.loads(sys.argv[1])" "$json"'
	exit_addr=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["modules"][0]["exit"])' "$json")
	text=$(python3 -c 'import json,sys; t=[x for x in json.loads(sys.argv[1])["modules"][0]["types"] if x["type"]=="text"][0]; print(t["base"], t["size"])' "$json")
	set -- $text
	out=$("$M" lookup --arch "$a" "$life" -- "$exit_addr" 0x10 2>&1); st=$?
	check "$a: lookup names cleanup_module" '[ $st = 0 ] && grep -q "^$exit_addr: run_life text cleanup_module+0x0$" <<<"$out"'
	check "$a: lookup says not in a module" 'grep -q "^0x10: not in a module$" <<<"$out"'
	check "$a: lookup prints counters" 'grep -Eq "^bounds kernel: 2 lookups, [0-9]+ fast rejects, [0-9]+ tree searches, [0-9]+ empty searches$" <<<"$out"'
	last=$(printf '0x%x' $(( $1 + $2 - 1 )))
	out=$("$M" lookup --json --bounds split --arch "$a" "$life" -- "$last" 2>&1)
	check "$a: lookup --json: last text byte in run_life text" 'python3 -c "import json,sys; d=json.loads(sys.argv[1]); l=d[\"lookups\"][0]; assert d[\"bounds\"]==\"split\" and l[\"module\"]==\"run_life\" and l[\"type\"]==\"text\", d" "$out"'
done
err=$("$M" load --arch x86_64 /nonexistent.ko 2>&1 >/dev/null); st=$?
check "missing file: exit 1, one line" '[ $st = 1 ] && [ $(wc -l <<<"$err") = 1 ] && grep -q "^modbed: /nonexistent.ko: cannot open" <<<"$err"'
err=$("$M" load --arch arm64 "$D/x86_64/run_life.ko" 2>&1 >/dev/null); st=$?
check "wrong arch: exit 1" '[ $st = 1 ] && grep -q "x86_64 (machine 62, ELFCLASS64, little-endian) object, but the arch is arm64" <<<"$err"'
err=$("$M" load --policy sideways "$D/x86_64/run_life.ko" 2>&1 >/dev/null); st=$?
check "unknown policy: exit 2" '[ $st = 2 ] && grep -q "unknown placement policy .sideways." <<<"$err"'
err=$("$M" load 2>&1 >/dev/null); st=$?
check "no files: exit 2" '[ $st = 2 ]'
err=$("$M" lookup "$D/x86_64/run_life.ko" 2>&1 >/dev/null); st=$?
check "lookup without addresses: exit 2" '[ $st = 2 ]'
# No fixed limit on files (the oracle loads ~160 in one command), in order,
# with options between them: 1 real module, then 200 missing files.
many=(); for i in $(seq 0 199); do many+=("/nonexistent/m$i.ko"); done
err=$("$M" load --no-init "$D/x86_64/run_life.ko" --arch x86_64 "${many[@]}" 2>&1 >/dev/null); st=$?
check "201 files: all taken, loaded in order up to the first missing one" '[ $st = 1 ] && grep -q "^modbed: /nonexistent/m0.ko: cannot open" <<<"$err"'
err=$("$M" load --no-init "$D/x86_64/run_life.ko" "$D/x86_64/run_life.ko" 2>&1 >/dev/null); st=$?
check "same module twice: exit 1" '[ $st = 1 ] && grep -q "module run_life is already loaded" <<<"$err"'
used() { "$M" load --no-init --json "$@" | python3 -c 'import json,sys; print(sum(int(t["used"],16) for m in json.load(sys.stdin)["modules"] for t in m["types"] if t["type"] in ("data","init_data")))'; }
u_off=$(used "$D/x86_64/run_life.ko"); u_all=$(used --kallsyms all "$D/x86_64/run_life.ko")
check "--kallsyms all adds the symbol tables to data and init data" '[ "$u_all" -gt "$u_off" ]'
err=$("$M" load --kallsyms some "$D/x86_64/run_life.ko" 2>&1 >/dev/null); st=$?
check "bad --kallsyms: exit 2" '[ $st = 2 ] && grep -q "takes off, text or all" <<<"$err"'
# --kernel: the rule set named in the summary and the JSON; under 6.1 the
# core types of a module lie back to back in one block (text alone on
# powerpc32, whose data block is in vmalloc) and so do the init types.
for a in x86_64 arm64 powerpc32; do
	life=$D/$a/run_life.ko
	json=$("$M" load --no-init --json --kernel 6.1 "$life")
	check "$a: --kernel 6.1: blocks" 'python3 - "$json" "$a" <<'"'"'PY'"'"'
import json, sys
d = json.loads(sys.argv[1]); ppc = sys.argv[2] == "powerpc32"
assert d["kernel"] == "6.1" and d["kernel_source"] == "--kernel 6.1", d
t = {x["type"]: (int(x["base"], 16), int(x["size"], 16)) for x in d["modules"][0]["types"]}
core = ["rodata", "ro_after_init", "data"] if ppc else ["text", "rodata", "ro_after_init", "data"]
for group in (core, ["init_text", "init_rodata", "init_data"]):
    g = sorted(t[k] for k in group if k in t)
    assert all(a[0] + a[1] == b[0] for a, b in zip(g, g[1:])), (group, g)
    assert all(s % 0x1000 == 0 for _, s in g), g
PY'
done
life=$D/x86_64/run_life.ko
kern() { "$M" load --no-init --json "$@" "$life" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kernel"], d["kernel_source"])'; }
check "no vermagic: the latest rule set" '[ "$(kern)" = "6.15 no vermagic" ]'
check "--kernel 6.13: the nearest rule set below (6.10)" '[ "$(kern --kernel 6.13)" = "6.10 --kernel 6.13" ]'
out=$("$M" lookup --json --kernel 6.4 "$life" -- 0x10)
check "lookup --json names the rule set" 'python3 -c "import json,sys; assert json.loads(sys.argv[1])[\"kernel\"]==\"6.4\"" "$out"'
for k in 5.4 banana; do
	err=$("$M" load --kernel $k "$life" 2>&1 >/dev/null); st=$?
	check "--kernel $k: exit 2" '[ $st = 2 ] && grep -q "no modelled rule set at or below it" <<<"$err"'
done
err=$("$M" info --kernel 6.1 "$life" 2>&1 >/dev/null); st=$?
check "info takes no --kernel: exit 2" '[ $st = 2 ]'
# --skip-init: init not run, its memory freed as after a successful init
freed() { "$M" load --json "$@" "$life" | python3 -c 'import json,sys; f=[t["freed"] for t in json.load(sys.stdin)["modules"][0]["types"] if t["type"].startswith("init")]; print("all" if f and all(f) else "none" if not any(f) else "some")'; }
check "--skip-init frees init memory, --no-init keeps it" '[ "$(freed --skip-init)" = all ] && [ "$(freed --no-init)" = none ]'
echo "$((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
