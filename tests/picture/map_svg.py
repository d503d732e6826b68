#!/usr/bin/env python3
"""Checks `modbed map --svg` by rendering the SVG to PNG with rsvg-convert
(librsvg, Debian's librsvg2-bin), decoding it with pngtopnm (libpng, Debian's
netpbm) and reading pixel colours at places this
script computes itself (shares no code with modbed's renderer).

Where things are comes from `modbed load --json` with the same options (the
bases and sizes that load_builtin_pack checks against llvm-readelf
arithmetic and load_dump_lld against ld.lld); everything else is this
script's: the geometry documented in README "modbed map" (x = 260 + offset
in the large page * 1024 / large page size; a row is 16 px high at the y of
its rect data-lp), the colours, the guard page after each allocation under
`kernel` (vmalloc's), which free bytes are holes (between two live types of
one class inside one large page of a builtin sub-region), the split rule
(live types of two classes in one large page, or a whole small page of a
hole next to a live type). Checked per case: the pixel at the centre of
every live type's piece in each row is its class colour (dark or light by
the module's position in load order), init types still live are the init
colour, guard pages the guard colour, freed ranges that nothing reuses the
free colour (kernel) or the hole colour (builtin), a chunk's end after its
last type the mapped-free colour, and every row's split mark is there
exactly when the rule says so. The SVG must be well-formed (xmllint).

Without rsvg-convert, pngtopnm or xmllint the test is skipped (77), a failure under
MODBED_REQUIRE_EVIDENCE=1; the corpus variant likewise without the corpus.

usage: map_svg.py MODBED --modules BUILD/tests/modules
       map_svg.py MODBED --corpus DIR   (40 amd64 modules, every 28th)"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

LEFT, WIDTH, ROW_H, SPLIT_X, SPLIT_W = 260, 1024, 16, 260 + 1024 + 6, 10
CLASS_OF = {"text": "rx", "init_text": "rx", "rodata": "r", "init_rodata": "r",
            "data": "rw", "init_data": "rw", "ro_after_init": "ro_after_init"}
# README "modbed map": dark / light shade per colour class
COLOURS = {"rx": ("1f5fa8", "6fa8dc"), "r": ("2e7d32", "81c784"), "rw": ("e65100", "ffb74d"),
           "ro_after_init": ("6a1b9a", "ba68c8"), "init": ("ad1457", "f48fb1")}
GUARD, HOLE, MAPFREE, FREE, SPLIT, WHITE = "212121", "ffd600", "b2ebf2", "ffffff", "d50000", "ffffff"
SVGNS = "{http://www.w3.org/2000/svg}"


def skip(what):
    if os.environ.get("MODBED_REQUIRE_EVIDENCE") == "1":
        print("FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: %s" % what)
        sys.exit(1)
    print("SKIP: %s" % what)
    sys.exit(77)


def png_pixels(path):
    """(width, height, RGB bytes row by row) of a PNG, decoded by netpbm's
    pngtopnm (libpng; any alpha dropped) into a binary PPM."""
    ppm = subprocess.run(["pngtopnm", path], check=True, capture_output=True).stdout
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert m, "pngtopnm %s: not an 8-bit PPM" % path
    w, h = int(m.group(1)), int(m.group(2))
    px = ppm[m.end():]
    assert len(px) == w * h * 3, (path, len(px), w, h)
    return w, h, px


def rgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


class Case:
    def __init__(self, modbed, tmp, name, args, files):
        self.name, self.bad, self.checked, self.kinds = name, 0, 0, {}
        r = subprocess.run([modbed, "load", "--json"] + args + files, capture_output=True, text=True)
        if r.returncode:
            sys.exit("%s: modbed load failed: %s" % (name, r.stderr))
        d = json.loads(r.stdout)
        self.ps, self.lp = d["accounting"]["page_size"], d["accounting"]["large_page_size"]
        self.types = []  # (base, end, class, colour, shade, freed, what)
        for i, m in enumerate(d["modules"]):
            for t in m["types"]:
                b, s = int(t["base"], 16), int(t["size"], 16)
                cls = CLASS_OF[t["type"]]
                col = "init" if t["type"].startswith("init") else cls
                self.types.append((b, b + s, cls, col, i % 2, t["freed"], "%s %s" % (m["name"], t["type"])))
        self.types.sort()
        svg = os.path.join(tmp, name + ".svg")
        r = subprocess.run([modbed, "map", "--svg", svg] + args + files, capture_output=True, text=True)
        if r.returncode:
            sys.exit("%s: modbed map failed: %s" % (name, r.stderr))
        x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
        self.fail(x.returncode == 0, "xmllint: %s" % x.stderr.strip())
        png = os.path.join(tmp, name + ".png")
        t0 = time.monotonic()
        subprocess.run(["rsvg-convert", svg, "-o", png], check=True)
        self.render_ms = (time.monotonic() - t0) * 1000
        self.svg_bytes = os.path.getsize(svg)
        self.w, self.h, self.px = png_pixels(png)
        self.rows = {}
        for e in ET.parse(svg).getroot().iter(SVGNS + "rect"):
            if e.get("class") == "lp":
                self.fail(float(e.get("x")) == LEFT and float(e.get("width")) == WIDTH and
                          float(e.get("height")) == ROW_H, "row geometry %s" % e.attrib)
                self.rows[int(e.get("data-lp"), 16) // self.lp] = (int(float(e.get("y"))), e.get("data-split"))

    def at(self, x, y):
        o = (y * self.w + x) * 3
        return tuple(self.px[o:o + 3])

    def fail(self, ok, msg):
        self.checked += 1
        if not ok:
            self.bad += 1
            if self.bad <= 20:
                print("FAIL %s: %s" % (self.name, msg))

    def pixel(self, q, x):
        y, _s = self.rows[q]
        return self.at(int(x), y + ROW_H // 2)

    def expect(self, a, b, colour, what, kind):
        """The pixel at the centre of [a, b) in each row it crosses is colour
        (when that pixel lies wholly inside the piece)."""
        for q in range(a // self.lp, (b - 1) // self.lp + 1):
            if q not in self.rows:
                self.fail(False, "%s: no row for large page %#x" % (what, q * self.lp))
                continue
            lo, hi = max(a, q * self.lp) - q * self.lp, min(b, (q + 1) * self.lp) - q * self.lp
            x0, x1 = LEFT + lo * WIDTH / self.lp, LEFT + hi * WIDTH / self.lp
            px = int((x0 + x1) / 2)
            if px < x0 or px + 1 > x1:
                continue  # no pixel wholly inside the piece
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            got = self.pixel(q, px)
            self.fail(all(abs(g - w) <= 2 for g, w in zip(got, rgb(colour))),
                      "%s [%#x, %#x) at row %#x x %.1f: #%02x%02x%02x, expected #%s" % (
                          what, a, b, q * self.lp, (x0 + x1) / 2, *got, colour))

    def live(self):
        return [t for t in self.types if not t[5]]

    def covered(self, a, b, spans):
        return any(s < b and a < e for s, e in spans)

    def check(self, guards, pack):
        live = self.live()
        for b, e, _cls, col, shade, _f, what in live:
            self.expect(b, e, COLOURS[col][shade], what, col)
        taken = [(b, e) for b, e, *_ in live]
        gspans = []
        if guards:  # one guard page after each allocation
            for b, e, *_r, what in self.types:
                if not self.covered(e, e + self.ps, taken) and not _r[3]:
                    gspans.append((e, e + self.ps))
                    self.expect(e, e + self.ps, GUARD, what + " guard", "guard")
        holes, crossing = [], []  # free runs of a class: inside one large page / across a boundary
        if pack:
            for cls in COLOURS:
                mine = sorted((b, e) for b, e, c, *_ in live if c == cls)
                start = min((b for b, _e, c, *_ in self.types if c == cls), default=None)
                if not mine:
                    continue
                # the class's region starts at its lowest base (freed or not)
                for (_b0, e0), (b1, _e1) in zip([(start, start)] + mine, mine):
                    if b1 <= e0:
                        continue
                    (holes if e0 // self.lp == (b1 - 1) // self.lp else crossing).append((cls, e0, b1))
                end = mine[-1][1]
                if end % self.lp:  # the chunk's end after the class's last type
                    self.expect(end, (end // self.lp + 1) * self.lp, MAPFREE, cls + " chunk end", "mapped free")
        for b, e, cls, _c, _s, freed, what in self.types:
            if not freed:
                continue
            if pack:
                for _c2, a, z in holes:
                    if a <= b and e <= z:
                        self.expect(b, e, HOLE, what + " (freed, a hole)", "hole")
            elif guards and not self.covered(b, e, taken + gspans):
                self.expect(b, e, FREE, what + " (freed, free again)", "free")
            elif not guards and not self.covered(b, e, taken) and any(
                    c == cls and lb // self.lp == b // self.lp for lb, _e, c, *_ in live):
                # packed: its chunk still holds a live type of the class
                self.expect(b, e, MAPFREE, what + " (freed, pool space)", "mapped free")
        # the split mark, where the rule decides it from what this script knows
        for q, (y, attr) in sorted(self.rows.items()):
            lo, hi = q * self.lp, (q + 1) * self.lp
            classes = {c for b, e, c, *_ in live if b < hi and lo < e}
            whole = any(self.covered(lo, hi, [(a, z)]) and
                        -(-max(a, lo) // self.ps) * self.ps + self.ps <= min(z, hi) for _c, a, z in holes)
            if len(classes) > 1:
                want = "mixed"
            elif classes and whole:
                want = "hole"
            elif any(self.covered(lo, hi, [(a, z)]) for _c, a, z in crossing):
                continue  # a hole (one chunk) or two chunks' ends: not decided here
            else:
                want = "no"
            self.kinds["split " + want] = self.kinds.get("split " + want, 0) + 1
            mark = self.at(SPLIT_X + SPLIT_W // 2, y + 3 + SPLIT_W // 2)
            self.fail(attr == want, "row %#x: data-split %s, expected %s" % (lo, attr, want))
            self.fail(mark == rgb(SPLIT if want != "no" else WHITE),
                      "row %#x: split mark pixel #%02x%02x%02x, expected %s" % (lo, *mark, want))


def usage_checks(modbed, files, tmp):
    bad = 0
    for args, rc, msg in (([], 2, "needs --svg FILE"), (["--svg", os.path.join(tmp, "x.svg")], 2, "at least one module"),
                          (["--json", "--svg", os.path.join(tmp, "x.svg")] + files, 2, "not one 'map' takes"),
                          (["--skip-init", "--svg", "/nonexistent/x.svg"] + files, 1, "/nonexistent/x.svg: cannot write")):
        r = subprocess.run([modbed, "map"] + args, capture_output=True, text=True)
        if r.returncode != rc or msg not in r.stderr or not r.stderr.startswith("modbed: "):
            print("FAIL usage %s: exit %d, stderr %r" % (args, r.returncode, r.stderr))
            bad += 1
    # a device that is full (our own node, as /dev/full): exit 1, and the
    # node is not removed as a half-written picture would be
    full = os.path.join(tmp, "full")
    try:
        os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as e:
        print("not checked (%s): a full device as --svg" % e)
        return bad
    r = subprocess.run([modbed, "map", "--skip-init", "--svg", full] + files, capture_output=True, text=True)
    if r.returncode != 1 or "No space left on device" not in r.stderr or not os.path.exists(full) or \
            not stat.S_ISCHR(os.stat(full).st_mode):
        print("FAIL --svg on a full device: exit %d, stderr %r, node %s" % (r.returncode, r.stderr,
                                                                           "kept" if os.path.exists(full) else "removed"))
        bad += 1
    return bad


def main():
    modbed, how, where = sys.argv[1], sys.argv[2], sys.argv[3]
    for tool in ("rsvg-convert", "pngtopnm", "xmllint"):
        if not shutil.which(tool):
            skip("%s (Debian librsvg2-bin / netpbm / libxml2-utils) on PATH %s" % (tool, os.environ.get("PATH", "")))
    sets = []
    if how == "--modules":
        for arch in ("x86_64", "arm64", "powerpc32"):
            with open(os.path.join(where, arch, "modules.txt")) as f:
                sets.append((arch, [l.strip() for l in f if l.strip()]))
    else:
        kos = sorted(os.path.join(d, n) for d, _s, ns in os.walk(os.path.join(where, "x86_64", "kernel"))
                     for n in ns if n.endswith(".ko"))
        if not kos:
            skip("the Debian amd64 corpus under %s (tests/corpus/fetch.sh)" % where)
        sets.append(("x86_64-corpus", kos[27::28][:40]))
    bad, kinds = 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        bad += usage_checks(modbed, sets[0][1][:1], tmp)
        for arch, files in sets:
            cases = [("kernel", ["--policy", "kernel", "--kernel", "latest", "--skip-init"], True, False),
                     ("packed", ["--policy", "packed", "--skip-init"], False, False),
                     ("builtin-page", ["--policy", "builtin", "--pack", "page", "--skip-init"], False, True),
                     ("builtin-page-noinit", ["--policy", "builtin", "--pack", "page", "--no-init"], False, True),
                     ("builtin-section", ["--policy", "builtin", "--pack", "section", "--skip-init"], False, True)]
            for name, args, guards, pack in cases:
                c = Case(modbed, tmp, "%s-%s" % (arch, name), args, files)
                c.check(guards, pack)
                print("%s: %d modules' types, %d rows, %d checks, %d failed; SVG %d bytes, rendered in %.0f ms" % (
                    c.name, len(c.types), len(c.rows), c.checked, c.bad, c.svg_bytes, c.render_ms))
                bad += c.bad
                for k, v in c.kinds.items():
                    kinds[k] = kinds.get(k, 0) + v
    print("pixels checked per kind: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    # every kind of thing drawn is checked somewhere (else the test proves nothing about it)
    want = set(COLOURS) | {"guard", "hole", "mapped free", "free", "split mixed", "split hole", "split no"}
    if how == "--modules" and not want <= set(kinds):
        print("FAIL: never checked: %s" % ", ".join(sorted(want - set(kinds))))
        bad += 1
    if bad:
        sys.exit("%d failures" % bad)
    print("PASS")


main()
