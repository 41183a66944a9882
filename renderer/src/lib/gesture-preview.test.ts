import { describe, expect, it } from 'vitest';
import { blankBand, layerTransform, type Zoom } from './gesture-preview';

const apply = (z: Zoom, p: readonly [number, number]) => [z.k * p[0] + z.x, z.k * p[1] + z.y] as const;

describe('layerTransform', () => {
  it('puts every graph point where the wanted transform would draw it', () => {
    const mx = 262.5;
    const my = 160;
    const cases: [Zoom, Zoom][] = [
      [
        { x: 10, y: 20, k: 1 },
        { x: 10, y: 20, k: 1 },
      ],
      [
        { x: 10, y: 20, k: 1 },
        { x: 92, y: -14, k: 1 },
      ],
      [
        { x: -40.5, y: 13.25, k: 0.7 },
        { x: 300, y: 120, k: 2.9 },
      ],
      [
        { x: 500, y: 400, k: 3 },
        { x: -20, y: 7, k: 0.05 },
      ],
    ];
    for (const [drawn, want] of cases) {
      const t = layerTransform(drawn, want, mx, my);
      for (const p of [
        [0, 0],
        [100, 30],
        [-250, 1200],
        [3000, -7],
      ] as const) {
        // Drawn at layer point m + drawn(p); the layer's top-left sits at stage point -m.
        const [ux, uy] = apply(drawn, p);
        const stage = [-mx + t.dx + t.s * (mx + ux), -my + t.dy + t.s * (my + uy)];
        const [ex, ey] = apply(want, p);
        expect(stage[0]).toBeCloseTo(ex, 6);
        expect(stage[1]).toBeCloseTo(ey, 6);
      }
    }
  });

  it('is the identity when nothing moved', () => {
    expect(layerTransform({ x: 3, y: 4, k: 2 }, { x: 3, y: 4, k: 2 }, 100, 50)).toEqual({
      dx: 0,
      dy: 0,
      s: 1,
    });
  });
});

describe('blankBand', () => {
  const w = 1000;
  const h = 600;
  const mx = 250;
  const my = 150;
  const at = (drawn: Zoom, want: Zoom) => blankBand(layerTransform(drawn, want, mx, my), w, h, mx, my);
  const z: Zoom = { x: 0, y: 0, k: 1 };

  it('is covered at rest and within the overhang', () => {
    expect(at(z, z)).toEqual({ x: -250, y: -150 });
    const b = at(z, { x: 240, y: -140, k: 1 });
    expect(b.x).toBeLessThanOrEqual(0);
    expect(b.y).toBeLessThanOrEqual(0);
  });

  it('grows by the pan beyond the overhang', () => {
    expect(at(z, { x: 400, y: 0, k: 1 }).x).toBeCloseTo(150);
    expect(at(z, { x: -330, y: 0, k: 1 }).x).toBeCloseTo(80);
    expect(at(z, { x: 0, y: 200, k: 1 }).y).toBeCloseTo(50);
  });

  it('opens at both edges on a zoom-out about the centre past the overhang', () => {
    // Halving about the stage centre: the 1500 px layer shrinks to 750 px, centred.
    const half = { k: 0.5, x: 500 - 0.5 * 500, y: 300 - 0.5 * 300 };
    const b = at(z, half);
    expect(b.x).toBeCloseTo((1000 - 750) / 2);
    expect(b.y).toBeCloseTo((600 - 450) / 2);
    // Zooming in never uncovers.
    const c = at(z, { k: 2, x: 500 - 2 * 500, y: 300 - 2 * 300 });
    expect(c.x).toBeLessThan(0);
    expect(c.y).toBeLessThan(0);
  });
});
