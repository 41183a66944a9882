import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatInsn } from '../../core/isa/disasm';
import { insnsFromHex } from '../../core/isa/encoding';
import { type Insn, insn } from '../../core/isa/insn';
import { symbolTableAddressSpace } from '../../core/jit/x86/address-space';
import { type CorpusCase, jitCorpusCase } from '../../core/jit/x86/corpus-case';
import { type JitResult, jitProgram, jitProgramFuncs } from '../../core/jit/x86/jit';
import { analyzeXlated } from '../../core/jit/xlated-input';
import { disassembleX86, jitListing } from './x86-listing';

const space = symbolTableAddressSpace({
  callBase: 0xffffffff81000000n,
  programArea: 0xffffffffc0200000n,
  symbols: new Map([
    ['srso_alias_return_thunk', 0xffffffff82a00000n],
    ['bpf_helper_a', 0xffffffff81000000n + 0x4000n],
    ['bpf_helper_b', 0xffffffff81000000n - 0x9000n],
  ]),
});

/** mulberry32: a small seeded PRNG so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const IMMS = [0, 1, -1, 2, 7, 31, 63, 127, 128, -128, -129, 0x7fffffff, -0x80000000, 0x12345, 255, 65535];
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

/** A random program of every instruction class the JIT handles, with forward jumps only. */
function randomProgram(seed: number): Insn[] {
  const r = rng(seed);
  const n = 5 + r.int(seed % 7 === 0 ? 400 : 60);
  const out: Insn[] = [];
  const reg = () => r.int(10);
  while (out.length < n) {
    const room = n - out.length;
    const kind = r.int(12);
    if (kind <= 3) {
      const op = r.pick(ALU_OPS);
      const cls = r.pick([0x04, 0x07]);
      const isX = r.int(2) === 1 && op !== 0x80;
      let imm = r.pick(IMMS);
      if (op === 0x60 || op === 0x70 || op === 0xc0) imm = r.int(cls === 0x07 ? 64 : 32);
      if ((op === 0x30 || op === 0x90) && imm === 0) imm = 3;
      const off =
        (op === 0x30 || op === 0x90) && r.int(3) === 0
          ? 1
          : op === 0xb0 && isX && r.int(4) === 0
            ? r.pick([8, 16, 32])
            : 0;
      out.push(
        insn(
          cls | op | (isX ? 8 : 0),
          reg(),
          isX ? reg() : 0,
          cls === 0x04 && off === 32 ? 0 : off,
          isX ? 0 : imm,
        ),
      );
    } else if (kind === 4) {
      out.push(insn(r.pick([0xd4, 0xdc, 0xd7]), reg(), 0, 0, r.pick([16, 32, 64])));
    } else if (kind === 5) {
      const size = r.pick([0x00, 0x08, 0x10, 0x18]);
      const base = r.int(3) === 0 ? reg() : 10;
      const off = base === 10 ? -8 * (1 + r.int(64)) : r.pick([0, 8, -8, 200, -300, 127, -128]);
      const mode = r.int(4);
      if (mode === 0)
        out.push(insn(0x61 | size, reg(), base, off, 0)); // ldx
      else if (mode === 1 && size !== 0x18)
        out.push(insn(0x81 | size, reg(), base, off, 0)); // ldsx
      else if (mode === 2)
        out.push(insn(0x63 | size, base, reg(), off, 0)); // stx
      else out.push(insn(0x62 | size, base, 0, off, r.pick(IMMS))); // st
    } else if (kind === 6) {
      const size = r.pick([0x00, 0x18]);
      const op = r.pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
      out.push(insn(0xc3 | size, 10, reg(), -8 * (1 + r.int(8)), op));
    } else if (kind === 7 && room > 2) {
      out.push(insn(0x18, reg(), 0, 0, r.pick(IMMS)), insn(0, 0, 0, 0, r.pick([0, 1, -1, 0x12345678])));
    } else if (kind === 8) {
      out.push(insn(0x85, 0, 0, 0, r.pick([0x4000, -0x9000])));
    } else if (kind === 9 && room > 2) {
      const target = 1 + r.int(Math.min(room - 1, seed % 5 === 0 ? 300 : 40));
      const isX = r.int(2) === 1;
      out.push(
        insn(
          r.pick([0x05, 0x06]) | r.pick(JMP_OPS) | (isX ? 8 : 0),
          reg(),
          isX ? reg() : 0,
          target - 1,
          r.pick(IMMS),
        ),
      );
    } else if (kind === 10 && room > 2) {
      const target = 1 + r.int(Math.min(room - 1, 200));
      out.push(r.int(4) ? insn(0x05, 0, 0, target - 1, 0) : insn(0x06, 0, 0, 0, target - 1));
    } else {
      out.push(insn(0x95, 0, 0, 0, 0));
    }
  }
  out.push(insn(0x95, 0, 0, 0, 0));
  // Jumps may not land on the second slot of an ld_imm64: retarget those to the exit.
  const second = new Set<number>();
  for (const [i, x] of out.entries()) if (x.code === 0x18) second.add(i + 1);
  return out.map((x, i) => {
    const cls = x.code & 7;
    if ((cls === 5 || cls === 6) && ![0x85, 0x95].includes(x.code)) {
      const delta = x.code === 0x06 ? x.imm : x.off;
      if (second.has(i + 1 + delta)) {
        const fixed = out.length - 1 - (i + 1);
        return x.code === 0x06 ? { ...x, imm: fixed } : { ...x, off: fixed };
      }
    }
    return x;
  });
}

