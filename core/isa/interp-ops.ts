// What both execution engines share (interp.ts steps instructions, interp-compile.ts turns
// a program into JavaScript): the fault type, helper calls, and the semantics of the
// instructions the compiled engine does not inline (64-bit division, byte swaps, atomics,
// packet loads). One definition each, so the two engines cannot drift apart.

import type { Insn } from './insn';
import { type Memory, MemoryFault } from './memory';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_FETCH,
  BPF_LOAD_ACQ,
  BPF_LSH,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SIZE,
  BPF_STORE_REL,
  BPF_SUB,
  BPF_XCHG,
  BPF_XOR,
  sizeBytes,
} from './opcodes';

export type InterpFaultKind =
  | 'memory'
  | 'step-limit'
  | 'unknown-helper'
  | 'unknown-kfunc'
  | 'call-depth'
  | 'helper-failed'
  | 'invalid-insn'
  | 'fell-off';

export class InterpError extends Error {
  constructor(
    readonly index: number,
    readonly kind: InterpFaultKind,
    readonly reason: string,
  ) {
    super(`insn ${index}: ${reason}`);
    this.name = 'InterpError';
  }
}

/** What a helper sees: its arguments r1..r5 and the program's memory. */
export interface HelperCall {
  args: readonly [bigint, bigint, bigint, bigint, bigint];
  mem: Memory;
  /** Index of the call instruction. */
  index: number;
  /** Ends the program with this r0 (e.g. uBPF's unwind helper). */
  exit(r0: bigint): never;
}

export type Helper = (call: HelperCall) => bigint | number | undefined;

export type HelperTable = ReadonlyMap<number, Helper> | Record<number, Helper>;

export const MASK64 = 0xffffffffffffffffn;
export const MASK32 = 0xffffffffn;
export const MAX_CALL_FRAMES = 8;
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** Stacks live apart from other regions, like the kernel's vmalloc'ed stacks. */
export const STACK_BASE = 0xffffc90000000000n;
/** Frame k's stack sits at STACK_BASE + k * STACK_STRIDE. */
export const STACK_STRIDE = 0x10000;

export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let k = 0; k < bits; k += 8) out = (out << 8n) | ((v >> BigInt(k)) & 0xffn);
  return out;
}

export const lookupHelper = (table: HelperTable | undefined, id: number): Helper | undefined =>
  table instanceof Map ? table.get(id) : (table as Record<number, Helper> | undefined)?.[id];

/** Thrown by HelperCall.exit: the program ends with this r0. */
export class ExitSignal {
  constructor(readonly r0: bigint) {}
}

/** One ALU operation on u64 operands (for 32-bit ops only their low halves matter). */
export function alu(op: number, dst: bigint, src: bigint, is64: boolean, off: number): bigint {
  if (is64) {
    switch (op) {
      case BPF_ADD:
        return u64(dst + src);
      case BPF_SUB:
        return u64(dst - src);
      case BPF_MUL:
        return u64(dst * src);
      case BPF_DIV:
        if (src === 0n) return 0n;
        return off === 1 ? u64(s64(dst) / s64(src)) : dst / src;
      case BPF_MOD:
        if (src === 0n) return dst;
        return off === 1 ? u64(s64(dst) % s64(src)) : dst % src;
      case BPF_OR:
        return dst | src;
      case BPF_AND:
        return dst & src;
      case BPF_XOR:
        return dst ^ src;
      case BPF_LSH:
        return u64(dst << (src & 63n));
      case BPF_RSH:
        return dst >> (src & 63n);
      case BPF_ARSH:
        return u64(s64(dst) >> (src & 63n));
      case BPF_MOV:
        if (off === 8 || off === 16 || off === 32) return u64(BigInt.asIntN(off, src));
        return src;
      case BPF_NEG:
        return u64(-dst);
    }
  } else {
    const d = dst & MASK32;
    const s = src & MASK32;
    switch (op) {
      case BPF_ADD:
        return (d + s) & MASK32;
      case BPF_SUB:
        return (d - s) & MASK32;
      case BPF_MUL:
        return (d * s) & MASK32;
      case BPF_DIV:
        if (s === 0n) return 0n;
        return off === 1 ? BigInt.asUintN(32, s32(d) / s32(s)) : d / s;
      case BPF_MOD:
        if (s === 0n) return d;
        return off === 1 ? BigInt.asUintN(32, s32(d) % s32(s)) : d % s;
      case BPF_OR:
        return d | s;
      case BPF_AND:
        return d & s;
      case BPF_XOR:
        return d ^ s;
      case BPF_LSH:
        return (d << (s & 31n)) & MASK32;
      case BPF_RSH:
        return d >> (s & 31n);
      case BPF_ARSH:
        return BigInt.asUintN(32, s32(d) >> (s & 31n));
      case BPF_MOV:
        if (off === 8 || off === 16) return BigInt.asUintN(32, BigInt.asIntN(off, s));
        return s;
      case BPF_NEG:
        return BigInt.asUintN(32, -d);
    }
  }
  throw new Error(`alu op ${op.toString(16)}`);
}

