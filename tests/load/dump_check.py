#!/usr/bin/env python3
"""`modbed load --dump DIR`: layout.json parses and has the documented shape;
every DIR/<module>/<section>.bin has the section's size and the bytes of the
object file (read here with a small independent ELF parser) everywhere no
relocation patches them; NOBITS sections are zero.

usage: dump_check.py MODBED MODULE_DIR"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from kofile import sections  # noqa: E402  (the shared independent ELF reader)

ARCHES = ["x86_64", "arm64", "powerpc32"]
MODULES = ["reloc_all", "run_life", "run_user"]


def parse_elf(path):
    headers, b = sections(path)
    is64 = b[4] == 2
    e = ">" if b[5] == 2 else "<"
    secs = [dict(name=h.name, type=h.type, flags=h.flags, off=h.offset, size=h.size, link=h.link, info=h.info)
            for h in headers]
    # Relocated byte ranges per target section (a conservative width).
    width = 8 if is64 else 4
    patched = {}
    for s in secs:
        if s["type"] != 4:  # SHT_RELA
            continue
        ent = 24 if is64 else 12
        for k in range(s["size"] // ent):
            off, = struct.unpack_from(e + ("Q" if is64 else "I"), b, s["off"] + k * ent)
            # powerpc32 ADDR16 relocations patch the word containing off.
            patched.setdefault(s["info"], []).append((off & ~3, off + width))
    return b, secs, patched


def main():
    modbed, moddir = sys.argv[1], sys.argv[2]
    failures = 0
    checked = 0
    for arch in ARCHES:
        files = [os.path.join(moddir, arch, m + ".ko") for m in MODULES]
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([modbed, "load", "--no-init", "--arch", arch, "--dump", d] + files,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print(f"FAIL {arch}: modbed exit {r.returncode}: {r.stderr.strip()}")
                failures += 1
                continue
            layout = json.load(open(os.path.join(d, "layout.json")))
            assert layout["arch"] == arch
            names = [m["name"] for m in layout["modules"]]
            if names != MODULES:
                print(f"FAIL {arch}: modules {names}")
                failures += 1
                continue
            for mod, path in zip(layout["modules"], files):
                b, secs, patched = parse_elf(path)
                byname = {s["name"]: (i, s) for i, s in enumerate(secs)}
                for key in ("sections", "symbols", "undefined"):
                    assert isinstance(mod[key], list), key
                for y in mod["symbols"]:
                    int(y["addr"], 16)
                    assert y["name"] and y["section"]
                for u in mod["undefined"]:
                    int(u["addr"], 16)
                    assert u["provider"]
                for sec in mod["sections"]:
                    size = int(sec["size"], 16)
                    int(sec["addr"], 16)
                    data = open(os.path.join(d, sec["file"]), "rb").read()
                    if len(data) != size:
                        print(f"FAIL {arch} {mod['name']} {sec['name']}: {len(data)} bytes, size {size}")
                        failures += 1
                        continue
                    idx, s = byname[sec["name"]]
                    checked += 1
                    if sec["name"] in (".plt", ".init.plt"):
                        continue  # sized by the loader, filled by relocation
                    # arm64's 1-byte placeholders become zeroed NOBITS when sized.
                    if s["type"] == 8 or sec["name"].endswith("ftrace_trampoline"):
                        want = bytes(size)
                    else:
                        want = bytearray(b[s["off"]:s["off"] + s["size"]])
                        got = bytearray(data)
                        for lo, hi in patched.get(idx, []):
                            for i in range(lo, min(hi, size)):
                                want[i] = got[i] = 0
                        data, want = bytes(got), bytes(want)
                    if len(want) != size:
                        print(f"FAIL {arch} {mod['name']} {sec['name']}: file has {len(want)} bytes, dump {size}")
                        failures += 1
                    elif data != want:
                        first = next(i for i in range(size) if data[i] != want[i])
                        print(f"FAIL {arch} {mod['name']} {sec['name']}: differs at +0x{first:x}")
                        failures += 1
    print(f"{checked} sections checked, {failures} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
