// The BTF browser's search, in the renderer: ranked case-insensitive substring
// search over the server's presorted name index (api.btfNames), cheap enough to
// run on every keystroke in the same frame.

import type { BtfNameIndex, BtfTypeSummary } from '../../../main/api/types';

export class BtfNameSearch {
  /** Named types in the index. */
  readonly count: number;
  /** Lower-cased names joined by '\n': one indexOf pass finds every hit. */
  private readonly lower: string;
  /** Where each name starts in `lower` (one past the end last). */
  private readonly starts: Int32Array;
  /** The names one by one, only when lower-casing changed some name's length. */
  private readonly list?: string[];
  /** Per name, which of a-z and _ occur after its first character (bit 0: a … 26: _). */
  private readonly later: Uint32Array;
  private last?: { key: string; hits: Int32Array };
  private scratch?: { prefix: Int32Array; inner: Int32Array };

  constructor(readonly index: BtfNameIndex) {
    this.count = index.ids.length;
    let lower = index.names.toLowerCase();
    // Case mapping may change a non-ASCII name's length; BTF names are C identifiers, but stay exact.
    if (lower.length !== index.names.length) {
      this.list = index.names.split('\n');
      lower = this.list.map((n) => n.toLowerCase()).join('\n');
    }
    this.lower = lower;
    this.starts = new Int32Array(this.count + 1);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      this.starts[i] = at;
      at = lower.indexOf('\n', at) + 1 || lower.length + 1;
    }
    this.starts[this.count] = at;
    // One pass at load: a one-letter query, which hits most names, then needs no text search at all.
    this.later = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      let m = 0;
      for (let p = this.starts[i]! + 1, end = this.starts[i + 1]! - 1; p < end; p++) {
        const b = letterBit(lower.charCodeAt(p));
        if (b >= 0) m |= 1 << b;
      }
      this.later[i] = m;
    }
  }

  /** Entry numbers of the names holding `query` (trimmed, any case): exact, then prefix, then substring. */
  search(query: string, kinds?: readonly string[]): Int32Array {
    const q = query.trim().toLowerCase();
    const key = `${q}\u0000${kinds?.join(',') ?? ''}`;
    if (this.last?.key === key) return this.last.hits;
    const hits = this.find(q, kinds?.length ? this.kindCodes(kinds) : undefined);
    this.last = { key, hits };
    return hits;
  }

  private kindCodes(kinds: readonly string[]): Set<number> {
    const codes = new Set<number>();
    for (const k of kinds) {
      const i = this.index.kindNames.indexOf(k);
      if (i >= 0) codes.add(65 + i);
    }
    return codes;
  }

  private find(q: string, kinds: Set<number> | undefined): Int32Array {
    const { lower, starts, count } = this;
    const codes = this.index.kinds;
    if (!q) {
      const all = new Int32Array(count);
      let n = 0;
      for (let i = 0; i < count; i++) if (!kinds || kinds.has(codes.charCodeAt(i))) all[n++] = i;
      return all.subarray(0, n);
    }
    // Buckets fill in index order, so each keeps the presorted tie-break order.
    // Reused scratch: a one-letter query hits most names, and fresh arrays of that size mean GC pauses.
    this.scratch ??= { prefix: new Int32Array(count), inner: new Int32Array(count) };
    const { prefix, inner } = this.scratch;
    const exact: number[] = [];
    let np = 0;
    let ni = 0;
    const take = (i: number, at: number) => {
      if (kinds && !kinds.has(codes.charCodeAt(i))) return;
      if (at > starts[i]!) inner[ni++] = i;
      else if (starts[i + 1]! - at - 1 === q.length) exact.push(i);
      else prefix[np++] = i;
    };
    const bit = q.length === 1 ? letterBit(q.charCodeAt(0)) : -1;
    if (bit >= 0) {
      const c = q.charCodeAt(0);
      const { later } = this;
      for (let i = 0; i < count; i++) {
        if (lower.charCodeAt(starts[i]!) === c) take(i, starts[i]!);
        else if (later[i]! & (1 << bit)) take(i, starts[i]! + 1);
      }
    } else if (q.length === 1 && q !== '\n') {
      // Another single character: walk each name rather than call indexOf per hit.
      const c = q.charCodeAt(0);
      for (let i = 0; i < count; i++) {
        const end = starts[i + 1]! - 1;
        for (let at = starts[i]!; at < end; at++)
          if (lower.charCodeAt(at) === c) {
            take(i, at);
            break;
          }
      }
    } else if (!q.includes('\n')) {
      // One string search over all names. Hits come in text order: step to the name
      // holding each; names are newline-separated, so no hit spans two.
      let i = 0;
      for (let at = lower.indexOf(q); at >= 0; ) {
        while (starts[i + 1]! <= at) i++;
        take(i, at);
        at = lower.indexOf(q, starts[i + 1]!);
      }
    }
    const hits = new Int32Array(exact.length + np + ni);
    hits.set(exact);
    hits.set(prefix.subarray(0, np), exact.length);
    hits.set(inner.subarray(0, ni), exact.length + np);
    return hits;
  }

  name(entry: number): string {
    if (this.list) return this.list[entry]!;
    return this.index.names.slice(this.starts[entry]!, this.starts[entry + 1]! - 1);
  }

  /** What a list row shows for an entry. */
  summary(entry: number): BtfTypeSummary {
    const ix = this.index;
    const size = ix.sizes[entry]!;
    return {
      id: ix.ids[entry]!,
      kind: ix.kindNames[ix.kinds.charCodeAt(entry) - 65]!,
      name: this.name(entry),
      size: size < 0 ? null : size,
    };
  }
}

/** Bit of a lower-case letter or underscore in BtfNameSearch's masks, else -1. */
function letterBit(code: number): number {
  if (code >= 97 && code <= 122) return code - 97;
  return code === 95 ? 26 : -1;
}
