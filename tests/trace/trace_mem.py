#!/usr/bin/env python3
"""trace --mem on one arch, against the call's own inputs: crc32_buf reads
every byte of its buffer, at the buffer's address, with the bytes given on
the command line (hex:), and writes none of them; copy_upper (strscpy on
the host, then a guest loop) reads "hello\\0" from its destination and
writes "HELLO" there, byte by byte, at the addresses --calls shows as its
arguments; fib's reloads of its saved registers read back what its stores
wrote (the read values, taken from memory in the target's byte order,
against the write values the hook is given). Every JSON line parses; the
text lines carry the same accesses.
usage: trace_mem.py MODBED ARCH RUN_WORK.ko"""
import json
import re
import subprocess
import sys

M, ARCH, KO = sys.argv[1:4]
BIG = ARCH == "powerpc32"
fails = 0


def check(what, ok, detail=""):
    global fails
    print(("ok: " if ok else f"FAIL: {ARCH}: ") + what + ("" if ok else f": {detail}"))
    fails += not ok


def modbed(*args):
    r = subprocess.run([M, "trace", "--arch", ARCH, KO, *args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.returncode, r.stderr)
    return r.stdout


def call_args(*call):
    """The top-level call's arguments, from --calls --jsonl."""
    for line in modbed("--calls", "--jsonl", "--", *call).splitlines():
        if line.startswith("{") and '"event":"call"' in line:
            return [int(a, 16) for a in json.loads(line)["args"]]
    raise AssertionError("no call event")


def accesses(*call):
    """(op, addr, size, value) of every access, from --mem --jsonl."""
    out = []
    for line in modbed("--mem", "--jsonl", "--", *call).splitlines():
        if not line.startswith("{"):
            continue
        obj = json.loads(line)
        for a in obj.get("mem", []):
            out.append((a["op"], int(a["addr"], 16), a["size"], int(a["value"], 16)))
    return out


def bytes_in(acc, lo, hi, op):
    """Byte-wise (offset, value) of the accesses of kind op inside [lo, hi), in order."""
    got = []
    for o, addr, size, value in acc:
        if o != op:
            continue
        raw = value.to_bytes(size, "big" if BIG else "little")
        for k in range(size):
            if lo <= addr + k < hi:
                got.append((addr + k - lo, raw[k]))
    return got


data = bytes([0x01, 0x80, 0x7F, 0xFE, 0x55, 0xAA, 0x00, 0x31, 0xC3])
arg = "hex:" + data.hex()
buf = call_args("crc32_buf", arg, str(len(data)))[0]
acc = accesses("crc32_buf", arg, str(len(data)))
reads = bytes_in(acc, buf, buf + len(data), "r")
check("crc32_buf: every byte of the buffer read, with its value",
      sorted(set(reads)) == [(i, b) for i, b in enumerate(data)], reads)
check("crc32_buf: no write into the buffer", bytes_in(acc, buf, buf + len(data), "w") == [])

dst = call_args("copy_upper", "out:16", "str:hello", "16")[0]
acc = accesses("copy_upper", "out:16", "str:hello", "16")
first = {}
for off, v in bytes_in(acc, dst, dst + 16, "r"):
    first.setdefault(off, v)
check("copy_upper: reads hello\\0 from dst", sorted(first.items()) == list(enumerate(b"hello\0")), first)
check("copy_upper: writes HELLO to dst", bytes_in(acc, dst, dst + 16, "w") == list(enumerate(b"HELLO")),
      bytes_in(acc, dst, dst + 16, "w"))

# Guest memory rebuilt from the writes (values as the hook passed them, laid
# out in the target's byte order here): every read of bytes written before
# must see them. fib saves and reloads registers on the stack, word-sized.
fib_acc = accesses("fib", "7")
mem, seen, wide = {}, 0, 0
for op, addr, size, value in fib_acc:
    raw = value.to_bytes(size, "big" if BIG else "little")
    if op == "w":
        for k in range(size):
            mem[addr + k] = raw[k]
    elif all(addr + k in mem for k in range(size)):
        seen += 1
        wide += size > 1
        if bytes(mem[addr + k] for k in range(size)) != raw:
            check(f"fib: read at {addr:#x} sees what was written", False, (raw.hex(), size))
            break
check(f"fib: {seen} reads of written stack slots ({wide} wider than a byte) see the written bytes",
      seen > 4 and wide > 4, seen)

acc = accesses("copy_upper", "out:16", "str:hello", "16")
text = modbed("--mem", "--", "copy_upper", "out:16", "str:hello", "16")
tacc = [(m[0], int(m[2], 16), int(m[1]), int(m[3], 16))
        for m in re.findall(r" \[([rw])(\d+) (0x[0-9a-f]+)=(0x[0-9a-f]+)\]", text)]
check("text lines show the same accesses as JSON lines", tacc == acc, (len(tacc), len(acc)))
print(f"{ARCH}: {fails} failed")
sys.exit(1 if fails else 0)
