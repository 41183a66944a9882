import { describe, expect, it } from 'vitest';
import { MIN_PRINT_SCALE, PRINT_WIDTH_PX, printStrips } from './print-strips';

describe('printStrips', () => {
  it('keeps a graph that fits as one strip', () => {
    expect(printStrips(600, [{ x: 0, width: 600 }])).toEqual([{ x: 0, width: 600 }]);
  });

  it('cuts a wide graph between nodes, every strip printable at ≥ 7 pt', () => {
    const nodes = [
      { x: 10, width: 300 },
      { x: 340, width: 300 },
      { x: 700, width: 300 },
      { x: 1030, width: 120 },
    ];
    const strips = printStrips(1164, nodes);
    expect(strips.length).toBe(2);
    expect(strips.reduce((s, x) => s + x.width, 0)).toBe(1164);
    for (const s of strips) {
      // 10 px badge text at the scale the strip prints at.
      expect((10 * PRINT_WIDTH_PX) / s.width).toBeGreaterThanOrEqual(10 * MIN_PRINT_SCALE);
      for (const n of nodes) expect(s.x > n.x && s.x < n.x + n.width).toBe(false);
    }
  });

  it('cuts through a node only when no gap is near', () => {
    const strips = printStrips(2000, [{ x: 0, width: 2000 }], 800);
    expect(strips.map((s) => s.width)).toEqual([800, 800, 400]);
  });
});
