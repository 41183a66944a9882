import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCfg, insnStarts } from './cfg';
import { insnsFromHex } from './encoding';
import { insn } from './insn';

const fixtures = join(__dirname, '../../test/fixtures');

// Raw encodings, spelled out so the test does not depend on builder helpers.
const mov = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm); // BPF_ALU64|BPF_MOV|BPF_K
const jeqImm = (dst: number, imm: number, off: number) => insn(0x15, dst, 0, off, imm);
const ja = (off: number) => insn(0x05, 0, 0, off, 0);
const gotol = (imm: number) => insn(0x06, 0, 0, 0, imm);
const exit = () => insn(0x95, 0, 0, 0, 0);
const callHelper = (id: number) => insn(0x85, 0, 0, 0, id);
const callLocal = (imm: number) => insn(0x85, 0, 1, 0, imm);
const ldImm64 = (dst: number, src: number, lo: number) => [insn(0x18, dst, src, 0, lo), insn(0, 0, 0, 0, 0)];

describe('buildCfg', () => {
  it('splits an if/else diamond into four blocks', () => {
    // 0: r0 = 0; 1: if r1 == 0 goto 4; 2: r0 = 1; 3: goto 5; 4: r0 = 2; 5: exit
    const p = [mov(0, 0), jeqImm(1, 0, 2), mov(0, 1), ja(1), mov(0, 2), exit()];
    const cfg = buildCfg(p);
    expect(cfg.blocks.map((b) => [b.start, b.end])).toEqual([
      [0, 1],
      [2, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(cfg.edges).toEqual([
      { from: 0, to: 2, kind: 'taken', insn: 1 },
      { from: 0, to: 1, kind: 'fallthrough', insn: 1 },
      { from: 1, to: 3, kind: 'taken', insn: 3 },
      { from: 2, to: 3, kind: 'fallthrough', insn: 4 },
    ]);
    expect(cfg.subprogs).toEqual([0]);
  });

  it('keeps ld_imm64 in one block and never starts a block on its second slot', () => {
    const p = [...ldImm64(1, 0, 7), jeqImm(1, 7, 1), mov(0, 1), exit()];
    const cfg = buildCfg(p);
    expect(cfg.blocks.map((b) => [b.start, b.end])).toEqual([
      [0, 2],
      [3, 3],
      [4, 4],
    ]);
    expect(insnStarts(p)).toEqual([0, 2, 3, 4]);
  });

  it('reports a jump into the middle of ld_imm64 as a bad target', () => {
    const p = [ja(1), exit(), ...ldImm64(0, 0, 1), exit()];
    // 0: goto +1 → 2 (ok). Make a second program jumping to slot 3 (second half).
    const q = [ja(2), exit(), ...ldImm64(0, 0, 1), exit()];
    expect(buildCfg(p).badTargets).toEqual([]);
    expect(buildCfg(q).badTargets).toEqual([{ insn: 0, target: 3 }]);
  });

  it('uses imm as the offset of gotol', () => {
    const p = [gotol(1), mov(0, 1), exit()];
    const cfg = buildCfg(p);
    expect(cfg.edges).toEqual([
      { from: 0, to: 2, kind: 'taken', insn: 0 },
      { from: 1, to: 2, kind: 'fallthrough', insn: 1 },
    ]);
  });

  it('does not end a block at a helper call, and links a bpf-to-bpf call to its subprogram', () => {
    // main: 0 call helper 5; 1 call local +2 (→ 4); 2 r0 = 0; 3 exit | sub: 4 r0 = 1; 5 exit
    const p = [callHelper(5), callLocal(2), mov(0, 0), exit(), mov(0, 1), exit()];
    const cfg = buildCfg(p);
    expect(cfg.subprogs).toEqual([0, 4]);
    expect(cfg.blocks.map((b) => [b.start, b.end, b.subprog])).toEqual([
      [0, 3, 0],
      [4, 5, 1],
    ]);
    expect(cfg.edges).toEqual([{ from: 0, to: 1, kind: 'call', insn: 1 }]);
  });

  it('starts a block after exit even when nothing jumps there', () => {
    const p = [mov(0, 0), exit(), mov(0, 1), exit()];
    const cfg = buildCfg(p);
    expect(cfg.blocks.length).toBe(2);
    expect(cfg.edges).toEqual([]);
  });

  it('handles the empty program', () => {
    expect(buildCfg([])).toEqual({ blocks: [], edges: [], subprogs: [], badTargets: [] });
  });
});

describe('buildCfg over the corpus', () => {
  const lines = readFileSync(join(fixtures, 'corpus/cases.jsonl'), 'utf8').trim().split('\n');
  const cases = lines.map((l) => JSON.parse(l) as { id: string; insns: string });

  it('partitions every program into blocks whose edges land on block starts', () => {
    let checked = 0;
    for (const c of cases) {
      const p = insnsFromHex(c.insns);
      const cfg = buildCfg(p);
      // Blocks tile the program in order.
      let next = 0;
      for (const b of cfg.blocks) {
        expect(b.start, c.id).toBe(next);
        next = b.end + 1;
      }
      expect(next, c.id).toBe(p.length);
      // Every jump that is in range lands on the start of a block.
      const startsOf = new Set(cfg.blocks.map((b) => b.start));
      for (const i of insnStarts(p)) {
        const x = p[i]!;
        const cls = x.code & 7;
        const op = x.code & 0xf0;
        if ((cls === 5 || cls === 6) && op !== 0x80 && op !== 0x90) {
          const t = i + (x.code === 0x06 ? x.imm : x.off) + 1;
          const bad = cfg.badTargets.some((e) => e.insn === i);
          expect(bad || startsOf.has(t), `${c.id} insn ${i}`).toBe(true);
        }
      }
      for (const e of cfg.edges) {
        expect(cfg.blocks[e.to]!.start).toBeGreaterThanOrEqual(0);
        expect(e.insn).toBeGreaterThanOrEqual(cfg.blocks[e.from]!.start);
        expect(e.insn).toBeLessThanOrEqual(cfg.blocks[e.from]!.end);
      }
      checked++;
    }
    expect(checked).toBe(cases.length);
  });
});
