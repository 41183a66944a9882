// The generic struct_ops rules a subsystem declares as data (its model's `struct_ops`
// section), implemented once: check_member (unsupported members, sleepable members),
// is_valid_access (argument slots, pointer overrides and promotions), btf_struct_access
// (writable fields), get_func_proto (bpf_base_func_proto plus named helpers), CFI-stub
// argument annotations (__ref, __nullable) and per-member kfunc filters. A subsystem never
// gets code of its own here: it picks and parameterises these rules.
import type { Btf } from '../../btf/btf';
import { findMember, resolveType, sizeOf } from '../../btf/layout';
import type { CtxAccessInfo } from '../ops';
import { baseFuncProtoWith, type FuncProtoFn } from './func-protos';
import type { BpfStructOps } from './index';
import type { StructOpsMember } from './struct-ops';

export const ENOTSUPP = 524;
const EINVAL = 22;

/** One member's rules (the model's `struct_ops.members[]`). */
export interface StructOpsMemberRules {
  name: string;
  /** `unsupported`: check_member refuses it (-ENOTSUPP); `data`: no program implements it. */
  kind?: 'op' | 'data' | 'unsupported' | undefined;
  /** The member may run sleepable programs (with `sleepable: listed`, only these may). */
  sleepable?: boolean | undefined;
  ctx?:
    | {
        access?: 'read' | 'none' | undefined;
        btf_args?: readonly { arg: number; type: string; trusted?: boolean | undefined }[] | undefined;
        /** CFI stub arguments named `__ref`: referenced at entry, released before exit. */
        refcounted?: readonly number[] | undefined;
        /** CFI stub arguments named `__nullable`: PTR_MAYBE_NULL. */
        nullable?: readonly number[] | undefined;
      }
    | undefined;
}

export interface WritableStruct {
  struct: string;
  fields: readonly string[];
  /** Fields that are C strings: their last byte is not writable (`range` style). */
  strings?: readonly string[] | undefined;
}

/** A per-member kfunc filter: member → the kfuncs its programs may call (others: filtered). */
export interface KfuncFilterRule {
  kind: 'per_member';
  sets: Readonly<Record<string, readonly string[]>>;
  /** Members in no set: `allow` every kfunc of the subsystem's sets, or `deny` all. */
  default?: 'allow' | 'deny' | undefined;
}

/**
 * get_func_proto's per-member rule: helpers of `helpers` that programs of the listed members
 * do not get (the kernel compares bpf_struct_ops_prog_moff(prog) with the member's offset).
 */
export interface HelperRule {
  kind: 'per_member';
  deny: Readonly<Record<string, readonly string[]>>;
}

/**
 * How btf_struct_access matches and refuses a write: `offset` (it starts at a field; "no write
 * support to S at off N"), `range` (it lies inside one; "write access at off N with size Z on
 * read-only part of S") or `silent` (it lies inside one; else -EACCES, nothing logged).
 */
export type WritableStyle = 'offset' | 'range' | 'silent';

/** A subsystem's struct_ops rules as data. */
export interface StructOpsRules {
  name: string;
  /** `listed`: check_member refuses a sleepable program on a member without `sleepable: true`. */
  sleepable?: 'any' | 'listed' | undefined;
  members: readonly StructOpsMemberRules[];
  /** btf_struct_access: the fields programs may write, per pointed-to struct. */
  writable?: readonly WritableStruct[] | undefined;
  /**
   * How writes are matched and refused: `offset` (a write starts at a field, arrays and
   * structs anywhere inside) or `range` (a write lies inside a field; strings keep their NUL).
   */
  writableStyle?: WritableStyle | undefined;
  /** is_valid_access: a pointer argument to struct `from` reads as a pointer to struct `to`. */
  promote?: readonly { from: string; to: string }[] | undefined;
  /** get_func_proto: helpers added to bpf_base_func_proto (by name without `bpf_`). */
  helpers?: readonly string[] | undefined;
  /** get_func_proto: which members do not get some of `helpers`. */
  helperRule?: HelperRule | undefined;
  /** btf_kfunc_id_set filters of the subsystem's kfunc sets: kfunc name → filter. */
  kfuncFilters?: readonly { kfuncs: readonly string[]; filter: KfuncFilterRule }[] | undefined;
}

/** Byte range of a field path (`limit`, `q.qlen`, `inet_conn.icsk_ca_priv`) in a struct. */
export function fieldRange(
  btf: Btf,
  structId: number,
  path: string,
): { off: number; end: number; ranged: boolean } | undefined {
  let id = structId;
  let off = 0;
  let size = 0;
  for (const part of path.replace(/\[\d+\]$/, '').split('.')) {
    let loc: ReturnType<typeof findMember>;
    try {
      loc = findMember(btf, id, part);
    } catch {
      return undefined;
    }
    if (!loc) return undefined;
    off += loc.offset;
    size = loc.size;
    id = resolveType(btf, loc.type);
  }
  // bpf_ctx_range: an array or struct field may be written anywhere inside; a scalar only at its start.
  const k = btf.kindOf(id);
  return { off, end: off + size, ranged: k === 3 || k === 4 || k === 5 };
}

