// "did you mean": the known names nearest to a misspelt one, for model diagnostics.

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
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
    if (c === name || seen.has(c)) continue;
    seen.add(c);
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase(), max);
    if (d <= max) hits.push({ n: c, d });
  }
  hits.sort((x, y) => x.d - y.d || x.n.localeCompare(y.n));
  return hits.slice(0, limit).map((h) => h.n);
}

/** ` (did you mean a, b?)`, or nothing. */
export const didYouMean = (names: readonly string[]): string =>
  names.length ? `; did you mean ${names.join(', ')}?` : '';
