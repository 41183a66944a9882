// Byte sink of the x86 JIT (the kernel's temp[] buffer plus EMIT* macros). One growing buffer per
// function that every pass rewrites from offset 0, so the final pass leaves the image in place
// (no per-insn arrays, no copying). `length` and `set()` are relative to the current BPF insn,
// like the kernel's `prog - temp`.

/** BPF_MAX_INSN_SIZE: the kernel's per-insn limit ("fatal insn size error"). */
export const BPF_MAX_INSN_SIZE = 128;
/** Room kept free before each insn (BPF_MAX_INSN_SIZE + BPF_INSN_SAFETY). */
export const INSN_ROOM = BPF_MAX_INSN_SIZE + 64;

export class Emitter {
  buf: Uint8Array;
  /** The same bytes, for copying four at a time. */
  view: DataView;
  /** Next byte to write. */
  pos = 0;
  /** Where the current insn's code starts. */
  start = 0;
  /** Where a pass starts writing (rewind()): an image emitter shares one buffer among images. */
  base = 0;

  /** `into`: write into that memory (grows into a fresh buffer only if it runs out of room). */
  constructor(capacity = 1024, into?: Uint8Array) {
    this.buf = into ?? new Uint8Array(Math.max(capacity, 2 * INSN_ROOM));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Bytes an image of `len` bytes needs in an Emitter that writes it without growing. */
  static roomFor(len: number): number {
    return len + INSN_ROOM;
  }

  get length(): number {
    return this.pos - this.start;
  }

  /** EMIT1..EMIT5: each argument one byte (Uint8Array stores keep the low 8 bits). */
  b(b1: number, b2?: number, b3?: number, b4?: number, b5?: number): void {
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = b1;
    if (b2 !== undefined) {
      buf[p++] = b2;
      if (b3 !== undefined) {
        buf[p++] = b3;
        if (b4 !== undefined) {
          buf[p++] = b4;
          if (b5 !== undefined) buf[p++] = b5;
        }
      }
    }
    this.pos = p;
  }

  /** EMIT2 / EMIT3 without b()'s argument checks, for the emitter's most frequent forms. */
  b2(b1: number, b2: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = b1;
    buf[p + 1] = b2;
    this.pos = p + 2;
  }

  b3(b1: number, b2: number, b3: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = b1;
    buf[p + 1] = b2;
    buf[p + 2] = b3;
    this.pos = p + 3;
  }

  /** EMIT(value, 4): little-endian 32 bits. */
  u32(value: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value;
    buf[p + 1] = value >>> 8;
    buf[p + 2] = value >>> 16;
    buf[p + 3] = value >>> 24;
    this.pos = p + 4;
  }

  /** EMIT(value, len): little-endian, truncated to len bytes. */
  le(value: number, len: number): void {
    for (let k = 0; k < len; k++) this.buf[this.pos++] = value >>> (8 * k);
  }

  /** Appends src's bytes [from, from + len) (a run of insns copied from an earlier pass). */
  copy(src: Emitter, from: number, len: number): void {
    if (this.buf.length - this.pos < len + INSN_ROOM) this.grow(this.pos + len + INSN_ROOM);
    const p = this.pos;
    // Runs are short (tens of bytes): 4-byte moves beat both a byte loop and a subarray view.
    if (len < 256) {
      const to = this.view;
      const sv = src.view;
      let k = 0;
      for (; k + 4 <= len; k += 4) to.setUint32(p + k, sv.getUint32(from + k));
      const buf = this.buf;
      const sb = src.buf;
      for (; k < len; k++) buf[p + k] = sb[from + k]!;
    } else {
      this.buf.set(src.buf.subarray(from, from + len), p);
    }
    this.pos = p + len;
  }

  /** Patches a byte of the current insn (the kernel writes back short jump offsets). */
  set(at: number, byte: number): void {
    this.buf[this.start + at] = byte;
  }

  /** Ends the current insn: its bytes stay, the next one starts here. */
  commit(): void {
    this.start = this.pos;
    if (this.buf.length - this.pos < INSN_ROOM) this.grow(0);
  }

  private grow(atLeast: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, atLeast));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** Back to `base` for a new pass. */
  rewind(): void {
    this.pos = this.base;
    this.start = this.base;
  }
}

export const isImm8 = (v: number): boolean => v <= 127 && v >= -128;

/** The kernel caps short forward jumps at +123 so je/jmp size flips cannot oscillate. */
export const isImm8JmpOffset = (v: number): boolean => v <= 123 && v >= -128;

export const isSimm32 = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;

export const isUimm32 = (v: bigint): boolean => v >= 0n && v < 1n << 32n;

// x86_nops[] of arch/x86/include/asm/nops.h (64-bit), index = length; ASM_NOP_MAX = 8.
const X86_NOPS: readonly (readonly number[])[] = [
  [],
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
  [0x3e, 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
];
const ASM_NOP_MAX = 8;

// x86_nops[] flattened: the n-byte NOP at NOP_BYTES[NOP_AT[n] ...] (every prologue emits two)
const NOP_AT = new Uint8Array(ASM_NOP_MAX + 1);
const NOP_BYTES = new Uint8Array(X86_NOPS.reduce((a, n) => a + n.length, 0));
for (let n = 0, at = 0; n <= ASM_NOP_MAX; at += X86_NOPS[n]!.length, n++) {
  NOP_AT[n] = at;
  NOP_BYTES.set(X86_NOPS[n]!, at);
}

export function emitNops(e: Emitter, len: number): void {
  const buf = e.buf;
  let p = e.pos;
  while (len > 0) {
    const n = len < ASM_NOP_MAX ? len : ASM_NOP_MAX;
    const at = NOP_AT[n]!;
    for (let k = 0; k < n; k++) buf[p + k] = NOP_BYTES[at + k]!;
    p += n;
    len -= n;
  }
  e.pos = p;
}
