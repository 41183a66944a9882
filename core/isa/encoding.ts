// struct bpf_insn <-> bytes. Layout: code u8, regs u8, off s16, imm s32. The regs byte
// holds dst_reg in the low nibble on little-endian hosts; big-endian bitfield order
// puts dst_reg in the high nibble, and off/imm are stored big-endian.

import { IsaError } from './errors';
import { type Endian, INSN_SIZE, type Insn } from './insn';

export function decodeInsn(bytes: Uint8Array, byteOffset: number, endian: Endian = 'le'): Insn {
  const b = bytes;
  const o = byteOffset;
  const regs = b[o + 1]!;
  if (endian === 'le') {
    return {
      code: b[o]!,
      dst: regs & 0xf,
      src: regs >> 4,
      off: ((b[o + 2]! | (b[o + 3]! << 8)) << 16) >> 16,
      imm: b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24),
    };
  }
  return {
    code: b[o]!,
    dst: regs >> 4,
    src: regs & 0xf,
    off: (((b[o + 2]! << 8) | b[o + 3]!) << 16) >> 16,
    imm: (b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!,
  };
}

/** Decodes a whole program. Throws IsaError when the length is not a multiple of 8. */
export function decodeInsns(bytes: Uint8Array, endian: Endian = 'le'): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new IsaError(
      Math.floor(bytes.length / INSN_SIZE),
      `program length ${bytes.length} is not a multiple of ${INSN_SIZE} bytes`,
      'truncated',
    );
  }
  const n = bytes.length / INSN_SIZE;
  const out: Insn[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = decodeInsn(bytes, i * INSN_SIZE, endian);
  return out;
}

export function encodeInsn(i: Insn, out: Uint8Array, byteOffset: number, endian: Endian = 'le'): void {
  const o = byteOffset;
  const off = i.off & 0xffff;
  const imm = i.imm >>> 0;
  out[o] = i.code & 0xff;
  if (endian === 'le') {
    out[o + 1] = (i.dst & 0xf) | ((i.src & 0xf) << 4);
    out[o + 2] = off & 0xff;
    out[o + 3] = off >> 8;
    out[o + 4] = imm & 0xff;
    out[o + 5] = (imm >>> 8) & 0xff;
    out[o + 6] = (imm >>> 16) & 0xff;
    out[o + 7] = imm >>> 24;
  } else {
    out[o + 1] = ((i.dst & 0xf) << 4) | (i.src & 0xf);
    out[o + 2] = off >> 8;
    out[o + 3] = off & 0xff;
    out[o + 4] = imm >>> 24;
    out[o + 5] = (imm >>> 16) & 0xff;
    out[o + 6] = (imm >>> 8) & 0xff;
    out[o + 7] = imm & 0xff;
  }
}

export function encodeInsns(insns: readonly Insn[], endian: Endian = 'le'): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  for (let i = 0; i < insns.length; i++) encodeInsn(insns[i]!, out, i * INSN_SIZE, endian);
  return out;
}

/**
 * Whether a file's text is hex (digits, whitespace, `0x`, `,`) rather than raw bytes or assembly.
 * One character class, no alternation: a group like `(\s|0x|…)*` recurses per character and
 * overflows the stack on a 10 MB file.
 */
export const isHexText = (text: string): boolean =>
  /^[\s0-9a-fA-Fx,]*$/.test(text) && /[0-9a-fA-F]/.test(text);

/** Hex text (whitespace, `0x` prefixes and `,` ignored) → bytes. Throws on odd length or bad digits. */
export function bytesFromHex(hex: string): Uint8Array {
  const clean = hex.replace(/0x/gi, '').replace(/[\s,]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`hex text has an odd number of digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean)) {
    const bad = clean.match(/[^0-9a-fA-F]/)![0];
    throw new Error(`hex text contains '${bad}'`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Lowercase hex of the program's bytes, 16 digits per slot (the fixtures' `insns` form). */
export const insnsFromHex = (hex: string, endian: Endian = 'le'): Insn[] =>
  decodeInsns(bytesFromHex(hex), endian);

export const insnsToHex = (insns: readonly Insn[], endian: Endian = 'le'): string =>
  bytesToHex(encodeInsns(insns, endian));
