// struct bpf_reg_state and the scalar bound arithmetic of kernel/bpf/verifier.c
// (reg_bounds_sync, __reg_deduce_bounds, adjust_scalar_min_max_vals).
import {
  type Tnum,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumUnknown,
  tnumXor,
  U32,
  U64,
} from './tnum';

export type RegType =
  | 'NOT_INIT'
  | 'SCALAR_VALUE'
  | 'PTR_TO_CTX'
  | 'CONST_PTR_TO_MAP'
  | 'PTR_TO_MAP_VALUE'
  | 'PTR_TO_MAP_KEY'
  | 'PTR_TO_STACK'
  | 'PTR_TO_PACKET_META'
  | 'PTR_TO_PACKET'
  | 'PTR_TO_PACKET_END'
  | 'PTR_TO_BTF_ID'
  | 'PTR_TO_MEM'
  | 'PTR_TO_FUNC'
  | 'PTR_TO_SOCK_COMMON'
  | 'PTR_TO_SOCKET';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
// Limits built once: the bounds code runs on every insn and a bigint expression allocates.
const S64_END = 1n << 63n;
const U64_END = 1n << 64n;
const S32_END = 1n << 31n;
const U32_END = 1n << 32n;
/** BPF_ADD_CONST: id flag of a scalar that is another scalar plus a constant (linked regs). */
export const BPF_ADD_CONST64 = 1 << 31;
/** The link was made by a 32-bit add/sub: a value synced through it is zero-extended. */
export const BPF_ADD_CONST32 = 1 << 30;
export const BPF_ADD_CONST = BPF_ADD_CONST64 | BPF_ADD_CONST32;

export interface RegState {
  type: RegType;
  maybeNull: boolean;
  /** Modifier flags of PTR_TO_BTF_ID / PTR_TO_MEM: 'trusted', 'rcu', 'untrusted', 'rdonly'. */
  flags: string[];
  off: number;
  varOff: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
  id: number;
  refObjId: number;
  /** PTR_TO_PACKET: bytes known to be in bounds past off. */
  range: number;
  /** CONST_PTR_TO_MAP / PTR_TO_MAP_VALUE: index into LoadAttr.maps. */
  mapIndex: number;
  /** PTR_TO_BTF_ID: pointee BTF type id. PTR_TO_MEM: size. */
  btfId: number;
  memSize: number;
  frameno: number;
  precise: boolean;
  /** Insn that defined only the low 32 bits (a 32-bit cmpxchg's r0), or -1. */
  subregDef: number;
}

// flags arrays are replaced, never changed in place (see copyReg): an empty one can be shared.
const NO_FLAGS: string[] = [];

export function notInitReg(): RegState {
  return {
    type: 'NOT_INIT',
    maybeNull: false,
    flags: [],
    off: 0,
    varOff: tnumUnknown,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32,
    id: 0,
    refObjId: 0,
    range: 0,
    mapIndex: -1,
    btfId: 0,
    memSize: 0,
    frameno: 0,
    precise: false,
    subregDef: -1,
  };
}

// A literal with every field (not a spread): one hidden class for every register, and no
// generic property copy on the hottest allocation of the walk. flags arrays are replaced,
// never mutated in place, so a copy shares them.
export const copyReg = (r: RegState): RegState => ({
  type: r.type,
  maybeNull: r.maybeNull,
  flags: r.flags,
  off: r.off,
  varOff: r.varOff,
  smin: r.smin,
  smax: r.smax,
  umin: r.umin,
  umax: r.umax,
  s32min: r.s32min,
  s32max: r.s32max,
  u32min: r.u32min,
  u32max: r.u32max,
  id: r.id,
  refObjId: r.refObjId,
  range: r.range,
  mapIndex: r.mapIndex,
  btfId: r.btfId,
  memSize: r.memSize,
  frameno: r.frameno,
  precise: r.precise,
  subregDef: r.subregDef,
});

const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function markReg64Unbounded(r: RegState): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64;
}
export function markReg32Unbounded(r: RegState): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32;
}

/** __mark_reg_known. */
export function markRegKnown(r: RegState, imm: bigint): void {
  const v = u64(imm);
  r.varOff = tnumConst(v);
  r.smin = r.smax = s64(v);
  r.umin = r.umax = v;
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
}

