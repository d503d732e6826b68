#!/usr/bin/env python3
"""Breaks a relocatable kernel module on purpose, so a test can check that
KUnit cases notice what modbed got wrong (ELF32/64, either byte order, RELA).

  elfpatch.py noexec IN OUT SECTION      clear SHF_EXECINSTR of SECTION: its
                                         code is placed without execute
                                         permission (the kernel's NX rule)
  elfpatch.py skew IN OUT FUNC DELTA     add DELTA to the addend of every
                                         relocation inside function FUNC that
                                         points at writable data (an object in
                                         it, or the section itself)

Prints how many places it changed; exits 1 when it changed none.
Independent of modbed: plain struct parsing of the ELF headers.
"""
import struct
import sys

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_STRINGS = 0x1, 0x2, 0x4, 0x20
SHT_SYMTAB, SHT_RELA = 2, 4
STT_OBJECT, STT_SECTION = 1, 3


class Elf:
    def __init__(self, data):
        self.d = bytearray(data)
        if self.d[:4] != b"\x7fELF":
            sys.exit("elfpatch: not an ELF file")
        self.is64 = self.d[4] == 2
        self.e = "<" if self.d[5] == 1 else ">"
        if self.is64:
            shoff, = struct.unpack_from(self.e + "Q", self.d, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(self.e + "HHH", self.d, 0x3A)
        else:
            shoff, = struct.unpack_from(self.e + "I", self.d, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(self.e + "HHH", self.d, 0x2E)
        self.sh = []
        for i in range(shnum):
            off = shoff + i * shentsize
            if self.is64:
                name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from(
                    self.e + "IIQQQQIIQQ", self.d, off)
                flags_at = off + 8
            else:
                name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from(
                    self.e + "IIIIIIIIII", self.d, off)
                flags_at = off + 8
            self.sh.append(dict(name=name, type=typ, flags=flags, offset=offset, size=size, link=link,
                                info=info, entsize=entsize, flags_at=flags_at))
        strtab = self.sh[shstrndx]
        for s in self.sh:
            s["sname"] = self.cstr(strtab["offset"] + s["name"])

    def cstr(self, off):
        end = self.d.index(b"\0", off)
        return self.d[off:end].decode()

    def set_flags(self, s, flags):
        struct.pack_into(self.e + ("Q" if self.is64 else "I"), self.d, s["flags_at"], flags)

    def symbols(self):
        st = next(s for s in self.sh if s["type"] == SHT_SYMTAB)
        strtab = self.sh[st["link"]]
        out = []
        for k in range(st["size"] // st["entsize"]):
            off = st["offset"] + k * st["entsize"]
            if self.is64:
                name, info, other, shndx, value, size = struct.unpack_from(self.e + "IBBHQQ", self.d, off)
            else:
                name, value, size, info, other, shndx = struct.unpack_from(self.e + "IIIBBH", self.d, off)
            out.append(dict(name=self.cstr(strtab["offset"] + name), value=value, size=size,
                            type=info & 0xF, shndx=shndx))
        return out


def noexec(elf, section):
    s = next((s for s in elf.sh if s["sname"] == section), None)
    if s is None or not s["flags"] & SHF_EXECINSTR:
        return 0
    elf.set_flags(s, s["flags"] & ~SHF_EXECINSTR)
    return 1


def points_at_data(elf, sym):
    if sym["type"] not in (STT_OBJECT, STT_SECTION) or not 0 < sym["shndx"] < len(elf.sh):
        return False
    f = elf.sh[sym["shndx"]]["flags"]
    return f & (SHF_ALLOC | SHF_WRITE) == SHF_ALLOC | SHF_WRITE and not f & SHF_EXECINSTR


def skew(elf, func, delta):
    syms = elf.symbols()
    fn = next((s for s in syms if s["name"] == func and s["size"]), None)
    if fn is None:
        sys.exit("elfpatch: no function %s" % func)
    changed = 0
    for r in elf.sh:
        if r["type"] != SHT_RELA or r["info"] != fn["shndx"]:
            continue
        for k in range(r["size"] // r["entsize"]):
            off = r["offset"] + k * r["entsize"]
            if elf.is64:
                r_off, info, addend = struct.unpack_from(elf.e + "QQq", elf.d, off)
                symi = info >> 32
            else:
                r_off, info, addend = struct.unpack_from(elf.e + "IIi", elf.d, off)
                symi = info >> 8
            if not fn["value"] <= r_off < fn["value"] + fn["size"] or not points_at_data(elf, syms[symi]):
                continue
            struct.pack_into(elf.e + ("q" if elf.is64 else "i"), elf.d, off + (16 if elf.is64 else 8),
                             addend + delta)
            changed += 1
    return changed


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    op, src, dst = sys.argv[1:4]
    elf = Elf(open(src, "rb").read())
    if op == "noexec":
        n = noexec(elf, sys.argv[4])
    elif op == "skew" and len(sys.argv) == 6:
        n = skew(elf, sys.argv[4], int(sys.argv[5], 0))
    else:
        sys.exit(__doc__)
    open(dst, "wb").write(elf.d)
    print("elfpatch: %s: %d place(s) changed" % (op, n))
    sys.exit(0 if n else 1)


if __name__ == "__main__":
    main()
