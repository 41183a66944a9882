// Search and detail over the reference kernel's BTF for the BTF browser: a name
// index built once, ranked substring search with paging, and a lazily built
// reverse-reference index ("who uses this type").

import type { Btf, BtfType } from '../../core/btf/index';
import { sizeOf, typeString } from '../../core/btf/index';
import type {
  BtfMemberInfo,
  BtfSearchParams,
  BtfSearchResult,
  BtfTypeDetail,
  BtfTypeRefInfo,
  BtfTypeSummary,
} from './types';

// Kinds people look for first when names tie.
const KIND_RANK: Record<string, number> = {
  STRUCT: 0,
  UNION: 1,
  ENUM: 2,
  ENUM64: 2,
  TYPEDEF: 3,
  FUNC: 4,
  VAR: 5,
  DATASEC: 6,
  INT: 7,
  FLOAT: 7,
  FWD: 8,
};

interface Entry {
  id: number;
  name: string;
  lower: string;
  kind: string;
}

export class BtfIndex {
  // Named types in tie-break order (kind, name length, name, id): a query only has
  // to split them into exact / prefix / substring buckets, no per-query sort.
  private readonly entries: Entry[] = [];
  private lastQuery?: { key: string; hits: Entry[] };
  private refsTo?: Map<number, number[]>;
  private names?: { text: string; starts: Int32Array };

  constructor(readonly btf: Btf) {
    for (let id = 1; id < btf.typeCount; id++) {
      const name = btf.nameOf(id);
      if (!name) continue;
      this.entries.push({ id, name, lower: name.toLowerCase(), kind: btf.kindNameOf(id) });
    }
    this.entries.sort(
      (a, b) =>
        (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) ||
        a.name.length - b.name.length ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
        a.id - b.id,
    );
  }

  /** Lower-cased names joined by newlines, and where each starts (one past the end last). */
  private haystack(): { text: string; starts: Int32Array } {
    if (!this.names) {
      const starts = new Int32Array(this.entries.length + 1);
      let at = 0;
      this.entries.forEach((e, i) => {
        starts[i] = at;
        at += e.lower.length + 1;
      });
      starts[this.entries.length] = at;
      this.names = { text: this.entries.map((e) => e.lower).join('\n'), starts };
    }
    return this.names;
  }

  get namedCount(): number {
    return this.entries.length;
  }

  summary(id: number): BtfTypeSummary {
    const t = this.btf.type(id);
    return { id, kind: t.kind, name: t.name, size: sizeOrNull(this.btf, t) };
  }

  search({ query, offset = 0, limit = 100, kinds }: BtfSearchParams): BtfSearchResult {
    const q = query.trim().toLowerCase();
    const kindSet = kinds?.length ? new Set(kinds) : undefined;
    const key = `${q}\u0000${kinds?.join(',') ?? ''}`;
    let hits = this.lastQuery?.key === key ? this.lastQuery.hits : undefined;
    if (!hits) {
      // Exact name, then prefix, then substring; each bucket keeps the presorted order.
      const exact: Entry[] = [];
      const prefix: Entry[] = [];
      const inner: Entry[] = [];
      const { text, starts } = this.haystack();
      const entries = this.entries;
      if (!q) inner.push(...entries.filter((e) => !kindSet || kindSet.has(e.kind)));
      // One string search over all names (newline-separated, so no match spans two):
      // far cheaper than an includes() per name for short queries.
      let i = 0;
      for (let at = q && !q.includes('\n') ? text.indexOf(q) : -1; at >= 0; ) {
        // Hits come in text order: step to the name holding `at`.
        while (starts[i + 1]! <= at) i++;
        const e = entries[i]!;
        if (!kindSet || kindSet.has(e.kind)) {
          if (at > starts[i]!) inner.push(e);
          else if (e.lower.length === q.length) exact.push(e);
          else prefix.push(e);
        }
        at = text.indexOf(q, starts[i + 1]!);
      }
      hits = exact.concat(prefix, inner);
      this.lastQuery = { key, hits };
    }
    return {
      total: hits.length,
      offset,
      typeCount: this.btf.typeCount,
      items: hits.slice(offset, offset + limit).map((e) => this.summary(e.id)),
    };
  }

  private ref(id: number): BtfTypeRefInfo {
    const t = this.btf.type(id);
    return { id, kind: t.kind, name: t.name, text: typeString(this.btf, id) };
  }

