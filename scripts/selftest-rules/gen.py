#!/usr/bin/env python3
"""Builds test/fixtures/corpus/selftest-rules.jsonl: our own small programs, one verifier rule
each (the checklist is the kernel's tools/testing/selftests/bpf/progs/verifier_*.c; the programs
are written here, not copied), loaded into the running kernel as root, in the shape of
cases.jsonl. Needs root on a Linux 6.18 kernel; tests only read the committed file.

usage: sudo python3 scripts/selftest-rules/gen.py [OUT.jsonl]

programs.txt: blocks separated by a line `### NAME PROG_TYPE [MAP ...]` (MAP = TYPE:KEY:VALUE:MAX,
TYPE array|hash|prog_array; `norun`: record no test runs, the result depends on kernel
addresses or uninitialized stack; `sleepable`: loaded with BPF_F_SLEEPABLE, recorded as prog_flags),
then `# description` lines, then the program in kmodel's assembler.

kfunc calls (`call bpf_rcu_read_lock`) are recorded with the ids of kmodel's reference vmlinux BTF
(the corpus kernel), which number the functions differently from this kernel's
/sys/kernel/btf/vmlinux: the program is loaded with the running kernel's ids (by name, read with
bpftool) and its log's `call NAME#ID` lines are mapped back to the reference ids.

Differences from cases.jsonl: the answering kernel is another 6.18.44 build (see kernel.release)
whose CPU is not affected by SRSO, so its JIT ends exits differently from the corpus profile;
`jited` is recorded as null (jited_skipped says why) and the JIT is not compared on these cases.
"""
import ctypes
import json
import os
import platform
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SYS_BPF = {"x86_64": 321}[platform.machine()]
MAP_CREATE, PROG_LOAD, OBJ_GET_INFO_BY_FD, PROG_TEST_RUN = 0, 5, 15, 10
PROG_TYPES = {"socket_filter": 1, "kprobe": 2, "sched_cls": 3, "tracepoint": 5, "xdp": 6,
              "cgroup_skb": 8, "raw_tracepoint": 17, "syscall": 31}
MAP_TYPES = {"hash": 1, "array": 2, "prog_array": 3}
RUNNABLE = {"socket_filter", "sched_cls", "xdp"}
PACKETS = [
    "0200000000020200000000010800450000321234400040063c5bc0000201c63364023039005000000001000000005002ffff7efe000000010203040506070809",
    "0200000000020200000000010800450000721234400040063c1bc0000201c63364029c4001bb010203040a0b0c0d5018ffff636500004142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a",
    "02000000000202000000000108004500002e4321400040110b67c0000201c633640214e90035001a94e0101316191c1f2225282b2e3134373a3d4043",
]
LOG_SIZE = 16 << 20
KEEP = 16 << 10

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    r = libc.syscall(ctypes.c_long(SYS_BPF), ctypes.c_long(cmd), attr, ctypes.c_uint(len(attr)))
    return r, (ctypes.get_errno() if r < 0 else 0)


def map_create(m):
    attr = ctypes.create_string_buffer(72)
    struct.pack_into("=IIII", attr, 0, MAP_TYPES[m["type"]], m["key_size"], m["value_size"], m["max_entries"])
    name = f"kload_m{m['_idx']}".encode()
    attr[28:28 + len(name)] = name
    fd, err = bpf(MAP_CREATE, attr)
    if fd < 0:
        raise OSError(err, f"map create {m}")
    info = ctypes.create_string_buffer(88)
    a = ctypes.create_string_buffer(16)
    struct.pack_into("=IIQ", a, 0, fd, 88, ctypes.addressof(info))
    bpf(OBJ_GET_INFO_BY_FD, a)
    return fd, struct.unpack_from("=I", info, 4)[0]


def prog_load(ptype, code, fds, log_level, prog_flags=0):
    insns = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(LOG_SIZE)
    fda = (ctypes.c_int * max(1, len(fds)))(*fds)
    attr = ctypes.create_string_buffer(160)
    struct.pack_into("=IIQQIIQ", attr, 0, PROG_TYPES[ptype], len(code) // 8, ctypes.addressof(insns),
                     ctypes.addressof(lic), log_level, LOG_SIZE if log_level else 0,
                     ctypes.addressof(log) if log_level else 0)
    struct.pack_into("=I", attr, 44, prog_flags)
    attr[48:53] = b"kload"
    if fds:
        struct.pack_into("=Q", attr, 120, ctypes.addressof(fda))  # fd_array
    fd, err = bpf(PROG_LOAD, attr)
    return fd, err, log.value.decode(errors="replace")