/** btf_struct_access for writes: null = allowed, else the kernel's log line ('' = -EACCES, no line). */
export function writableFieldAccess(
  writable: readonly WritableStruct[],
  types: Btf,
  btfId: number,
  off: number,
  size: number,
  style: WritableStyle = 'offset',
): string | null {
  if (style === 'range') return writableRangeAccess(writable, types, btfId, off, size);
  if (style === 'silent') return writableRangeAccess(writable, types, btfId, off, size) === null ? null : '';
  let name = '';
  let sid = btfId;
  try {
    sid = resolveType(types, btfId);
    name = types.nameOf(sid);
  } catch {
    return 'only read is supported';
  }
  const w = writable.find((x) => x.struct === name);
  if (!w) return 'only read is supported';
  for (const f of w.fields) {
    const r = fieldRange(types, sid, f);
    if (!r || off < r.off || off >= r.end || (!r.ranged && off !== r.off)) continue;
    if (off + size > r.end)
      return `write access at off ${off} with size ${size} beyond the member of ${name} ended at ${r.end}`;
    return null;
  }
  return `no write support to ${name} at off ${off}`;
}

/** The `range` style: a write must lie inside one field (the last byte of a string excluded). */
function writableRangeAccess(
  writable: readonly WritableStruct[],
  types: Btf,
  btfId: number,
  off: number,
  size: number,
): string | null {
  let sid = btfId;
  let name = '';
  try {
    sid = resolveType(types, btfId);
    name = types.nameOf(sid);
  } catch {
    return 'write access to this struct is not supported';
  }
  const w = writable.find((x) => x.struct === name);
  if (!w) return 'write access to this struct is not supported';
  if (off + size > sizeOf(types, sid))
    return `write access for struct ${name} at off ${off} with size ${size}`;
  for (const f of w.fields) {
    const r = fieldRange(types, sid, f);
    const end = r ? r.end - (w.strings?.includes(f) ? 1 : 0) : 0;
    if (r && off >= r.off && off + size <= end) return null;
  }
  return `write access at off ${off} with size ${size} on read-only part of ${name}`;
}

/** Whether a per-member filter lets `member`'s programs call `kfunc`. */
export function kfuncFilterAllows(filter: KfuncFilterRule, member: string, kfunc: string): boolean {
  const set = filter.sets[member];
  if (!set) return (filter.default ?? 'allow') === 'allow';
  return set.includes(kfunc);
}

/** The struct_ops hooks (check_member, verifier_ops, stub annotations, filters) of `rules`. */
export function structOpsFromRules(rules: StructOpsRules, types: Btf): BpfStructOps {
  const memberRules = (m: StructOpsMember) => rules.members.find((r) => r.name === m.name);
  const hooks: BpfStructOps = {
    checkMember: (m, prog) => {
      const r = memberRules(m);
      if (r?.kind === 'unsupported') return -ENOTSUPP;
      if (prog.sleepable && rules.sleepable === 'listed' && !r?.sleepable) return -EINVAL;
      return 0;
    },
    isValidAccess: (m, off, size, type, base) => {
      const ctx = memberRules(m)?.ctx;
      if (ctx?.access === 'none') return undefined;
      const over = ctx?.btf_args?.find((a) => a.arg * 8 === off);
      if (over && type === 'read' && size === 8) {
        const btfId = types.findByName(over.type, 'STRUCT');
        if (btfId !== undefined) return { regType: 'PTR_TO_BTF_ID', btfId, trusted: over.trusted ?? true };
      }
      return promote(base());
    },
    refcountedArgs: (m) => [...(memberRules(m)?.ctx?.refcounted ?? [])],
    nullableArgs: (m) => [...(memberRules(m)?.ctx?.nullable ?? [])],
  };
  const promote = (info: CtxAccessInfo | undefined): CtxAccessInfo | undefined => {
    if (!rules.promote?.length || info?.regType !== 'PTR_TO_BTF_ID' || info.btfId === undefined) return info;
    let name: string;
    try {
      name = types.nameOf(info.btfId);
    } catch {
      return info;
    }
    const p = rules.promote.find((x) => x.from === name);
    const to = p ? types.findByName(p.to, 'STRUCT') : undefined;
    return to === undefined ? info : { ...info, btfId: to };
  };
  const writable = rules.writable;
  if (writable?.length)
    hooks.btfStructAccess = (btfId, off, size) =>
      writableFieldAccess(writable, types, btfId, off, size, rules.writableStyle);
  const helpers = rules.helpers;
  if (helpers?.length) {
    const all = baseFuncProtoWith(helpers);
    const perMember = new Map<string, FuncProtoFn>();
    hooks.getFuncProto = (id, m) => {
      const denied = rules.helperRule?.deny[m.name];
      if (!denied?.length) return all(id);
      let fn = perMember.get(m.name);
      if (!fn) {
        fn = baseFuncProtoWith(helpers.filter((h) => !denied.includes(h)));
        perMember.set(m.name, fn);
      }
      return fn(id);
    };
  }
  const filters = rules.kfuncFilters;
  if (filters?.length)
    hooks.kfuncAllowed = (m, name) =>
      filters.every((f) => !f.kfuncs.includes(name) || kfuncFilterAllows(f.filter, m.name, name));
  return hooks;
}