/** Everything the property promises about one image. */
function checkImage(insns: readonly Insn[], jit: JitResult, what: string): void {
  const lines = disassembleX86(jit.image, { calls: jit.calls });
  const starts = new Set(lines.map((l) => l.offset));
  expect(
    lines.filter((l) => l.invalid).map((l) => l.offset),
    `${what}: undecodable bytes`,
  ).toEqual([]);
  expect(
    lines.reduce((a, l) => a + l.length, 0),
    `${what}: decoded length`,
  ).toBe(jit.size);
  for (const l of lines) {
    if (l.branchTarget !== undefined)
      expect(starts.has(l.branchTarget), `${what}: branch at ${l.offset} → ${l.branchTarget}`).toBe(true);
  }
  for (const c of jit.calls) expect(starts.has(c.at), `${what}: call site ${c.at}`).toBe(true);
  // Each BPF jump's last x86 instruction goes exactly to its target's code.
  for (let k = 0; k < insns.length; k++) {
    const x = insns[k]!;
    expect(starts.has(jit.addrs[k]!) || jit.addrs[k] === jit.size, `${what}: insn ${k} boundary`).toBe(true);
    const cls = x.code & 7;
    if ((cls !== 5 && cls !== 6) || x.code === 0x85 || x.code === 0x95 || jit.perInsnBytes[k] === 0) continue;
    const delta = x.code === 0x06 ? x.imm : x.off;
    const end = jit.addrs[k]! + jit.perInsnBytes[k]!;
    const last = lines.find((l) => l.offset + l.length === end)!;
    expect(last.branchTarget, `${what}: insn ${k} ${formatInsn(insns, k)}`).toBe(
      delta === -1 ? last.offset : jit.addrs[k + 1 + delta],
    );
  }
}

