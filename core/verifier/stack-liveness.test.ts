import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { type CorpusCase, caseToLoadAttr } from './corpus';
import { bpfCheck } from './index';
import { StackLiveness } from './stack-liveness';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());

// fp-8 is read at insn 2 only; the two paths into insn 9 leave different things in it (a ctx
// pointer vs the constant 0). 6.18 asks whether the slot may be read at or after insn 9: it may not,
// so the second path is pruned at 9 (11 + 1 = 12 insns). A slot read anywhere in the program counting
// as live would keep the states apart and walk 9 and 10 again (13).
const deadAtJoin = `r2 = *(u32 *)(r1 +0)
*(u64 *)(r10 -8) = 0
r3 = *(u64 *)(r10 -8)
r4 = 1
r4 += 1
r4 += 1
if r4 == 3 goto pc+0
if r2 > 10 goto pc+1
*(u64 *)(r10 -8) = r1
r0 = 0
exit`;

describe('per-instruction stack liveness (kernel/bpf/liveness.c)', () => {
  it('ignores a slot that is no longer read when comparing states', () => {
    const r = bpfCheck(
      { insns: assemble(deadAtJoin), progType: 'socket_filter', maps: [], logLevel: 1 },
      { btf },
    );
    expect(r.verdict).toBe('accept');
    expect(r.processedInsns).toBe(12);
  });

  it('prints the update at log level 2 as liveness.c does (postorder, reads, writes, entry)', () => {
    const r = bpfCheck(
      { insns: assemble(deadAtJoin), progType: 'socket_filter', maps: [], logLevel: 2 },
      { btf },
    );
    const lines = r.log.split('\n');
    const at = lines.indexOf('10: (95) exit');
    // Insns visited exit-first; only those that read or write the stack, the entry and prune
    // points with a change print; the count includes the pass that changed nothing.
    expect(lines.slice(at + 1, at + 6)).toEqual([
      '(0) frame 0 insn 8 +written -8 ',
      '(0) frame 0 insn 2 +live -8 ',
      '(0) frame 0 insn 1 +written -8 ',
      '(0) frame 0 insn 0 +written -8 ',
      '(0) live stack update done in 2 iterations',
    ]);
    // Level 1 prints none of it.
    const r1 = bpfCheck(
      { insns: assemble(deadAtJoin), progType: 'socket_filter', maps: [], logLevel: 1 },
      { btf },
    );
    expect(r1.log).not.toContain('live stack update');
  });

  it('keeps the slot live while a later instruction may read it', () => {
    // Same program, but fp-8 is read after the join: the paths differ there and both are walked.
    const src = deadAtJoin.replace('r0 = 0\nexit', 'r0 = *(u64 *)(r10 -8)\nr0 = 0\nexit');
    const r = bpfCheck({ insns: assemble(src), progType: 'socket_filter', maps: [], logLevel: 1 }, { btf });
    expect(r.verdict).toBe('accept');
    expect(r.processedInsns).toBe(15);
  });

  it('reproduces the kernel count of random-1479 (a slot written on both paths, read before the join)', () => {
    const line = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
      .split('\n')
      .find((l) => l.includes('"id":"random-1479"') || l.includes('"id": "random-1479"'));
    const c = JSON.parse(line!) as CorpusCase;
    const r = bpfCheck(caseToLoadAttr(c), { btf });
    expect(r.processedInsns).toBe(c.kernel.processed_insns);
  });

  it('a whole-slot write kills liveness, a partial one does not', () => {
    const insns = assemble(
      '*(u64 *)(r10 -8) = 0\n*(u32 *)(r10 -16) = 0\nr0 = *(u64 *)(r10 -8)\nr0 = *(u64 *)(r10 -16)\nexit',
    );
    const live = new StackLiveness(insns);
    for (const [idx, w, rd] of [
      [0, 0, -1],
      [1, -1, -1],
      [2, -1, 0],
      [3, -1, 1],
    ] as const) {
      live.resetWrites(idx);
      if (w >= 0) live.markWrite(w);
      if (rd >= 0) live.markRead(rd);
      live.commitWrites();
    }
    live.update();
    expect([
      live.alive(0, 0),
      live.alive(0, 1),
      live.alive(2, 0),
      live.alive(3, 0),
      live.alive(3, 1),
    ]).toEqual([false, true, true, false, true]);
  });
});
