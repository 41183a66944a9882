// Instruction builders named after the include/linux/filter.h macros (and the selftests'
// BPF_CALL_KFUNC), so kernel code translates line for line. Each returns one slot;
// the ld_imm64 builders return the pair of slots, to be spread into the program.

import { type Insn, insn } from './insn';
import {
  BPF_ABS,
  BPF_ADDR_PERCPU,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MAY_GOTO,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_NOSPEC,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_TO_LE,
  BPF_X,
} from './opcodes';

export const BPF_RAW_INSN = (code: number, dst: number, src: number, off: number, imm: number): Insn =>
  insn(code, dst, src, off, imm);

// ALU

export const BPF_ALU64_REG_OFF = (op: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_ALU64 | op | BPF_X, dst, src, off, 0);
export const BPF_ALU64_REG = (op: number, dst: number, src: number): Insn =>
  BPF_ALU64_REG_OFF(op, dst, src, 0);
export const BPF_ALU32_REG_OFF = (op: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_ALU | op | BPF_X, dst, src, off, 0);
export const BPF_ALU32_REG = (op: number, dst: number, src: number): Insn =>
  BPF_ALU32_REG_OFF(op, dst, src, 0);
export const BPF_ALU64_IMM_OFF = (op: number, dst: number, imm: number, off: number): Insn =>
  insn(BPF_ALU64 | op | BPF_K, dst, 0, off, imm);
export const BPF_ALU64_IMM = (op: number, dst: number, imm: number): Insn =>
  BPF_ALU64_IMM_OFF(op, dst, imm, 0);
export const BPF_ALU32_IMM_OFF = (op: number, dst: number, imm: number, off: number): Insn =>
  insn(BPF_ALU | op | BPF_K, dst, 0, off, imm);
export const BPF_ALU32_IMM = (op: number, dst: number, imm: number): Insn =>
  BPF_ALU32_IMM_OFF(op, dst, imm, 0);

/** le/be conversion: type is BPF_TO_LE / BPF_TO_BE (BPF_FROM_*), len 16/32/64. */
export const BPF_ENDIAN = (type: number, dst: number, len: number): Insn =>
  insn(BPF_ALU | BPF_END | BPF_SRC(type), dst, 0, 0, len);
/** Unconditional byte swap (ALU64 | END | TO_LE). */
export const BPF_BSWAP = (dst: number, len: number): Insn =>
  insn(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, len);

export const BPF_MOV64_REG = (dst: number, src: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
export const BPF_MOV32_REG = (dst: number, src: number): Insn =>
  insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
export const BPF_MOV64_IMM = (dst: number, imm: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
export const BPF_MOV32_IMM = (dst: number, imm: number): Insn =>
  insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
/** Sign-extending moves: off = 8, 16 or 32 source bits. */
export const BPF_MOVSX64_REG = (dst: number, src: number, off: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, off, 0);
export const BPF_MOVSX32_REG = (dst: number, src: number, off: number): Insn =>
  insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, off, 0);
/** Zero-extend the low 32 bits in place: mov32 with imm 1 marks it for the verifier's zext. */
export const BPF_ZEXT_REG = (dst: number): Insn => insn(BPF_ALU | BPF_MOV | BPF_X, dst, dst, 0, 1);
export const BPF_MOV64_RAW = (type: number, dst: number, src: number, imm: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_SRC(type), dst, src, 0, imm);
export const BPF_MOV32_RAW = (type: number, dst: number, src: number, imm: number): Insn =>
  insn(BPF_ALU | BPF_MOV | BPF_SRC(type), dst, src, 0, imm);
/** Arena pointer cast (kernel-internal addr_space_cast): imm = dst_as << 16 | src_as. */
export const BPF_ADDR_SPACE_CAST_INSN = (dst: number, src: number, imm: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, BPF_ADDR_SPACE_CAST, imm);

/** dst = this CPU's address of the per-CPU pointer src (kernel-internal, inlined helpers). */
export const BPF_MOV64_PERCPU_REG = (dst: number, src: number): Insn =>
  insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, BPF_ADDR_PERCPU, 0);

// 64-bit immediates (two slots)

