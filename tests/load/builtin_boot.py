#!/usr/bin/env python3
"""Checks the builtin boot (`modbed load --policy builtin --pack MODE
--skip-init --fail ... [--compact] BOOT... --then THEN...`) against this
script's own arithmetic (shares no code with modbed):

- the boot set is packed as builtin_pack.py packs it (llvm-readelf
  alignments, sizes from modbed's --no-init layout), chunk by chunk;
- the failed modules and every module importing from them (llvm-nm:
  undefined names of one module defined globally by another) are expunged:
  all their ranges become holes, as do the survivors' init types (freed
  after init); a chunk left with no live type goes away;
- --compact: the survivors' core types packed again from the region bases
  (no holes); relocations re-applied = the survivors' RELA entries against
  allocated sections (llvm-readelf -S / -r);
- --then: each type, in mod_mem type order, at the lowest hole of its class
  inside a live chunk (first fit at max(granule, alignment)), else outside
  the chunks (the normal area: only checked to be outside, page aligned);
  its init types freed after it;
- then: every base of the --then modules and survivors, and the accounting
  (hole bytes, pages handed back, large pages touched/split by classes or
  by holes, text entries, per-class numbers) and the bytes --then reused
  from the boot's holes are recounted here and compared.

usage: builtin_boot.py MODBED BUILD/tests/modules"""
import functools
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from builtin_pack import CLASS_OF, CLASSES, CACHELINE, NOT_ALLOC, type_aligns, up  # noqa: E402

