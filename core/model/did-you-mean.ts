// "did you mean": the known names nearest to a misspelt one, for model diagnostics.

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Two reused rows of UTF-16 code units; with a finite `max` only the band |i - j| <= max
  // can stay within it (it runs once per vmlinux struct name of a similar length).
  const band = Number.isFinite(max) ? max : a.length + b.length;
  const far = max + 1;
  let prev = new Int32Array(b.length + 1);
  let row = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j <= band ? j : far;
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    const lo = Math.max(1, i - band);
    const hi = Math.min(b.length, i + band);
    row[0] = i <= band ? i : far;
    if (lo > 1) row[lo - 1] = far;
    let best = row[0]!;
    for (let j = lo; j <= hi; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1));
      row[j] = v;
      if (v < best) best = v;
    }
    if (hi < b.length) row[hi + 1] = far;
    if (best > max) return max + 1;
    [prev, row] = [row, prev];
  }
  return Math.min(prev[b.length]!, max + 1);
}

/**
 * Up to `limit` candidates close to `name`: same spelling in another case first, then by
 * edit distance within a third of the name's length (at least 1, at most 3).
 */
export function nearestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const max = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const lower = name.toLowerCase();
  const hits: { n: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    // Most of vmlinux's ~20k struct names fail on length alone: skip them before lowercasing.
    if (Math.abs(c.length - name.length) > max || c === name || seen.has(c)) continue;
    seen.add(c);
    const cl = c.toLowerCase();
    const d = cl === lower ? 0 : editDistance(lower, cl, max);
    if (d <= max) hits.push({ n: c, d });
  }
  hits.sort((x, y) => x.d - y.d || x.n.localeCompare(y.n));
  return hits.slice(0, limit).map((h) => h.n);
}

/** ` (did you mean a, b?)`, or nothing. */
export const didYouMean = (names: readonly string[]): string =>
  names.length ? `; did you mean ${names.join(', ')}?` : '';
