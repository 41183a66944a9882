import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck, PROGRESS_EVERY_INSNS, type VerifierProgress, type VerifierProgressSink } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
// A bounded loop the verifier walks iteration by iteration: 2 insns × 10,000 + 3.
const LOOP = 'r0 = 0\nr0 += 1\nif r0 < 10000 goto pc-2\nr0 = 0\nexit';
const check = (progress?: VerifierProgressSink) =>
  bpfCheck(
    { insns: assemble(LOOP), progType: 'socket_filter', logLevel: 1 },
    progress ? { btf, progress } : { btf },
  );

describe('verifier progress', () => {
  it('is reported every `every` processed insns, with the limit, states and the insn being checked', () => {
    const seen: VerifierProgress[] = [];
    const r = check({ every: 1000, report: (p) => seen.push(p) });
    expect([r.verdict, r.processedInsns]).toEqual(['accept', 20003]);
    expect(seen.map((p) => p.processed)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 1000));
    for (const p of seen) {
      expect(p.limit).toBe(1_000_000);
      expect([1, 2]).toContain(p.insn);
      expect(p.states).toBeGreaterThanOrEqual(0);
      expect(p.peakStates).toBeLessThanOrEqual(Math.max(p.states, 1));
    }
    // States only grow.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.states).toBeGreaterThanOrEqual(seen[i - 1]!.states);
  });

  it('defaults to every PROGRESS_EVERY_INSNS insns and leaves the verdict as it is', () => {
    const seen: number[] = [];
    const r = check({ report: (p) => seen.push(p.processed) });
    expect(seen).toEqual([PROGRESS_EVERY_INSNS, 2 * PROGRESS_EVERY_INSNS]);
    const plain = check();
    expect([plain.verdict, plain.processedInsns, plain.log]).toEqual([r.verdict, r.processedInsns, r.log]);
  });

  it('a report that throws stops the walk and the error reaches the caller', () => {
    class Enough extends Error {}
    let last = 0;
    expect(() =>
      check({
        every: 500,
        report: (p) => {
          last = p.processed;
          if (p.processed >= 5000) throw new Enough('cap');
        },
      }),
    ).toThrow(Enough);
    expect(last).toBe(5000);
  });
});