/** BPF_END: to big-endian swaps (the host is little-endian), to little-endian truncates; ALU64 always swaps. */
export function byteSwap(v: bigint, bits: number, is64: boolean, toBe: boolean): bigint {
  return is64 || toBe ? bswap(v, bits) : BigInt.asUintN(bits, v);
}

/**
 * Calls a helper or kfunc with r1..r5 and returns its r0 (u64). Helper.exit throws
 * ExitSignal; memory faults and other failures become InterpError at `index`.
 */
export function invokeHelper(
  h: Helper,
  what: string,
  regs: readonly bigint[],
  mem: Memory,
  index: number,
): bigint {
  const call: HelperCall = {
    args: [regs[1]!, regs[2]!, regs[3]!, regs[4]!, regs[5]!],
    mem,
    index,
    exit: (r0: bigint) => {
      throw new ExitSignal(u64(r0));
    },
  };
  let r: bigint | number | undefined;
  try {
    r = h(call);
  } catch (e) {
    if (e instanceof ExitSignal || e instanceof InterpError) throw e;
    if (e instanceof MemoryFault) throw new InterpError(index, 'memory', `${what}: ${e.message}`);
    throw new InterpError(
      index,
      'helper-failed',
      `${what} failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return u64(BigInt(r ?? 0));
}

/** The helper a `callx` names: the id in its register, when it is a known helper. */
export function callxTarget(helpers: HelperTable | undefined, id: bigint, index: number): Helper {
  const h = id < 0x80000000n ? lookupHelper(helpers, Number(id)) : undefined;
  if (!h) throw new InterpError(index, 'unknown-helper', `callx to unknown helper ${id}`);
  return h;
}

/** BPF_STX | BPF_ATOMIC (and PROBE_ATOMIC): updates memory and the register the op writes. */
export function atomic(insn: Insn, index: number, regs: bigint[], mem: Memory): void {
  const size = sizeBytes(BPF_SIZE(insn.code));
  const addr = u64(regs[insn.dst]! + BigInt(insn.off));
  const mask = size === 8 ? MASK64 : MASK32;
  const op = insn.imm;
  if (op === BPF_LOAD_ACQ) {
    regs[insn.dst] = mem.load(u64(regs[insn.src]! + BigInt(insn.off)), size);
    return;
  }
  if (op === BPF_STORE_REL) {
    mem.store(addr, size, regs[insn.src]!);
    return;
  }
  const old = mem.load(addr, size);
  const val = regs[insn.src]! & mask;
  if (op === BPF_CMPXCHG) {
    if (old === (regs[0]! & mask)) mem.store(addr, size, val);
    regs[0] = old;
    return;
  }
  if (op === BPF_XCHG) {
    mem.store(addr, size, val);
    regs[insn.src] = old;
    return;
  }
  const base = op & ~BPF_FETCH;
  let next: bigint;
  if (base === BPF_ADD) next = (old + val) & mask;
  else if (base === BPF_AND) next = old & val;
  else if (base === BPF_OR) next = old | val;
  else if (base === BPF_XOR) next = old ^ val;
  else throw new InterpError(index, 'invalid-insn', `unknown atomic op ${op.toString(16)}`);
  mem.store(addr, size, next);
  if (op & BPF_FETCH) regs[insn.src] = old;
}

/** The register an atomic op writes besides memory, or undefined. */
export function atomicWrites(insn: Insn): number | undefined {
  const op = insn.imm;
  if (op === BPF_LOAD_ACQ) return insn.dst;
  if (op === BPF_CMPXCHG) return 0;
  if (op === BPF_XCHG || op & BPF_FETCH) return insn.src;
  return undefined;
}

/**
 * LD_ABS / LD_IND: a big-endian load from the packet into r0; undefined when out of
 * range, where the program ends with r0 = 0.
 */
export function loadPacket(
  insn: Insn,
  regs: readonly bigint[],
  packet: Uint8Array | undefined,
): bigint | undefined {
  const size = sizeBytes(BPF_SIZE(insn.code));
  const at = BPF_MODE(insn.code) === BPF_ABS ? insn.imm : Number(s32(regs[insn.src]!)) + insn.imm;
  if (!packet || at < 0 || at + size > packet.length) return undefined;
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(packet[at + k]!);
  return v;
}
