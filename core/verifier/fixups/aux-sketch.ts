// Measurement support (corpus.test.ts, bench/fixups.ts): a small abstract interpreter
// that recovers, for corpus programs, the insn aux data do_check would record (seen,
// ctx/BTF pointer accesses and their field sizes, the map of each map helper call,
// constant tail-call keys, direct packet writes), so the fixups can be measured against
// the kernel's xlated programs without the full verifier. Deliberately simple:
// registers, 8-byte spills, constants, unsigned ranges with branch refinement, joins
// with widening.
import type { Insn } from '../../isa/insn';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_CALL,
  BPF_CLASS,
  BPF_EXIT,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MODE,
  BPF_OP,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  sizeBytes,
} from '../../isa/opcodes';
import type { BpfVerifierOps, InsnAuxData } from '../ops';
import type { SubprogInfo } from './patch';

type Val =
  | { t: 'ctx' }
  | { t: 'pkt' }
  | { t: 'pkt_end' }
  | { t: 'fp'; off: number }
  | { t: 'map'; idx: number }
  | { t: 'mapval' }
  | { t: 'btf'; flags: readonly string[] }
  | { t: 'scalar'; c?: bigint; lo?: bigint; hi?: bigint }
  | { t: 'unknown' };

interface St {
  r: Val[];
  stack: Map<number, Val>;
}

const U: Val = { t: 'unknown' };
const S = (c?: bigint): Val =>
  c === undefined ? { t: 'scalar' } : { t: 'scalar', c: BigInt.asUintN(64, c) };
const MAX64 = (1n << 64n) - 1n;
const MAX32 = (1n << 32n) - 1n;
/** An unsigned range; a single value becomes a constant. */
const R = (lo: bigint, hi: bigint): Val =>
  lo === hi ? S(lo) : lo === 0n && hi === MAX64 ? S() : { t: 'scalar', lo, hi };
const rng = (v: Val): [bigint, bigint] =>
  v.t === 'scalar' ? (v.c !== undefined ? [v.c, v.c] : [v.lo ?? 0n, v.hi ?? MAX64]) : [0n, MAX64];
const constOf = (v: Val): bigint | undefined => (v.t === 'scalar' ? v.c : undefined);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

const eqVal = (a: Val, b: Val): boolean =>
  JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
  JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

function joinVal(a: Val, b: Val): Val {
  if (eqVal(a, b)) return a;
  if (a.t === 'scalar' && b.t === 'scalar') {
    const [al, ah] = rng(a);
    const [bl, bh] = rng(b);
    return R(min(al, bl), max(ah, bh));
  }
  if (a.t === b.t && a.t !== 'fp' && a.t !== 'map') return a;
  return U;
}

function joinSt(a: St, b: St): { st: St; changed: boolean } {
  let changed = false;
  const r = a.r.map((v, i) => {
    const j = joinVal(v, b.r[i]!);
    if (!eqVal(j, v)) changed = true;
    return j;
  });
  const stack = new Map<number, Val>();
  for (const [k, v] of a.stack) {
    const w = b.stack.get(k);
    const j = w ? joinVal(v, w) : U;
    if (!eqVal(j, v)) changed = true;
    stack.set(k, j);
  }
  return { st: { r, stack }, changed };
}

const clone = (s: St): St => ({ r: [...s.r], stack: new Map(s.stack) });

export interface AuxSketch {
  aux: InsnAuxData[];
  subprogs: SubprogInfo[];
  seenDirectWrite: boolean;
}

function aluConst(op: number, a: bigint, b: bigint, is64: boolean): bigint | undefined {
  const bits = is64 ? 64 : 32;
  const m = (x: bigint) => BigInt.asUintN(bits, x);
  a = m(a);
  b = m(b);
  switch (op) {
    case 0x00:
      return m(a + b);
    case 0x10:
      return m(a - b);
    case 0x20:
      return m(a * b);
    case 0x40:
      return a | b;
    case 0x50:
      return a & b;
    case 0xa0:
      return a ^ b;
    case 0x60:
      return b < BigInt(bits) ? m(a << b) : undefined;
    case 0x70:
      return b < BigInt(bits) ? a >> b : undefined;
    case 0xb0:
      return b;
    default:
      return undefined;
  }
}

