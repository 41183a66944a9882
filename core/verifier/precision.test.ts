import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const log = (src: string, logLevel: 1 | 2) =>
  bpfCheck({ insns: assemble(src), progType: 'socket_filter', maps: [], logLevel }, { btf }).log;

// A loop whose bound check needs r7 precise: the walk crosses the checkpoint the loop head made.
const loop = `r7 = 0
r8 = 1
r8 += 1
r7 += 1
if r7 < 0x7 goto pc-3
r0 = 0
exit`;

describe('precision backtracking at log level 2 (__mark_chain_precision, backtrack_insn)', () => {
  it('prints the walk insn by insn, the parent state it marks, then the parent segment', () => {
    const lines = log(loop, 2).split('\n');
    // First visit: one state from insn 0, the mark walks back to r7's constant.
    const first = lines.indexOf('4: (a5) if r7 < 0x7 goto pc-3');
    expect(lines.slice(first + 1, first + 7)).toEqual([
      'mark_precise: frame0: last_idx 4 first_idx 0 subseq_idx -1 ',
      'mark_precise: frame0: regs=r7 stack= before 3: (07) r7 += 1',
      'mark_precise: frame0: regs=r7 stack= before 2: (07) r8 += 1',
      'mark_precise: frame0: regs=r7 stack= before 1: (b7) r8 = 1',
      'mark_precise: frame0: regs=r7 stack= before 0: (b7) r7 = 0',
      // The jump's state then prints on a line of its own, after the backtracking.
      '4: R7=1',
    ]);
    // Some later walk reaches a checkpoint: parent state line with P marks, then its segment.
    const parent = lines.findIndex((l) =>
      l.startsWith('mark_precise: frame0: parent state regs=r7 stack=:  '),
    );
    expect(parent).toBeGreaterThan(first);
    expect(lines[parent]).toMatch(/R7=P\d/);
    expect(lines[parent + 1]).toMatch(/^mark_precise: frame0: last_idx \d+ first_idx \d+ subseq_idx \d+ $/);
  });

  it('prints nothing of it at level 1', () => {
    expect(log(loop, 1)).not.toContain('mark_precise');
  });
});

describe('bounds and backtracking details level 2 shows', () => {
  it('a byte swap keeps its destination precise and adds no register (backtrack_insn BPF_END)', () => {
    const src = `r3 = 1
r3 = be64 r3
r0 = 0
if r3 > 0x7 goto pc+1
r0 = 1
exit`;
    const lines = log(src, 2).split('\n');
    expect(lines).toContain('mark_precise: frame0: regs=r3 stack= before 1: (dc) r3 = be64 r3');
    expect(lines).toContain('mark_precise: frame0: regs=r3 stack= before 0: (b7) r3 = 1');
    expect(lines.some((l) => l.includes('regs=r0,r3'))).toBe(false);
  });

  it('an s32 range across the sign boundary meeting only its negative part (__reg32_deduce_bounds)', () => {
    // w3 has bit 16 set, so a value below 0x80 must be negative as s32.
    const src = `r3 = *(u32 *)(r1 +0)
w3 |= 65536
if w3 s>= 0x80 goto pc+1
r0 = 0
r0 = 0
exit`;
    expect(log(src, 2)).toContain(
      '2: (76) if w3 s>= 0x80 goto pc+1      ; R3=scalar(smin=umin=smin32=umin32=0x80010000,smax=umax=0xffffffff,smax32=-1,var_off=(0x80010000; 0x7ffeffff))',
    );
  });
});

describe('atomic fetch in the backtracker', () => {
  it('a fetched old value is traced to its stack slot, like a fill (cmpxchg loads r0)', () => {
    const src = `r1 = 4
*(u64 *)(r10 -8) = r1
r0 = 0
r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)
if r0 > 0x7 goto pc+1
r0 = 0
exit`;
    const lines = log(src, 2).split('\n');
    expect(lines).toContain(
      'mark_precise: frame0: regs=r0 stack= before 3: (db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)',
    );
    expect(lines).toContain('mark_precise: frame0: regs= stack=-8 before 2: (b7) r0 = 0');
    expect(lines).toContain('mark_precise: frame0: regs=r1 stack= before 0: (b7) r1 = 4');
  });
});
