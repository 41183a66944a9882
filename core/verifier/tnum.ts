// Tracked numbers (kernel/bpf/tnum.c): a 64-bit value where each bit is known (mask 0) or unknown
// (mask 1). Held as unsigned bigints in [0, 2^64): so ~x within 64 bits is x ^ U64, one bigint op.

export interface Tnum {
  value: bigint;
  mask: bigint;
}

export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffffffffn;
export const u64 = (x: bigint): bigint => x & U64;
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

export const tnumConst = (v: bigint): Tnum => ({ value: u64(v), mask: 0n });
export const tnumUnknown: Tnum = { value: 0n, mask: U64 };

// The bit length of 0 <= x < 2^64 from two 32-bit halves: no string per call (tnumRange runs
// on every bounds sync); wider values keep the exact string count.
function bitLength64(x: bigint): number {
  if (x <= U32) return 32 - Math.clz32(Number(x));
  if (x > U64) return x.toString(2).length;
  return 64 - Math.clz32(Number(x >> 32n));
}

// 2^n - 1 and its complement within 64 bits, n = 0..63: tnum_range's mask without bigint work.
const LOW_MASKS = Array.from({ length: 64 }, (_, n) => (1n << BigInt(n)) - 1n);
const HIGH_MASKS = LOW_MASKS.map((m) => m ^ U64);

/** tnum_range: the tnum covering [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = chi >= 0n ? bitLength64(chi) : chi.toString(2).length;
  if (bits > 63) return tnumUnknown;
  return { value: min & HIGH_MASKS[bits]!, mask: LOW_MASKS[bits]! };
}

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumEqualsConst = (a: Tnum, b: bigint): boolean => a.mask === 0n && a.value === u64(b);
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64;

export const tnumLshift = (a: Tnum, s: number): Tnum => ({
  value: u64(a.value << BigInt(s)),
  mask: u64(a.mask << BigInt(s)),
});
export const tnumRshift = (a: Tnum, s: number): Tnum => ({
  value: a.value >> BigInt(s),
  mask: a.mask >> BigInt(s),
});

/** Arithmetic right shift over `insnBitness` bits (32 or 64). */
export function tnumArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  if (bits === 32) {
    const v = BigInt.asIntN(32, a.value) >> BigInt(s);
    const m = BigInt.asIntN(32, a.mask) >> BigInt(s);
    return { value: BigInt.asUintN(32, v), mask: BigInt.asUintN(32, m) };
  }
  return { value: u64(s64(a.value) >> BigInt(s)), mask: u64(s64(a.mask) >> BigInt(s)) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & (mu ^ U64), mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & (mu ^ U64), mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & (v ^ U64) };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & (v ^ U64) };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & (mu ^ U64), mask: mu };
}

/** tnum_mul as in the kernel (half-multiply accumulation). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc_v = u64(a.value * b.value);
  let acc_m: Tnum = { value: 0n, mask: 0n };
  let av = a;
  let bv = b;
  while (av.value || av.mask) {
    if (av.value & 1n) acc_m = tnumAdd(acc_m, { value: 0n, mask: bv.mask });
    else if (av.mask & 1n) acc_m = tnumAdd(acc_m, { value: 0n, mask: bv.value | bv.mask });
    av = tnumRshift(av, 1);
    bv = tnumLshift(bv, 1);
  }
  acc_v = u64(acc_v);
  return tnumAdd({ value: acc_v, mask: 0n }, acc_m);
}

/** tnum_intersect: both a and b hold; used after branch refinement. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & (mu ^ U64), mask: mu };
}

// Masks of 1, 2, 4 and 8 bytes, made once rather than per cast.
const castMasks = [0n, 0xffn, 0xffffn, 0n, U32, 0n, 0n, 0n, U64];
export const tnumCast = (a: Tnum, size: number): Tnum => {
  const m =
    size >= 8
      ? U64
      : size === 1 || size === 2 || size === 4
        ? castMasks[size]!
        : (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
};

export const tnumIsAligned = (a: Tnum, size: number): boolean => {
  if (!size) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
};

/** tnum_in: every value b can take is one a can take. */
export const tnumIn = (a: Tnum, b: Tnum): boolean => {
  const notA = a.mask ^ U64;
  if (b.mask & notA) return false;
  return a.value === (b.value & notA);
};

export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
const HI32 = U64 & ~U32;
// Values and masks are in [0, 2^64): clearing the low half is the shift right then left by 32.
export const tnumClearSubreg = (a: Tnum): Tnum => ({ value: a.value & HI32, mask: a.mask & HI32 });
export const tnumWithSubreg = (reg: Tnum, subreg: Tnum): Tnum =>
  tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
export const tnumConstSubreg = (a: Tnum, v: bigint): Tnum => tnumWithSubreg(a, tnumConst(v & U32));
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;
