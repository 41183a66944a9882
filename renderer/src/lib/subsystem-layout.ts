// Places a subsystem graph with ELK's layered algorithm (left to right), the
// vmlinux / module / BPF clusters as compound nodes so edges cross their borders.
// Same engine and text measurer as the CFG (lib/cfg-layout.ts).

import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type {
  SubsystemCluster,
  SubsystemEdge,
  SubsystemGraph,
  SubsystemNode,
  SubsystemNodeKind,
} from '../../../main/api/types';

export const NODE_H = 24;
export const BADGE_H = 16;
export const NODE_PAD_X = 9;
export const BADGE_GAP = 4;
export const CLUSTER_LABEL_H = 22;

/** Node kinds in legend order, with their human names. */
export const NODE_KINDS: { kind: SubsystemNodeKind; label: string }[] = [
  { kind: 'struct_ops', label: 'struct_ops type' },
  { kind: 'member', label: 'member' },
  { kind: 'program', label: 'BPF program' },
  { kind: 'kfunc_set', label: 'kfunc set' },
  { kind: 'kfunc', label: 'kfunc' },
  { kind: 'wrapper', label: 'BPF_CALL_N wrapper' },
  { kind: 'helper', label: 'helper' },
  { kind: 'kernel_func', label: 'kernel function' },
  { kind: 'module', label: 'module' },
];

/** Edge styles in legend order: mechanism for calls, else the edge kind. */
export const EDGE_STYLES: { style: string; label: string }[] = [
  { style: 'kfunc', label: 'kfunc call (BPF_PSEUDO_KFUNC_CALL)' },
  { style: 'wrapper', label: 'BPF_CALL_N wrapper call (BPF_EMIT_CALL)' },
  { style: 'helper', label: 'helper call' },
  { style: 'alt', label: 'alternative design (not the stated one)' },
  { style: 'wraps', label: 'wrapper → wrapped function' },
  { style: 'module-ref', label: 'module reference' },
  { style: 'structure', label: 'has / implements' },
];

/** The legend style of an edge. */
export function edgeStyle(e: SubsystemEdge): string {
  if (e.kind === 'generated' || e.kind === 'calls') return e.mechanism ?? 'kfunc';
  if (e.kind === 'wraps' || e.kind === 'module-ref') return e.kind;
  return 'structure';
}

export interface PlacedNode extends SubsystemNode {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Badge boxes relative to the node. */
  badgeBoxes: { text: string; x: number; width: number }[];
}

