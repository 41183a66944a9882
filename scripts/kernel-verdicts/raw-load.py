#!/usr/bin/env python3
"""BPF_PROG_LOAD of raw instructions, no BTF (as the corpus loads): prints errno and the log.
Usage (root, on the reference kernel): raw-load.py HEX PROG_TYPE_NUMBER [LOG_LEVEL]
The answers in test/fixtures/objects/verifier/raw.jsonl were taken with it."""
import ctypes, sys, struct, os
libc = ctypes.CDLL(None, use_errno=True)
hexs = sys.argv[1]; ptype = int(sys.argv[2]); level = int(sys.argv[3]) if len(sys.argv) > 3 else 1
insns = bytes.fromhex(hexs)
buf = ctypes.create_string_buffer(insns)
lic = ctypes.create_string_buffer(b"GPL")
log = ctypes.create_string_buffer(1 << 20)
# union bpf_attr for BPF_PROG_LOAD (first fields)
attr = struct.pack("IIQQIIQI", ptype, len(insns)//8, ctypes.addressof(buf), ctypes.addressof(lic), level, len(log), ctypes.addressof(log), 0)
attr = attr + b"\0" * (160 - len(attr))
a = ctypes.create_string_buffer(attr)
libc.syscall.restype = ctypes.c_long
fd = libc.syscall(321, 5, a, len(attr))
err = ctypes.get_errno()
print("fd", fd, "errno", err if fd < 0 else 0)
print(log.value.decode())