export function markReg32Known(r: RegState, imm: bigint): void {
  r.varOff = { value: (r.varOff.value & ~U32 & U64) | u32(imm), mask: r.varOff.mask & ~U32 & U64 };
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

/** __mark_reg_unknown: an unbounded scalar (precision kept off as for a fresh value). */
export function markRegUnknown(r: RegState): void {
  // Field by field, as notInitReg sets them: no register object per call (it runs per insn).
  r.type = 'SCALAR_VALUE';
  r.maybeNull = false;
  r.flags = NO_FLAGS;
  r.off = 0;
  r.varOff = tnumUnknown;
  markReg64Unbounded(r);
  markReg32Unbounded(r);
  r.id = 0;
  r.refObjId = 0;
  r.range = 0;
  r.mapIndex = -1;
  r.btfId = 0;
  r.memSize = 0;
  r.precise = false;
  r.subregDef = -1;
}

export function scalarKnown(imm: bigint): RegState {
  const r = notInitReg();
  r.type = 'SCALAR_VALUE';
  markRegKnown(r, imm);
  return r;
}

export function scalarUnknown(): RegState {
  const r = notInitReg();
  r.type = 'SCALAR_VALUE';
  return r;
}

export const regIsConst = (r: RegState): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff);
export const regIsConst32 = (r: RegState): boolean =>
  r.type === 'SCALAR_VALUE' && (r.varOff.mask & U32) === 0n;

function updateReg32Bounds(r: RegState): void {
  // A tnum with no known bit gives the 32-bit bounds nothing (S32_MIN..S32_MAX, 0..U32):
  // skip its eight bigints (the common case of a scalar after add/sub of an unknown).
  if (r.varOff.mask === U64 && r.varOff.value === 0n) return;
  const v = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v.value | (v.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(v.value | (v.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, v.value);
  r.u32max = min(r.u32max, v.value | v.mask);
}

function updateReg64Bounds(r: RegState): void {
  const v = r.varOff;
  // As above: S64_MIN..S64_MAX and 0..U64, nothing to tighten.
  if (v.mask === U64 && v.value === 0n) return;
  r.smin = max(r.smin, s64(v.value | (v.mask & S64_END)));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

export function updateRegBounds(r: RegState): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

// Each 32-bit view is computed once (a bigint conversion allocates); the same upper 32
// bits is tested as 0 <= a ^ b < 2^32, one bigint instead of two shifts.
const sameUpper32 = (a: bigint, b: bigint): boolean => {
  const x = a ^ b;
  return x >= 0n && x < U32_END;
};

const TWO33 = 1n << 33n;
/**
 * (u32)(a >> 32) + 1 == (u32)(b >> 32), in 32-bit arithmetic (0xffffffff is followed by 0).
 * For a, b in [-2^63, 2^64) that needs (b - a) mod 2^64 in (0, 2^33): one bigint rules out
 * the usual case before the six of the exact test.
 */
const nextUpper32 = (a: bigint, b: bigint): boolean => {
  if (a >= S64_MIN && b >= S64_MIN && a <= U64 && b <= U64) {
    const d = b - a;
    const near =
      d > 0n ? d < TWO33 || (d > U64_END && d < U64_END + TWO33) : d > -U64_END && d < TWO33 - U64_END;
    if (!near) return false;
  }
  return u32((u64(a) >> 32n) + 1n) === u64(b) >> 32n;
};

function deduce32(r: RegState): void {
  if (sameUpper32(r.umin, r.umax)) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    const lo = s32(r.umin);
    const hi = s32(r.umax);
    if (lo <= hi) {
      r.s32min = max(r.s32min, lo);
      r.s32max = min(r.s32max, hi);
    }
  }
  if (sameUpper32(r.smin, r.smax)) {
    r.u32min = max(r.u32min, u32(r.smin));
    r.u32max = min(r.u32max, u32(r.smax));
    const lo = s32(r.smin);
    const hi = s32(r.smax);
    if (lo <= hi) {
      r.s32min = max(r.s32min, lo);
      r.s32max = min(r.s32max, hi);
    }
  }
  // Upper halves two consecutive values with the low halves going from negative to
  // non-negative: the two s32 pieces join into one s32 range.
  if (nextUpper32(r.umin, r.umax) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (nextUpper32(r.smin, r.smax) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  const slo = s32(r.u32min);
  const shi = s32(r.u32max);
  if (slo <= shi) {
    r.s32min = max(r.s32min, slo);
    r.s32max = min(r.s32max, shi);
  }
  const ulo = u32(r.s32min);
  const uhi = u32(r.s32max);
  if (ulo <= uhi) {
    r.u32min = max(ulo, r.u32min);
    r.u32max = min(uhi, r.u32max);
  } else if (r.u32max < ulo) {
    // The s32 range crosses the sign boundary and the u32 range meets only its non-negative part.
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, uhi);
  } else if (uhi < r.u32min) {
    // … or only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, ulo);
  }
}

function deduce64(r: RegState): void {
  const slo = s64(r.umin);
  const shi = s64(r.umax);
  if (slo <= shi) {
    r.smin = max(r.smin, slo);
    r.smax = min(r.smax, shi);
  }
  const ulo = u64(r.smin);
  const uhi = u64(r.smax);
  if (ulo <= uhi) {
    r.umin = max(ulo, r.umin);
    r.umax = min(uhi, r.umax);
  } else if (r.umax < ulo) {
    r.smin = s64(r.umin);
    r.umax = min(r.umax, uhi);
  } else if (uhi < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, ulo);
  }
}

const hiMask = U64 & ~U32;

function deduceMixed(r: RegState): void {
  // A u32 minimum of 0 (maximum of U32) cannot raise a 64-bit minimum (lower a maximum):
  // replacing the low half by it gives a value on the far side, in the same sign half.
  if (r.u32min !== 0n) {
    r.umin = max(r.umin, (r.umin & hiMask) | r.u32min);
    r.smin = max(r.smin, s64((u64(r.smin) & hiMask) | r.u32min));
  }
  if (r.u32max !== U32) {
    r.umax = min(r.umax, (r.umax & hiMask) | r.u32max);
    r.smax = min(r.smax, s64((u64(r.smax) & hiMask) | r.u32max));
  }
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = r.s32min;
    r.umax = r.s32max;
    r.varOff = tnumIntersect(r.varOff, tnumRange(r.smin, r.smax));
  }
}

function deduceBounds(r: RegState): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

function boundOffset(r: RegState): void {
  const v64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(v64), v32);
}

