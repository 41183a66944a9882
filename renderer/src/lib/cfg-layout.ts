// Places a program's basic blocks with ELK's layered algorithm (top to bottom,
// orthogonal edges), each block a box listing its instructions.

import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { CfgEdgeKind, DisasmResult, ListingLine } from '../../../main/api/types';

export const LINE_H = 16;
export const HEADER_H = 20;
export const PAD_X = 8;

export interface NodeBox {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  subprog: number;
  lines: ListingLine[];
}

export interface EdgePath {
  from: number;
  to: number;
  kind: CfgEdgeKind;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  edges: EdgePath[];
}

const elk = new ELK();

/** Text shown for one instruction inside a block box. */
export const nodeLineText = (l: ListingLine): string => `${l.idx}: ${l.text}`;

export async function layoutCfg(r: DisasmResult, measure: (text: string) => number): Promise<GraphLayout> {
  const linesOf = new Map<number, ListingLine[]>();
  for (const l of r.lines) {
    const list = linesOf.get(l.block) ?? [];
    list.push(l);
    linesOf.set(l.block, list);
  }
  const children: ElkNode[] = r.cfg.blocks.map((b) => {
    const lines = linesOf.get(b.id) ?? [];
    const w = Math.max(measure(`B${b.id}`) + 40, ...lines.map((l) => measure(nodeLineText(l))));
    return { id: `b${b.id}`, width: Math.ceil(w + 2 * PAD_X), height: HEADER_H + lines.length * LINE_H + 6 };
  });
  const edges: ElkExtendedEdge[] = r.cfg.edges.map((e, i) => ({
    id: `e${i}`,
    sources: [`b${e.from}`],
    targets: [`b${e.to}`],
  }));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeNode': '14',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children,
    edges,
  };
  const graph = await elk.layout(input);
  const nodes: NodeBox[] = (graph.children ?? []).map((n, i) => {
    const b = r.cfg.blocks[i]!;
    return {
      id: b.id,
      x: n.x ?? 0,
      y: n.y ?? 0,
      width: n.width ?? 0,
      height: n.height ?? 0,
      subprog: b.subprog,
      lines: linesOf.get(b.id) ?? [],
    };
  });
  const paths: EdgePath[] = ((graph.edges ?? []) as ElkExtendedEdge[]).map((e, i) => {
    const src = r.cfg.edges[i]!;
    const points: { x: number; y: number }[] = [];
    for (const s of e.sections ?? []) {
      points.push(s.startPoint, ...(s.bendPoints ?? []), s.endPoint);
    }
    return { from: src.from, to: src.to, kind: src.kind, points };
  });
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges: paths };
}

/** A canvas-backed text measurer for the graph's monospace font. */
export function textMeasurer(font: string): (text: string) => number {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return (t) => t.length * 7.3;
  ctx.font = font;
  const cache = new Map<string, number>();
  return (t) => {
    let w = cache.get(t);
    if (w === undefined) {
      w = ctx.measureText(t).width;
      cache.set(t, w);
    }
    return w;
  };
}
