#!/usr/bin/env python3
"""Loads a raw BPF program into the running kernel with the bpf() syscall (BPF_PROG_LOAD),
so the bench can time the kernel's verifier on the same program `kmodel verify` checks.

usage: bpf-prog-load.py HEXFILE PROG_TYPE LOG_LEVEL [EXPECT_ERRNO,...]
Prints "errno N processed M"; exits 0 when the load ends as expected (accepted, or one of
the given errnos: a log cut to its last MiB adds ENOSPC), 1 otherwise. The log buffer is 1 MiB, as `kmodel verify` keeps the log's last MiB.
"""
import ctypes
import os
import platform
import re
import struct
import sys

BPF_PROG_LOAD = 5
SYS_BPF = {"x86_64": 321, "aarch64": 280}
LOG_SIZE = 1 << 20


def main() -> int:
    hexfile, prog_type, log_level = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    expect = [int(e) for e in sys.argv[4].split(",")] if len(sys.argv) > 4 else [0]
    code = bytes.fromhex(re.sub(r"\s+", "", open(hexfile).read()))
    insns = ctypes.create_string_buffer(code, len(code))
    license_ = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(LOG_SIZE if log_level else 1)
    # union bpf_attr, BPF_PROG_LOAD part: prog_type, insn_cnt, insns, license, log_level,
    # log_size, log_buf; the rest stays zero (the kernel checks that).
    attr = ctypes.create_string_buffer(144)
    struct.pack_into(
        "=IIQQIIQ", attr, 0, prog_type, len(code) // 8,
        ctypes.addressof(insns), ctypes.addressof(license_),
        log_level, LOG_SIZE if log_level else 0, ctypes.addressof(log) if log_level else 0,
    )
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(ctypes.c_long(SYS_BPF[platform.machine()]), ctypes.c_long(BPF_PROG_LOAD),
                      attr, ctypes.c_uint(144))
    err = ctypes.get_errno() if fd < 0 else 0
    if fd >= 0:
        os.close(fd)
    text = log.value.decode(errors="replace")
    m = re.findall(r"processed (\d+) insns", text)
    print(f"errno {err} processed {m[-1] if m else '?'}")
    return 0 if err in expect else 1


if __name__ == "__main__":
    sys.exit(main())
