// One struct bpf_insn slot. Programs are arrays of slots exactly as the kernel
// holds them: ld_imm64 occupies two slots, so instruction indices match the
// verifier log, xlated dumps and jump offsets.

export interface Insn {
  code: number; // u8
  dst: number; // u4
  src: number; // u4
  off: number; // s16
  imm: number; // s32
}

export type Endian = 'le' | 'be';

export const INSN_SIZE = 8;

export const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code: code & 0xff,
  dst: dst & 0xf,
  src: src & 0xf,
  off: (off << 16) >> 16,
  imm: imm | 0,
});

/** True when insns[i] opens an ld_imm64 pair (BPF_LD | BPF_IMM | BPF_DW). */
export const isLdImm64 = (i: Insn): boolean => i.code === 0x18;

/** The 64-bit immediate of an ld_imm64 pair starting at index i. */
export const ldImm64Value = (insns: readonly Insn[], i: number): bigint => {
  const lo = BigInt(insns[i]!.imm >>> 0);
  const hi = BigInt(insns[i + 1]!.imm >>> 0);
  return (hi << 32n) | lo;
};