describe('property: JIT images decode completely and branch onto instruction boundaries', () => {
  it('random straight-line + forward-jump programs', () => {
    let passesSeen = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const insns = randomProgram(seed);
      const an = analyzeXlated(insns);
      const jit = jitProgram({ insns, stackDepth: an.funcs[0]!.stackDepth }, space);
      passesSeen = Math.max(passesSeen, jit.passes);
      checkImage(insns, jit, `seed ${seed}`);
    }
    expect(passesSeen).toBeGreaterThanOrEqual(4);
  });

  it('random programs split into functions with bpf-to-bpf calls', () => {
    for (let seed = 500; seed < 540; seed++) {
      const parts = [randomProgram(seed), randomProgram(seed + 1000), randomProgram(seed + 2000)];
      // main calls func#1 and func#2 first; func#1 calls func#2 (dump form: off = relative, imm = index)
      const starts = [0, 2 + parts[0]!.length];
      starts.push(starts[1]! + 1 + parts[1]!.length);
      const main = [insn(0x85, 0, 1, starts[1]! - 1, 1), insn(0x85, 0, 1, starts[2]! - 2, 2), ...parts[0]!];
      const f1 = [insn(0x85, 0, 1, starts[2]! - starts[1]! - 1, 2), ...parts[1]!];
      const insns = [...main, ...f1, ...parts[2]!];
      const an = analyzeXlated(insns);
      expect(an.funcs.map((f) => f.start)).toEqual(starts);
      const jit = jitProgramFuncs({ insns, subprogs: an.funcs }, space);
      expect(jit.funcLens.length).toBe(3);
      const bases = jit.funcLens.map((_, k) => jit.funcLens.slice(0, k).reduce((a, b) => a + b, 0));
      for (const c of jit.calls.filter((x) => x.what === 'subprog')) {
        const k = Number(c.symbol!.slice(5));
        expect(c.target - space.programArea, `seed ${seed}`).toBe(BigInt(bases[k]!));
      }
      expect(jit.calls.filter((x) => x.what === 'subprog').length).toBe(3);
      for (const [k, start] of starts.entries()) {
        const end = starts[k + 1] ?? insns.length;
        const sub = jit.funcResults[k]!;
        checkImage(insns.slice(start, end), sub, `seed ${seed} func#${k}`);
      }
    }
  });

  it('corpus programs with mutated immediates', () => {
    const cases: CorpusCase[] = readFileSync(
      join(__dirname, '../../test/fixtures/corpus/cases.jsonl'),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((c: CorpusCase) => c.kernel.verdict === 'accept');
    const r = rng(42);
    let n = 0;
    for (const c of cases.filter((_, i) => i % 4 === 0)) {
      const insns = insnsFromHex(c.kernel.xlated!);
      // Keep calls, jumps and ld_imm64 pairs intact; change ALU/store immediates.
      const mutated = insns.map((x, i) => {
        const cls = x.code & 7;
        const prev = insns[i - 1];
        if (prev?.code === 0x18) return x;
        if (
          (cls === 4 || cls === 7) &&
          (x.code & 8) === 0 &&
          ![0x30, 0x90, 0x60, 0x70, 0xc0, 0xd0].includes(x.code & 0xf0)
        ) {
          return { ...x, imm: r.pick(IMMS) };
        }
        if (cls === 2) return { ...x, imm: r.pick(IMMS) };
        return x;
      });
      const jit = jitCorpusCase({
        ...c,
        kernel: {
          ...c.kernel,
          xlated: Buffer.from(
            mutated.flatMap((x) => [
              x.code,
              x.dst | (x.src << 4),
              x.off & 0xff,
              (x.off >> 8) & 0xff,
              x.imm & 0xff,
              (x.imm >>> 8) & 0xff,
              (x.imm >>> 16) & 0xff,
              x.imm >>> 24,
            ]),
          ).toString('hex'),
        },
      });
      if (jit.result.addrs.length !== mutated.length + 1) continue;
      checkImage(mutated, jit.result, c.id);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });
});

describe('listing', () => {
  it('interleaves BPF lines with x86 in both syntaxes and names call targets', () => {
    const insns = [insn(0xb7, 1, 0, 0, 5), insn(0x85, 0, 0, 0, 0x4000), insn(0x95, 0, 0, 0, 0)];
    const jit = jitProgram({ insns, stackDepth: 0 }, space);
    const gas = jitListing(insns, jit, { syntax: 'gas' });
    expect(gas).toContain('; 0: (b7) r1 = 5\n');
    expect(gas).toMatch(/mov \$5, %edi/);
    expect(gas).toMatch(/call bpf_helper_a/);
    expect(gas).toMatch(/jmp srso_alias_return_thunk/);
    const intel = jitListing(insns, jit, { syntax: 'intel', showBytes: true });
    expect(intel).toMatch(/bf 05 00 00 00 +mov edi, 5/);
    expect(
      jitListing(
        [insn(0x79, 1, 10, -8, 0), insn(0x95, 0, 0, 0, 0)],
        jitProgram({ insns: [insn(0x79, 1, 10, -8, 0), insn(0x95, 0, 0, 0, 0)], stackDepth: 8 }, space),
        { syntax: 'intel' },
      ),
    ).toMatch(/mov rdi, \[rbp-8\]/);
    expect(intel.indexOf('; prologue')).toBeLessThan(intel.indexOf('; 0:'));
  });
});
