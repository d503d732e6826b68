#!/usr/bin/env python3
"""Reads a modbed trace recording with its own parser (the format of
harness/debug/tracerec.h, nothing shared with modbed's reader) and checks
its block stream against a text trace of the same run: every recorded
block (instruction index, pc) must be the pc on that line of the trace,
calls must start at their function with index 0, and every call must have
blocks (the record run went the fast path).
usage: tracerec_check.py RECORDING TRACE.txt ARCH NCALLS"""
import struct
import sys


class Cur:
    def __init__(self, b):
        self.b, self.p = b, 0

    def le(self, n):
        v = int.from_bytes(self.b[self.p:self.p + n], "little")
        assert self.p + n <= len(self.b), "truncated"
        self.p += n
        return v

    def s(self):
        n = self.le(4)
        v = self.b[self.p:self.p + n].decode()
        self.p += n
        return v

    def varint(self, end):
        v = shift = 0
        while True:
            assert self.p < end, "varint past the stream"
            c = self.b[self.p]
            self.p += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v


def main():
    rec, trace, arch, ncalls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = Cur(open(rec, "rb").read())
    assert c.b[:8] == b"MBTRACE\0", "magic"
    c.p = 8
    assert c.le(4) == 1, "version"
    assert c.le(4) == 0, "flags"
    args = [c.s() for _ in range(c.le(4))]
    assert args[:2] == ["--arch", arch], args
    got_arch, _map, _kernel = c.s(), c.s(), c.s()
    assert got_arch == arch, got_arch
    for _ in range(c.le(4)):
        c.s(), c.s(), c.le(8), c.le(8), c.le(8)
    calls = []
    while True:
        tag = c.le(1)
        if tag == ord("E"):
            break
        assert tag == ord("C"), tag
        func = c.s()
        addr, _ret, insns = c.le(8), c.le(8), c.le(8)
        c.le(1), c.le(1), c.le(8)
        nblocks, nbytes = c.le(8), c.le(8)
        end = c.p + nbytes
        idx = pc = 0
        blocks = []
        mask = (1 << 64) - 1
        for _ in range(nblocks):
            idx += c.varint(end)
            z = c.varint(end)
            pc = (pc + ((z >> 1) ^ -(z & 1))) & mask
            blocks.append((idx, pc))
        assert c.p == end, "stream length"
        calls.append((func, addr, insns, blocks))
    assert c.le(4) == len(calls) == ncalls, (len(calls), ncalls)
    assert c.p == len(c.b), "bytes after the end"

    pcs = [int(line.split()[0], 16) for line in open(trace) if line[:1] in "0123456789abcdef"]
    at = checked = 0
    for func, addr, insns, blocks in calls:
        assert blocks, f"{func}: no blocks recorded"
        assert blocks[0] == (0, addr), f"{func}: first block {blocks[0]}, want (0, {addr:#x})"
        for idx, pc in blocks:
            assert idx < insns, f"{func}: block index {idx} past {insns} instructions"
            assert pcs[at + idx] == pc, f"{func}: instruction {idx} is {pcs[at + idx]:#x} in the trace, {pc:#x} recorded"
            checked += 1
        at += insns
    assert at == len(pcs), f"{len(pcs)} trace lines, {at} recorded instructions"
    print(f"{arch}: {len(calls)} calls, {checked} blocks at the trace's pcs, {at} instructions")


main()
