#!/usr/bin/env python3
"""Builds test/fixtures/corpus/log-level2.jsonl: programs loaded into the running kernel at
log_level 2 (BPF_LOG_LEVEL2), whose whole log — instructions, states, precision backtracking,
pruning — kmodel's level-2 log is measured against. Needs root on a Linux 6.18 kernel; tests
only read the committed file.

usage: sudo python3 scripts/log-level2/gen.py [OUT.jsonl]

The programs: every scripts/selftest-rules program, and a fixed sample of cases.jsonl (not
struct_ops, whose attach BTF this loader does not pass) spread over accepts and rejects, loops,
bpf-to-bpf calls and map lookups. A log longer than 16 KiB keeps its last 16 KiB from a line
start (log_truncated), as corpusLog() cuts the model's. The answering kernel is another 6.18.44 build than
cases.jsonl's (kernel.release); its verifier is the same.
"""
import json
import os
import random
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "selftest-rules"))
import gen as rules  # noqa: E402  (selftest-rules/gen.py: bpf(), map_create, prog_load, fix_log)

KEEP = 16 << 10
SAMPLE = 150


def features(code):
    """loop (a backward jump), call (bpf-to-bpf), for the sample's spread."""
    loop = call = False
    for i in range(len(code) // 8):
        op, regs = code[i * 8], code[i * 8 + 1]
        off = struct.unpack_from("<h", code, i * 8 + 2)[0]
        imm = struct.unpack_from("<i", code, i * 8 + 4)[0]
        if op & 7 in (5, 6) and op not in (0x85, 0x95):
            if (off if op != 0x06 else imm) < 0:
                loop = True
        if op == 0x85 and regs >> 4 == 1:
            call = True
            if imm < 0:
                loop = True
    return loop, call


def sample_corpus():
    rows = [json.loads(l) for l in open(os.path.join(ROOT, "test/fixtures/corpus/cases.jsonl"))]
    rows = [r for r in rows if r["prog_type"] != "struct_ops" and not r["kernel"]["log_truncated"]]
    rng = random.Random(15)
    buckets = {}
    for r in rows:
        loop, call = features(bytes.fromhex(r["insns"]))
        key = (r["kernel"]["verdict"], loop, call, bool(r["maps"]))
        buckets.setdefault(key, []).append(r)
    for b in buckets.values():
        rng.shuffle(b)
    picked, keys = [], sorted(buckets)
    while len(picked) < SAMPLE and any(buckets.values()):
        for k in keys:
            if buckets[k] and len(picked) < SAMPLE:
                picked.append(buckets[k].pop())
    picked.sort(key=lambda r: r["id"])
    return picked


def load2(case, code):
    fds = []
    try:
        for k, m in enumerate(case["maps"]):
            fds.append(rules.map_create({**m, "_idx": k})[0])
        fd, err, log = rules.prog_load(case["prog_type"], code, fds, 2)
        if err == 28:  # log overflow: learn the true errno without a log
            fd2, err, _ = rules.prog_load(case["prog_type"], code, fds, 0)
            if fd2 >= 0:
                os.close(fd2)
        if fd >= 0:
            os.close(fd)
        return fd >= 0, err, log
    finally:
        for f in fds:
            os.close(f)


def fix_log2(log, code):
    """Map addresses as the corpus writes them, also where level 2 reprints an insn mid-line."""
    import re
    ld = {}
    for i in range(len(code) // 8):
        if code[i * 8] == 0x18 and (code[i * 8 + 1] >> 4) in (1, 2, 5, 6):
            idx = struct.unpack_from("<i", code, i * 8 + 4)[0]
            off = struct.unpack_from("<i", code, i * 8 + 12)[0]
            src = code[i * 8 + 1] >> 4
            ld[i] = f"<map_value:{idx}+{off}>" if src in (2, 6) else f"<map:{idx}>"

    def sub(m):
        i = int(m.group(1))
        return m.group(0).replace(m.group(2), ld[i]) if i in ld else m.group(0)
    return re.sub(r"\b(\d+): (?:[0-9.]{10} )?\(18\) r\d+ = (0x[0-9a-f]+)", sub, log)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test/fixtures/corpus/log-level2.jsonl")
    progs = rules.parse_programs(open(os.path.join(ROOT, "scripts/selftest-rules/programs.txt")).read())
    hexes = json.loads(subprocess.run(
        ["npx", "tsx", os.path.join(ROOT, "scripts/selftest-rules/assemble.ts")],
        input=json.dumps([p["asm"] for p in progs]), capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    todo = []
    for p, h in zip(progs, hexes):
        if isinstance(h, dict):
            sys.exit(f"{p['name']}: {h['error']}")
        todo.append({"source": f"selftest-rules:{p['name']}", "prog_type": p["prog_type"], "maps": p["maps"],
                     "insns": h, "description": f"{p['name']}: {p['description']}"})
    for r in sample_corpus():
        todo.append({"source": f"cases:{r['id']}", "prog_type": r["prog_type"], "maps": r["maps"],
                     "insns": r["insns"], "description": r.get("description", "")})
    release = os.uname().release
    lines = []
    for n, t in enumerate(todo):
        code = bytes.fromhex(t["insns"])
        ok, err, log = load2(t, code)
        log = fix_log2(log, code)
        full = len(log.encode())
        truncated = full > KEEP
        if truncated:
            # From a line start, as corpusLog() cuts the model's: a cut that lands on one keeps that line.
            raw = log.encode()
            cut = raw[-KEEP:]
            log = (cut if raw[-KEEP - 1:-KEEP] == b"\n" else cut[cut.index(b"\n") + 1:]).decode(errors="replace")
        lines.append(json.dumps({
            "id": f"log2-{n + 1:04d}", "origin": t["source"].split(":")[0], "source": t["source"],
            "prog_type": t["prog_type"], "attach": None, "maps": t["maps"], "insns": t["insns"],
            "description": t["description"],
            "kernel": {"release": release, "log_level": 2, "verdict": "accept" if ok else "reject", "errno": err,
                       "log": log, "log_truncated": truncated, "log_bytes": full,
                       "processed_insns": rules.processed(log)}}, separators=(",", ":")))
        print(f"{t['source']:50} {'accept' if ok else 'reject':7} errno {err:3} log {full}", file=sys.stderr)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases → {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
