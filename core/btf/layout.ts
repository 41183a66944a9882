// Resolution through modifiers/typedefs, sizes, alignments and member
// lookup (libbpf's btf__resolve_size / btf__align_of, the kernel's
// btf_type_skip_modifiers and anonymous-member walk).
import type { Btf, BtfFuncProto, BtfMember, BtfParam, BtfType } from './btf';
import { BtfError } from './error';

/** Pointer size of the modeled target (x86-64). */
export const BTF_PTR_SIZE = 8;
/** Deepest chain/nesting followed before calling it a cycle (libbpf MAX_RESOLVE_DEPTH is 32). */
export const MAX_RESOLVE_DEPTH = 32;

const MODIFIERS = new Set([9, 10, 11, 18]); // VOLATILE, CONST, RESTRICT, TYPE_TAG

function tooDeep(btf: Btf, id: number): never {
  throw new BtfError(
    btf.recordOffset(id),
    `type ${id}: reference cycle or chain deeper than ${MAX_RESOLVE_DEPTH}`,
  );
}

/** Follows const/volatile/restrict/type_tag. */
export function skipModifiers(btf: Btf, id: number): number {
  for (let d = 0; d <= MAX_RESOLVE_DEPTH; d++) {
    if (!MODIFIERS.has(btf.kindOf(id))) return id;
    id = btf.sizeOrTypeOf(id);
  }
  return tooDeep(btf, id);
}

/** Follows modifiers and typedefs (btf_type_skip_modifiers with typedefs): the underlying type id. */
export function resolveType(btf: Btf, id: number): number {
  for (let d = 0; d <= MAX_RESOLVE_DEPTH; d++) {
    const k = btf.kindOf(id);
    if (!MODIFIERS.has(k) && k !== 8) return id;
    id = btf.sizeOrTypeOf(id);
  }
  return tooDeep(btf, id);
}

/** Resolves modifiers/typedefs and decodes the result. */
export function resolvedType(btf: Btf, id: number): BtfType {
  return btf.type(resolveType(btf, id));
}

/** Byte size of a type (btf__resolve_size). Throws BtfError for void, functions and forward declarations. */
export function sizeOf(btf: Btf, id: number): number {
  let mult = 1;
  for (let d = 0; d <= MAX_RESOLVE_DEPTH; d++) {
    switch (btf.kindOf(id)) {
      case 1: // INT
      case 4: // STRUCT
      case 5: // UNION
      case 6: // ENUM
      case 15: // DATASEC
      case 16: // FLOAT
      case 19: // ENUM64
        return mult * btf.sizeOrTypeOf(id);
      case 2: // PTR
        return mult * BTF_PTR_SIZE;
      case 8: // TYPEDEF
      case 9:
      case 10:
      case 11:
      case 14: // VAR
      case 18:
        id = btf.sizeOrTypeOf(id);
        break;
      case 3: {
        // ARRAY
        const n = btf.word(id, 5);
        mult *= n;
        if (mult > 0xffffffff) throw new BtfError(btf.recordOffset(id), `type ${id}: array size overflows`);
        id = btf.word(id, 3);
        break;
      }
      default:
        throw new BtfError(btf.recordOffset(id), `type ${id} (${btf.kindNameOf(id)}) has no size`);
    }
  }
  return tooDeep(btf, id);
}

const alignCache = new WeakMap<Btf, Map<number, number>>();

/** Natural alignment (btf__align_of): 1 for structs laid out packed. Memoized per Btf. */
export function alignOf(btf: Btf, id: number): number {
  let cache = alignCache.get(btf);
  if (!cache) {
    cache = new Map();
    alignCache.set(btf, cache);
  }
  return alignRec(btf, id, cache, 0);
}

// 0 in the cache marks "in progress": meeting it again is a by-value cycle.
function alignRec(btf: Btf, id: number, cache: Map<number, number>, depth: number): number {
  if (depth > MAX_RESOLVE_DEPTH) tooDeep(btf, id);
  const hit = cache.get(id);
  if (hit === 0) throw new BtfError(btf.recordOffset(id), `type ${id} contains itself`);
  if (hit !== undefined) return hit;
  let a: number;
  switch (btf.kindOf(id)) {
    case 1:
    case 6:
    case 16:
    case 19:
      a = Math.min(BTF_PTR_SIZE, btf.sizeOrTypeOf(id));
      break;
    case 2:
      a = BTF_PTR_SIZE;
      break;
    case 8:
    case 9:
    case 10:
    case 11:
    case 14:
    case 18:
      cache.set(id, 0);
      a = alignRec(btf, btf.sizeOrTypeOf(id), cache, depth + 1);
      break;
    case 3:
      cache.set(id, 0);
      a = alignRec(btf, btf.word(id, 3), cache, depth + 1);
      break;
    case 4:
    case 5: {
      cache.set(id, 0);
      const t = btf.type(id) as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>;
      let max = 1;
      let packed = false;
      for (const m of t.members) {
        const ma = alignRec(btf, m.type, cache, depth + 1);
        max = Math.max(max, ma);
        // A member off its natural alignment means the struct is packed.
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * ma) !== 0) packed = true;
      }
      a = packed || t.size % max !== 0 ? 1 : max;
      break;
    }
    default:
      cache.delete(id);
      throw new BtfError(btf.recordOffset(id), `type ${id} (${btf.kindNameOf(id)}) has no alignment`);
  }
  if (a === 0) {
    cache.delete(id);
    throw new BtfError(btf.recordOffset(id), `type ${id} has alignment 0`);
  }
  cache.set(id, a);
  return a;
}

