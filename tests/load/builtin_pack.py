#!/usr/bin/env python3
"""Checks `modbed load --policy builtin --pack MODE` and the load accounting
against this script's own arithmetic (shares no code with modbed).

For each module the alignment of each mod_mem type is the largest
sh_addralign that llvm-readelf lists for the allocated sections of that
type (classified here from the section names and flags as the kernel's
layout_sections does), the size is the type's `used` bytes from modbed's
JSON (the layout, tested elsewhere). This script then packs the set itself:
per permission class a cursor from the class's region base (the lowest
base modbed gives the class, which must be large-page aligned), each type at
the cursor rounded up to max(granule, alignment), size rounded up to the
granule; a type that does not fit the rest of the current large-page chunk
opens the next chunk (round_up(size, large page)). Every base must match,
and the accounting (used, reserved, pages, padding, large pages per class,
large pages touched and split, text entries) must equal what this script
counts from its own addresses. For --policy kernel the same counts are
made from modbed's own bases and sizes (placement there is tested
elsewhere; this checks the accounting).

Loads use --no-init (nothing is freed, so the set stays as linked).

usage: builtin_pack.py MODBED --modules BUILD/tests/modules
       builtin_pack.py MODBED --corpus DIR [--every N]   (exit 77 without it)"""
import functools
import os
import json
import re
import subprocess
import sys

CLASSES = ["rx", "r", "rw", "ro_after_init"]
CLASS_OF = {"text": "rx", "init_text": "rx", "rodata": "r", "init_rodata": "r",
            "data": "rw", "init_data": "rw", "ro_after_init": "ro_after_init"}