export interface PlacedCluster extends SubsystemCluster {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge extends SubsystemEdge {
  style: string;
  points: { x: number; y: number }[];
}

export interface SubsystemLayout {
  width: number;
  height: number;
  clusters: PlacedCluster[];
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const elk = new ELK();

/** Matches a search text against a node (label, kind, badges), case-insensitively. */
export function nodeMatches(n: SubsystemNode, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return false;
  return [n.label, n.kind, ...n.badges].some((s) => s.toLowerCase().includes(q));
}

export async function layoutSubsystem(
  g: SubsystemGraph,
  measure: (text: string) => number,
  measureBadge: (text: string) => number,
): Promise<SubsystemLayout> {
  const sizes = new Map<string, { width: number; height: number; badges: PlacedNode['badgeBoxes'] }>();
  for (const n of g.nodes) {
    let x = NODE_PAD_X;
    const badges = n.badges.map((b) => {
      const w = Math.ceil(measureBadge(b)) + 8;
      const box = { text: b, x, width: w };
      x += w + BADGE_GAP;
      return box;
    });
    const width = Math.ceil(Math.max(measure(n.label) + 2 * NODE_PAD_X, x - BADGE_GAP + NODE_PAD_X, 60));
    sizes.set(n.id, { width, height: NODE_H + (badges.length ? BADGE_H + 4 : 0), badges });
  }
  // Clusters in a fixed order: BPF programs on the left, then the kernel, then modules.
  const order = (c: SubsystemCluster) => (c.kind === 'bpf' ? 0 : c.kind === 'vmlinux' ? 1 : 2);
  const clusters = [...g.clusters].sort((a, b) => order(a) - order(b));
  const children: ElkNode[] = clusters.map((c) => ({
    id: `cluster|${c.id}`,
    layoutOptions: {
      'elk.padding': `[top=${CLUSTER_LABEL_H + 8},left=12,bottom=12,right=12]`,
    },
    children: g.nodes
      .filter((n) => n.cluster === c.id)
      .map((n) => ({ id: n.id, width: sizes.get(n.id)!.width, height: sizes.get(n.id)!.height })),
  }));
  const edges: ElkExtendedEdge[] = g.edges.map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] }));
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'SPLINES',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.spacing.nodeNode': '12',
      'elk.spacing.edgeNode': '10',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children,
    edges,
  };
  const out = await elk.layout(root);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const placedClusters: PlacedCluster[] = [];
  const nodes: PlacedNode[] = [];
  for (const c of out.children ?? []) {
    const cx = c.x ?? 0;
    const cy = c.y ?? 0;
    const cl = clusters.find((k) => `cluster|${k.id}` === c.id)!;
    placedClusters.push({ ...cl, x: cx, y: cy, width: c.width ?? 0, height: c.height ?? 0 });
    for (const n of c.children ?? []) {
      const src = byId.get(n.id)!;
      nodes.push({
        ...src,
        x: cx + (n.x ?? 0),
        y: cy + (n.y ?? 0),
        width: n.width ?? 0,
        height: n.height ?? 0,
        badgeBoxes: sizes.get(n.id)!.badges,
      });
    }
  }
  // With INCLUDE_CHILDREN, ELK gives each edge's points relative to its container.
  const offsetOf = (container: string | undefined): { x: number; y: number } => {
    if (!container || container === 'root') return { x: 0, y: 0 };
    const c = placedClusters.find((k) => `cluster|${k.id}` === container);
    return c ? { x: c.x, y: c.y } : { x: 0, y: 0 };
  };
  const laid = new Map<string, ElkExtendedEdge & { container?: string }>();
  const collect = (n: ElkNode) => {
    for (const e of (n.edges ?? []) as (ElkExtendedEdge & { container?: string })[]) laid.set(e.id, e);
    for (const c of n.children ?? []) collect(c);
  };
  collect(out);
  const placedEdges: PlacedEdge[] = g.edges.map((e) => {
    const le = laid.get(e.id);
    const off = offsetOf(le?.container);
    const points: { x: number; y: number }[] = [];
    for (const s of le?.sections ?? []) {
      for (const p of [s.startPoint, ...(s.bendPoints ?? []), s.endPoint])
        points.push({ x: p.x + off.x, y: p.y + off.y });
    }
    return { ...e, style: edgeStyle(e), points };
  });
  return {
    width: out.width ?? 0,
    height: out.height ?? 0,
    clusters: placedClusters,
    nodes,
    edges: placedEdges,
  };
}

/** SVG path data through ELK's points: a smooth curve for spline routing. */
export function edgePath(pts: { x: number; y: number }[]): string {
  if (pts.length === 0) return '';
  if (pts.length === 2) return `M${pts[0]!.x},${pts[0]!.y} L${pts[1]!.x},${pts[1]!.y}`;
  // ELK's spline sections: start, control points, end → cubic Béziers in threes.
  let d = `M${pts[0]!.x},${pts[0]!.y}`;
  let i = 1;
  while (i + 2 < pts.length) {
    d += ` C${pts[i]!.x},${pts[i]!.y} ${pts[i + 1]!.x},${pts[i + 1]!.y} ${pts[i + 2]!.x},${pts[i + 2]!.y}`;
    i += 3;
  }
  for (; i < pts.length; i++) d += ` L${pts[i]!.x},${pts[i]!.y}`;
  return d;
}