/** Range of a non-constant ALU result (unsigned; only the shapes random programs use). */
function aluRange(op: number, d: Val, src: Val, is64: boolean, x: Insn): Val {
  const lim = is64 ? MAX64 : MAX32;
  let [lo, hi] = rng(d);
  if (d.t !== 'scalar') [lo, hi] = [0n, MAX64];
  if (!is64 && hi > MAX32) [lo, hi] = [0n, MAX32];
  const k = constOf(src);
  const kk = k === undefined ? undefined : is64 ? k : k & MAX32;
  if (op === 0xd0) return R(0n, (1n << BigInt(x.imm)) - 1n);
  if (op === 0xb0) return is64 || hi > MAX32 ? (is64 ? S() : R(0n, MAX32)) : R(lo, hi);
  if (kk !== undefined && x.off === 0) {
    switch (op) {
      case 0x50:
        return R(0n, min(hi, kk));
      case 0x70:
        if (kk < (is64 ? 64n : 32n)) return R(lo >> kk, hi >> kk);
        break;
      case 0x90:
        if (kk > 0n) return R(0n, kk - 1n);
        break;
      case 0x30:
        if (kk > 0n) return R(lo / kk, hi / kk);
        break;
      case 0x00:
        if (hi + kk <= lim) return R(lo + kk, hi + kk);
        break;
      case 0x60:
        if (kk < 64n && hi << kk <= lim) return R(lo << kk, hi << kk);
        break;
    }
  }
  return is64 ? S() : R(0n, MAX32);
}

/** A branch decided by ranges (non-negative ranges also decide signed compares). */
function condRange(op: number, a: Val, b: Val, is64: boolean): boolean | undefined {
  if (a.t !== 'scalar' || b.t !== 'scalar') return undefined;
  const [alo, ahi] = rng(a);
  let [blo, bhi] = rng(b);
  const bits = is64 ? 64 : 32;
  if (!is64) {
    if (ahi > MAX32) return undefined;
    if (bhi > MAX32) {
      if (blo !== bhi) return undefined;
      blo = bhi = blo & MAX32;
    }
  }
  const smax = (1n << BigInt(bits - 1)) - 1n;
  let u = op;
  if (op === 0x60 || op === 0x70 || op === 0xc0 || op === 0xd0) {
    if (ahi > smax) return undefined;
    if (blo === bhi && blo > smax) return op === 0x60 || op === 0x70; // b is negative
    if (bhi > smax) return undefined;
    u = op === 0x60 ? 0x20 : op === 0x70 ? 0x30 : op === 0xc0 ? 0xa0 : 0xb0;
  }
  switch (u) {
    case 0x10:
      return ahi < blo || alo > bhi ? false : undefined;
    case 0x50:
      return ahi < blo || alo > bhi ? true : undefined;
    case 0x20:
      return alo > bhi ? true : ahi <= blo ? false : undefined;
    case 0x30:
      return alo >= bhi ? true : ahi < blo ? false : undefined;
    case 0xa0:
      return ahi < blo ? true : alo >= bhi ? false : undefined;
    case 0xb0:
      return ahi <= blo ? true : alo > bhi ? false : undefined;
    case 0x40:
      return blo === bhi && blo !== 0n && ahi < (blo & -blo) ? false : undefined;
  }
  return undefined;
}

/** The register's range on the taken (or fall-through) edge of `dst op k`. */
function refine(op: number, a: Val, k: bigint, taken: boolean, is64: boolean): Val {
  if (a.t !== 'scalar') return a;
  const [lo, hi] = rng(a);
  if (!is64 && hi > MAX32) return a;
  if (!is64) k &= MAX32;
  const signed = op === 0x60 || op === 0x70 || op === 0xc0 || op === 0xd0;
  if (signed && (BigInt.asIntN(is64 ? 64 : 32, k) < 0n || hi >= 1n << (is64 ? 63n : 31n))) return a;
  const u = op === 0x60 ? 0x20 : op === 0x70 ? 0x30 : op === 0xc0 ? 0xa0 : op === 0xd0 ? 0xb0 : op;
  const clamp = (l: bigint, h: bigint): Val => (l > h ? a : R(l, h));
  switch (u) {
    case 0x10:
      return taken ? S(k) : a;
    case 0x50:
      return taken ? a : S(k);
    case 0x20:
      return taken ? clamp(max(lo, k + 1n), hi) : clamp(lo, min(hi, k));
    case 0x30:
      return taken ? clamp(max(lo, k), hi) : k === 0n ? a : clamp(lo, min(hi, k - 1n));
    case 0xa0:
      return taken ? (k === 0n ? a : clamp(lo, min(hi, k - 1n))) : clamp(max(lo, k), hi);
    case 0xb0:
      return taken ? clamp(lo, min(hi, k)) : clamp(max(lo, k + 1n), hi);
  }
  return a;
}