def prog_info(fd):
    info = ctypes.create_string_buffer(232)
    a = ctypes.create_string_buffer(16)
    struct.pack_into("=IIQ", a, 0, fd, 232, ctypes.addressof(info))
    bpf(OBJ_GET_INFO_BY_FD, a)
    jlen, xlen = struct.unpack_from("=II", info, 16)
    nfl = struct.unpack_from("=I", info, 108)[0]
    verified = struct.unpack_from("=I", info, 216)[0]
    xl = ctypes.create_string_buffer(xlen)
    jt = ctypes.create_string_buffer(jlen)
    fl = (ctypes.c_uint32 * max(1, nfl))()
    info2 = ctypes.create_string_buffer(232)
    struct.pack_into("=II", info2, 16, jlen, xlen)
    struct.pack_into("=QQ", info2, 24, ctypes.addressof(jt), ctypes.addressof(xl))
    struct.pack_into("=I", info2, 108, nfl)
    struct.pack_into("=Q", info2, 120, ctypes.addressof(fl))
    struct.pack_into("=IIQ", a, 0, fd, 232, ctypes.addressof(info2))
    bpf(OBJ_GET_INFO_BY_FD, a)
    return xl.raw, jt.raw, list(fl)[:nfl], verified


def test_run(fd, data):
    din = ctypes.create_string_buffer(data, len(data))
    dout = ctypes.create_string_buffer(len(data) + 512)
    attr = ctypes.create_string_buffer(80)
    struct.pack_into("=IIIIQQI", attr, 0, fd, 0, len(data), len(dout), ctypes.addressof(din),
                     ctypes.addressof(dout), 1)
    r, err = bpf(PROG_TEST_RUN, attr)
    retval, _, out_size = struct.unpack_from("=III", attr, 4)
    return {"data_in": data.hex(), "errno": err, "retval": retval,
            "data_out": dout.raw[:out_size].hex() if err == 0 else ""}


_syms = None


def kallsyms():
    global _syms
    if _syms is None:
        rows = []
        for line in open("/proc/kallsyms"):
            p = line.split()
            if len(p) >= 3 and p[1].lower() in ("t", "w"):
                rows.append((int(p[0], 16), p[2]))
        rows.sort()
        _syms = rows, {n: a for a, n in rows}
    return _syms


def sym_of(addr):
    rows, _ = kallsyms()
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid][0] <= addr:
            lo = mid + 1
        else:
            hi = mid
    a, n = rows[lo - 1]
    return n, addr - a


def fix_xlated(xl, map_ids):
    """Map ids in ld_imm64 → index into maps; list the calls (as cases.jsonl does)."""
    b = bytearray(xl)
    calls = []
    base = kallsyms()[1]["__bpf_call_base"]
    i = 0
    while i < len(b) // 8:
        code, regs = b[i * 8], b[i * 8 + 1]
        src = regs >> 4
        imm = struct.unpack_from("<i", b, i * 8 + 4)[0]
        if code == 0x18:
            if src in (1, 2) and imm in map_ids:
                struct.pack_into("<i", b, i * 8 + 4, map_ids.index(imm))
            i += 2
            continue
        if code == 0x85:
            if src == 1:
                calls.append({"insn": i, "kind": "subprog", "symbol": f"func#{imm}", "symbol_offset": 0})
            elif src == 0 and imm == 12:
                calls.append({"insn": i, "kind": "tail_call", "symbol": None, "symbol_offset": 0})
            else:
                n, off = sym_of((base + imm) & (2**64 - 1))
                calls.append({"insn": i, "kind": "kfunc" if src == 2 else "helper", "symbol": n, "symbol_offset": off})
        i += 1
    return bytes(b).hex(), calls


def fix_log(log, code, maps):
    """The address a map ld_imm64 became → <map:N> / <map_value:N+OFF> (it changes every load)."""
    ld = {}
    for i in range(len(code) // 8):
        if code[i * 8] == 0x18 and (code[i * 8 + 1] >> 4) in (5, 6):
            idx = struct.unpack_from("<i", code, i * 8 + 4)[0]
            off = struct.unpack_from("<i", code, i * 8 + 12)[0]
            ld[i] = f"<map:{idx}>" if code[i * 8 + 1] >> 4 == 5 else f"<map_value:{idx}+{off}>"

    def sub(m):
        i = int(m.group(1))
        return m.group(0).replace(m.group(2), ld[i]) if i in ld else m.group(0)
    return re.sub(r"^(\d+): \(18\) r\d+ = (0x[0-9a-f]+)", sub, log, flags=re.M)


_live_funcs = None


def live_func_ids():
    """name → BTF id of the running kernel's FUNCs."""
    global _live_funcs
    if _live_funcs is None:
        out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                             capture_output=True, text=True, check=True).stdout
        _live_funcs = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] FUNC '([^']+)'", out, re.M)}
    return _live_funcs


