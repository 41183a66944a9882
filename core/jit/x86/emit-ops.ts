// Instruction-level emitters of the x86-64 BPF JIT (emit_mov_imm32, emit_ldx, emit_stx, emit_atomic,
// emit_shiftx, push/pop of callee-saved registers …), each writing into an Emitter.

import * as isa from '../../isa/opcodes';
import type { Emitter } from './emitter';
import * as emitter from './emitter';
import * as regs from './regs';

// Module-local bindings: under tsx each imported name is a getter call, which the JIT's hot path
// (a few dozen ns per insn per pass) cannot afford.
const { BPF_ADD, BPF_AND, BPF_B, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_H, BPF_LOAD_ACQ, BPF_OR } = isa;
const { BPF_STORE_REL, BPF_W, BPF_XCHG, BPF_XOR } = isa;
const { add1mod, add1reg, add2mod, add2reg, isEreg, isEreg8l, regHex } = regs;
const { isImm8 } = emitter;

export class JitError extends Error {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
    this.name = 'JitError';
  }
}
export const EINVAL = 22;
export const EFAULT = 14;
export const ERANGE = 34;

/** Which of rbx, r13, r14, r15 (BPF R6..R9) a function touches. */
export type CalleeRegs = [boolean, boolean, boolean, boolean];
export const ALL_CALLEE_REGS: CalleeRegs = [true, true, true, true];

export function pushCalleeRegs(e: Emitter, used: CalleeRegs): void {
  if (used[0]) e.b(0x53);
  if (used[1]) e.b(0x41, 0x55);
  if (used[2]) e.b(0x41, 0x56);
  if (used[3]) e.b(0x41, 0x57);
}

export function popCalleeRegs(e: Emitter, used: CalleeRegs): void {
  if (used[3]) e.b(0x41, 0x5f);
  if (used[2]) e.b(0x41, 0x5e);
  if (used[1]) e.b(0x41, 0x5d);
  if (used[0]) e.b(0x5b);
}

// The helpers the JIT calls for most insns (mov, ldx, stx, the REX prefixes) store into the
// buffer themselves: do_jit()'s loop is too big for V8 to inline them, so each e.b() they would
// make is one more call per insn per emitting pass.

/** mov dst, src (64-bit); nothing when they are the same register. */
export function emitMov(e: Emitter, dst: number, src: number): void {
  if (dst === src) return;
  const buf = e.buf;
  const p = e.pos;
  buf[p] = add2mod(0x48, dst, src);
  buf[p + 1] = 0x89;
  buf[p + 2] = add2reg(0xc0, dst, src);
  e.pos = p + 3;
}

export function emitMovImm32(e: Emitter, signPropagate: boolean, dst: number, imm32: number): void {
  const buf = e.buf;
  let p = e.pos;
  if (signPropagate && (imm32 | 0) < 0) {
    // mov r64, simm32 sign-extends
    buf[p++] = add1mod(0x48, dst);
    buf[p++] = 0xc7;
    buf[p++] = add1reg(0xc0, dst);
  } else if ((imm32 | 0) === 0) {
    if (isEreg(dst)) buf[p++] = add2mod(0x40, dst, dst);
    buf[p++] = 0x31;
    buf[p++] = add2reg(0xc0, dst, dst);
    e.pos = p;
    return;
  } else {
    if (isEreg(dst)) buf[p++] = add1mod(0x40, dst);
    buf[p++] = add1reg(0xb8, dst);
  }
  buf[p] = imm32;
  buf[p + 1] = imm32 >>> 8;
  buf[p + 2] = imm32 >>> 16;
  buf[p + 3] = imm32 >>> 24;
  e.pos = p + 4;
}

/** emit_mov_imm64(dst, imm32_hi, imm32_lo): the shortest of mov r32, mov r64 (sign-extended), movabs. */
export function emitMovImm64(e: Emitter, dst: number, hi: number, lo: number): void {
  if (hi >>> 0 === 0) {
    emitMovImm32(e, false, dst, lo);
  } else if (hi >>> 0 === 0xffffffff && (lo | 0) < 0) {
    emitMovImm32(e, true, dst, lo);
  } else {
    e.b(add1mod(0x48, dst), add1reg(0xb8, dst));
    e.u32(lo);
    e.u32(hi);
  }
}

