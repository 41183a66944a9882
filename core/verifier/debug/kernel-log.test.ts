import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { insnsFromHex } from '../../isa/encoding';
import type { CorpusCase } from '../corpus';
import { parseStateText, parseVerifierLog } from './kernel-log';

const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CorpusCase);

describe('kernel verifier log parser', () => {
  it('state text: values with spaces inside parentheses, frames, slots', () => {
    expect(parseStateText('frame1: R1=scalar(smin=0,var_off=(0x0; 0xff)) fp-8=mmmmmmmm refs=2')).toEqual({
      frame: 1,
      values: [
        ['R1', 'scalar(smin=0,var_off=(0x0; 0xff))'],
        ['fp-8', 'mmmmmmmm'],
        ['refs', '2'],
      ],
    });
  });

  it("every kernel log of the corpus: insns in range, the kernel's own statistics", () => {
    let logs = 0;
    let visits = 0;
    for (const c of cases) {
      const log = c.kernel.log;
      const p = parseVerifierLog(log);
      const n = insnsFromHex(c.insns).length;
      for (const v of p.visits) expect(v.insn, c.id).toBeLessThan(n);
      expect(p.lines.length).toBe(log.split('\n').length - (log.endsWith('\n') ? 1 : 0));
      if (!c.kernel.log_truncated && p.stats) expect(p.stats.processed, c.id).toBe(c.kernel.processed_insns);
      logs++;
      visits += p.visits.length;
    }
    expect(logs).toBe(cases.length);
    expect(visits).toBeGreaterThan(5000);
  });

  it('reconstructs the state at an insn from what the log printed before it', () => {
    const c = cases.find((x) => x.id === 'hand-0039')!;
    const p = parseVerifierLog(c.kernel.log);
    expect(p.stream.map((s) => s.insn)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(p.stream[5]!.text).toBe('(2d) if r4 > r3 goto pc+1');
    const at6 = p.visits.find((v) => v.insn === 6)!;
    expect(at6.after).toBeNull();
    expect(at6.before.R4).toBe('pkt(off=12,r=12)');
    expect(at6.before.R3).toBe('pkt_end()');
    // The log never reprinted R2 after the bounds check, so a log alone still shows r=0 for it.
    expect(at6.before.R2).toBe('pkt(r=0)');
    expect(p.error).toBe('R2 offset is outside of the packet');
  });

  it('a loop: the state a back-jump prints belongs to the insn it jumps to', () => {
    const c = cases.find((x) => x.id === 'hand-0096')!;
    const p = parseVerifierLog(c.kernel.log);
    const twos = p.visits.filter((v) => v.insn === 2);
    expect(twos.length).toBeGreaterThan(3);
    // Each pass adds one to r0: the before-states differ by the value the previous pass printed.
    expect(twos[1]!.before.R0).toBe('0x3d05b');
    expect(twos[1]!.after!.R0).toBe('0x3d05c');
  });
});