function condConst(op: number, a: bigint, b: bigint, is64: boolean): boolean | undefined {
  const bits = is64 ? 64 : 32;
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (op) {
    case 0x10:
      return ua === ub;
    case 0x50:
      return ua !== ub;
    case 0x20:
      return ua > ub;
    case 0x30:
      return ua >= ub;
    case 0xa0:
      return ua < ub;
    case 0xb0:
      return ua <= ub;
    case 0x40:
      return (ua & ub) !== 0n;
    case 0x60:
      return sa > sb;
    case 0x70:
      return sa >= sb;
    case 0xc0:
      return sa < sb;
    case 0xd0:
      return sa <= sb;
    default:
      return undefined;
  }
}

const PKT_CHANGING = new Set([9, 10, 11, 39, 44, 54, 65, 31, 38, 43, 50, 18, 19, 13]);

/** Whether r0 is next read as a 64-bit value (before being redefined) on the fall-through path. */
function r0ReadAs64Next(insns: readonly Insn[], from: number): boolean {
  for (let i = from; i < insns.length; i++) {
    const x = insns[i]!;
    const cls = BPF_CLASS(x.code);
    const op = BPF_OP(x.code);
    const srcReg = BPF_SRC(x.code) !== BPF_K;
    if (cls === BPF_JMP && op === BPF_EXIT) return true;
    if (cls === BPF_ALU64 || cls === BPF_JMP) {
      if (srcReg && x.src === 0 && op !== BPF_CALL) return true;
      if (x.dst === 0 && !(cls === BPF_ALU64 && op === 0xb0) && op !== BPF_CALL && op !== BPF_JA) return true;
      if (cls === BPF_ALU64 && op === 0xb0 && x.dst === 0) return false;
      if (cls === BPF_JMP && op === BPF_CALL) return false;
      continue;
    }
    if (cls === BPF_STX && BPF_SIZE(x.code) === 0x18 && x.src === 0) return true;
    if (
      (cls === BPF_ALU || cls === BPF_LDX || cls === BPF_LD) &&
      x.dst === 0 &&
      !(cls === BPF_ALU && x.src === 0)
    )
      return false;
  }
  return false;
}

