import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { ApiHandlers, findPackageRoot } from './handlers';
import type { KernelLogView, VerifierStatesView } from './types';

const root = findPackageRoot(__dirname);
const kernelLogOf = (id: string): string =>
  (
    readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
      .split('\n')
      .map((l) => (l ? (JSON.parse(l) as { id: string; kernel: { log: string } }) : null))
      .find((c) => c?.id === id) as { kernel: { log: string } }
  ).kernel.log;
const h = new ApiHandlers(root);

describe('verifier debugger API', () => {
  it('a rejected corpus case opens at the failing insn with the failing register and its producer', () => {
    const v = h.verifyStates({ id: 'hand-0039' });
    expect(v.verdict).toBe('reject');
    expect(v.pane.insn).toBe(6);
    expect(v.insns.map((l) => l.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(v.visitCounts.slice(0, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(v.pane.rejection).toMatchObject({ insn: 6, reg: 2 });
    const visit = v.pane.visits[0]!;
    expect(visit.rejected).toBe('R2 offset is outside of the packet');
    expect(visit.before.frames[0]!.regs.find((r) => r.regno === 2)!.type).toBe('pkt');
    expect(visit.producers.R2).toEqual([0]);
  });

  it('the insn stream reads as the log prints it: a map load names its map', () => {
    const v = h.verifyStates({ id: 'random-0032', insn: 36 });
    expect(v.insns.find((l) => l.idx === 21)!.text).toBe('(18) r1 = <map:0>');
    expect(v.pane.call).toMatchObject({ kind: 'helper', name: 'bpf_map_lookup_elem' });
    expect(v.pane.call!.args.map((a) => `R${a.reg}=${a.name}`)).toEqual(['R1=map', 'R2=key']);
  });

  it('another insn of the same program, and an own program by hex', () => {
    expect(h.verifyStates({ id: 'hand-0039', insn: 5 }).pane.visits[0]!.reads.regs).toEqual([3, 4]);
    const own = h.verifyStates({ hex: 'b700000000000000' + '9500000000000000', insn: 1 });
    expect(own.verdict).toBe('accept');
    expect(own.pane.visits[0]!.before.frames[0]!.regs.find((r) => r.regno === 0)!.text).toBe('0');
    expect(() => h.verifyStates({ hex: 'b700000000000000' + '9500000000000000', insn: 9 })).toThrow(
      /no insn 9/,
    );
  });

  it('a pasted kernel log alone: stream and states; with its case: kmodel log and the first differing line', () => {
    const log = kernelLogOf('hand-0039');
    const alone = h.kernelLog({ log });
    expect(alone.parsed.stream.length).toBe(7);
    expect(alone.parsed.visits.find((x) => x.insn === 5)!.after!.R4).toBe('pkt(off=12,r=12)');
    expect(alone.model).toBeNull();
    const withCase = h.kernelLog({ log, id: 'hand-0039' });
    expect(withCase.model!.level).toBe(1);
    // kmodel's log of this case is the kernel's, line for line.
    expect(withCase.model!.firstDiff).toBeNull();
    const edited = h.kernelLog({ log: log.replace('R0=2', 'R0=3'), id: 'hand-0039' });
    expect(edited.model!.firstDiff).toMatchObject({ line: 6, kernel: expect.stringContaining('R0=3') });
  });

  it('goes through the validated backend like every method', async () => {
    const b = inProcessBackend(root);
    const r = await b.call('verifyStates', { id: 'hand-0039', insn: 2 });
    expect(r.ok && (r.result as VerifierStatesView).pane.insn).toBe(2);
    const bad = await b.call('verifyStates', { id: 'hand-0039', hex: '95' });
    expect(bad.ok).toBe(false);
    const k = await b.call('kernelLog', { log: '0: (95) exit\n' });
    expect(k.ok && (k.result as KernelLogView).parsed.stream).toEqual([{ insn: 0, text: '(95) exit' }]);
    await b.close();
  });
});
