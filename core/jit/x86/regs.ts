// BPF → x86-64 register mapping of arch/x86/net/bpf_jit_comp.c (reg2hex[], is_ereg()) and the
// REX / ModRM helpers built on it. Register numbers above BPF_REG_AX are JIT-internal.

import {
  BPF_REG_1,
  BPF_REG_2,
  BPF_REG_5,
  BPF_REG_7,
  BPF_REG_8,
  BPF_REG_9,
  BPF_REG_AX,
  BPF_REG_FP,
} from '../../isa/opcodes';

/** MAX_BPF_JIT_REG + 1: r11, the JIT's scratch register. */
export const AUX_REG = 12;
/** r9: 6th C argument, private-stack frame pointer. */
export const X86_REG_R9 = 13;
/** r12: arena base. */
export const X86_REG_R12 = 14;

// Low three bits of the x86 register each BPF register lives in.
const reg2hex: readonly number[] = [
  0, // R0  rax
  7, // R1  rdi
  6, // R2  rsi
  2, // R3  rdx
  1, // R4  rcx
  0, // R5  r8
  3, // R6  rbx
  5, // R7  r13
  6, // R8  r14
  7, // R9  r15
  5, // R10 rbp
  2, // AX  r10
  3, // AUX r11
  1, // r9
  4, // r12
];

const eregs =
  (1 << BPF_REG_5) |
  (1 << AUX_REG) |
  (1 << BPF_REG_7) |
  (1 << BPF_REG_8) |
  (1 << BPF_REG_9) |
  (1 << X86_REG_R9) |
  (1 << X86_REG_R12) |
  (1 << BPF_REG_AX);

/** The x86 register needs a REX extension bit (r8..r15). */
export const isEreg = (reg: number): boolean => ((1 << reg) & eregs) !== 0;

/** Byte access needs a REX prefix (sil, dil, bpl or r8b..r15b). */
const eregs8l = eregs | (1 << BPF_REG_1) | (1 << BPF_REG_2) | (1 << BPF_REG_FP);
export const isEreg8l = (reg: number): boolean => ((1 << reg) & eregs8l) !== 0;

export const regHex = (reg: number): number => reg2hex[reg]!;

export const add1mod = (byte: number, reg: number): number => (isEreg(reg) ? byte | 1 : byte);

export const add2mod = (byte: number, r1: number, r2: number): number =>
  byte | (isEreg(r1) ? 1 : 0) | (isEreg(r2) ? 4 : 0);

export const add3mod = (byte: number, r1: number, r2: number, index: number): number =>
  byte | (isEreg(r1) ? 1 : 0) | (isEreg(index) ? 2 : 0) | (isEreg(r2) ? 4 : 0);

export const add1reg = (byte: number, dst: number): number => (byte + reg2hex[dst]!) & 0xff;

export const add2reg = (byte: number, dst: number, src: number): number =>
  (byte + reg2hex[dst]! + (reg2hex[src]! << 3)) & 0xff;

// Short conditional jump opcodes; the near form is 0F (cc + 0x10).
export const X86_JB = 0x72;
export const X86_JAE = 0x73;
export const X86_JE = 0x74;
export const X86_JNE = 0x75;
export const X86_JBE = 0x76;
export const X86_JA = 0x77;
export const X86_JL = 0x7c;
export const X86_JGE = 0x7d;
export const X86_JLE = 0x7e;
export const X86_JG = 0x7f;

/** x86-64 register names of the BPF registers, for listings. */
export const X86_REG_NAMES: readonly string[] = [
  'rax',
  'rdi',
  'rsi',
  'rdx',
  'rcx',
  'r8',
  'rbx',
  'r13',
  'r14',
  'r15',
  'rbp',
  'r10',
  'r11',
  'r9',
  'r12',
];