export function sketchAux(insns: readonly Insn[], ops: BpfVerifierOps, progType: string): AuxSketch {
  const n = insns.length;
  const aux: InsnAuxData[] = insns.map(() => ({ seen: false }));
  const starts = new Set<number>([0]);
  insns.forEach((x, i) => {
    if (x.code === (BPF_JMP | BPF_CALL) && x.src === 1) starts.add(i + x.imm + 1);
  });
  const subStarts = [...starts].sort((a, b) => a - b);
  const depth = new Map<number, number>(subStarts.map((s) => [s, 0]));
  const subOf = (i: number) => subStarts.filter((s) => s <= i).pop()!;
  let seenDirectWrite = false;
  const keySeen = new Map<number, number | undefined>();
  const states: (St | undefined)[] = new Array(n);
  const work: number[] = [];
  const joins = new Map<number, number>();
  const push = (i: number, st: St) => {
    if (i < 0 || i >= n) return;
    const old = states[i];
    if (!old) {
      states[i] = clone(st);
      work.push(i);
      return;
    }
    const j = joinSt(old, st);
    if (j.changed) {
      // Widen after a few rounds so loops converge.
      const cnt = (joins.get(i) ?? 0) + 1;
      joins.set(i, cnt);
      if (cnt > 12) j.st.r = j.st.r.map((v, k) => (v.t === 'scalar' && !eqVal(v, old.r[k]!) ? S() : v));
      states[i] = j.st;
      work.push(i);
    }
  };
  const entry = (ctxArg: boolean): St => {
    const r: Val[] = new Array(11).fill(U);
    if (ctxArg) r[1] = { t: 'ctx' };
    r[10] = { t: 'fp', off: 0 };
    return { r, stack: new Map() };
  };
  push(0, entry(true));
  let guard = 0;
  while (work.length && guard++ < 200000) {
    const i = work.pop()!;
    const st = clone(states[i]!);
    const x = insns[i]!;
    aux[i]!.seen = true;
    const cls = BPF_CLASS(x.code);
    const r = st.r;
    const noteDepth = (off: number) => {
      const s = subOf(i);
      depth.set(s, Math.max(depth.get(s) ?? 0, -off));
    };
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      const op = BPF_OP(x.code);
      const is64 = cls === BPF_ALU64;
      const srcV: Val = BPF_SRC(x.code) === BPF_K ? S(BigInt(x.imm)) : r[x.src]!;
      const d = r[x.dst]!;
      if (op === 0xb0) {
        if (BPF_SRC(x.code) === BPF_K) r[x.dst] = S(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
        else if (is64 && x.off === 0) r[x.dst] = srcV;
        else
          r[x.dst] =
            srcV.t === 'scalar' && srcV.c !== undefined && x.off === 0 ? S(BigInt.asUintN(32, srcV.c)) : S();
      } else if (is64 && (op === 0x00 || op === 0x10) && d.t !== 'scalar') {
        const k = srcV.t === 'scalar' ? srcV.c : undefined;
        if (d.t === 'fp' && k !== undefined)
          r[x.dst] = { t: 'fp', off: d.off + Number(BigInt.asIntN(64, op === 0 ? k : -k)) };
        else if (d.t === 'pkt' || d.t === 'mapval') r[x.dst] = d;
        else r[x.dst] = U;
      } else if (d.t === 'scalar' && d.c !== undefined && srcV.t === 'scalar' && srcV.c !== undefined) {
        const v = aluConst(op, d.c, srcV.c, is64);
        r[x.dst] = v === undefined ? S() : S(v);
      } else r[x.dst] = aluRange(op, d, srcV, is64, x);
      push(i + 1, st);
      continue;
    }
    if (cls === BPF_LD) {
      if (x.code === 0x18) {
        if (x.src === 5) r[x.dst] = { t: 'map', idx: x.imm };
        else if (x.src === 6) r[x.dst] = { t: 'mapval' };
        else if (x.src === 0) r[x.dst] = S((BigInt(insns[i + 1]!.imm >>> 0) << 32n) | BigInt(x.imm >>> 0));
        else r[x.dst] = U;
        aux[i + 1]!.seen = true;
        push(i + 2, st);
        continue;
      }
      // ld_abs / ld_ind
      r[0] = S();
      for (let k = 1; k <= 5; k++) r[k] = U;
      push(i + 1, st);
      continue;
    }
    if (cls === BPF_LDX) {
      const base = r[x.src]!;
      const size = sizeBytes(BPF_SIZE(x.code));
      let v: Val = size < 8 && BPF_MODE(x.code) === 0x60 ? R(0n, (1n << BigInt(size * 8)) - 1n) : S();
      if (base.t === 'ctx') {
        const info = ops.isValidAccess(x.off, size, 'read', { isLdsx: BPF_MODE(x.code) === 0x80 });
        aux[i]!.ptrType = 'PTR_TO_CTX';
        if (info?.ctxFieldSize) aux[i]!.ctxFieldSize = info.ctxFieldSize;
        if (info?.regType === 'PTR_TO_PACKET' || info?.regType === 'PTR_TO_PACKET_META') v = { t: 'pkt' };
        else if (info?.regType === 'PTR_TO_PACKET_END') v = { t: 'pkt_end' };
        else if (info?.regType === 'PTR_TO_BTF_ID') v = { t: 'btf', flags: info.trusted ? ['trusted'] : [] };
      } else if (base.t === 'btf') {
        aux[i]!.ptrType = 'PTR_TO_BTF_ID';
        aux[i]!.ptrFlags = base.flags;
      } else if (base.t === 'fp') {
        const off = base.off + x.off;
        noteDepth(off);
        if (size === 8) v = st.stack.get(off) ?? S();
        else if (size === 4 && BPF_MODE(x.code) === 0x60) {
          const sp = st.stack.get(off);
          const c = sp ? constOf(sp) : undefined;
          if (c !== undefined) v = S(c & MAX32);
        }
      }
      r[x.dst] = v;
      push(i + 1, st);
      continue;
    }
    if (cls === BPF_ST || cls === BPF_STX) {
      const base = r[x.dst]!;
      const size = sizeBytes(BPF_SIZE(x.code));
      if (BPF_MODE(x.code) === 0xc0) {
        // atomics: fetch variants write src (or r0 for cmpxchg)
        if (x.imm & 1) {
          // A 32-bit cmpxchg's r0 is taken as read as 64 bits later (zext_dst).
          if (x.imm === 0xf1 && size === 4 && r0ReadAs64Next(insns, i + 1)) aux[i]!.zextDst = true;
          if (x.imm === 0xf1) r[0] = S();
          else r[x.src] = S();
        }
        if (base.t === 'fp') {
          noteDepth(base.off + x.off);
          st.stack.set(base.off + x.off, S());
        }
        push(i + 1, st);
        continue;
      }
      if (base.t === 'ctx') {
        const info = ops.isValidAccess(x.off, size, 'write');
        aux[i]!.ptrType = 'PTR_TO_CTX';
        if (info?.ctxFieldSize) aux[i]!.ctxFieldSize = info.ctxFieldSize;
      } else if (base.t === 'btf') aux[i]!.ptrType = 'PTR_TO_BTF_ID';
      else if (base.t === 'pkt') seenDirectWrite = true;
      else if (base.t === 'fp') {
        const off = base.off + x.off;
        noteDepth(off);
        // an 8-byte spill keeps the register's type; smaller writes clobber
        for (const k of [...st.stack.keys()]) if (k > off - 8 && k < off + size) st.stack.delete(k);
        st.stack.set(
          off,
          cls === BPF_STX && size === 8 ? r[x.src]! : cls === BPF_ST && size === 8 ? S(BigInt(x.imm)) : S(),
        );
      }
      push(i + 1, st);
      continue;
    }
    if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = BPF_OP(x.code);
      if (op === BPF_EXIT) continue;
      if (op === BPF_CALL) {
        if (x.src === 1) {
          const callee = entry(false);
          for (let k = 1; k <= 5; k++) callee.r[k] = r[k]!;
          push(i + x.imm + 1, callee);
        } else if (x.src === 0) {
          if (r[1]!.t === 'map') aux[i]!.mapIndex = (r[1] as { idx: number }).idx;
          if (x.imm === 12) {
            if (r[2]!.t === 'map') aux[i]!.mapIndex = (r[2] as { idx: number }).idx;
            const k = r[3]!;
            const c = k.t === 'scalar' && k.c !== undefined ? Number(k.c) : undefined;
            if (c === undefined || (keySeen.has(i) && keySeen.get(i) !== c)) keySeen.set(i, undefined);
            else if (!keySeen.has(i)) keySeen.set(i, c);
            aux[i]!.mapKeyConst = keySeen.get(i);
          }
          if (PKT_CHANGING.has(x.imm))
            for (let k = 0; k <= 9; k++) if (r[k]!.t === 'pkt' || r[k]!.t === 'pkt_end') r[k] = U;
        }
        r[0] = x.src === 0 && x.imm === 1 ? { t: 'mapval' } : S();
        for (let k = 1; k <= 5; k++) r[k] = U;
        push(i + 1, st);
        continue;
      }
      if (op === BPF_JA) {
        push(i + 1 + (cls === BPF_JMP32 ? x.imm : x.off), st);
        continue;
      }
      const a = r[x.dst]!;
      const b: Val = BPF_SRC(x.code) === BPF_K ? S(BigInt(x.imm)) : r[x.src]!;
      let taken: boolean | undefined;
      const is64 = cls === BPF_JMP;
      const kb = constOf(b);
      if (a.t === 'scalar' && b.t === 'scalar' && a.c !== undefined && b.c !== undefined)
        taken = condConst(op, a.c, b.c, is64);
      else taken = condRange(op, a, b, is64);
      if (taken !== false) {
        const t = clone(st);
        if (kb !== undefined) t.r[x.dst] = refine(op, a, kb, true, is64);
        push(i + 1 + x.off, t);
      }
      if (taken !== true) {
        const f = clone(st);
        if (kb !== undefined) f.r[x.dst] = refine(op, a, kb, false, is64);
        push(i + 1, f);
      }
    }
  }
  const subprogs = subStarts.map((s) => ({ start: s, stackDepth: (depth.get(s)! + 7) & ~7 }));
  void progType;
  return { aux, subprogs, seenDirectWrite };
}
