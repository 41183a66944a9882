// veristat rows for corpus cases in the app (the Stats view): `kmodel stats` on the cases a query picks.
import type { BtfRegistry } from '../../core/btf/registry';
import { progStats } from '../../core/kernel/prog-stats';
import { type CorpusCase, caseToLoadAttr, unmodelledReason } from '../../core/verifier/corpus';
import type { CorpusStatsParams, CorpusStatsResult } from './types';

/** Cases whose id, program type or description holds the query, first `limit` of them. */
export function corpusStats(
  cases: readonly CorpusCase[],
  p: CorpusStatsParams,
  btf: BtfRegistry,
): CorpusStatsResult {
  const q = p.query?.toLowerCase().trim() ?? '';
  const hits = cases.filter(
    (c) =>
      !unmodelledReason(c) &&
      (!q || c.id.includes(q) || c.prog_type.includes(q) || (c.description ?? '').toLowerCase().includes(q)),
  );
  const limit = p.limit ?? 100;
  return {
    total: hits.length,
    rows: hits.slice(0, limit).map((c) => progStats('corpus', c.id, caseToLoadAttr(c), { btf })),
  };
}