/** A known constant whose eight bounds all equal it: reg_bounds_sync leaves it as it is. */
function isSyncedConst(r: RegState): boolean {
  const v = r.varOff.value;
  return (
    r.varOff.mask === 0n &&
    r.umin === v &&
    r.umax === v &&
    r.smin === r.smax &&
    r.u32min === r.u32max &&
    r.s32min === r.s32max &&
    r.smin === s64(v) &&
    r.u32min === u32(v) &&
    r.s32min === s32(v)
  );
}

function knownWithinBounds(r: RegState): boolean {
  const v = r.varOff.value;
  const sv = s64(v);
  const lo = u32(v);
  const slo = s32(v);
  if (
    v < r.umin ||
    v > r.umax ||
    sv < r.smin ||
    sv > r.smax ||
    lo < r.u32min ||
    lo > r.u32max ||
    slo < r.s32min ||
    slo > r.s32max
  )
    return false;
  r.umin = r.umax = v;
  r.smin = r.smax = sv;
  r.u32min = r.u32max = lo;
  r.s32min = r.s32max = slo;
  return true;
}

export function regBoundsSync(r: RegState): void {
  // The common constant case is a fixed point of the passes below; skip their bigint work.
  if (isSyncedConst(r)) return;
  // A known var_off inside every range: __update_reg_bounds pins all eight bounds to it,
  // which is that synced constant (a branch's `r == K` side leaves the 32-bit ranges open).
  if (r.varOff.mask === 0n && knownWithinBounds(r)) return;
  updateRegBounds(r);
  // __reg_deduce_bounds runs twice; it reads and writes only the bounds and var_off, so
  // when the first pass changes none of them the second cannot either.
  const { smin, smax, umin, umax, s32min, s32max, u32min, u32max, varOff } = r;
  deduceBounds(r);
  if (
    r.smin !== smin ||
    r.smax !== smax ||
    r.umin !== umin ||
    r.umax !== umax ||
    r.s32min !== s32min ||
    r.s32max !== s32max ||
    r.u32min !== u32min ||
    r.u32max !== u32max ||
    r.varOff.value !== varOff.value ||
    r.varOff.mask !== varOff.mask
  )
    deduceBounds(r);
  boundOffset(r);
  updateRegBounds(r);
}