/** Members of a struct/union (after resolving modifiers/typedefs). */
export function membersOf(btf: Btf, id: number): BtfMember[] {
  const t = resolvedType(btf, id);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION')
    throw new BtfError(btf.recordOffset(t.id), `type ${t.id} is ${t.kind}, not a struct or union`);
  return t.members;
}

export interface MemberLocation {
  member: BtfMember;
  /** Bit offset from the start of the outer struct (anonymous members flattened). */
  bitOffset: number;
  /** Byte offset (bitOffset / 8, rounded down). */
  offset: number;
  bitfieldSize: number;
  /** Byte size of the member's type (for bitfields: of the underlying integer). */
  size: number;
  /** Member type id (as declared, not resolved). */
  type: number;
  /** Anonymous struct/union members walked through to reach it. */
  path: BtfMember[];
}

/**
 * Finds a member by name, looking into anonymous struct/union members as C
 * does (sk_buff's fields live in several anonymous unions).
 */
export function findMember(btf: Btf, structId: number, name: string): MemberLocation | undefined {
  const walk = (id: number, base: number, path: BtfMember[], depth: number): MemberLocation | undefined => {
    if (depth > MAX_RESOLVE_DEPTH) tooDeep(btf, id);
    for (const m of membersOf(btf, id)) {
      if (m.name === name) {
        const bitOffset = base + m.bitOffset;
        return {
          member: m,
          bitOffset,
          offset: Math.floor(bitOffset / 8),
          bitfieldSize: m.bitfieldSize,
          size: sizeOf(btf, m.type),
          type: m.type,
          path,
        };
      }
    }
    for (const m of membersOf(btf, id)) {
      if (m.name !== '') continue;
      const k = btf.kindOf(resolveType(btf, m.type));
      if (k !== 4 && k !== 5) continue;
      const hit = walk(m.type, base + m.bitOffset, [...path, m], depth + 1);
      if (hit) return hit;
    }
    return undefined;
  };
  return walk(structId, 0, [], 0);
}

/** The FUNC_PROTO of a FUNC (or the proto itself, or behind a pointer/typedef for function pointers). */
export function funcProtoOf(btf: Btf, id: number): BtfFuncProto {
  for (let d = 0; d <= MAX_RESOLVE_DEPTH; d++) {
    const t = btf.type(id);
    if (t.kind === 'FUNC_PROTO') return t;
    if (t.kind === 'FUNC' || t.kind === 'PTR' || t.kind === 'TYPEDEF' || MODIFIERS.has(btf.kindOf(id))) {
      id = (t as { type: number }).type;
      continue;
    }
    throw new BtfError(btf.recordOffset(id), `type ${id} (${t.kind}) is not a function`);
  }
  return tooDeep(btf, id);
}

/** Params of a function (FUNC or FUNC_PROTO id). A trailing void param marks varargs. */
export function funcParams(btf: Btf, id: number): BtfParam[] {
  return funcProtoOf(btf, id).params;
}

/** Short C spelling of a type for messages: "struct sk_buff *", "const char *", "u32". */
export function typeString(btf: Btf, id: number, depth = 0): string {
  if (depth > MAX_RESOLVE_DEPTH) return '…';
  const t = btf.type(id);
  switch (t.kind) {
    case 'VOID':
      return 'void';
    case 'INT':
    case 'FLOAT':
    case 'TYPEDEF':
      return t.name;
    case 'STRUCT':
      return `struct ${t.name || '(anon)'}`;
    case 'UNION':
      return `union ${t.name || '(anon)'}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${t.name || '(anon)'}`;
    case 'FWD':
      return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'PTR':
      return `${typeString(btf, t.type, depth + 1)} *`;
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
      return `${t.kind.toLowerCase()} ${typeString(btf, t.type, depth + 1)}`;
    case 'TYPE_TAG':
      return typeString(btf, t.type, depth + 1);
    case 'ARRAY':
      return `${typeString(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'FUNC':
      return t.name;
    case 'FUNC_PROTO':
      return `${typeString(btf, t.ret, depth + 1)} (${t.params.map((p) => (p.type === 0 ? '...' : typeString(btf, p.type, depth + 1))).join(', ')})`;
    default:
      return t.name;
  }
}
