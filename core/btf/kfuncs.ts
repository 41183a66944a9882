// Kfuncs: discovery in BTF (FUNC + DECL_TAG "bpf_kfunc"), BTF id sets and
// lists as the kernel builds them (include/linux/btf_ids.h), and the
// per-hook registration and lookup of kernel/bpf/btf.c
// (register_btf_kfunc_id_set, btf_kfunc_id_set_contains).
import type { Btf } from './btf';
import { BtfError } from './error';
import type { BtfKindName } from './kinds';
import type { BtfRegistry } from './registry';

// KF_* flags (include/linux/btf.h, Linux 6.18).
export const KF_ACQUIRE = 1 << 0;
export const KF_RELEASE = 1 << 1;
export const KF_RET_NULL = 1 << 2;
export const KF_TRUSTED_ARGS = 1 << 4;
export const KF_SLEEPABLE = 1 << 5;
export const KF_DESTRUCTIVE = 1 << 6;
export const KF_RCU = 1 << 7;
export const KF_ITER_NEW = 1 << 8;
export const KF_ITER_NEXT = 1 << 9;
export const KF_ITER_DESTROY = 1 << 10;
export const KF_RCU_PROTECTED = 1 << 11;
export const KF_FASTCALL = 1 << 12;
export const KF_ARENA_RET = 1 << 13;
export const KF_ARENA_ARG1 = 1 << 14;
export const KF_ARENA_ARG2 = 1 << 15;

export const KF_FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['KF_ACQUIRE', KF_ACQUIRE],
  ['KF_RELEASE', KF_RELEASE],
  ['KF_RET_NULL', KF_RET_NULL],
  ['KF_TRUSTED_ARGS', KF_TRUSTED_ARGS],
  ['KF_SLEEPABLE', KF_SLEEPABLE],
  ['KF_DESTRUCTIVE', KF_DESTRUCTIVE],
  ['KF_RCU', KF_RCU],
  ['KF_ITER_NEW', KF_ITER_NEW],
  ['KF_ITER_NEXT', KF_ITER_NEXT],
  ['KF_ITER_DESTROY', KF_ITER_DESTROY],
  ['KF_RCU_PROTECTED', KF_RCU_PROTECTED],
  ['KF_FASTCALL', KF_FASTCALL],
  ['KF_ARENA_RET', KF_ARENA_RET],
  ['KF_ARENA_ARG1', KF_ARENA_ARG1],
  ['KF_ARENA_ARG2', KF_ARENA_ARG2],
];