/** True when the bounds are contradictory (the path is dead). */
export function regBoundsInvalid(r: RegState): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

function reg32BoundS64(a: bigint): boolean {
  return a >= 0n && a <= S32_MAX;
}

/** zext_32_to_64: an ALU32 result zero-extends into the full register. */
export function zext32To64(r: RegState): void {
  r.varOff = tnumSubreg(r.varOff);
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (reg32BoundS64(r.s32min) && reg32BoundS64(r.s32max)) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32;
  }
}

// Signed/unsigned overflow-checked arithmetic over `bits` bits.
const fitsS = (x: bigint, bits: number): boolean =>
  bits === 64
    ? x >= S64_MIN && x < S64_END
    : bits === 32
      ? x >= S32_MIN && x < S32_END
      : x >= -(1n << BigInt(bits - 1)) && x < 1n << BigInt(bits - 1);
const fitsU = (x: bigint, bits: number): boolean =>
  x >= 0n && (bits === 64 ? x < U64_END : bits === 32 ? x < U32_END : x < 1n << BigInt(bits));

// Named fields per width (no keyed access through a field-name tuple), and a sum or
// difference already in range kept as it is rather than masked into a new bigint.
const inU = (x: bigint, mask: bigint): boolean => x >= 0n && x <= mask;

function minMaxAdd(r: RegState, src: RegState, w: 32 | 64): void {
  if (w === 32) {
    const a = r.s32min + src.s32min;
    const b = r.s32max + src.s32max;
    if (a < S32_MIN || a > S32_MAX || b < S32_MIN || b > S32_MAX) {
      r.s32min = S32_MIN;
      r.s32max = S32_MAX;
    } else {
      r.s32min = a;
      r.s32max = b;
    }
    const c = r.u32min + src.u32min;
    const d = r.u32max + src.u32max;
    const minOk = inU(c, U32);
    const maxOk = inU(d, U32);
    if (minOk && !maxOk) {
      r.u32min = 0n;
      r.u32max = U32;
    } else {
      r.u32min = minOk ? c : c & U32;
      r.u32max = maxOk ? d : d & U32;
    }
    return;
  }
  const a = r.smin + src.smin;
  const b = r.smax + src.smax;
  if (a < S64_MIN || a > S64_MAX || b < S64_MIN || b > S64_MAX) {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  } else {
    r.smin = a;
    r.smax = b;
  }
  const c = r.umin + src.umin;
  const d = r.umax + src.umax;
  const minOk = inU(c, U64);
  const maxOk = inU(d, U64);
  if (minOk && !maxOk) {
    r.umin = 0n;
    r.umax = U64;
  } else {
    r.umin = minOk ? c : c & U64;
    r.umax = maxOk ? d : d & U64;
  }
}

function minMaxSub(r: RegState, src: RegState, w: 32 | 64): void {
  if (w === 32) {
    const a = r.s32min - src.s32max;
    const b = r.s32max - src.s32min;
    if (a < S32_MIN || a > S32_MAX || b < S32_MIN || b > S32_MAX) {
      r.s32min = S32_MIN;
      r.s32max = S32_MAX;
    } else {
      r.s32min = a;
      r.s32max = b;
    }
    const c = r.u32min - src.u32max;
    const d = r.u32max - src.u32min;
    if (c < 0n && d >= 0n) {
      r.u32min = 0n;
      r.u32max = U32;
    } else {
      r.u32min = inU(c, U32) ? c : c & U32;
      r.u32max = inU(d, U32) ? d : d & U32;
    }
    return;
  }
  const a = r.smin - src.smax;
  const b = r.smax - src.smin;
  if (a < S64_MIN || a > S64_MAX || b < S64_MIN || b > S64_MAX) {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  } else {
    r.smin = a;
    r.smax = b;
  }
  const c = r.umin - src.umax;
  const d = r.umax - src.umin;
  if (c < 0n && d >= 0n) {
    r.umin = 0n;
    r.umax = U64;
  } else {
    r.umin = inU(c, U64) ? c : c & U64;
    r.umax = inU(d, U64) ? d : d & U64;
  }
}

