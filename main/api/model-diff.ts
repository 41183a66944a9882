// `kmodel diff` in the app: two models (or one under two profiles) diffed by
// core/analysis/diff.ts, with B's subsystem graph and what changed marked on it.

import { compareDesigns } from '../../core/analysis/compare';
import { diffModels } from '../../core/analysis/diff';
import { formatDiffMarkdown } from '../../core/analysis/diff-format';
import type { Btf } from '../../core/btf/btf';
import type { ModelStore } from './models';
import { ApiError } from './schema';
import { buildSubsystemGraph } from './subsystem-graph';
import type { DiffModelsParams, DiffModelsResult, SubsystemEdge, SubsystemGraph } from './types';

const edgeKey = (e: SubsystemEdge) =>
  `${e.from} → ${e.to} (${e.kind}${e.mechanism ? ` ${e.mechanism}` : ''})`;
const nodeFacts = (g: SubsystemGraph, id: string) => {
  const n = g.nodes.find((x) => x.id === id)!;
  return JSON.stringify([n.badges.filter((b) => !b.startsWith('review: ')), n.details]);
};

/** Nodes and edges of B that A lacks or that differ, and what A had that B lost. */
export function graphMarks(a: SubsystemGraph, b: SubsystemGraph): DiffModelsResult['marks'] {
  const aIds = new Set(a.nodes.map((n) => n.id));
  const bIds = new Set(b.nodes.map((n) => n.id));
  const nodes: DiffModelsResult['marks']['nodes'] = {};
  for (const n of b.nodes) {
    if (!aIds.has(n.id)) nodes[n.id] = 'added';
    else if (nodeFacts(a, n.id) !== nodeFacts(b, n.id)) nodes[n.id] = 'changed';
  }
  const aEdges = new Set(a.edges.map(edgeKey));
  const bEdges = new Set(b.edges.map(edgeKey));
  const edges: DiffModelsResult['marks']['edges'] = {};
  for (const e of b.edges) if (!aEdges.has(edgeKey(e))) edges[e.id] = 'added';
  return {
    nodes,
    edges,
    removedNodes: a.nodes
      .filter((n) => !bIds.has(n.id))
      .map((n) => ({ id: n.id, label: n.label, kind: n.kind })),
    removedEdges: [...aEdges].filter((k) => !bEdges.has(k)),
  };
}

export function modelDiffView(store: ModelStore, base: Btf, p: DiffModelsParams): DiffModelsResult {
  const side = (name: string, profile: DiffModelsParams['profileA']) => {
    const check = store.result(name);
    if (!check.resolved || !check.build)
      throw new ApiError('bad-request', `model '${name}' has errors; fix them before diffing`);
    try {
      return { check, comparison: compareDesigns(check, base, { profile: profile ?? 'auto' }) };
    } catch (e) {
      throw new ApiError('bad-request', `diff: ${name}: ${(e as Error).message}`);
    }
  };
  const a = side(p.a, p.profileA);
  const b = side(p.b, p.profileB);
  const diff = diffModels(a, b);
  const graphA = buildSubsystemGraph(p.a, a.check, base);
  const graphB = buildSubsystemGraph(p.b, b.check, base);
  return { diff, markdown: formatDiffMarkdown(diff), graph: graphB, marks: graphMarks(graphA, graphB) };
}
