import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../../main/host/btf-files';
import { BtfRegistry } from '../../btf/registry';
import { assemble } from '../../isa/asm';
import { type CorpusCase, caseToLoadAttr } from '../corpus';
import { statesAt, verifierDebugRun } from './states-at';
import { failingOperand, rejectionChain, useDef } from './use-def';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CorpusCase);

const run = (text: string) => verifierDebugRun({ insns: assemble(text), progType: 'socket_filter' }, { btf });

describe('use-def along the recorded path', () => {
  it('follows a spill and fill back to the constant that was stored', () => {
    const r = run(`
      r1 = 7
      r1 += 3
      *(u64 *)(r10 -8) = r1
      r2 = 0
      r3 = *(u64 *)(r10 -8)
      r0 = r3
      exit`);
    expect(r.result.verdict).toBe('accept');
    const at = statesAt(r, 5)[0]!;
    const chain = useDef(r, at.visit, { reg: 3 });
    expect(chain.map((s) => s.insn)).toEqual([4, 2, 1, 0]);
    expect(chain[0]).toMatchObject({ wrote: ['R3'], from: ['fp-8'] });
    expect(chain[1]).toMatchObject({ wrote: ['fp-8'], from: ['R1'] });
    // r2 = 0 is not on the chain: it wrote nothing the value came from.
    expect(chain.some((s) => s.insn === 3)).toBe(false);
  });

  it('a slot asked for directly: the store that wrote it', () => {
    const r = run(`
      r1 = 5
      *(u64 *)(r10 -16) = r1
      r0 = 0
      exit`);
    const chain = useDef(r, statesAt(r, 2)[0]!.visit, { slot: 1 });
    expect(chain.map((s) => s.insn)).toEqual([1, 0]);
  });

  it('each branch has its own producer', () => {
    const r = run(`
      r0 = *(u32 *)(r1 +0)
      if r0 > 0x3 goto pc+2
      r2 = 1
      goto pc+1
      r2 = 2
      r0 = r2
      exit`);
    const producers = statesAt(r, 5).map((v) => useDef(r, v.visit, { reg: 2 })[0]?.insn);
    expect(producers.sort()).toEqual([2, 4]);
  });

  it('a rejected corpus case: the failing register and the insns that made it', () => {
    const c = cases.find((x) => x.id === 'hand-0039')!;
    const r = verifierDebugRun(caseToLoadAttr(c, 2), { btf });
    const f = failingOperand(r)!;
    expect(f.reg).toBe(2);
    expect(f.visit.insn).toBe(6);
    const chain = rejectionChain(r)!;
    expect(chain.chain.map((s) => s.insn)).toEqual([0]);
  });
});
