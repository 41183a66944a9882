// A flat 64-bit address space of named byte regions, for the interpreter. Regions sit at
// distinct, page-aligned addresses with unmapped gaps between them, so an access that
// runs past a region's end faults instead of landing in a neighbour.

export interface Region {
  name: string;
  base: bigint;
  bytes: Uint8Array;
  writable: boolean;
  /**
   * Computed contents (e.g. a program context whose fields read as pointers, as after
   * the verifier's ctx rewrite): when set, loads and stores of this region go here.
   */
  access?: RegionAccess;
}

export interface RegionAccess {
  load(offset: number, size: number): bigint;
  store?(offset: number, size: number, value: bigint): void;
}

export class MemoryFault extends Error {
  constructor(
    readonly addr: bigint,
    readonly size: number,
    readonly write: boolean,
    readonly why: 'unmapped' | 'out-of-bounds' | 'read-only',
    readonly region?: string,
  ) {
    const at = `0x${addr.toString(16)}`;
    super(
      why === 'unmapped'
        ? `invalid ${write ? 'write' : 'read'} of ${size} bytes at ${at} (no region)`
        : why === 'read-only'
          ? `write of ${size} bytes at ${at} into read-only ${region}`
          : `${write ? 'write' : 'read'} of ${size} bytes at ${at} runs past the end of ${region}`,
    );
    this.name = 'MemoryFault';
  }
}

const PAGE = 0x1000n;
/** Where regions are placed: the x86-64 direct map, as kernel pointers look in a dump. */
export const REGION_BASE = 0xffff888000000000n;

export class Memory {
  readonly regions: Region[] = [];
  private next = REGION_BASE;
  // One-entry cache: most programs touch one region (stack or ctx) in a row.
  private last: Region | undefined;

  /** Maps bytes (not copied) and returns the address of their first byte. */
  map(name: string, bytes: Uint8Array, writable = true, base?: bigint): bigint {
    const at = base ?? this.next;
    const size = BigInt(Math.max(bytes.length, 1));
    for (const r of this.regions) {
      const rEnd = r.base + BigInt(Math.max(r.bytes.length, 1));
      if (at < rEnd && r.base < at + size) throw new Error(`region ${name} overlaps ${r.name}`);
    }
    this.regions.push({ name, base: at, bytes, writable });
    if (base === undefined) this.next = at + ((size + PAGE - 1n) / PAGE + 1n) * PAGE; // one guard page
    return at;
  }

  /**
   * Maps a region of `size` bytes (or over `bytes`, which helpers' read/write see) whose
   * loads and stores by the program are computed by `access`.
   */
  mapVirtual(name: string, size: number | Uint8Array, access: RegionAccess, base?: bigint): bigint {
    const bytes = typeof size === 'number' ? new Uint8Array(size) : size;
    const at = this.map(name, bytes, access.store !== undefined, base);
    this.regions[this.regions.length - 1]!.access = access;
    return at;
  }

  unmap(base: bigint): void {
    const i = this.regions.findIndex((r) => r.base === base);
    if (i >= 0) this.regions.splice(i, 1);
    this.last = undefined;
  }

  /** The region and offset for an access of `size` bytes at addr; throws MemoryFault. */
  resolve(addr: bigint, size: number, write: boolean): { region: Region; offset: number } {
    let r = this.last;
    if (!r || addr < r.base || addr >= r.base + BigInt(r.bytes.length)) {
      r = undefined;
      for (const c of this.regions) {
        if (addr >= c.base && addr < c.base + BigInt(c.bytes.length)) {
          r = c;
          break;
        }
      }
      if (!r) throw new MemoryFault(addr, size, write, 'unmapped');
      this.last = r;
    }
    const offset = Number(addr - r.base);
    if (offset + size > r.bytes.length) throw new MemoryFault(addr, size, write, 'out-of-bounds', r.name);
    if (write && !r.writable) throw new MemoryFault(addr, size, write, 'read-only', r.name);
    return { region: r, offset };
  }

  /** Little-endian unsigned load of 1, 2, 4 or 8 bytes. */
  load(addr: bigint, size: number): bigint {
    const { region, offset } = this.resolve(addr, size, false);
    if (region.access) return BigInt.asUintN(64, region.access.load(offset, size));
    const b = region.bytes;
    switch (size) {
      case 1:
        return BigInt(b[offset]!);
      case 2:
        return BigInt(b[offset]! | (b[offset + 1]! << 8));
      case 4:
        return BigInt(
          (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0,
        );
      default: {
        const lo =
          (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
        const hi =
          (b[offset + 4]! | (b[offset + 5]! << 8) | (b[offset + 6]! << 16) | (b[offset + 7]! << 24)) >>> 0;
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
  }

  /** Little-endian store of the low `size` bytes of value. */
  store(addr: bigint, size: number, value: bigint): void {
    const { region, offset } = this.resolve(addr, size, true);
    if (region.access) {
      region.access.store!(offset, size, value);
      return;
    }
    const b = region.bytes;
    let lo = Number(value & 0xffffffffn);
    for (let k = 0; k < Math.min(size, 4); k++) {
      b[offset + k] = lo & 0xff;
      lo >>>= 8;
    }
    if (size === 8) {
      let hi = Number((value >> 32n) & 0xffffffffn);
      for (let k = 4; k < 8; k++) {
        b[offset + k] = hi & 0xff;
        hi >>>= 8;
      }
    }
  }

  /** A copy of `len` bytes at addr (for helpers). */
  read(addr: bigint, len: number): Uint8Array {
    const { region, offset } = this.resolve(addr, len, false);
    return region.bytes.slice(offset, offset + len);
  }

  write(addr: bigint, data: Uint8Array): void {
    const { region, offset } = this.resolve(addr, data.length, true);
    region.bytes.set(data, offset);
  }
}
