// The arithmetic of a zoom gesture shown by moving a raster: the drawing was made with
// transform `drawn` (graph → drawing coordinates, offset by the overhang m of the layer
// it lives in, the layer's top-left at stage point -m), and the gesture wants `want`
// (graph → stage). The layer takes a CSS transform translate(dx, dy) scale(s) about its
// top-left corner. SubsystemGraph uses these; they are pure for the tests.

/** A d3-zoom transform: p ↦ k·p + (x, y). */
export interface Zoom {
  x: number;
  y: number;
  k: number;
}

/** The layer's CSS transform; stage point of layer point u: -m + (dx, dy) + s·u. */
export interface LayerTransform {
  dx: number;
  dy: number;
  s: number;
}

/** `want` shown with a raster drawn at `drawn` in a layer overhanging the stage by (mx, my). */
export function layerTransform(drawn: Zoom, want: Zoom, mx: number, my: number): LayerTransform {
  const s = want.k / drawn.k;
  // Graph point p is at layer point m + drawn(p): -m + d + s·(m + drawn(p)) = want(p).
  return { dx: want.x - s * drawn.x + mx * (1 - s), dy: want.y - s * drawn.y + my * (1 - s), s };
}

/**
 * The widest blank band the moved layer leaves along a stage edge, px per axis (≤ 0: the
 * stage is covered). The layer is (w + 2·mx) × (h + 2·my) for a w × h stage.
 */
export function blankBand(
  t: LayerTransform,
  w: number,
  h: number,
  mx: number,
  my: number,
): { x: number; y: number } {
  const left = t.dx - mx;
  const top = t.dy - my;
  const right = left + t.s * (w + 2 * mx);
  const bottom = top + t.s * (h + 2 * my);
  return { x: Math.max(left, w - right), y: Math.max(top, h - bottom) };
}