export function emitMovReg(e: Emitter, is64: boolean, dst: number, src: number): void {
  if (is64) {
    emitMov(e, dst, src);
  } else {
    const buf = e.buf;
    let p = e.pos;
    if (isEreg(dst) || isEreg(src)) buf[p++] = add2mod(0x40, dst, src);
    buf[p] = 0x89;
    buf[p + 1] = add2reg(0xc0, dst, src);
    e.pos = p + 2;
  }
}

/** movsx from an 8/16/32-bit source (cpu v4 `movsx`). */
export function emitMovsxReg(e: Emitter, numBits: number, is64: boolean, dst: number, src: number): void {
  if (is64) {
    if (numBits === 8) e.b(add2mod(0x48, src, dst), 0x0f, 0xbe, add2reg(0xc0, src, dst));
    else if (numBits === 16) e.b(add2mod(0x48, src, dst), 0x0f, 0xbf, add2reg(0xc0, src, dst));
    else if (numBits === 32) e.b(add2mod(0x48, src, dst), 0x63, add2reg(0xc0, src, dst));
  } else if (numBits === 8) {
    e.b(add2mod(0x40, src, dst), 0x0f, 0xbe, add2reg(0xc0, src, dst));
  } else if (numBits === 16) {
    if (isEreg(dst) || isEreg(src)) e.b(add2mod(0x40, src, dst));
    e.b(add2mod(0x0f, src, dst), 0xbf, add2reg(0xc0, src, dst));
  }
}

/** ModRM (+ disp8 or disp32) for [ptr + off]; always a displacement, even for off 0. */
export function emitInsnSuffix(e: Emitter, ptr: number, val: number, off: number): void {
  e.pos = putInsnSuffix(e.buf, e.pos, ptr, val, off);
}

/** emitInsnSuffix at buf[p]; returns the position after it. */
function putInsnSuffix(buf: Uint8Array, p: number, ptr: number, val: number, off: number): number {
  if (isImm8(off)) {
    buf[p] = add2reg(0x40, ptr, val);
    buf[p + 1] = off;
    return p + 2;
  }
  buf[p] = add2reg(0x80, ptr, val);
  buf[p + 1] = off;
  buf[p + 2] = off >>> 8;
  buf[p + 3] = off >>> 16;
  buf[p + 4] = off >>> 24;
  return p + 5;
}

/** REX prefix when needed: always REX.W for 64-bit, else only for extended registers. */
export function maybeEmitMod(e: Emitter, dst: number, src: number, is64: boolean): void {
  if (is64) e.buf[e.pos++] = add2mod(0x48, dst, src);
  else if (isEreg(dst) || isEreg(src)) e.buf[e.pos++] = add2mod(0x40, dst, src);
}

export function maybeEmit1mod(e: Emitter, reg: number, is64: boolean): void {
  if (is64) e.buf[e.pos++] = add1mod(0x48, reg);
  else if (isEreg(reg)) e.buf[e.pos++] = add1mod(0x40, reg);
}

export function emitLdx(e: Emitter, size: number, dst: number, src: number, off: number): void {
  const buf = e.buf;
  let p = e.pos;
  switch (size) {
    case BPF_B:
      buf[p++] = add2mod(0x48, src, dst);
      buf[p++] = 0x0f;
      buf[p++] = 0xb6;
      break;
    case BPF_H:
      buf[p++] = add2mod(0x48, src, dst);
      buf[p++] = 0x0f;
      buf[p++] = 0xb7;
      break;
    case BPF_W:
      if (isEreg(dst) || isEreg(src)) buf[p++] = add2mod(0x40, src, dst);
      buf[p++] = 0x8b;
      break;
    case BPF_DW:
      buf[p++] = add2mod(0x48, src, dst);
      buf[p++] = 0x8b;
      break;
  }
  e.pos = putInsnSuffix(buf, p, src, dst, off);
}

export function emitLdsx(e: Emitter, size: number, dst: number, src: number, off: number): void {
  switch (size) {
    case BPF_B:
      e.b(add2mod(0x48, src, dst), 0x0f, 0xbe);
      break;
    case BPF_H:
      e.b(add2mod(0x48, src, dst), 0x0f, 0xbf);
      break;
    case BPF_W:
      e.b(add2mod(0x48, src, dst), 0x63);
      break;
  }
  emitInsnSuffix(e, src, dst, off);
}