def to_live(code, kfuncs):
    """The reference BTF ids of kfunc calls → the running kernel's."""
    b = bytearray(code)
    for i in range(len(b) // 8):
        if b[i * 8] == 0x85 and b[i * 8 + 1] >> 4 == 2:
            ref = struct.unpack_from("<i", b, i * 8 + 4)[0]
            struct.pack_into("<i", b, i * 8 + 4, live_func_ids()[kfuncs[str(ref)]])
    return bytes(b)


def log_to_ref(log, kfuncs):
    ref = {n: int(i) for i, n in kfuncs.items()}
    return re.sub(r"call ([A-Za-z_]\w*)#(\d+)",
                  lambda m: f"call {m.group(1)}#{ref[m.group(1)]}" if m.group(1) in ref else m.group(0), log)


def processed(log):
    m = re.findall(r"processed (\d+) insns", log)
    return int(m[-1]) if m else None


def one_load(case, code):
    fds, ids = [], []
    try:
        for k, m in enumerate(case["maps"]):
            fd, mid = map_create({**m, "_idx": k})
            fds.append(fd)
            ids.append(mid)
        flags = case.get("prog_flags", 0)
        fd, err, log = prog_load(case["prog_type"], code, fds, 1, flags)
        if err == 28:  # log overflow: learn the true errno without a log
            fd2, err, _ = prog_load(case["prog_type"], code, fds, 0, flags)
            if fd2 >= 0:
                os.close(fd2)
        res = {"fd": fd, "errno": err, "log": log}
        if fd >= 0:
            xl, jt, fl, verified = prog_info(fd)
            res["xlated"], res["xlated_calls"] = fix_xlated(xl, ids)
            res["verified"] = verified
            res["jited_len"] = len(jt)
            if case["prog_type"] in RUNNABLE:
                res["runs"] = [test_run(fd, bytes.fromhex(p)) for p in PACKETS]
            os.close(fd)
        return res
    finally:
        for f in fds:
            os.close(f)


def parse_programs(text):
    out = []
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        parts = head.split()
        name, ptype, maps = parts[0], parts[1], []
        norun = "norun" in parts[2:]
        sleepable = "sleepable" in parts[2:]
        for m in parts[2:]:
            if m in ("norun", "sleepable"):
                continue
            t, k, v, n = m.split(":")
            maps.append({"type": t, "key_size": int(k), "value_size": int(v), "max_entries": int(n)})
        desc = " ".join(l[1:].strip() for l in body.splitlines() if l.startswith("#"))
        asm = "\n".join(l for l in body.splitlines() if not l.startswith("#"))
        out.append({"name": name, "prog_type": ptype, "maps": maps, "description": desc, "asm": asm,
                    "norun": norun, **({"prog_flags": 16} if sleepable else {})})
    return out


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test/fixtures/corpus/selftest-rules.jsonl")
    progs = parse_programs(open(os.path.join(HERE, "programs.txt")).read())
    asm = json.loads(subprocess.run(
        ["npx", "tsx", os.path.join(HERE, "assemble.ts")], input=json.dumps([p["asm"] for p in progs]),
        capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    hexes, kfuncs = asm["progs"], asm["kfuncs"]
    release = os.uname().release
    lines = []
    for n, (p, h) in enumerate(zip(progs, hexes)):
        if isinstance(h, dict):
            sys.exit(f"{p['name']}: {h['error']}")
        code = bytes.fromhex(h)
        live = to_live(code, kfuncs)
        a, b = one_load(p, live), one_load(p, live)
        log = log_to_ref(fix_log(a["log"], code, p["maps"]), kfuncs)
        accepted = a["fd"] >= 0
        truncated = len(log.encode()) > KEEP
        if truncated:
            cut = log.encode()[-KEEP:]
            log = cut[cut.index(b"\n") + 1:].decode(errors="replace")
        k = {
            "release": release, "verdict": "accept" if accepted else "reject", "errno": a["errno"],
            "log": log, "log_truncated": truncated, "processed_insns": processed(a["log"]),
            "verified_insns": a.get("verified"), "xlated": a.get("xlated"),
            "xlated_calls": a.get("xlated_calls", []) if accepted else [],
            "jited": None, "jited_func_lens": [], "jited_calls": [], "jited_imm64": [], "runs": [],
        }
        if accepted:
            k["jited_skipped"] = "kernel not affected by SRSO (plain return thunk), not the corpus JIT profile"
            if p["norun"]:
                k["runs_skipped"] = "its result depends on kernel addresses or uninitialized stack"
            elif "runs" in a:
                if a["runs"] == b.get("runs"):
                    k["runs"] = a["runs"]
                else:
                    k["runs_skipped"] = "a second fresh load gave different results"
        lines.append(json.dumps({
            "id": f"selftest-rules-{n + 1:04d}", "origin": "selftest-rules", "prog_type": p["prog_type"],
            "attach": None, "maps": p["maps"], **({"prog_flags": p["prog_flags"]} if "prog_flags" in p else {}),
            "insns": h, "description": f"{p['name']}: {p['description']}",
            "kernel": k}, separators=(",", ":")))
        print(f"{p['name']:40} {k['verdict']:7} errno {k['errno']}", file=sys.stderr)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases → {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
