import { describe, expect, it } from 'vitest';
import { figureKey, type RecordedRun, recordRun, regressions } from './record';
import type { BenchRow } from './types';

const row = (what: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({
  area: 'isa',
  what,
  value,
  unit,
  ...extra,
});

describe('perf-regression check', () => {
  const last = recordRun(
    undefined,
    [
      row('interpret counting loop (120,003 insns/run)', 400e6, 'insns/s'),
      row('parse (best of 15, median 36 ms)', 30, 'ms'),
      row('dump vs bpftool', 100, 'ms CPU', { referenceValue: 100 }),
      row('passes', 3, 'passes'),
    ],
    '2026-12-07',
    'v20',
  );

  it('keys figures without their parenthesised run details', () => {
    expect(figureKey(row('parse (best of 15, median 36.1 ms)', 1, 'ms'))).toBe('isa: parse');
    expect(Object.keys(last.figures)).toContain('isa: interpret counting loop');
  });

  it('warns when a figure is more than 20 % worse, in the direction its unit tells', () => {
    const now = [
      row('interpret counting loop (120,003 insns/run)', 300e6, 'insns/s'), // −25 %: worse
      row('parse (best of 15, median 40 ms)', 35, 'ms'), // +17 %: within
      row('passes', 30, 'passes'), // no known direction: not checked
    ];
    const w = regressions(last, now);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /^isa: interpret counting loop: 300,000,000 insns\/s vs 400,000,000 insns\/s last run, -25 %$/,
    );
    expect(regressions(last, [row('parse (x)', 37, 'ms')])[0]).toMatch(/isa: parse: .* \+23 %/);
    expect(regressions(last, [row('interpret counting loop', 900e6, 'insns/s')])).toEqual([]);
  });

  it('compares by the ratio to a reference measured in the same run when there is one', () => {
    // Slower, but so was bpftool (a busy machine): the ratio held.
    expect(regressions(last, [row('dump vs bpftool', 150, 'ms CPU', { referenceValue: 150 })])).toEqual([]);
    expect(regressions(last, [row('dump vs bpftool', 130, 'ms CPU', { referenceValue: 100 })])).toHaveLength(
      1,
    );
  });

  it('a run of some suites keeps the figures of the others', () => {
    const btf: BenchRow = { area: 'btf', what: 'parse', value: 35, unit: 'ms' };
    const merged: RecordedRun = recordRun(last, [btf], '2026-12-08', 'v20');
    expect(Object.keys(merged.figures).sort()).toEqual([...Object.keys(last.figures), 'btf: parse'].sort());
    expect(merged.areas.isa?.date).toBe('2026-12-07');
    expect(merged.areas.btf?.date).toBe('2026-12-08');
    const rerun = recordRun(merged, [row('parse', 20, 'ms')], '2026-12-09', 'v20');
    expect(Object.keys(rerun.figures).filter((k) => k.startsWith('isa:'))).toEqual(['isa: parse']);
  });
});
