import { describe, expect, it } from 'vitest';
import type { DisasmResult } from '../../../main/api/types';
import { HEADER_H, LINE_H, layoutCfg } from './cfg-layout';

// if r1 == 0 goto 4; r0 = 1; goto 5; r0 = 2; exit — a diamond of four blocks (the
// shape main/api's disasm returns; built by hand since the renderer may only import types).
const diamond: DisasmResult = {
  slots: 5,
  lines: [
    { idx: 0, slots: 1, text: '(15) if r1 == 0x0 goto pc+2', hex: '', block: 0 },
    { idx: 1, slots: 1, text: '(b7) r0 = 1', hex: '', block: 1 },
    { idx: 2, slots: 1, text: '(05) goto pc+1', hex: '', block: 1 },
    { idx: 3, slots: 1, text: '(b7) r0 = 2', hex: '', block: 2 },
    { idx: 4, slots: 1, text: '(95) exit', hex: '', block: 3 },
  ],
  cfg: {
    blocks: [
      { id: 0, start: 0, end: 0, subprog: 0 },
      { id: 1, start: 1, end: 2, subprog: 0 },
      { id: 2, start: 3, end: 3, subprog: 0 },
      { id: 3, start: 4, end: 4, subprog: 0 },
    ],
    edges: [
      { from: 0, to: 2, kind: 'taken', insn: 0 },
      { from: 0, to: 1, kind: 'fallthrough', insn: 0 },
      { from: 1, to: 3, kind: 'taken', insn: 2 },
      { from: 2, to: 3, kind: 'fallthrough', insn: 3 },
    ],
    subprogs: [0],
    badTargets: [],
  },
};

const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('layoutCfg', () => {
  it('places blocks top-down without overlap, sized to their lines, with routed edges', async () => {
    const l = await layoutCfg(diamond, (t) => t.length * 7);
    expect(l.nodes.map((n) => n.id)).toEqual([0, 1, 2, 3]);
    for (const n of l.nodes) expect(n.height).toBe(HEADER_H + n.lines.length * LINE_H + 6);
    for (let i = 0; i < l.nodes.length; i++)
      for (let j = i + 1; j < l.nodes.length; j++) expect(overlap(l.nodes[i]!, l.nodes[j]!)).toBe(false);
    // Entry above both arms, exit below both.
    const [entry, a, b, exit] = l.nodes;
    expect(entry!.y + entry!.height).toBeLessThanOrEqual(Math.min(a!.y, b!.y));
    expect(exit!.y).toBeGreaterThanOrEqual(Math.max(a!.y + a!.height, b!.y + b!.height));
    expect(l.edges).toHaveLength(4);
    for (const e of l.edges) expect(e.points.length).toBeGreaterThanOrEqual(2);
    expect(l.width).toBeGreaterThanOrEqual(Math.max(...l.nodes.map((n) => n.x + n.width)));
  });
});
