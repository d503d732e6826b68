"""Section headers and .modinfo of a module file (ELF32/64, either byte
order), read with the standard library only: the Python checks' view of a
.ko shares no code with modbed's ELF reader (tests/oracle, tests/load)."""
import struct

SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4


class Section:
    def __init__(self, index, name, sh_type, flags, offset, size, link, info, align):
        self.index, self.name, self.type = index, name, sh_type
        self.flags, self.offset, self.size = flags, offset, size
        self.link, self.info, self.align = link, info, align


def sections(path):
    """Every section header of the file, in file order, and the file's bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF':
        raise ValueError('%s: not an ELF file' % path)
    is64 = data[4] == 2
    end = '<' if data[5] == 1 else '>'
    if is64:
        shoff, = struct.unpack_from(end + 'Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + 'HHH', data, 0x3a)
        fmt = end + 'IIQQQQIIQQ'
    else:
        shoff, = struct.unpack_from(end + 'I', data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + 'HHH', data, 0x2e)
        fmt = end + 'IIIIIIIIII'
    raw = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    strbase = raw[shstrndx][4]
    out = []
    for i, h in enumerate(raw):
        name_off, sh_type, flags, _addr, off, size, link, info, align, _ent = h
        start = strbase + name_off
        name = data[start:data.index(b'\0', start)].decode()
        out.append(Section(i, name, sh_type, flags, off, size, link, info, align))
    return out, data


def modinfo(path):
    """The .modinfo strings as a dict (the last value of a repeated key)."""
    secs, data = sections(path)
    for s in secs:
        if s.name == '.modinfo':
            raw = data[s.offset:s.offset + s.size].split(b'\0')
            return dict(x.decode().split('=', 1) for x in raw if b'=' in x)
    return {}
