// A graph too wide for the printed page splits into vertical strips, each printed across
// the page width, so its labels keep a readable size (≥ 7 pt) instead of shrinking with
// the whole drawing. Cuts fall in gaps between nodes where there is one.

/** A4 at 10 mm side margins: 190 mm of CSS pixels (96 per inch). */
export const PRINT_WIDTH_PX = (190 / 25.4) * 96;

/**
 * The smallest scale the graph may print at: its smallest text is 10 px (badges), and
 * 7 pt is 9.33 px, so 10 px × 0.94 stays at 7 pt or more.
 */
export const MIN_PRINT_SCALE = 0.94;

/** [x, width] of each strip covering 0…width, none wider than `maxWidth`. */
export function printStrips(
  width: number,
  nodes: readonly { x: number; width: number }[],
  maxWidth = PRINT_WIDTH_PX / MIN_PRINT_SCALE,
): { x: number; width: number }[] {
  const out: { x: number; width: number }[] = [];
  const inside = (p: number) => nodes.some((n) => p > n.x && p < n.x + n.width);
  let start = 0;
  while (width - start > maxWidth) {
    let cut = start + maxWidth;
    // Back off to the nearest point between nodes, but never below half a strip.
    for (let p = Math.floor(start + maxWidth); p > start + maxWidth / 2; p--)
      if (!inside(p)) {
        cut = p;
        break;
      }
    out.push({ x: start, width: cut - start });
    start = cut;
  }
  out.push({ x: start, width: width - start });
  return out;
}
