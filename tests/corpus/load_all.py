#!/usr/bin/env python3
"""One `modbed load` of a whole corpus tree: every module of ARCH in one
machine (--no-init), in dependency order (each module after the ones its
.modinfo depends= names), must load: exit 0 and one `module` line per .ko
file found under the tree, with the set of names equal to the files' names.
Then one `modbed call` in a machine holding the whole tree runs crc7_be
from lib/crc7.ko (loaded late, so past what Unicorn 2.0.1 maps up front:
its memory is mapped when first touched) on random bytes, against a
bitwise CRC-7 written here.

usage: load_all.py MODBED CORPUS_DIR ARCH
Skips (77) without the corpus; fails instead with MODBED_REQUIRE_EVIDENCE=1.
"""
import json
import os
import random
import subprocess
import sys


def skip(what):
    if os.environ.get("MODBED_REQUIRE_EVIDENCE") == "1":
        print(f"FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {what}", file=sys.stderr)
    sys.exit(77)


def crc7_be(crc, data):
    """Linux lib/crc7.c: CRC-7 (x^7 + x^3 + 1), MSB first, kept in bits 7..1."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x12) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def main():
    modbed, corpus, arch = sys.argv[1], sys.argv[2], sys.argv[3]
    tree = os.path.join(corpus, arch)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) for f in fs if f.endswith(".ko"))
    if not files:
        skip(f"corpus: no modules under {tree} (run tests/corpus/fetch.sh)")
    names = {os.path.basename(f)[:-3].replace("-", "_"): f for f in files}

    info = json.loads(subprocess.run([modbed, "info", "--json"] + files, capture_output=True, text=True,
                                     check=True).stdout)
    deps = {}
    for m in info["modules"]:
        deps[os.path.basename(m["file"])[:-3].replace("-", "_")] = [d.replace("-", "_") for d in m["depends"] or []]
    order, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for d in deps.get(n, []):
            if d in names:
                visit(d)
        order.append(names[n])

    for n in sorted(names):
        visit(n)

    failed = 0
    r = subprocess.run([modbed, "load", "--no-init", "--arch", arch] + order, capture_output=True, text=True)
    loaded = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("module ")}
    count = sum(line.startswith("module ") for line in r.stdout.splitlines())
    print(f"{arch}: modbed load of {len(files)} files: exit {r.returncode}, {count} modules loaded")
    if r.returncode != 0 or count != len(files) or loaded != set(names):
        print(f"FAIL: {arch}: one load of the whole tree; stderr: {r.stderr[-600:]}")
        print(f"  missing: {sorted(set(names) - loaded)[:10]} extra: {sorted(loaded - set(names))[:10]}")
        failed += 1

    crc7 = names.get("crc7")
    if crc7 is None:
        skip(f"corpus: {tree} has no lib/crc7.ko")
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(1000))
    init = rng.randrange(128) << 1
    r = subprocess.run([modbed, "call", "--json", "--no-init", "--arch", arch] + order +
                       ["--", "crc7_be", str(init), "hex:" + data.hex(), str(len(data))],
                       capture_output=True, text=True)
    want = crc7_be(init, data)
    try:
        calls = json.loads(r.stdout)["calls"]
        got = int(calls[0]["ret"], 16) & 0xFF if not calls[0]["fault"] else None
    except (ValueError, KeyError, IndexError, TypeError):
        got = None
    print(f"{arch}: crc7_be of 1000 bytes in a machine of {len(files)} modules: {got}, reference {want}")
    if r.returncode != 0 or got != want:
        print(f"FAIL: {arch}: crc7_be; exit {r.returncode}; {r.stdout[-400:]} {r.stderr[-400:]}")
        failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
