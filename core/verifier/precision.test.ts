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
