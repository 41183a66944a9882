// The recorded states must be the ones kmodel's own level-2 log prints: every register and
// slot the log shows after an insn (and on each `N: R…` line) equals the recorded one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../../main/host/btf-files';
import { BtfRegistry } from '../../btf/registry';
import { type CorpusCase, caseToLoadAttr, unmodelledReason } from '../corpus';
import { parseStateText, parseVerifierLog } from './kernel-log';
import type { InsnVisit } from './state-recorder';
import type { StateView } from './state-view';
import { statesAt, verifierDebugRun } from './states-at';

const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CorpusCase);
const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());

/** The printed value of a log name (`R3`, `fp-8`) in the current frame of a recorded state. */
function recorded(st: StateView, name: string): string | undefined {
  const f = st.frames[st.curframe]!;
  if (name.startsWith('R')) return f.regs.find((r) => r.regno === Number(name.slice(1)))?.text;
  if (name.startsWith('fp')) return f.stack.find((s) => s.off === Number(name.slice(2)))?.text;
  if (name === 'refs') return st.refs.join(',');
  return undefined;
}

// Programs of every origin with branches, spills, calls and rejections, small enough to run fast.
const sample = cases
  .filter((c) => !unmodelledReason(c) && (c.kernel.processed_insns ?? 0) < 400)
  .filter((_, i) => i % 6 === 0);

describe('state recorder against the level-2 log', () => {
  it('samples enough programs of both verdicts', () => {
    expect(sample.length).toBeGreaterThan(100);
    expect(sample.some((c) => c.kernel.verdict === 'reject')).toBe(true);
  });

  it('every register and slot the log prints equals the recorded state', () => {
    let compared = 0;
    for (const c of sample) {
      const run = verifierDebugRun(caseToLoadAttr(c, 2), { btf });
      const log = parseVerifierLog(run.result.log);
      const checked = run.visits.filter((v) => !v.pruned);
      // One printed insn line per checked visit, in walk order (level 2 keeps every path).
      expect(
        log.visits.map((v) => v.insn),
        c.id,
      ).toEqual(checked.map((v) => v.insn));
      let pendingState: [string, string][] | null = null;
      let k = 0;
      for (const line of log.lines) {
        if (line.kind === 'state') pendingState = parseStateText(line.text.replace(/^\d+: /, '')).values;
        if (line.kind !== 'insn') continue;
        const visit = checked[k]!;
        const lv = log.visits[k++]!;
        const known: [string, string][] = lv.pathStart ? Object.entries(lv.before) : (pendingState ?? []);
        for (const [name, value] of known) {
          expect(recorded(visit.before, name), `${c.id} insn ${visit.insn} before ${name}`).toBe(value);
          compared++;
        }
        pendingState = null;
        if (!lv.after) continue;
        for (const name of lv.printed) {
          const after = visit.after as StateView;
          expect(recorded(after, name), `${c.id} insn ${visit.insn} after ${name}`).toBe(lv.after[name]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('a rejected program: the failing insn is the last visit, with the reason and no after-state', () => {
    const c = cases.find((x) => x.id === 'hand-0039')!;
    const run = verifierDebugRun(caseToLoadAttr(c, 2), { btf });
    const last = run.visits[run.visits.length - 1] as InsnVisit;
    expect(last.insn).toBe(6);
    expect(last.rejected).toBe('R2 offset is outside of the packet');
    expect(last.after).toBeNull();
    expect(last.reads.regs).toEqual([2]);
    const r2 = statesAt(run, 6)[0]!.before.frames[0]!.regs.find((r) => r.regno === 2)!;
    expect(r2.type).toBe('pkt');
    expect(r2.text).toBe('pkt(r=12)');
  });

  it('branches are separate paths, and a pruned path names the state it matched', () => {
    const c = cases.find((x) => x.id === 'clang-0030')!;
    const run = verifierDebugRun(caseToLoadAttr(c, 2), { btf });
    const at29 = statesAt(run, 29);
    expect(at29.length).toBeGreaterThan(1);
    expect(new Set(at29.map((v) => v.path)).size).toBe(at29.length);
    const pruned = at29.filter((v) => v.pruned);
    expect(pruned.length).toBeGreaterThan(0);
    for (const p of pruned) expect(p.pruned!.equivalent.frames.length).toBeGreaterThan(0);
    // A path's visits chain back through the fork to insn 0.
    let v: InsnVisit | undefined = pruned[0];
    let steps = 0;
    while (v && v.prevVisit !== null) {
      v = run.visits[v.prevVisit];
      steps++;
    }
    expect(v?.insn).toBe(0);
    expect(steps).toBeGreaterThan(8);
  });
});
