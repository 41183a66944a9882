// Seeded mutations of byte inputs: every input of a run is a function of
// (seed, index), so any one can be made again from its index alone.

/** xorshift32: small, fast, and the same sequence on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }
  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }
}

/** The generator of input `index` of a run seeded `seed`. */
export const inputRng = (seed: number, index: number): Rng =>
  new Rng(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(index + 1, 0x9e3779b1));

/** Values at the edges of integer ranges, where parsers' size and offset checks break. */
const EDGES = [
  0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff,
];

/**
 * One to a few stacked mutations of `seed`: bit flips, edge-value u8/u16/u32
 * overwrites (aligned as binary formats lay out fields), small arithmetic,
 * truncation, duplication or deletion of a block, and splicing in bytes of another seed.
 */
export function mutate(seed: Uint8Array, r: Rng, others: readonly Uint8Array[] = []): Uint8Array {
  let b = new Uint8Array(seed);
  const rounds = 1 + (r.chance(2) ? 0 : r.below(4));
  for (let k = 0; k < rounds; k++) {
    if (b.length === 0) {
      b = new Uint8Array(1 + r.below(16)).map(() => r.below(256));
      continue;
    }
    const at = r.below(b.length);
    switch (r.below(9)) {
      case 0:
        b[at] = b[at]! ^ (1 << r.below(8));
        break;
      case 1:
        b[at] = EDGES[r.below(EDGES.length)]! & 0xff;
        break;
      case 2:
      case 3: {
        // An aligned 32-bit little-endian field set to an edge value or nudged.
        const i = at & ~3;
        if (i + 4 > b.length) break;
        const v = new DataView(b.buffer, b.byteOffset + i, 4);
        v.setUint32(
          0,
          r.chance(2) ? EDGES[r.below(EDGES.length)]! : (v.getUint32(0, true) + r.below(33) - 16) >>> 0,
          true,
        );
        break;
      }
      case 4: {
        const i = at & ~1;
        if (i + 2 > b.length) break;
        new DataView(b.buffer, b.byteOffset + i, 2).setUint16(
          0,
          EDGES[r.below(EDGES.length)]! & 0xffff,
          true,
        );
        break;
      }
      case 5:
        b = b.slice(0, r.below(b.length + 1));
        break;
      case 6: {
        const len = 1 + r.below(Math.min(64, b.length - at));
        const out = new Uint8Array(b.length + len);
        out.set(b.subarray(0, at + len));
        out.set(b.subarray(at), at + len);
        b = out;
        break;
      }
      case 7: {
        const len = 1 + r.below(Math.min(64, b.length - at));
        const out = new Uint8Array(b.length - len);
        out.set(b.subarray(0, at));
        out.set(b.subarray(at + len), at);
        b = out;
        break;
      }
      default: {
        const o = others.length ? others[r.below(others.length)]! : seed;
        if (!o.length) break;
        const from = r.below(o.length);
        const len = 1 + r.below(Math.min(256, o.length - from));
        const out = new Uint8Array(Math.max(b.length, at + len));
        out.set(b);
        out.set(o.subarray(from, from + len), at);
        b = out;
      }
    }
  }
  return b;
}
