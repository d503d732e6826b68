#!/usr/bin/env python3
"""The loader's relocation output against ld.lld, byte for byte, unmasked.

For each module: `modbed load --no-init --dump DIR` places and relocates it;
ld.lld then links the same object file with a linker script that puts every
dumped section at the address layout.json reports and every undefined symbol
at the value layout.json reports (--defsym). Every byte of every dumped
section must equal ld.lld's output: nothing is masked, so a wrong symbol
value or addend in the loader, for a single relocation, is a failure naming
the section, offset and relocation.

What is not modbed's to decide comes from outside modbed: the section
addresses and undefined-symbol values (the inputs both sides share), the
per-cpu base the kernel stub gives when it does not know `__per_cpu_start`
(a quarter into the kernel image of `modbed maps --json`, as documented in
harness/symbols.c), and sections the kernel does not load, which keep their
section-relative symbol values (placed at 0 here). The ELF reading is this
file's own.

With the default maps every branch of the test modules and the corpus sample
reaches its target directly, so no PLT entry or trampoline is used and none
is allowed for: a branch the loader sent through its PLT (where lld would
make its own thunk) would show as a difference. The PLT and trampoline
sections themselves are left to tests/reloc (test_reloc_plt).

usage: dump_lld.py MODBED LLD MODULE_DIR                 test modules, 3 arches
       dump_lld.py MODBED LLD --corpus DIR [--every N]   every Nth corpus .ko, x86_64 + arm64
       dump_lld.py MODBED LLD --kbuild SET_DIR ARCH [--every N] [--kernel-config F] KERNEL:MAP...
                                                         every Nth .ko of a kbuild set, loaded
                                                         under each --kernel KERNEL --map MAP
                                                         (and --kernel-config F: the set's .config)
       ... --opts "OPTIONS"   every modbed load also gets OPTIONS (e.g. the builtin packed layout)
exit 0 all equal, 1 a difference or a failure, 77 corpus absent (1 with
MODBED_REQUIRE_EVIDENCE=1)."""
import json
import os
import struct
import subprocess
import sys
import tempfile

SHT_RELA, SHT_NOBITS, SHT_REL = 4, 8, 9
SHF_ALLOC, SHF_MERGE = 0x2, 0x10