export function emitStx(e: Emitter, size: number, dst: number, src: number, off: number): void {
  const buf = e.buf;
  let p = e.pos;
  switch (size) {
    case BPF_B:
      // sil, dil, bpl need a REX prefix to be addressable as bytes
      if (isEreg(dst) || isEreg8l(src)) buf[p++] = add2mod(0x40, dst, src);
      buf[p++] = 0x88;
      break;
    case BPF_H:
      buf[p++] = 0x66;
      if (isEreg(dst) || isEreg(src)) buf[p++] = add2mod(0x40, dst, src);
      buf[p++] = 0x89;
      break;
    case BPF_W:
      if (isEreg(dst) || isEreg(src)) buf[p++] = add2mod(0x40, dst, src);
      buf[p++] = 0x89;
      break;
    case BPF_DW:
      buf[p++] = add2mod(0x48, dst, src);
      buf[p++] = 0x89;
      break;
  }
  e.pos = putInsnSuffix(buf, p, dst, src, off);
}

// simple_alu_opcodes[], indexed by BPF_OP.
const simpleAluOpcodes = new Uint8Array(256);
simpleAluOpcodes[BPF_ADD] = 0x01;
simpleAluOpcodes[isa.BPF_SUB] = 0x29;
simpleAluOpcodes[BPF_AND] = 0x21;
simpleAluOpcodes[BPF_OR] = 0x09;
simpleAluOpcodes[BPF_XOR] = 0x31;
simpleAluOpcodes[isa.BPF_LSH] = 0xe0;
simpleAluOpcodes[isa.BPF_RSH] = 0xe8;
simpleAluOpcodes[isa.BPF_ARSH] = 0xf8;
export const simpleAluOpcode = (op: number): number => simpleAluOpcodes[op]!;

export function emitAtomic(
  e: Emitter,
  op: number,
  dst: number,
  src: number,
  off: number,
  size: number,
): void {
  e.b(0xf0); // lock
  maybeEmitMod(e, dst, src, size === BPF_DW);
  switch (op) {
    case BPF_ADD:
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
      e.b(simpleAluOpcode(op));
      break;
    case BPF_ADD | BPF_FETCH:
      e.b(0x0f, 0xc1); // xadd
      break;
    case BPF_XCHG:
      e.b(0x87);
      break;
    case BPF_CMPXCHG:
      e.b(0x0f, 0xb1);
      break;
    default:
      throw new JitError(`bpf_jit: unknown atomic opcode ${op.toString(16).padStart(2, '0')}`, EFAULT);
  }
  emitInsnSuffix(e, dst, src, off);
}

/** Load-acquire / store-release are plain moves on x86 (TSO). */
export function emitAtomicLdSt(
  e: Emitter,
  op: number,
  dst: number,
  src: number,
  off: number,
  size: number,
): void {
  if (op === BPF_LOAD_ACQ) emitLdx(e, size, dst, src, off);
  else if (op === BPF_STORE_REL) emitStx(e, size, dst, src, off);
  else throw new JitError(`bpf_jit: unknown atomic load/store opcode ${op.toString(16)}`, EFAULT);
}

/** 3-byte VEX prefix (C4); r/x/b are the un-inverted REX bits, src2 a BPF register in vvvv. */
function emit3vex(
  e: Emitter,
  r: boolean,
  x: boolean,
  b: boolean,
  m: number,
  w: boolean,
  src2: number,
  l: boolean,
  pp: number,
): void {
  let vvvv = regHex(src2);
  if (isEreg(src2)) vvvv |= 8;
  const b1 = ((r ? 0 : 1) << 7) | ((x ? 0 : 1) << 6) | ((b ? 0 : 1) << 5) | (m & 0x1f);
  const b2 = ((w ? 1 : 0) << 7) | ((~vvvv & 0xf) << 3) | ((l ? 1 : 0) << 2) | (pp & 3);
  e.b(0xc4, b1, b2);
}

/** BMI2 shlx/shrx/sarx dst, dst, src (pp: 1 = 66 shlx, 3 = F2 shrx, 2 = F3 sarx). */
export function emitShiftx(e: Emitter, dst: number, src: number, is64: boolean, pp: number): void {
  const r = isEreg(dst);
  emit3vex(e, r, false, r, 2, is64, src, false, pp);
  e.b(0xf7, add2reg(0xc0, dst, dst));
}
