import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiHandlers, findPackageRoot } from './handlers';

const root = findPackageRoot(__dirname);
const h = new ApiHandlers(root);
const yamls = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml'));

describe('models API', () => {
  it('lists every shipped model', () => {
    const r = h.listModels();
    expect(r.models.map((m) => m.file).sort()).toEqual(yamls.map((f) => `models/${f}`).sort());
    for (const m of r.models) expect(m.title, m.name).toBeTruthy();
  });

  it('opens tcp_cc with its struct_ops type and source', () => {
    const r = h.openModel({ name: 'tcp_cc' });
    expect(r.summary!.structOps).toBe('tcp_congestion_ops');
    expect(r.source).toBe(readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8'));
    expect(r.summary!.members.map((m) => m.name)).toContain('cong_avoid');
  });

  it('refuses paths and unknown names', () => {
    expect(() => h.openModel({ name: 'nope' })).toThrow(/no model 'nope'/);
  });

  it('compares call designs for a model with generated code', () => {
    const withBlocks = h
      .listModels()
      .models.filter((m) => m.errors === 0)
      .find((m) => h.openModel({ name: m.name }).summary!.members.some((x) => x.prologue || x.epilogue));
    expect(withBlocks).toBeDefined();
    const c = h.compare({ name: withBlocks!.name });
    expect(c.tables.length).toBe(c.comparison.members.length);
    expect(c.tables.length).toBeGreaterThan(0);
    const t = c.tables[0]!;
    expect(t.designs.length).toBeGreaterThan(1);
    for (const row of t.rows) expect(row.values.length).toBe(t.designs.length);
  });
});