export const BPF_LD_IMM64_RAW_FULL = (
  dst: number,
  src: number,
  off1: number,
  off2: number,
  imm1: number,
  imm2: number,
): [Insn, Insn] => [insn(BPF_LD | BPF_DW | BPF_IMM, dst, src, off1, imm1), insn(0, 0, 0, off2, imm2)];

export const BPF_LD_IMM64_RAW = (dst: number, src: number, imm: bigint | number): [Insn, Insn] => {
  const v = BigInt.asUintN(64, BigInt(imm));
  return BPF_LD_IMM64_RAW_FULL(dst, src, 0, 0, Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
};
export const BPF_LD_IMM64 = (dst: number, imm: bigint | number): [Insn, Insn] =>
  BPF_LD_IMM64_RAW(dst, 0, imm);
export const BPF_LD_MAP_FD = (dst: number, mapFd: number): [Insn, Insn] =>
  BPF_LD_IMM64_RAW(dst, BPF_PSEUDO_MAP_FD, mapFd);
export const BPF_LD_MAP_VALUE = (dst: number, mapFd: number, valueOff: number): [Insn, Insn] =>
  BPF_LD_IMM64_RAW_FULL(dst, BPF_PSEUDO_MAP_VALUE, 0, 0, mapFd, valueOff);

// Memory

export const BPF_LD_ABS = (size: number, imm: number): Insn => insn(BPF_LD | size | BPF_ABS, 0, 0, 0, imm);
export const BPF_LD_IND = (size: number, src: number, imm: number): Insn =>
  insn(BPF_LD | size | BPF_IND, 0, src, 0, imm);
export const BPF_LDX_MEM = (size: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
export const BPF_LDX_MEMSX = (size: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_LDX | size | BPF_MEMSX, dst, src, off, 0);
export const BPF_STX_MEM = (size: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_STX | size | BPF_MEM, dst, src, off, 0);
export const BPF_ST_MEM = (size: number, dst: number, off: number, imm: number): Insn =>
  insn(BPF_ST | size | BPF_MEM, dst, 0, off, imm);
/** op: BPF_ADD/AND/OR/XOR (| BPF_FETCH), BPF_XCHG, BPF_CMPXCHG, BPF_LOAD_ACQ, BPF_STORE_REL. */
export const BPF_ATOMIC_OP = (size: number, op: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_STX | size | BPF_ATOMIC, dst, src, off, op);
/** Speculation barrier (kernel-internal). */
export const BPF_ST_NOSPEC = (): Insn => insn(BPF_ST | BPF_NOSPEC, 0, 0, 0, 0);

// Jumps and calls

export const BPF_JMP_REG = (op: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
export const BPF_JMP_IMM = (op: number, dst: number, imm: number, off: number): Insn =>
  insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
export const BPF_JMP32_REG = (op: number, dst: number, src: number, off: number): Insn =>
  insn(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
export const BPF_JMP32_IMM = (op: number, dst: number, imm: number, off: number): Insn =>
  insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
export const BPF_JMP_A = (off: number): Insn => insn(BPF_JMP | BPF_JA, 0, 0, off, 0);
/** gotol: the 32-bit jump offset lives in imm. */
export const BPF_JMP32_A = (imm: number): Insn => insn(BPF_JMP32 | BPF_JA, 0, 0, 0, imm);
/** Kernel-internal may_goto (bounded loops). */
export const BPF_MAY_GOTO_INSN = (off: number): Insn => insn(BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, off, 0);

/** bpf-to-bpf call; imm = target - (this index + 1). */
export const BPF_CALL_REL = (imm: number): Insn => insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, imm);
/** kfunc call: imm = BTF id of the function, off = index of the BTF fd (0 = vmlinux). */
export const BPF_CALL_KFUNC = (off: number, imm: number): Insn =>
  insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, off, imm);
/**
 * A call as fixups emit it. The kernel macro takes a function and computes
 * `fn - __bpf_call_base`; here the caller (core/kernel's address space) passes that imm.
 */
export const BPF_EMIT_CALL = (imm: number): Insn => insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm);
export const BPF_EXIT_INSN = (): Insn => insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