SEC = re.compile(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+(\d+)\s*$")
RO_AFTER_INIT = {".data..ro_after_init", "__jump_table"}
NOT_ALLOC = {"__versions", ".modinfo"}  # the kernel clears their SHF_ALLOC
# arm64 module_frob_arch_sections(): the PLT sections get
# sh_addralign = L1_CACHE_BYTES, the ftrace trampoline 4, and all three
# SHF_EXECINSTR | SHF_ALLOC
ARCH_ALIGN = {"arm64": {".plt": 64, ".init.plt": 64, ".text.ftrace_trampoline": 4}}


@functools.lru_cache(maxsize=None)  # a file read once per run, not once per case
def type_aligns(path, arch):
    out = subprocess.run(["llvm-readelf", "-S", "--wide", path], check=True, capture_output=True, text=True).stdout
    al = {}
    for line in out.splitlines():
        m = SEC.match(line)
        if not m:
            continue
        name, flags, align = m.group(1), m.group(3), int(m.group(4))
        if name in ARCH_ALIGN.get(arch, {}):
            align, flags = ARCH_ALIGN[arch][name], "AX"
        if "A" not in flags or name in NOT_ALLOC:
            continue
        init = name.startswith(".init")
        if "X" in flags:
            t = "text"
        elif name in RO_AFTER_INIT:
            t = "ro_after_init"
        elif "W" in flags:
            t = "data"
        else:
            t = "rodata"
        if init and t != "ro_after_init":
            t = "init_" + t
        al[t] = max(al.get(t, 1), max(align, 1))
    return al


def up(v, a):
    return (v + a - 1) // a * a


def load(modbed, args, files):
    r = subprocess.run([modbed, "load", "--no-init", "--json"] + args + files, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("modbed load %s failed: %s" % (" ".join(args), r.stderr))
    return json.loads(r.stdout)


def count(ranges, ps, lp):
    """ranges: (class, base, size, used). The accounting as documented."""
    used = {c: 0 for c in CLASSES}
    reserved = {c: 0 for c in CLASSES}
    pages = {c: set() for c in CLASSES}
    for c, base, size, u in ranges:
        used[c] += u
        reserved[c] += size
        pages[c].update(range(base // ps, (base + size - 1) // ps + 1))
    big = {}
    for c in CLASSES:
        for p in pages[c]:
            big.setdefault(p * ps // lp, {}).setdefault(c, 0)
            big[p * ps // lp][c] += 1
    acct = {"classes": {}}
    for c in CLASSES:
        acct["classes"][c] = {"used": used[c], "reserved": reserved[c], "pages": len(pages[c]),
                              "padding": len(pages[c]) * ps - used[c],
                              "large_pages": sum(1 for b in big.values() if c in b)}
    acct["large_pages_touched"] = len(big)
    acct["large_pages_split"] = sum(1 for b in big.values() if len(b) > 1)
    acct["text_entries"] = {"large": sum(1 for b in big.values() if list(b) == ["rx"]),
                            "small": sum(b.get("rx", 0) for b in big.values() if list(b) != ["rx"])}
    return acct


def compare(what, got, want):
    bad = 0
    for k in ("large_pages_touched", "large_pages_split", "text_entries"):
        if got[k] != want[k]:
            print("FAIL %s: %s modbed %s, expected %s" % (what, k, got[k], want[k]))
            bad += 1
    for c in CLASSES:
        for k, v in want["classes"][c].items():
            if got["classes"][c][k] != v:
                print("FAIL %s: %s.%s modbed %d, expected %d" % (what, c, k, got["classes"][c][k], v))
                bad += 1
    return bad


CACHELINE = {"x86_64": 64, "arm64": 64, "powerpc32": 32}  # L1_CACHE_BYTES


def check_set(modbed, arch, files):
    cacheline = CACHELINE[arch]
    aligns = {f: type_aligns(f, arch) for f in files}
    bad = 0
    summary = []
    for mode in ("page", "cacheline", "section"):
        d = load(modbed, ["--policy", "builtin", "--pack", mode], files)
        ps, lp = d["accounting"]["page_size"], d["accounting"]["large_page_size"]
        g = {"page": ps, "cacheline": cacheline, "section": 1}[mode]
        types = [(m["path"], t) for m in d["modules"] for t in m["types"]]
        region = {}
        for _p, t in types:
            c = CLASS_OF[t["type"]]
            region[c] = min(region.get(c, 1 << 64), int(t["base"], 16))
        for c, b in region.items():
            if b % lp:
                print("FAIL %s: class %s region base %#x not large-page aligned" % (mode, c, b))
                bad += 1
        cursor, chunk_end = dict(region), {}
        ranges = []
        for path, t in types:
            c, size = CLASS_OF[t["type"]], int(t["used"], 16)
            a = max(g, aligns[path].get(t["type"], 1))
            rsize = up(size, g)
            addr = up(cursor[c], a)
            if c not in chunk_end or addr + rsize > chunk_end[c]:
                addr = up(chunk_end.get(c, region[c]), max(lp, a))
                chunk_end[c] = addr + up(rsize, lp)
            cursor[c] = addr + rsize
            if int(t["base"], 16) != addr or int(t["size"], 16) != rsize:
                print("FAIL %s: %s %s at %s size %s, expected %#x size %#x" % (
                    mode, path, t["type"], t["base"], t["size"], addr, rsize))
                bad += 1
            ranges.append((c, addr, rsize, size))
        want = count(ranges, ps, lp)
        bad += compare(mode, d["accounting"], want)
        summary.append("%s padding %d" % (mode, sum(v["padding"] for v in want["classes"].values())))
    d = load(modbed, ["--policy", "kernel"], files)
    ranges = [(CLASS_OF[t["type"]], int(t["base"], 16), int(t["size"], 16), int(t["used"], 16))
              for m in d["modules"] for t in m["types"]]
    bad += compare("kernel", d["accounting"], count(ranges, d["accounting"]["page_size"],
                                                      d["accounting"]["large_page_size"]))
    print("%s, %d modules: %s" % (arch, len(files), ", ".join(summary)))
    return bad


def main():
    modbed, how, where = sys.argv[1], sys.argv[2], sys.argv[3]
    sets = []
    if how == "--modules":
        for arch in CACHELINE:
            with open(os.path.join(where, arch, "modules.txt")) as f:
                sets.append((arch, [l.strip() for l in f if l.strip()]))
    else:
        every = int(sys.argv[5]) if len(sys.argv) > 5 else 25
        for arch in ("x86_64", "arm64"):
            kos = sorted(os.path.join(d, n) for d, _s, ns in os.walk(os.path.join(where, arch, "kernel"))
                         for n in ns if n.endswith(".ko"))
            if not kos:
                print("no corpus under %s" % where)
                sys.exit(77)
            sets.append((arch, kos[every - 1::every]))
    bad = sum(check_set(modbed, arch, files) for arch, files in sets)
    if bad:
        sys.exit("%d mismatches" % bad)
    print("PASS")


if __name__ == "__main__":
    main()
