// Byte sink for one BPF instruction's x86 code (the kernel's temp[] buffer plus EMIT* macros).

export class Emitter {
  readonly bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  /** EMIT1..EMIT4: each argument one byte. */
  b(...bytes: number[]): void {
    for (const x of bytes) this.bytes.push(x & 0xff);
  }

  /** EMIT(value, len): little-endian, truncated to len bytes. */
  le(value: number, len: number): void {
    for (let k = 0; k < len; k++) this.bytes.push((value >>> (8 * k)) & 0xff);
  }

  u32(value: number): void {
    this.le(value, 4);
  }

  /** EMITn_off32: the opcode bytes, then a 32-bit immediate / displacement. */
  off32(opcode: number[], value: number): void {
    this.b(...opcode);
    this.u32(value);
  }

  /** Patches one byte already emitted (the kernel writes back short jump offsets). */
  set(at: number, byte: number): void {
    this.bytes[at] = byte & 0xff;
  }

  reset(): void {
    this.bytes.length = 0;
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

export function emitNops(e: Emitter, len: number): void {
  while (len > 0) {
    const n = Math.min(len, ASM_NOP_MAX);
    e.b(...X86_NOPS[n]!);
    len -= n;
  }
}
