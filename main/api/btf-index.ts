// The reference kernel's BTF for the BTF browser: the presorted name index the
// renderer searches (renderer/src/lib/btf-name-search.ts), type details, and a
// lazily built reverse-reference index ("who uses this type").

import type { Btf, BtfType } from '../../core/btf/index';
import { sizeOf, typeString } from '../../core/btf/index';
import type { BtfMemberInfo, BtfNameIndex, BtfTypeDetail, BtfTypeRefInfo, BtfTypeSummary } from './types';

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
  kind: string;
}

export class BtfIndex {
  // Named types in tie-break order (kind, name length, name, id): a query only has
  // to split them into exact / prefix / substring buckets, no per-query sort.
  private readonly entries: Entry[] = [];
  private refsTo?: Map<number, number[]>;
  private nameIndex?: BtfNameIndex;

  constructor(readonly btf: Btf) {
    for (let id = 1; id < btf.typeCount; id++) {
      const name = btf.nameOf(id);
      if (!name) continue;
      this.entries.push({ id, name, kind: btf.kindNameOf(id) });
    }
    this.entries.sort(
      (a, b) =>
        (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) ||
        a.name.length - b.name.length ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
        a.id - b.id,
    );
  }

  get namedCount(): number {
    return this.entries.length;
  }

  summary(id: number): BtfTypeSummary {
    const t = this.btf.type(id);
    return { id, kind: t.kind, name: t.name, size: sizeOrNull(this.btf, id) };
  }

  /** The named types in tie-break order, in the compact form the renderer searches. */
  names(): BtfNameIndex {
    if (!this.nameIndex) {
      const kindNames: string[] = [];
      const code = new Map<string, string>();
      let kinds = '';
      for (const e of this.entries) {
        let c = code.get(e.kind);
        if (c === undefined) {
          c = String.fromCharCode(65 + kindNames.length);
          code.set(e.kind, c);
          kindNames.push(e.kind);
        }
        kinds += c;
      }
      this.nameIndex = {
        typeCount: this.btf.typeCount,
        names: this.entries.map((e) => e.name).join('\n'),
        ids: this.entries.map((e) => e.id),
        kinds,
        kindNames,
        sizes: this.entries.map((e) => sizeOrNull(this.btf, e.id) ?? -1),
      };
    }
    return this.nameIndex;
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
      size: sizeOrNull(btf, id),
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

// Read from the record's words, not btf.type(): the name index sizes every named
// type, and materializing 70k type objects costs a quarter second.
function sizeOrNull(btf: Btf, id: number): number | null {
  switch (btf.kindNameOf(id)) {
    case 'INT':
    case 'FLOAT':
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
    case 'ENUM64':
    case 'DATASEC':
      return btf.sizeOrTypeOf(id);
    case 'TYPEDEF':
    case 'ARRAY':
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return safeSize(btf, id);
    default:
      return null;
  }
}
