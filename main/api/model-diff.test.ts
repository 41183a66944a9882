import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiHandlers } from './handlers';

const h = new ApiHandlers(resolve(__dirname, '../..'));

describe('diffModels', () => {
  it('diffs the v2 kfunc proposal against bpf_testmod and marks the change on the graph', () => {
    const r = h.diffModels({ a: 'bpf_testmod_v2_kfunc', b: 'bpf_testmod' });
    expect(r.diff.changes).toContainEqual({
      kind: 'kfunc',
      name: 'bpf_kfunc_st_ops_inc100',
      change: 'removed',
    });
    expect(r.marks.nodes['kfunc:bpf_kfunc_st_ops_test_prologue']).toBe('added');
    expect(r.marks.nodes['program:test_prologue']).toBe('added');
    expect(r.marks.removedNodes.map((n) => n.id)).toContain('kfunc:bpf_kfunc_st_ops_inc100');
    expect(r.marks.removedNodes.map((n) => n.id)).toContain('wrapper:bpf_kfunc_st_ops_inc10');
    // Every marked id is a node or edge of B's graph.
    const ids = new Set(r.graph.nodes.map((n) => n.id));
    for (const id of Object.keys(r.marks.nodes)) expect(ids.has(id)).toBe(true);
    const edges = new Set(r.graph.edges.map((e) => e.id));
    for (const id of Object.keys(r.marks.edges)) expect(edges.has(id)).toBe(true);
    expect(r.markdown).toContain('| removed | kfunc | `bpf_kfunc_st_ops_inc100` |');
  });

  it('marks nothing between a model and itself; refuses an unknown model', () => {
    const r = h.diffModels({ a: 'qdisc', b: 'qdisc', profileA: 'v6.18', profileB: 'bpf-next-2026' });
    expect([r.diff.changes, r.marks.nodes, r.marks.removedNodes]).toEqual([[], {}, []]);
    expect(r.diff.costs.length).toBeGreaterThan(0);
    expect(() => h.diffModels({ a: 'nope', b: 'qdisc' })).toThrow(/no model 'nope'/);
  });
});
