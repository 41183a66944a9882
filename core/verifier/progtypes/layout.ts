// Kernel struct layouts the ctx rewrites need (offsetof / sizeof_field / bitfield
// positions), read from the BTF registry so the offsets follow the modeled kernel
// build instead of being hard-coded.
import type { MemberLocation } from '../../btf/layout';
import type { BtfRegistry } from '../../btf/registry';

export class LayoutError extends Error {}

export class KernelLayout {
  private readonly cache = new Map<string, MemberLocation>();

  constructor(readonly btf: BtfRegistry) {}

  /** The member `name` of struct `struct` (anonymous members walked through). */
  loc(struct: string, name: string): MemberLocation {
    const key = `${struct}.${name}`;
    let m = this.cache.get(key);
    if (!m) {
      m = this.btf.member(struct, name);
      if (!m) throw new LayoutError(`BTF has no member ${name} in struct ${struct}`);
      this.cache.set(key, m);
    }
    return m;
  }

  has(struct: string, name: string): boolean {
    try {
      this.loc(struct, name);
      return true;
    } catch {
      return false;
    }
  }

  /** offsetof(struct, name) in bytes. */
  off(struct: string, name: string): number {
    return this.loc(struct, name).offset;
  }

  /** sizeof_field(struct, name) in bytes (bitfields: the underlying integer's size). */
  size(struct: string, name: string): number {
    return this.loc(struct, name).size;
  }

  /** offsetofend(struct, name). */
  end(struct: string, name: string): number {
    const m = this.loc(struct, name);
    return m.offset + m.size;
  }

  structSize(struct: string): number {
    const ref = this.btf.struct(struct);
    if (!ref) throw new LayoutError(`BTF has no struct ${struct}`);
    return this.btf.sizeOf(ref);
  }
}

const LAYOUTS = new WeakMap<BtfRegistry, KernelLayout>();

export function kernelLayout(btf: BtfRegistry): KernelLayout {
  let l = LAYOUTS.get(btf);
  if (!l) {
    l = new KernelLayout(btf);
    LAYOUTS.set(btf, l);
  }
  return l;
}

/** BPF_B/H/W/DW size code of a byte count. */
export const sizeCode = (bytes: number): number => {
  switch (bytes) {
    case 1:
      return 0x10;
    case 2:
      return 0x08;
    case 4:
      return 0x00;
    case 8:
      return 0x18;
    default:
      throw new LayoutError(`no load size for ${bytes} bytes`);
  }
};
