// The recorder against the real kernel: on each rejected corpus case, the kernel's log (level 1:
// the failing path) prints register and slot values after insns; the recorder's states on the
// same path must equal them. A ratchet: the count of equal values may only go up.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../../main/host/btf-files';
import { BtfRegistry } from '../../btf/registry';
import { type CorpusCase, caseToLoadAttr, unmodelledReason } from '../corpus';
import { parseVerifierLog } from './kernel-log';
import type { InsnVisit } from './state-recorder';
import { verifierDebugRun } from './states-at';

const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CorpusCase);
const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());

describe("recorded states against the kernel's logs", () => {
  it('the values the kernel prints on the failing path equal the recorded ones', () => {
    let compared = 0;
    let equal = 0;
    let aligned = 0;
    const differing: string[] = [];
    for (const c of cases) {
      const k = c.kernel;
      if (k.verdict !== 'reject' || unmodelledReason(c) || k.log_truncated || (k.processed_insns ?? 0) > 5000)
        continue;
      const log = parseVerifierLog(k.log);
      if (!log.visits.some((v) => v.after)) continue;
      const run = verifierDebugRun(caseToLoadAttr(c, 2), { btf });
      const path: InsnVisit[] = [];
      for (
        let v: InsnVisit | undefined = run.visits[run.visits.length - 1];
        v;
        v = v.prevVisit === null ? undefined : run.visits[v.prevVisit]
      )
        path.unshift(v);
      const checked = path.filter((v) => !v.pruned);
      if (checked.length !== log.visits.length) continue;
      aligned++;
      log.visits.forEach((kv, i) => {
        const mv = checked[i]!;
        if (!kv.after || !mv.after || kv.insn !== mv.insn) return;
        const f = mv.after.frames[mv.after.curframe]!;
        for (const name of kv.printed) {
          const mine = name.startsWith('R')
            ? f.regs.find((r) => r.regno === Number(name.slice(1)))?.text
            : f.stack.find((s) => s.off === Number(name.slice(2)))?.text;
          compared++;
          if (mine === kv.after[name]) equal++;
          else if (differing.length < 5)
            differing.push(`${c.id} ${kv.insn} ${name}: kernel ${kv.after[name]}, kmodel ${mine}`);
        }
      });
    }
    // Measured 2026-12-08: 532 cases aligned, 16234 of 16290 printed values equal.
    expect(aligned).toBeGreaterThanOrEqual(532);
    expect(compared).toBeGreaterThanOrEqual(16290);
    expect(equal, differing.join('\n')).toBeGreaterThanOrEqual(16234);
  });
});