function minMaxMul(r: RegState, src: RegState, w: 32 | 64): void {
  const [smin, smax, umin, umax] =
    w === 32
      ? (['s32min', 's32max', 'u32min', 'u32max'] as const)
      : (['smin', 'smax', 'umin', 'umax'] as const);
  const mask = w === 32 ? U32 : U64;
  const hi = r[umax] * src[umax];
  const lo = r[umin] * src[umin];
  if (!fitsU(hi, w) || !fitsU(lo, w)) {
    r[umin] = 0n;
    r[umax] = mask;
  } else {
    r[umin] = lo;
    r[umax] = hi;
  }
  const p = [r[smin] * src[smin], r[smin] * src[smax], r[smax] * src[smin], r[smax] * src[smax]];
  if (p.some((x) => !fitsS(x, w))) {
    r[smin] = w === 32 ? S32_MIN : S64_MIN;
    r[smax] = w === 32 ? S32_MAX : S64_MAX;
  } else {
    r[smin] = p.reduce(min);
    r[smax] = p.reduce(max);
  }
}

function signedFromUnsigned(r: RegState, w: 32 | 64): void {
  if (w === 32) {
    if (s32(r.u32min) <= s32(r.u32max)) {
      r.s32min = s32(r.u32min);
      r.s32max = s32(r.u32max);
    } else {
      r.s32min = S32_MIN;
      r.s32max = S32_MAX;
    }
  } else if (s64(r.umin) <= s64(r.umax)) {
    r.smin = s64(r.umin);
    r.smax = s64(r.umax);
  } else {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  }
}

function minMaxBitwise(
  r: RegState,
  src: RegState,
  w: 32 | 64,
  op: 'and' | 'or' | 'xor',
  srcConst: boolean,
): void {
  const dstKnown = w === 32 ? (r.varOff.mask & U32) === 0n : r.varOff.mask === 0n;
  const v = w === 32 ? tnumSubreg(r.varOff) : r.varOff;
  if (srcConst && dstKnown) {
    if (w === 32) markReg32Known(r, v.value);
    else markRegKnown(r, v.value);
    return;
  }
  const [umin, umax] = w === 32 ? (['u32min', 'u32max'] as const) : (['umin', 'umax'] as const);
  if (op === 'and') {
    r[umin] = v.value;
    r[umax] = min(r[umax], src[umax]);
  } else if (op === 'or') {
    r[umin] = max(r[umin], src[umin]);
    r[umax] = v.value | v.mask;
  } else {
    r[umin] = v.value;
    r[umax] = v.value | v.mask;
  }
  signedFromUnsigned(r, w);
  if (w === 64) updateRegBounds(r);
}

// add, sub, neg, and, xor, or, mul always; lsh, rsh, arsh by a known in-range amount.
const SAFE_OPS = new Set([0x00, 0x10, 0x80, 0x50, 0xa0, 0x40, 0x20]);
const SHIFT_OPS = new Set([0x60, 0x70, 0xc0]);