class Elf:
    """Section headers, symbols and relocations of a relocatable object."""

    def __init__(self, path):
        self.path = path
        self.b = b = open(path, "rb").read()
        if b[:4] != b"\x7fELF":
            raise ValueError(f"{path}: not ELF")
        self.is64 = b[4] == 2
        self.e = e = ">" if b[5] == 2 else "<"
        if self.is64:
            self.shoff, = struct.unpack_from(e + "Q", b, 40)
            self.shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", b, 58)
            fmt = e + "IIQQQQIIQQ"
        else:
            self.shoff, = struct.unpack_from(e + "I", b, 32)
            self.shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", b, 46)
            fmt = e + "IIIIIIIIII"
        if shnum == 0 and self.shoff:
            shnum = struct.unpack_from(fmt, b, self.shoff)[5]
        self.flags_at = 8  # offset of sh_flags in a section header
        self.secs = []
        for i in range(shnum):
            name, typ, flags, addr, off, size, link, info, align, entsize = \
                struct.unpack_from(fmt, b, self.shoff + i * self.shentsize)
            self.secs.append(dict(name=name, type=typ, flags=flags, addr=addr, off=off, size=size,
                                  link=link, info=info, entsize=entsize))
        if shstrndx == 0xffff:
            shstrndx = self.secs[0]["link"]
        stroff = self.secs[shstrndx]["off"]
        for s in self.secs:
            s["name"] = self.cstr(stroff + s["name"])

    def cstr(self, at):
        return self.b[at:self.b.index(b"\0", at)].decode("latin-1")

    def data(self, i):
        s = self.secs[i]
        return bytes(s["size"]) if s["type"] == SHT_NOBITS else self.b[s["off"]:s["off"] + s["size"]]

    def symbols(self):
        symtab = next((s for s in self.secs if s["type"] == 2), None)
        if not symtab:
            return []
        stroff = self.secs[symtab["link"]]["off"]
        ent = 24 if self.is64 else 16
        out = []
        for k in range(symtab["size"] // ent):
            at = symtab["off"] + k * ent
            if self.is64:
                name, info, other, shndx, value, size = struct.unpack_from(self.e + "IBBHQQ", self.b, at)
            else:
                name, value, size, info, other, shndx = struct.unpack_from(self.e + "IIIBBH", self.b, at)
            out.append(dict(name=self.cstr(stroff + name), shndx=shndx, value=value, bind=info >> 4))
        return out

    def relas(self):
        """(target section index, offset, type, symbol index, addend) per entry."""
        ent = 24 if self.is64 else 12
        for s in self.secs:
            if s["type"] != SHT_RELA:
                continue
            for k in range(s["size"] // ent):
                at = s["off"] + k * ent
                if self.is64:
                    off, info, add = struct.unpack_from(self.e + "QQq", self.b, at)
                    yield s["info"], off, info & 0xffffffff, info >> 32, add
                else:
                    off, info, add = struct.unpack_from(self.e + "IIi", self.b, at)
                    yield s["info"], off, info & 0xff, info >> 8, add

    def unmerged_copy(self, path):
        """The object with SHF_MERGE cleared: lld would merge duplicate
        strings and move the references; the kernel never does."""
        b = bytearray(self.b)
        fmt = self.e + ("Q" if self.is64 else "I")
        for i, s in enumerate(self.secs):
            if s["flags"] & SHF_MERGE:
                struct.pack_into(fmt, b, self.shoff + i * self.shentsize + self.flags_at, s["flags"] & ~SHF_MERGE)
        open(path, "wb").write(b)


def linked_sections(path):
    """name -> (addr, bytes) of lld's output sections."""
    o = Elf(path)
    return {s["name"].strip('"'): (s["addr"], o.data(i)) for i, s in enumerate(o.secs)}


def percpu_base(modbed, arch, map_name, cache={}):
    """The map the load used (layout.json names it; the default follows the
    kernel version)."""
    if map_name not in cache:
        r = subprocess.run([modbed, "maps", "--arch", arch, "--map", map_name, "--json"],
                           capture_output=True, text=True, check=True)
        k = json.loads(r.stdout)["maps"][0]["kernel"]
        cache[map_name] = int(k["start"], 16) + int(k["size"], 16) // 4
    return cache[map_name]


class Stats:
    modules = sections = bytes = relocs = 0


EXTRA = []


def check_load(modbed, lld, arch, kos, work, st, extra=()):
    """Loads kos in one `modbed load` (later ones may use earlier ones'
    exports; extra: more modbed options), then compares each. Returns
    failure lines (empty: equal)."""
    dump = os.path.join(work, "dump")
    subprocess.run(["rm", "-rf", dump], check=True)
    r = subprocess.run([modbed, "load", "--no-init", "--json", "--arch", arch, "--dump", dump] + EXTRA + list(extra) + kos,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return [f"{' '.join(kos)}: modbed load exit {r.returncode}: {r.stderr.strip()}"]
    map_name = json.loads(r.stdout)["map"]
    layout = json.load(open(os.path.join(dump, "layout.json")))
    # The documented shape of layout.json.
    if layout.get("arch") != arch or len(layout.get("modules", [])) != len(kos):
        return [f"{' '.join(kos)}: layout.json: arch {layout.get('arch')}, {len(layout.get('modules', []))} modules"]
    fails = []
    for mod, ko in zip(layout["modules"], kos):
        for y in mod["symbols"]:
            int(y["addr"], 16)
            assert y["name"] and y["section"], y
        for u in mod["undefined"]:
            int(u["addr"], 16)
            assert u["name"] and u["provider"], u
        fails += check_module(modbed, lld, arch, map_name, ko, mod, dump, work, st)
    return fails


def check_module(modbed, lld, arch, map_name, ko, mod, dump, work, st):
    obj = Elf(ko)
    byname = {}
    for i, s in enumerate(obj.secs):
        byname.setdefault(s["name"], []).append(i)
    placed = {s["name"]: s for s in mod["sections"]}
    for name in placed:
        if len(byname.get(name, [])) != 1:
            return [f"{ko}: section {name} appears {len(byname.get(name, []))} times in the object"]

    # Linker script: dumped sections at their addresses; allocated sections
    # the loader did not place where their symbols' values say.
    where = [(int(s["addr"], 16), name) for name, s in placed.items()]
    for s in obj.secs:
        if s["flags"] & SHF_ALLOC and s["name"] not in placed and s["type"] not in (SHT_RELA, SHT_REL):
            where.append((percpu_base(modbed, arch, map_name) if s["name"] == ".data..percpu" else 0, s["name"]))
    where.sort()
    # One segment per section, in address order, so lld neither pads the
    # file across the gaps nor sees file offsets go backwards.
    script = os.path.join(work, "link.lds")
    with open(script, "w") as f:
        f.write("PHDRS {\n")
        for k in range(len(where)):
            f.write(f"  p{k} PT_LOAD;\n")
        f.write("}\nSECTIONS {\n")
        for k, (at, name) in enumerate(where):
            f.write(f"  \"mb_{name}\" {at:#x} : {{ KEEP(*(\"{name}\")) }} :p{k}\n")
        f.write("}\n")
    inp = os.path.join(work, "in.o")
    out = os.path.join(work, "out.elf")
    obj.unmerged_copy(inp)
    args = [lld, "-static", "--no-relax", "--noinhibit-exec", "--no-check-sections", "-e", "0",
            "-T", script, "-o", out, inp]
    for u in mod["undefined"]:
        args.append(f"--defsym={u['name']}={u['addr']}")
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(out):
        return [f"{ko}: ld.lld failed: {r.stderr.strip()[:500]}"]
    got_lld = linked_sections(out)

    # Relocation sites per target section, for messages.
    sites = {}
    for tgt, off, typ, sym, add in obj.relas():
        sites.setdefault(tgt, []).append((off, typ, sym, add))
        if obj.secs[tgt]["name"] in placed:
            st.relocs += 1
    fails = []
    for name, s in placed.items():
        data = open(os.path.join(dump, s["file"]), "rb").read()
        size = int(s["size"], 16)
        st.sections += 1
        if name in (".plt", ".init.plt") or name.endswith("ftrace_trampoline"):
            # Sized by the loader; no branch needed an entry (above), so
            # nothing may have been written there.
            if data != bytes(size):
                fails.append(f"{ko}: {name}: PLT entries written although every branch reaches directly")
            continue
        idx = byname[name][0]
        addr, ref = got_lld.get("mb_" + name, (None, None))
        if ref is None and not sites.get(idx):
            # lld drops some input sections it makes itself (build-id
            # notes); with no relocation in them, the file's bytes are the
            # reference.
            addr, ref = int(s["addr"], 16), obj.data(idx)
        if ref is None:
            fails.append(f"{ko}: {name}: not in lld's output")
            continue
        if addr != int(s["addr"], 16):
            fails.append(f"{ko}: {name}: lld placed it at {addr:#x}, modbed at {s['addr']}")
            continue
        if len(data) != size or len(ref) < size:
            fails.append(f"{ko}: {name}: dump {len(data)} bytes, layout {size}, lld {len(ref)}")
            continue
        st.bytes += size
        ref = ref[:size]
        if data == ref:
            continue
        diff = [k for k in range(size) if data[k] != ref[k]]
        unexplained = [(k, next(((o, t, y, a) for o, t, y, a in sites.get(idx, []) if o <= k < o + 4), None))
                       for k in diff]
        if unexplained:
            k, site = unexplained[0]
            syms = obj.symbols()
            what = "no relocation there"
            if site:
                o, t, y, a = site
                what = (f"relocation type {t} at +{o:#x} against "
                        f"'{syms[y]['name'] or obj.secs[syms[y]['shndx']]['name'] if y < len(syms) and syms[y]['shndx'] < len(obj.secs) else y}'"
                        f" addend {a:#x}")
            fails.append(f"{ko}: {name}+{k:#x}: modbed {data[k]:#04x}, ld.lld {ref[k]:#04x} "
                         f"({len(unexplained)} bytes differ; {what})")
    st.modules += 1
    return fails


def evidence_missing(what):
    if os.environ.get("MODBED_REQUIRE_EVIDENCE") == "1":
        print(f"FAIL: evidence required (MODBED_REQUIRE_EVIDENCE=1) but missing: {what}")
        return 1
    print(f"SKIP: {what}")
    return 77


def main(argv):
    if len(argv) > 2 and argv[-2] == "--opts":
        EXTRA.extend(argv[-1].split())
        argv = argv[:-2]
    if len(argv) < 4:
        print(__doc__)
        return 2
    modbed, lld = argv[1], argv[2]
    jobs = []
    if argv[3] == "--corpus":
        root = argv[4]
        every = int(argv[6]) if len(argv) > 6 and argv[5] == "--every" else 10
        for arch in ("x86_64", "arm64"):
            kos = []
            for d, _, files in os.walk(os.path.join(root, arch)):
                kos += [os.path.join(d, f) for f in files if f.endswith(".ko")]
            kos.sort()
            if not kos:
                return evidence_missing(f"no corpus .ko under {os.path.join(root, arch)} (run tests/corpus/fetch.sh)")
            jobs += [(arch, [k], ()) for k in kos[::every]]
    elif argv[3] == "--kbuild":
        root, arch, rest = os.path.join(argv[4], "modules"), argv[5], argv[6:]
        every = 1
        if rest[:1] == ["--every"]:
            every, rest = int(rest[1]), rest[2:]
        config = []
        if rest[:1] == ["--kernel-config"]:
            config, rest = rest[:2], rest[2:]
        kos = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".ko"))
        if not kos:
            return evidence_missing(f"no .ko under {root} (run tests/corpus/kbuild.sh)")
        for km in rest:
            k, m = km.split(":", 1)
            extra = (["--kernel", k] if k else []) + ["--map", m] + config
            jobs += [(arch, [ko], extra) for ko in kos[::every]]
    else:
        for arch in ("x86_64", "arm64", "powerpc32"):
            lst = os.path.join(argv[3], arch, "modules.txt")
            kos = [line.strip() for line in open(lst) if line.strip()]
            jobs += [(arch, [k], ()) for k in kos]
            # Together: run_user binds to run_life's exports.
            jobs.append((arch, [os.path.join(argv[3], arch, m + ".ko") for m in ("reloc_all", "run_life", "run_user")], ()))
    st = Stats()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        for arch, kos, extra in jobs:
            for line in check_load(modbed, lld, arch, kos, work, st, extra):
                print("FAIL " + line)
                failures += 1
    print(f"{st.modules} modules, {st.sections} sections, {st.bytes} bytes and {st.relocs} relocations "
          f"compared with ld.lld unmasked; {failures} failures")
    return 1 if failures or st.modules != sum(len(k) for _, k, _ in jobs) or st.bytes == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