TYPES = ["text", "data", "rodata", "ro_after_init", "init_text", "init_data", "init_rodata"]
BOOT = ["reloc_all", "plt_calls", "run_work", "run_life", "mp_lib", "mp_user", "coreguest", "run_canary"]
FAIL = ["mp_lib", "run_work"]          # mp_user imports from mp_lib: expunged with it
THEN = ["trace_demo", "run_unknown", "run_work"]
SEC = re.compile(r"^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+"
                 r"([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def modbed_json(modbed, args):
    r = subprocess.run([modbed, "load", "--json"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("modbed load %s failed: %s" % (" ".join(args), r.stderr))
    return json.loads(r.stdout)


@functools.lru_cache(maxsize=None)  # a file read once per run, not once per case
def relocs_applied(path):
    """RELA entries whose target section is allocated (what a link applies)."""
    secs = {}
    out = subprocess.run(["llvm-readelf", "-S", "--wide", path], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = SEC.match(line)
        if m:
            secs[int(m.group(1))] = (m.group(2), m.group(3), int(m.group(4), 16), int(m.group(5), 16),
                                     m.group(6), int(m.group(8)))
    n = 0
    for name, typ, size, es, _f, info in secs.values():
        if typ in ("RELA", "REL") and es:
            tname, _t, _s, _e, tflags, _i = secs[info]
            if "A" in tflags and tname not in NOT_ALLOC:
                n += size // es
    return n


@functools.lru_cache(maxsize=None)  # a file read once per run, not once per case
def symbols(path, undefined):
    args = ["llvm-nm", "-u"] if undefined else ["llvm-nm", "--defined-only", "-g"]
    out = subprocess.run(args + [path], check=True, capture_output=True, text=True).stdout
    return {l.split()[-1] for l in out.splitlines() if l.strip()}


class Packer:
    """One class's bump allocator over large-page chunks (builtin_pack.py's rule)."""

    def __init__(self, base, lp):
        self.base, self.lp, self.cursor, self.chunk = base, lp, base, None
        self.chunks = []  # [start, end)

    def place(self, size, a, g):
        rsize = up(size, g)
        addr = up(self.cursor, a)
        if self.chunk is None or addr + rsize > self.chunk[1]:
            start = up(self.chunk[1] if self.chunk else self.base, max(self.lp, a))
            self.chunk = [start, start + up(rsize, self.lp)]
            self.chunks.append(self.chunk)
            addr = start
        self.cursor = addr + rsize
        return addr, rsize


def merged(ranges):
    out = []
    for b, e in sorted((b, b + s) for b, s in ranges if s):
        if out and b <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([b, e])
    return out


def measure_minus(holes, live):
    live = merged(live)
    total = 0
    for b, e in merged(holes):
        cur = b
        for lb, le in live:
            if le <= cur or lb >= e:
                continue
            if lb > cur:
                total += lb - cur
            cur = max(cur, le)
        if cur < e:
            total += e - cur
    return total


def overlap(ranges, base, size):
    return sum(max(0, min(e, base + size) - max(b, base)) for b, e in merged(ranges))


def account(live, holes, ps, lp):
    """live: (class, base, size, used). The documented accounting, recounted."""
    pages = {c: set() for c in CLASSES}
    used = {c: 0 for c in CLASSES}
    reserved = {c: 0 for c in CLASSES}
    for c, b, s, u in live:
        used[c] += u
        reserved[c] += s
        pages[c].update(range(b // ps, (b + s - 1) // ps + 1))
    live_pages = set().union(*pages.values())
    hole_pages = set()
    for b, s in holes:
        if s:
            hole_pages.update(range(b // ps, (b + s - 1) // ps + 1))
    back = hole_pages - live_pages
    big = {}
    for c in CLASSES:
        for p in pages[c]:
            big.setdefault(p * ps // lp, {}).setdefault(c, 0)
            big[p * ps // lp][c] += 1
    holed = {p * ps // lp for p in back}
    a = {"classes": {c: {"used": used[c], "reserved": reserved[c], "pages": len(pages[c]),
                         "padding": len(pages[c]) * ps - used[c],
                         "large_pages": sum(1 for v in big.values() if c in v)} for c in CLASSES}}
    a["large_pages_touched"] = len(big)
    a["large_pages_split_mixed"] = sum(1 for v in big.values() if len(v) > 1)
    a["large_pages_split_hole"] = sum(1 for k in big if k in holed)
    a["large_pages_split"] = sum(1 for k, v in big.items() if len(v) > 1 or k in holed)
    a["hole_bytes"] = measure_minus(holes, [(b, s) for _c, b, s, _u in live])
    a["handed_back_pages"] = len(back)
    whole = [k for k, v in big.items() if list(v) == ["rx"] and k not in holed]
    a["text_entries"] = {"large": len(whole),
                         "small": sum(v.get("rx", 0) for k, v in big.items() if k not in whole)}
    return a


def compare(what, got, want, bad):
    for k, v in want.items():
        if k == "classes":
            for c in CLASSES:
                for kk, vv in v[c].items():
                    if got["classes"][c][kk] != vv:
                        print("FAIL %s: %s.%s modbed %d, expected %d" % (what, c, kk, got["classes"][c][kk], vv))
                        bad.append(1)
        elif got[k] != v:
            print("FAIL %s: %s modbed %s, expected %s" % (what, k, got[k], v))
            bad.append(1)


def check(modbed, arch, mode, compact, files, bad):
    boot = [files[n] for n in BOOT]
    then = [files[n] for n in THEN]
    lay = modbed_json(modbed, ["--no-init", "--policy", "builtin", "--pack", mode] + boot)
    ps, lp = lay["accounting"]["page_size"], lay["accounting"]["large_page_size"]
    g = {"page": ps, "cacheline": CACHELINE[arch], "section": 1}[mode]
    args = ["--skip-init", "--policy", "builtin", "--pack", mode, "--fail", ",".join(FAIL)]
    got = modbed_json(modbed, args + (["--compact"] if compact else []) + boot + ["--then"] + then)
    what = "%s %s%s" % (arch, mode, " +compact" if compact else "")
    region = {}
    for m in lay["modules"]:
        for t in m["types"]:
            c = CLASS_OF[t["type"]]
            region[c] = min(region.get(c, 1 << 64), int(t["base"], 16))
    sizes = {m["name"]: {t["type"]: int(t["used"], 16) for t in m["types"]} for m in lay["modules"]}
    aligns = {n: type_aligns(files[n], arch) for n in BOOT + THEN}
    # expunged: the failed and every module importing from them, in link order
    defined = {n: symbols(files[n], False) for n in BOOT}
    gone = set(FAIL)
    for n in BOOT:
        if symbols(files[n], True) & set().union(*(defined[x] for x in gone)):
            gone.add(n)
    survivors = [n for n in BOOT if n not in gone]
    # the boot: pack everything, then free what goes
    packers = {c: Packer(region[c], lp) for c in region}
    allocs = []  # [name, type, class, base, size, used, chunk]
    for n in BOOT:
        for t in TYPES:
            if sizes[n].get(t):
                c = CLASS_OF[t]
                b, s = packers[c].place(sizes[n][t], max(g, aligns[n].get(t, 1)), g)
                allocs.append([n, t, c, b, s, sizes[n][t], packers[c].chunk])
    holes = [(a[3], a[4]) for a in allocs if a[0] in gone or a[1].startswith("init")]
    live = [a for a in allocs if a[0] not in gone and not a[1].startswith("init")]
    want_relocs = None
    if compact:
        packers = {c: Packer(region[c], lp) for c in region}
        live = []
        for n in survivors:
            for t in TYPES[:4]:
                if sizes[n].get(t):
                    c = CLASS_OF[t]
                    b, s = packers[c].place(sizes[n][t], max(g, aligns[n].get(t, 1)), g)
                    live.append([n, t, c, b, s, sizes[n][t], packers[c].chunk])
        holes = []
        want_relocs = sum(relocs_applied(files[n]) for n in survivors)
    boot_holes = list(holes)
    chunks = {c: sorted({tuple(a[6]) for a in live if a[2] == c}) for c in CLASSES}
    # --then: lowest hole of the class in a live chunk, else the normal area
    got_mods = {m["name"]: m for m in got["modules"]}
    reused = 0
    for n in THEN:
        m = got_mods.get(n)
        if m is None:
            print("FAIL %s: --then module %s not loaded" % (what, n))
            bad.append(1)
            continue
        mine = []
        for t in m["types"]:
            c, used, base = CLASS_OF[t["type"]], int(t["used"], 16), int(t["base"], 16)
            a, rsize = max(g, aligns[n].get(t["type"], 1)), up(used, g)
            want = None
            for cb, ce in chunks[c]:
                occ = sorted((x[3], x[3] + x[4]) for x in live if cb <= x[3] < ce)
                cand = up(cb, a)
                for ob, oe in occ + [(ce, ce)]:
                    if cand + rsize <= ob:
                        want = cand
                        break
                    cand = max(cand, up(oe, a))
                if want is not None:
                    break
            if want is None:  # the normal area: outside every chunk
                inside = any(cb <= base < ce for cl in chunks.values() for cb, ce in cl)
                if inside or base % ps:
                    print("FAIL %s: %s %s at %#x: expected outside the region, page aligned" % (what, n, t["type"], base))
                    bad.append(1)
                want, rsize = base, up(used, ps)
            if base != want:
                print("FAIL %s: %s %s at %#x, expected %#x" % (what, n, t["type"], base, want))
                bad.append(1)
            mine.append([n, t["type"], c, want, rsize, used, None])
            live.append(mine[-1])
        for x in mine:
            if x[1].startswith("init"):
                live.remove(x)
                holes.append((x[3], x[4]))
            else:
                reused += overlap(boot_holes, x[3], x[4])
    for m in got["modules"]:
        if m["name"] in gone and m["name"] not in THEN:
            print("FAIL %s: %s should be expunged" % (what, m["name"]))
            bad.append(1)
    for x in live:
        if x[0] in THEN:
            continue
        t = next((t for t in got_mods[x[0]]["types"] if t["type"] == x[1]), None) if x[0] in got_mods else None
        if t is None or int(t["base"], 16) != x[3]:
            print("FAIL %s: survivor %s %s at %s, expected %#x" % (what, x[0], x[1], t and t["base"], x[3]))
            bad.append(1)
    compare(what, got["accounting"], account([(x[2], x[3], x[4], x[5]) for x in live], holes, ps, lp), bad)
    b = got["boot"]
    if b["then_reused"] != reused or b["expunged_modules"] != len(gone):
        print("FAIL %s: then_reused %d expunged %d, expected %d and %d" % (what, b["then_reused"],
              b["expunged_modules"], reused, len(gone)))
        bad.append(1)
    if compact and b["compact"]["relocs"] != want_relocs:
        print("FAIL %s: compact relocs %d, expected %d" % (what, b["compact"]["relocs"], want_relocs))
        bad.append(1)
    return "%s holes %d reused %d%s" % (what, got["accounting"]["hole_bytes"], reused,
                                        " relocs %d" % want_relocs if compact else "")


def main():
    modbed, where = sys.argv[1], sys.argv[2]
    bad = []
    for arch in CACHELINE:
        with open(os.path.join(where, arch, "modules.txt")) as f:
            files = {os.path.basename(l.strip())[:-3]: l.strip() for l in f if l.strip()}
        for mode in ("page", "cacheline", "section"):
            for compact in (False, True):
                print(check(modbed, arch, mode, compact, files, bad))
    if bad:
        sys.exit("%d mismatches" % len(bad))
    print("PASS")


if __name__ == "__main__":
    main()
