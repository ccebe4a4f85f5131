#!/usr/bin/env python3
"""Unit test of tests/lab/arm64/iort-canwbs on synthetic IORT tables: CANWBS
set on every root complex and nothing else changed but the OEM revision and
the checksum; tables it must refuse leave no output."""
import os
import struct
import subprocess
import sys
import tempfile

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "iort-canwbs")


def node(ntype, body):
    return struct.pack("<BHBIII", ntype, 16 + len(body), 0, 0, 0, 0) + body


def root_complex(mem_flags, segment):
    # memory access properties (coherency u32, hints u8, reserved u16,
    # flags u8), ATS attribute, segment, memory address size, PASID, flags
    return node(2, struct.pack("<IBHBIIBHB", 1, 0, 0, mem_flags, 0, segment, 64, 0, 0))


def table(nodes, checksum_ok=True):
    body = b"".join(nodes)
    t = bytearray(b"IORT" + struct.pack("<I", 48 + len(body)) + bytes([5, 0]) + b"BOCHS " +
                  b"BXPC    " + struct.pack("<I", 1) + b"BXPC" + struct.pack("<I", 1) +
                  struct.pack("<III", len(nodes), 48, 0) + body)
    t[9] = (-sum(t)) % 256
    if not checksum_ok:
        t[9] = (t[9] + 1) % 256
    return t


def run(data):
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in"), os.path.join(d, "out")
        with open(src, "wb") as f:
            f.write(data)
        p = subprocess.run([sys.executable, TOOL, src, dst], capture_output=True, text=True)
        out = open(dst, "rb").read() if os.path.exists(dst) else None
        return p.returncode, out, p.stdout + p.stderr


def main():
    failures = 0

    def check(cond, what):
        nonlocal failures
        print(("ok   " if cond else "FAIL ") + what)
        failures += 0 if cond else 1

    its = node(0, struct.pack("<II", 1, 0))
    smmu = node(4, bytes(range(52)))
    rc1, rc2 = root_complex(0x03, 0), root_complex(0x00, 1)
    t = table([its, rc1, smmu, rc2])
    code, out, msg = run(t)
    check(code == 0 and out is not None, "a table with two root complexes is patched: " + msg.strip())
    if out is not None:
        check(len(out) == len(t) and sum(out) % 256 == 0, "same length, checksum right")
        check(struct.unpack_from("<I", out, 24)[0] == 2, "OEM revision bumped from 1 to 2")
        off1 = 48 + len(its)
        off2 = off1 + len(rc1) + len(smmu)
        check(out[off1 + 23] == 0x07 and out[off2 + 23] == 0x04, "CANWBS (bit 2) set on both, other flag bits kept")
        diff = [i for i in range(len(t)) if t[i] != out[i]]
        check(diff == [9, 24, off1 + 23, off2 + 23], f"nothing else changed (bytes {diff})")
        code, again, _ = run(out)
        check(code == 0 and again[off1 + 23] == 0x07, "patching twice keeps the flags")

    for what, bad in [
        ("a wrong checksum", table([rc1], checksum_ok=False)),
        ("no root complex", table([its, smmu])),
        ("a truncated table", table([rc1])[:-4]),
        ("a node running past the table", table([rc1[:1] + struct.pack("<H", 200) + rc1[3:]])),
        ("another table", b"DMAR" + bytes(t[4:])),
        ("a node length under its header", table([bytes([2, 8, 0]) + bytes(13)])),
    ]:
        code, out, msg = run(bytes(bad))
        check(code == 1 and out is None and msg.startswith("iort-canwbs: "), f"refused: {what} ({msg.strip()})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
