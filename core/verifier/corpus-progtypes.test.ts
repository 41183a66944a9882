// The progtypes part of the public corpus (cgroup_skb, tracepoint, kprobe, raw_tracepoint,
// syscall; judged by another 6.18.44 build, no JIT images) against the verifier model: the
// issue's targets where reached, and a ratchet on the counts the model reached.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import {
  type CaseComparison,
  type CorpusCase,
  fidelityByGroup,
  fidelityTable,
  runCase,
  summarize,
} from './corpus';

// Reached on this part: raise these when the model gets better.
const REACHED = {
  verdict: 519,
  reason: 293,
  processed: 225,
  xlated: 226,
  runs: 168,
  runsOut: 120,
  rejectLogs: 293,
};

describe('public corpus fidelity: program types', () => {
  it('keeps what the model reached on progtypes.jsonl', { timeout: 1_800_000 }, () => {
    const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
    const lines = readFileSync('test/fixtures/corpus/progtypes.jsonl', 'utf8').trim().split('\n');
    const cmps: CaseComparison[] = lines.map((l) => runCase(JSON.parse(l) as CorpusCase, { btf }).cmp);
    const f = summarize(cmps);
    console.log(`${fidelityTable(f)}\n${fidelityByGroup(cmps, 'progType')}`);
    expect(f.cases).toBe(519);
    expect(f.unmodelled).toBe(0);
    expect(f.unsoundAccepts).toBe(0);
    expect(f.verdictAgree / f.cases).toBeGreaterThanOrEqual(0.995);
    expect(f.verdictAgree).toBeGreaterThanOrEqual(REACHED.verdict);
    expect(f.reasonAgree).toBeGreaterThanOrEqual(REACHED.reason);
    expect(f.processedExact).toBeGreaterThanOrEqual(REACHED.processed);
    expect(f.xlatedExact).toBeGreaterThanOrEqual(REACHED.xlated);
    expect(f.runsAgree).toBeGreaterThanOrEqual(REACHED.runs);
    expect(f.rejectLogsIdentical).toBeGreaterThanOrEqual(REACHED.rejectLogs);
    expect(f.runsOutAgree).toBeGreaterThanOrEqual(REACHED.runsOut);
    expect(f.runsOnLoaded).toBe(0); // every run executes kmodel's xlated program
    // Every kernel test run of an accepted case the test-run model covers is reproduced.
    const accepted = cmps.filter((c) => c.modelVerdict === 'accept' && c.runsModelled);
    expect(accepted.reduce((n, c) => n + (c.runsAgree ?? 0), 0)).toBe(
      accepted.reduce((n, c) => n + c.kernelRuns, 0),
    );
  });
});