/** adjust_scalar_min_max_vals for a scalar dst and scalar src (BPF_K already turned into a known src). */
export function adjustScalarMinMaxVals(dst: RegState, src: RegState, op: number, alu32: boolean): void {
  const w: 32 | 64 = alu32 ? 32 : 64;
  const srcConst = alu32
    ? (src.varOff.mask & U32) === 0n && src.s32min === src.s32max && src.u32min === src.u32max
    : src.varOff.mask === 0n && src.smin === src.smax && src.umin === src.umax;
  const safe = SAFE_OPS.has(op) || (SHIFT_OPS.has(op) && srcConst && src.umax < (alu32 ? 32n : 64n));
  if (!safe) {
    markRegUnknown(dst);
    return;
  }
  switch (op) {
    case 0x00:
      minMaxAdd(dst, src, 32);
      minMaxAdd(dst, src, 64);
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    case 0x10:
      minMaxSub(dst, src, 32);
      minMaxSub(dst, src, 64);
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    case 0x80: {
      const old = copyReg(dst);
      markRegKnown(dst, 0n);
      minMaxSub(dst, old, 32);
      minMaxSub(dst, old, 64);
      dst.varOff = tnumNeg(old.varOff);
      break;
    }
    case 0x20:
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      minMaxMul(dst, src, 32);
      minMaxMul(dst, src, 64);
      break;
    case 0x50:
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'and', alu32 ? srcConst : (src.varOff.mask & U32) === 0n);
      minMaxBitwise(dst, src, 64, 'and', src.varOff.mask === 0n);
      break;
    case 0x40:
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'or', (src.varOff.mask & U32) === 0n);
      minMaxBitwise(dst, src, 64, 'or', src.varOff.mask === 0n);
      break;
    case 0xa0:
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'xor', (src.varOff.mask & U32) === 0n);
      minMaxBitwise(dst, src, 64, 'xor', src.varOff.mask === 0n);
      break;
    case 0x60:
      if (alu32) lsh32(dst, src);
      else lsh64(dst, src);
      break;
    case 0x70:
      if (alu32) rsh32(dst, src);
      else rsh64(dst, src);
      break;
    case 0xc0:
      if (alu32) arsh32(dst, src);
      else arsh64(dst, src);
      break;
  }
  if (alu32) zext32To64(dst);
  regBoundsSync(dst);
}

function lsh32Bounds(r: RegState, uminVal: bigint, umaxVal: bigint): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  if (umaxVal > 31n || r.u32max > 1n << (31n - umaxVal)) {
    r.u32min = 0n;
    r.u32max = U32;
  } else {
    r.u32min = u32(r.u32min << uminVal);
    r.u32max = u32(r.u32max << umaxVal);
  }
}

function lsh32(r: RegState, src: RegState): void {
  const sub = tnumSubreg(r.varOff);
  lsh32Bounds(r, src.u32min, src.u32max);
  r.varOff = tnumSubreg(tnumLshift(sub, Number(src.u32min)));
  markReg64Unbounded(r);
  updateReg32Bounds(r);
}

function lsh64(r: RegState, src: RegState): void {
  const uminVal = src.umin;
  const umaxVal = src.umax;
  r.smax = uminVal === 32n && umaxVal === 32n && r.s32max >= 0n ? r.s32max << 32n : S64_MAX;
  r.smin = uminVal === 32n && umaxVal === 32n && r.s32min >= 0n ? r.s32min << 32n : S64_MIN;
  if (r.umax > 1n << (63n - umaxVal)) {
    r.umin = 0n;
    r.umax = U64;
  } else {
    r.umin = u64(r.umin << uminVal);
    r.umax = u64(r.umax << umaxVal);
  }
  lsh32Bounds(r, uminVal, umaxVal);
  r.varOff = tnumLshift(r.varOff, Number(uminVal));
  updateRegBounds(r);
}

function rsh32(r: RegState, src: RegState): void {
  const sub = tnumSubreg(r.varOff);
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.varOff = tnumRshift(sub, Number(src.u32min));
  r.u32min >>= src.u32max;
  r.u32max >>= src.u32min;
  markReg64Unbounded(r);
  updateReg32Bounds(r);
}

function rsh64(r: RegState, src: RegState): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.varOff = tnumRshift(r.varOff, Number(src.umin));
  r.umin >>= src.umax;
  r.umax >>= src.umin;
  markReg32Unbounded(r);
  updateRegBounds(r);
}

function arsh32(r: RegState, src: RegState): void {
  const s = src.u32min;
  r.s32min >>= s;
  r.s32max >>= s;
  r.varOff = tnumArshift(tnumSubreg(r.varOff), Number(s), 32);
  r.u32min = 0n;
  r.u32max = U32;
  markReg64Unbounded(r);
  updateReg32Bounds(r);
}

function arsh64(r: RegState, src: RegState): void {
  const s = src.umin;
  r.smin >>= s;
  r.smax >>= s;
  r.varOff = tnumArshift(r.varOff, Number(s), 64);
  r.umin = 0n;
  r.umax = U64;
  markReg32Unbounded(r);
  updateRegBounds(r);
}

/** get_reg_width: bits needed for the register's unsigned maximum. */
export const regWidth = (r: RegState): number => (r.umax === 0n ? 0 : r.umax.toString(2).length);

export { tnumUnknown };
