// Verifier model speed over the public corpus: programs/s and processed insns/s.
import { readFileSync } from 'node:fs';
import { BtfRegistry } from '../core/btf/registry';
import { type CorpusCase, caseToLoadAttr } from '../core/verifier/corpus';
import { bpfCheck } from '../core/verifier/index';
import { loadReferenceVmlinuxBtfSync } from '../main/host/btf-files';
import type { BenchRow, BenchSuite } from './types';

export const run: BenchSuite = async (): Promise<BenchRow[]> => {
  const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
  const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CorpusCase);
  // The four cases that hit the 1M-insn limit dominate; measure them apart.
  const big = (c: CorpusCase) => (c.kernel.processed_insns ?? 0) >= 1_000_000;
  const rows: BenchRow[] = [];
  for (const [what, set] of [
    ['corpus without 1M-insn cases', cases.filter((c) => !big(c))],
    ['1M-insn-limit cases', cases.filter(big)],
  ] as const) {
    let insns = 0;
    const t0 = performance.now();
    for (const c of set) insns += bpfCheck(caseToLoadAttr(c), { btf }).processedInsns ?? 0;
    const s = (performance.now() - t0) / 1000;
    rows.push({ area: 'verifier', what: `${what}: programs`, value: set.length / s, unit: 'programs/s' });
    rows.push({ area: 'verifier', what: `${what}: processed insns`, value: insns / s, unit: 'insns/s' });
  }
  return rows;
};