/** "KF_ACQUIRE | KF_RET_NULL", or "0". Unknown bits are shown in hex. */
export function kfFlagsString(flags: number): string {
  const parts: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of KF_FLAG_NAMES) {
    if (rest & bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join(' | ') : '0';
}

/** Set-level flag of struct btf_id_set8 marking a kfunc set (BTF_KFUNCS_START). */
export const BTF_SET8_KFUNCS = 1 << 0;
export const BTF_KFUNC_SET_MAX_CNT = 256;
export const BTF_KFUNC_FILTER_MAX_CNT = 16;

/** enum btf_kfunc_hook. */
export const BTF_KFUNC_HOOKS = [
  'COMMON',
  'XDP',
  'TC',
  'STRUCT_OPS',
  'TRACING',
  'SYSCALL',
  'FMODRET',
  'CGROUP',
  'SCHED_ACT',
  'SK_SKB',
  'SOCKET_FILTER',
  'LWT',
  'NETFILTER',
  'KPROBE',
] as const;
export type BtfKfuncHook = (typeof BTF_KFUNC_HOOKS)[number];

/** enum bpf_prog_type names without the BPF_PROG_TYPE_ prefix, lowercase (as the corpus writes them). */
export type BpfProgTypeName =
  | 'unspec'
  | 'socket_filter'
  | 'kprobe'
  | 'sched_cls'
  | 'sched_act'
  | 'tracepoint'
  | 'xdp'
  | 'perf_event'
  | 'cgroup_skb'
  | 'cgroup_sock'
  | 'lwt_in'
  | 'lwt_out'
  | 'lwt_xmit'
  | 'sock_ops'
  | 'sk_skb'
  | 'cgroup_device'
  | 'sk_msg'
  | 'raw_tracepoint'
  | 'cgroup_sock_addr'
  | 'lwt_seg6local'
  | 'lirc_mode2'
  | 'sk_reuseport'
  | 'flow_dissector'
  | 'cgroup_sysctl'
  | 'raw_tracepoint_writable'
  | 'cgroup_sockopt'
  | 'tracing'
  | 'struct_ops'
  | 'ext'
  | 'lsm'
  | 'sk_lookup'
  | 'syscall'
  | 'netfilter';

/** bpf_prog_type_to_kfunc_hook (kernel/bpf/btf.c); undefined = BTF_KFUNC_HOOK_MAX (no kfuncs). */
export function bpfProgTypeToKfuncHook(progType: BpfProgTypeName): BtfKfuncHook | undefined {
  switch (progType) {
    case 'unspec':
      return 'COMMON';
    case 'xdp':
      return 'XDP';
    case 'sched_cls':
      return 'TC';
    case 'struct_ops':
      return 'STRUCT_OPS';
    case 'tracing':
    case 'tracepoint':
    case 'raw_tracepoint':
    case 'perf_event':
    case 'lsm':
      return 'TRACING';
    case 'syscall':
      return 'SYSCALL';
    case 'cgroup_skb':
    case 'cgroup_sock':
    case 'cgroup_device':
    case 'cgroup_sock_addr':
    case 'cgroup_sockopt':
    case 'cgroup_sysctl':
    case 'sock_ops':
      return 'CGROUP';
    case 'sched_act':
      return 'SCHED_ACT';
    case 'sk_skb':
      return 'SK_SKB';
    case 'socket_filter':
      return 'SOCKET_FILTER';
    case 'lwt_out':
    case 'lwt_in':
    case 'lwt_xmit':
    case 'lwt_seg6local':
      return 'LWT';
    case 'netfilter':
      return 'NETFILTER';
    case 'kprobe':
      return 'KPROBE';
    default:
      return undefined;
  }
}

function hookOf(target: BtfKfuncHook | BpfProgTypeName): BtfKfuncHook | undefined {
  return (BTF_KFUNC_HOOKS as readonly string[]).includes(target)
    ? (target as BtfKfuncHook)
    : bpfProgTypeToKfuncHook(target as BpfProgTypeName);
}

/** struct btf_id_set8: sorted (id, flags) pairs plus set-level flags. */
export class BtfIdSet8 {
  readonly ids: Uint32Array;
  readonly pairFlags: Uint32Array;

  constructor(
    readonly name: string,
    pairs: readonly { id: number; flags: number }[],
    readonly flags = BTF_SET8_KFUNCS,
  ) {
    // resolve_btfids sorts the set by id so lookups can bisect.
    const sorted = [...pairs].sort((a, b) => a.id - b.id);
    this.ids = Uint32Array.from(sorted, (p) => p.id);
    this.pairFlags = Uint32Array.from(sorted, (p) => p.flags);
  }

  get cnt(): number {
    return this.ids.length;
  }

  /** btf_id_set8_contains: the pair's flags, or undefined. */
  contains(id: number): number | undefined {
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return this.pairFlags[mid]!;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  *pairs(): IterableIterator<{ id: number; flags: number }> {
    for (let i = 0; i < this.ids.length; i++) yield { id: this.ids[i]!, flags: this.pairFlags[i]! };
  }
}

/** struct btf_id_set: sorted ids (BTF_SET_START). */
export class BtfIdSet {
  readonly ids: Uint32Array;
  constructor(
    readonly name: string,
    ids: readonly number[],
  ) {
    this.ids = Uint32Array.from([...ids].sort((a, b) => a - b));
  }
  contains(id: number): boolean {
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return true;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/** BTF_ID_LIST: a plain u32 array in declaration order; 0 where resolve_btfids found nothing. */
export class BtfIdList {
  constructor(
    readonly name: string,
    readonly ids: readonly number[],
    /** What each slot names, e.g. ['struct', 'task_struct']. */
    readonly entries: readonly (readonly [string, string])[] = [],
  ) {}
}

const BTF_ID_KINDS: Record<string, BtfKindName[]> = {
  struct: ['STRUCT'],
  union: ['UNION'],
  func: ['FUNC'],
  typedef: ['TYPEDEF'],
  enum: ['ENUM', 'ENUM64'],
};

/** Resolves BTF_ID(kind, name) entries the way resolve_btfids does (by kind and name, 0 if absent). */
export function resolveBtfIdList(
  btf: Btf,
  name: string,
  entries: readonly (readonly [string, string])[],
): BtfIdList {
  const ids = entries.map(([kind, n]) => {
    const kinds = BTF_ID_KINDS[kind];
    if (!kinds)
      throw new BtfError(-1, `BTF_ID kind '${kind}' is not one of ${Object.keys(BTF_ID_KINDS).join(', ')}`);
    for (const k of kinds) {
      const id = btf.findByName(n, k);
      if (id !== undefined) return id;
    }
    return 0;
  });
  return new BtfIdList(name, ids, entries);
}

/** A filter hides a kfunc from a program when it returns non-zero (btf_kfunc_filter_t). */
export type BtfKfuncFilter<P = unknown> = (prog: P, kfuncId: number) => number;

/** struct btf_kfunc_id_set. `owner` is the BTF object id whose ids the set holds (vmlinux or a module). */
export interface BtfKfuncIdSet<P = unknown> {
  owner: number;
  set: BtfIdSet8;
  filter?: BtfKfuncFilter<P>;
}

export interface Kfunc {
  /** BTF object id (1 = vmlinux). */
  objId: number;
  id: number;
  name: string;
  /** FUNC_PROTO id. */
  proto: number;
}

/** Kfuncs a BTF object declares: FUNCs carrying the "bpf_kfunc" decl tag. */
export function discoverKfuncs(btf: Btf, objId = 1): Kfunc[] {
  const out: Kfunc[] = [];
  const seen = new Set<number>();
  for (const tag of btf.findAllByName('bpf_kfunc', 'DECL_TAG')) {
    if (tag < btf.startId) continue;
    const t = btf.typeOfKind(tag, 'DECL_TAG');
    if (t.componentIdx !== -1 || btf.kindOf(t.type) !== 12 || seen.has(t.type)) continue;
    seen.add(t.type);
    out.push({ objId, id: t.type, name: btf.nameOf(t.type), proto: btf.sizeOrTypeOf(t.type) });
  }
  return out.sort((a, b) => a.id - b.id);
}

interface HookTab<P> {
  sets: { owner: number; set: BtfIdSet8 }[];
  filters: BtfKfuncFilter<P>[];
  /** Merged per owner: id → flags. */
  merged: Map<number, Map<number, number>>;
}

export interface KfuncRegistration {
  hook: BtfKfuncHook;
  objId: number;
  id: number;
  name: string;
  flags: number;
  set: string;
}

/**
 * Kfunc sets registered per hook, as register_btf_kfunc_id_set keeps them
 * (btf->kfunc_set_tab). Lookups check COMMON first, then the program's hook;
 * a hook's filters run before its sets.
 */
export class KfuncSetRegistry<P = unknown> {
  private readonly hooks = new Map<BtfKfuncHook, HookTab<P>>();

  constructor(readonly btfs: BtfRegistry) {}

  private tab(hook: BtfKfuncHook): HookTab<P> {
    let t = this.hooks.get(hook);
    if (!t) {
      t = { sets: [], filters: [], merged: new Map() };
      this.hooks.set(hook, t);
    }
    return t;
  }

  /** register_btf_kfunc_id_set(prog_type, kset). 'unspec' registers into COMMON. */
  registerBtfKfuncIdSet(target: BpfProgTypeName | BtfKfuncHook, kset: BtfKfuncIdSet<P>): void {
    if (!(kset.set.flags & BTF_SET8_KFUNCS))
      throw new BtfError(-1, `set ${kset.set.name}: missing BTF_SET8_KFUNCS (use BTF_KFUNCS_START)`);
    const hook = hookOf(target);
    if (!hook) throw new BtfError(-1, `program type ${target} has no kfunc hook`);
    const obj = this.btfs.object(kset.owner);
    if (!obj) throw new BtfError(-1, `set ${kset.set.name}: no BTF object ${kset.owner}`);
    for (const { id } of kset.set.pairs()) {
      if (!obj.btf.hasType(id) || obj.btf.kindOf(id) !== 12)
        throw new BtfError(-1, `set ${kset.set.name}: id ${id} is not a FUNC in ${obj.name}`);
    }
    const t = this.tab(hook);
    if (t.sets.filter((s) => s.owner === kset.owner).length >= BTF_KFUNC_SET_MAX_CNT)
      throw new BtfError(-1, `hook ${hook}: more than ${BTF_KFUNC_SET_MAX_CNT} kfunc sets`);
    if (kset.filter) {
      if (t.filters.length >= BTF_KFUNC_FILTER_MAX_CNT)
        throw new BtfError(-1, `hook ${hook}: more than ${BTF_KFUNC_FILTER_MAX_CNT} filters`);
      if (!t.filters.includes(kset.filter)) t.filters.push(kset.filter);
    }
    t.sets.push({ owner: kset.owner, set: kset.set });
    let m = t.merged.get(kset.owner);
    if (!m) {
      m = new Map();
      t.merged.set(kset.owner, m);
    }
    for (const { id, flags } of kset.set.pairs()) m.set(id, flags);
  }

  /** __btf_kfunc_id_set_contains for one hook. */
  private hookContains(hook: BtfKfuncHook, btfObjId: number, id: number, prog?: P): number | undefined {
    const t = this.hooks.get(hook);
    if (!t) return undefined;
    if (prog !== undefined) for (const f of t.filters) if (f(prog, id)) return undefined;
    return t.merged.get(btfObjId)?.get(id);
  }

  /**
   * btf_kfunc_id_set_contains: the KF_* flags when kfunc `id` of BTF object
   * `btfObjId` may be called from `target` (a hook or program type), else undefined.
   */
  kfuncIdSetContains(
    target: BtfKfuncHook | BpfProgTypeName,
    btfObjId: number,
    id: number,
    prog?: P,
  ): number | undefined {
    const common = this.hookContains('COMMON', btfObjId, id, prog);
    if (common !== undefined) return common;
    const hook = hookOf(target);
    if (!hook || hook === 'COMMON') return undefined;
    return this.hookContains(hook, btfObjId, id, prog);
  }

  /** Everything registered for a hook (or all hooks), one entry per (hook, kfunc). */
  registered(hook?: BtfKfuncHook): KfuncRegistration[] {
    const out: KfuncRegistration[] = [];
    for (const [h, t] of this.hooks) {
      if (hook && h !== hook) continue;
      const seen = new Set<string>();
      for (const { owner, set } of t.sets) {
        const btf = this.btfs.object(owner)!.btf;
        for (const { id } of set.pairs()) {
          const key = `${owner}:${id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({
            hook: h,
            objId: owner,
            id,
            name: btf.nameOf(id),
            flags: t.merged.get(owner)!.get(id)!,
            set: set.name,
          });
        }
      }
    }
    return out;
  }

  /** Hooks where the kfunc is registered. */
  hooksOf(btfObjId: number, id: number): BtfKfuncHook[] {
    return BTF_KFUNC_HOOKS.filter((h) => this.hooks.get(h)?.merged.get(btfObjId)?.has(id));
  }
}
