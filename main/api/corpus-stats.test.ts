import { describe, expect, it } from 'vitest';
import { ApiHandlers, findPackageRoot } from './handlers';

const h = new ApiHandlers(findPackageRoot(__dirname));

describe('corpus stats (the Stats view)', () => {
  it('rows for the cases a query picks, counted as the kernel counted them', () => {
    const r = h.corpusStats({ query: 'hand-003', limit: 5 });
    expect(r.total).toBeGreaterThanOrEqual(r.rows.length);
    expect(r.rows.length).toBe(5);
    for (const row of r.rows) expect(row.program.startsWith('hand-003')).toBe(true);
    const at = h.corpusStats({ query: 'hand-0039' }).rows[0]!;
    expect(at).toMatchObject({
      program: 'hand-0039',
      verdict: 'failure',
      error: 'R2 offset is outside of the packet',
    });
    expect(at.totalInsns).toBe(7);
  });
});