  /** Type ids a type mentions directly. */
  private static uses(t: BtfType): number[] {
    switch (t.kind) {
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'FUNC':
      case 'VAR':
      case 'DECL_TAG':
        return [t.type];
      case 'ARRAY':
        return [t.type, t.indexType];
      case 'STRUCT':
      case 'UNION':
        return t.members.map((m) => m.type);
      case 'FUNC_PROTO':
        return [t.ret, ...t.params.map((p) => p.type)];
      case 'DATASEC':
        return t.vars.map((v) => v.type);
      default:
        return [];
    }
  }

  private referrers(id: number): number[] {
    if (!this.refsTo) {
      const m = new Map<number, number[]>();
      for (let from = 1; from < this.btf.typeCount; from++) {
        for (const to of new Set(BtfIndex.uses(this.btf.type(from)))) {
          if (!to) continue;
          const l = m.get(to);
          if (l) l.push(from);
          else m.set(to, [from]);
        }
      }
      this.refsTo = m;
    }
    return this.refsTo.get(id) ?? [];
  }

  /** The nearest named types that use `id`, looking through anonymous wrappers (ptr, const, …). */
  private namedReferrers(id: number, limit: number): { items: BtfTypeSummary[]; total: number } {
    const seen = new Set<number>([id]);
    const named: number[] = [];
    let frontier = [id];
    for (let depth = 0; depth < 6 && frontier.length; depth++) {
      const next: number[] = [];
      for (const x of frontier) {
        for (const r of this.referrers(x)) {
          if (seen.has(r)) continue;
          seen.add(r);
          if (this.btf.nameOf(r)) named.push(r);
          else next.push(r);
        }
      }
      frontier = next;
    }
    return { total: named.length, items: named.slice(0, limit).map((r) => this.summary(r)) };
  }

  detail(id: number): BtfTypeDetail | undefined {
    if (id < 0 || id >= this.btf.typeCount) return undefined;
    const btf = this.btf;
    const t = btf.type(id);
    const d: BtfTypeDetail = {
      id,
      kind: t.kind,
      name: t.name,
      size: sizeOrNull(btf, t),
      text: typeString(btf, id),
      referencedBy: [],
      referencedByTotal: 0,
    };
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        d.members = t.members.map(
          (m): BtfMemberInfo => ({
            name: m.name,
            type: this.ref(m.type),
            offset: Math.floor(m.bitOffset / 8),
            bitOffset: m.bitOffset,
            bitfieldSize: m.bitfieldSize,
            size: m.bitfieldSize ? null : safeSize(btf, m.type),
          }),
        );
        break;
      case 'FUNC_PROTO':
        d.ret = this.ref(t.ret);
        d.params = t.params.map((p) => ({ name: p.name, type: this.ref(p.type) }));
        break;
      case 'FUNC': {
        d.target = this.ref(t.type);
        const proto = btf.type(t.type);
        if (proto.kind === 'FUNC_PROTO') {
          d.ret = this.ref(proto.ret);
          d.params = proto.params.map((p) => ({ name: p.name, type: this.ref(p.type) }));
        }
        break;
      }
      case 'ENUM':
        d.values = t.values.map((v) => ({ name: v.name, value: String(v.value) }));
        break;
      case 'ENUM64':
        d.values = t.values.map((v) => ({ name: v.name, value: v.value.toString() }));
        break;
      case 'ARRAY':
        d.target = this.ref(t.type);
        d.nelems = t.nelems;
        break;
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
      case 'DECL_TAG':
        d.target = this.ref(t.type);
        break;
      case 'DATASEC':
        d.vars = t.vars.map((v) => ({ type: this.ref(v.type), offset: v.offset, size: v.size }));
        break;
      default:
        break;
    }
    const refs = this.namedReferrers(id, 200);
    d.referencedBy = refs.items;
    d.referencedByTotal = refs.total;
    return d;
  }
}

function safeSize(btf: Btf, id: number): number | null {
  try {
    return sizeOf(btf, id);
  } catch {
    return null;
  }
}

function sizeOrNull(btf: Btf, t: BtfType): number | null {
  switch (t.kind) {
    case 'INT':
    case 'FLOAT':
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
    case 'ENUM64':
    case 'DATASEC':
      return t.size;
    case 'TYPEDEF':
    case 'ARRAY':
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return safeSize(btf, t.id);
    default:
      return null;
  }
}
