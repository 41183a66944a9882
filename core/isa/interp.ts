// A reference interpreter for struct bpf_insn programs: RFC 9669 semantics plus the
// Linux choices the RFC leaves open (INT_MIN / -1, division by zero, masked shift
// counts, little-endian host). Memory is a set of bounded regions (memory.ts). Every
// fault is an InterpError naming the instruction. Two engines run a program: the
// stepping one here (registers as u64 bigints, one instruction at a time) and the
// compiled one (interp-compile.ts); what they share is in interp-ops.ts.

import type { Insn } from './insn';
import { compiledProgram, worthCompiling } from './interp-compile';
import {
  alu,
  atomic,
  BPF_MAX_LOOPS,
  byteSwap,
  callxTarget,
  ExitSignal,
  type Helper,
  type HelperTable,
  InterpError,
  type InterpFaultKind,
  invokeHelper,
  loadPacket,
  lookupHelper,
  MASK32,
  MAX_CALL_FRAMES,
  STACK_BASE,
  STACK_STRIDE,
  s32,
  s64,
  u64,
} from './interp-ops';
import { Memory, MemoryFault } from './memory';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_END,
  BPF_EXIT,
  BPF_JA,
  BPF_JCOND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_PROBE_ATOMIC,
  BPF_PROBE_MEM32,
  BPF_PROBE_MEM32SX,
  BPF_PROBE_MEMSX,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_TAIL_CALL,
  BPF_TO_BE,
  BPF_X,
  MAX_BPF_STACK,
  sizeBytes,
} from './opcodes';
import { type ValidateOptions, validateProgram } from './validate';

export { type Helper, type HelperCall, InterpError, type InterpFaultKind } from './interp-ops';

export interface RunOptions {
  /** Initial r1..r5 (u64 or signed; normalised to u64). */
  args?: Array<bigint | number>;
  /** Memory to run against; regions the program's pointers refer to must be mapped here. */
  mem?: Memory;
  /** Helpers by id (BPF_CALL src 0, and callx with the id in the register). */
  helpers?: HelperTable;
  /** kfuncs by BTF id (BPF_CALL src 2). */
  kfuncs?: HelperTable;
  /**
   * The rewritten tail call (BPF_JMP | BPF_TAIL_CALL, r1 ctx, r2 prog_array, r3 index) as a
   * helper: it returns to fall through (an empty slot), or ends the program with exit(r0)
   * after running the target. Without it the instruction faults.
   */
  tailCall?: Helper;
  /** Packet for legacy LD_ABS / LD_IND (big-endian loads, r0 = 0 exit when out of range). */
  packet?: Uint8Array;
  /** Instructions executed before giving up. Default 1,000,000. */
  stepLimit?: number;
  /** Checks run before executing; default { callx: true, xlated: true }. false skips them. */
  validate?: ValidateOptions | false;
  /** Budget for may_goto loops (the kernel's BPF_MAX_LOOPS). */
  mayGotoBudget?: number;
  /**
   * Value of an ld_imm64 whose src_reg is a pseudo (map fd/idx, map value, BTF id,
   * func): what the verifier's resolve_pseudo_ldimm64 would put there, e.g. the address
   * of a map or of a map value region the caller mapped. Without it such loads fault.
   */
  ldImm64?(insns: readonly Insn[], index: number): bigint | undefined;
  /** Called before each instruction runs, with the registers of the current frame. */
  trace?(index: number, regs: readonly bigint[], depth: number): void;
  /**
   * 'compiled' turns the program into JavaScript once (interp-compile.ts); 'stepping'
   * decodes each instruction as it runs. Unset: compiled for a program run several
   * times; otherwise it steps, and a long run goes on compiled. A trace always steps.
   */
  engine?: 'compiled' | 'stepping';
}

export interface RunResult {
  r0: bigint;
  /** Instructions executed. */
  steps: number;
  /** Final registers r0..r10 of the main frame. */
  regs: bigint[];
  mem: Memory;
}

function cond(op: number, a: bigint, b: bigint, is64: boolean): boolean {
  const sa = is64 ? s64(a) : s32(a);
  const sb = is64 ? s64(b) : s32(b);
  switch (op) {
    case BPF_JEQ:
      return a === b;
    case BPF_JNE:
      return a !== b;
    case BPF_JGT:
      return a > b;
    case BPF_JGE:
      return a >= b;
    case BPF_JLT:
      return a < b;
    case BPF_JLE:
      return a <= b;
    case BPF_JSET:
      return (a & b) !== 0n;
    case BPF_JSGT:
      return sa > sb;
    case BPF_JSGE:
      return sa >= sb;
    case BPF_JSLT:
      return sa < sb;
    case BPF_JSLE:
      return sa <= sb;
  }
  throw new Error(`jmp op ${op.toString(16)}`);
}

interface Frame {
  returnPc: number;
  regs: bigint[];
  stackBase: bigint;
}

/** Runs a program from instruction 0 until its main frame exits. */
export function runProgram(insns: readonly Insn[], opts: RunOptions = {}): RunResult {
  if (opts.validate !== false) validateProgram(insns, opts.validate ?? { callx: true, xlated: true });
  const auto = opts.engine === undefined && !opts.trace;
  if (opts.engine === 'compiled' || (auto && worthCompiling(insns))) {
    const run = compiledProgram(insns);
    if (run) return run(opts);
  }
  return stepProgram(insns, opts, auto);
}

/**
 * The stepping engine: decodes and executes one instruction at a time. With `tierUp`, a
 * run still going after a while (a loop) hands its state to the compiled engine at its
 * next backward jump, whose target starts a compiled block.
 */
function stepProgram(insns: readonly Insn[], opts: RunOptions, tierUp: boolean): RunResult {
  // Compiling pays once stepping has cost about what compiling does (which grows with size).
  const tierUpAt = 20_000 + 100 * insns.length;
  const mem = opts.mem ?? new Memory();
  const stepLimit = opts.stepLimit ?? 1_000_000;
  let mayGoto = opts.mayGotoBudget ?? BPF_MAX_LOOPS;
  const trace = opts.trace;
  const n = insns.length;
  // Sign-extended immediates, computed once.
  const imm64 = insns.map((i) => u64(BigInt(i.imm)));
  const imm32 = insns.map((i) => BigInt(i.imm >>> 0));

  const stacks: bigint[] = [];
  const pushStack = (depth: number): bigint => {
    const base = STACK_BASE + BigInt(depth * STACK_STRIDE);
    mem.map(`stack[${depth}]`, new Uint8Array(MAX_BPF_STACK), true, base);
    stacks.push(base);
    return base;
  };
  const popStack = () => mem.unmap(stacks.pop()!);

  let regs: bigint[] = new Array(11).fill(0n);
  (opts.args ?? []).slice(0, 5).forEach((a, k) => {
    regs[k + 1] = u64(BigInt(a));
  });
  const frames: Frame[] = [];
  let stackBase = pushStack(0);
  regs[10] = stackBase + BigInt(MAX_BPF_STACK);

  let pc = 0;
  let steps = 0;
  let i = 0;
  const fault = (kind: InterpFaultKind, reason: string): never => {
    throw new InterpError(i, kind, reason);
  };
  const callHelper = (h: Helper, what: string): void => {
    regs[0] = invokeHelper(h, what, regs, mem, i);
  };

  try {
    for (;;) {
      if (pc < 0 || pc >= n) {
        i = Math.max(0, Math.min(pc, n) - 1);
        fault('fell-off', `execution ran off the program at ${pc}`);
      }
      if (tierUp && pc <= i && steps >= tierUpAt) {
        const run = compiledProgram(insns);
        if (run) return run(opts, { pc, steps, mayGoto, mem, regs, frames, stacks: stacks.splice(0) });
        tierUp = false;
      }
      i = pc;
      if (++steps > stepLimit) fault('step-limit', `step limit of ${stepLimit} instructions reached`);
      if (trace) trace(pc, regs, frames.length);
      const insn = insns[pc]!;
      const code = insn.code;
      const cls = BPF_CLASS(code);
      pc++;
      switch (cls) {
        case BPF_ALU64:
        case BPF_ALU: {
          const is64 = cls === BPF_ALU64;
          const op = BPF_OP(code);
          const d = insn.dst;
          if (op === BPF_END) {
            regs[d] = byteSwap(regs[d]!, insn.imm, is64, BPF_SRC(code) === BPF_TO_BE);
            break;
          }
          if (is64 && op === BPF_MOV && BPF_SRC(code) === BPF_X && (insn.off === 1 || insn.off === -1)) {
            // addr_space_cast / per-CPU address: one address space and one CPU, so a move.
            regs[d] = regs[insn.src]!;
            break;
          }
          const src = BPF_SRC(code) === BPF_X ? regs[insn.src]! : is64 ? imm64[i]! : imm32[i]!;
          regs[d] = alu(op, regs[d]!, src, is64, insn.off);
          break;
        }
        case BPF_JMP:
        case BPF_JMP32: {
          const op = BPF_OP(code);
          if (op === BPF_JA) {
            pc += cls === BPF_JMP32 ? insn.imm : insn.off;
            break;
          }
          if (op === BPF_EXIT) {
            if (frames.length === 0) return { r0: regs[0]!, steps, regs, mem };
            const f = frames.pop()!;
            const r0 = regs[0]!;
            regs = f.regs;
            regs[0] = r0;
            popStack();
            stackBase = f.stackBase;
            pc = f.returnPc;
            break;
          }
          if (op === BPF_CALL) {
            if (BPF_SRC(code) === BPF_X) {
              const id = regs[insn.dst]!;
              callHelper(callxTarget(opts.helpers, id, i), `helper ${id}`);
            } else if (insn.src === BPF_PSEUDO_CALL) {
              if (frames.length + 1 >= MAX_CALL_FRAMES) {
                fault('call-depth', `the call stack of ${MAX_CALL_FRAMES} frames is too deep`);
              }
              frames.push({ returnPc: pc, regs, stackBase });
              const callee: bigint[] = regs.slice();
              stackBase = pushStack(frames.length);
              callee[10] = stackBase + BigInt(MAX_BPF_STACK);
              regs = callee;
              pc += insn.imm;
            } else if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
              const h = lookupHelper(opts.kfuncs, insn.imm);
              if (!h) fault('unknown-kfunc', `call to unknown kfunc btf_id ${insn.imm}`);
              callHelper(h!, `kfunc ${insn.imm}`);
            } else {
              const h = lookupHelper(opts.helpers, insn.imm);
              if (!h) fault('unknown-helper', `call to unknown helper ${insn.imm}`);
              callHelper(h!, `helper ${insn.imm}`);
            }
            break;
          }
          if (op === BPF_TAIL_CALL) {
            if (!opts.tailCall) fault('invalid-insn', 'tail calls are not modelled by the interpreter');
            callHelper(opts.tailCall!, 'tail call');
            break;
          }
          if (op === BPF_JCOND) {
            // may_goto: fall through while the loop budget lasts, then take the jump.
            if (mayGoto > 0) mayGoto--;
            else pc += insn.off;
            break;
          }
          const is64 = cls === BPF_JMP;
          let a = regs[insn.dst]!;
          let b = BPF_SRC(code) === BPF_X ? regs[insn.src]! : is64 ? imm64[i]! : imm32[i]!;
          if (!is64) {
            a &= MASK32;
            b &= MASK32;
          }
          if (cond(op, a, b, is64)) pc += insn.off;
          break;
        }
        case BPF_LDX: {
          const size = sizeBytes(BPF_SIZE(code));
          const mode = BPF_MODE(code);
          const addr = u64(regs[insn.src]! + BigInt(insn.off));
          let v: bigint;
          if (mode === BPF_MEM || mode === BPF_MEMSX) {
            v = mem.load(addr, size);
          } else {
            // PROBE_MEM*: a faulting load is fixed up through the exception table to 0.
            try {
              v = mem.load(addr, size);
            } catch (e) {
              if (!(e instanceof MemoryFault)) throw e;
              v = 0n;
            }
          }
          const signed = mode === BPF_MEMSX || mode === BPF_PROBE_MEMSX || mode === BPF_PROBE_MEM32SX;
          regs[insn.dst] = signed ? u64(BigInt.asIntN(size * 8, v)) : v;
          break;
        }
        case BPF_ST: {
          const mode = BPF_MODE(code);
          if (mode !== BPF_MEM && mode !== BPF_PROBE_MEM32) break; // nospec: no architectural effect
          mem.store(u64(regs[insn.dst]! + BigInt(insn.off)), sizeBytes(BPF_SIZE(code)), imm64[i]!);
          break;
        }
        case BPF_STX: {
          const mode = BPF_MODE(code);
          if (mode === BPF_MEM || mode === BPF_PROBE_MEM32) {
            mem.store(u64(regs[insn.dst]! + BigInt(insn.off)), sizeBytes(BPF_SIZE(code)), regs[insn.src]!);
            break;
          }
          if (mode !== BPF_ATOMIC && mode !== BPF_PROBE_ATOMIC) {
            fault('invalid-insn', `unknown STX mode ${code.toString(16)}`);
          }
          atomic(insn, i, regs, mem);
          break;
        }
        case BPF_LD: {
          if (code === 0x18) {
            if (insn.src !== 0) {
              const v = opts.ldImm64?.(insns, i);
              if (v === undefined) fault('invalid-insn', `no value for ld_imm64 with src_reg ${insn.src}`);
              regs[insn.dst] = u64(v!);
            } else {
              regs[insn.dst] = (imm32[i + 1]! << 32n) | imm32[i]!;
            }
            pc++;
            break;
          }
          // LD_ABS / LD_IND: out of range ends the program with 0.
          const v = loadPacket(insn, regs, opts.packet);
          if (v === undefined) return { r0: 0n, steps, regs, mem };
          regs[0] = v;
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof ExitSignal) return { r0: e.r0, steps, regs, mem };
    if (e instanceof MemoryFault) throw new InterpError(i, 'memory', e.message);
    throw e;
  } finally {
    while (stacks.length) popStack();
  }
}

// --- the bpf_conformance calling convention ---

/** Helpers the conformance suite relies on: id 5 exists and returns (Linux: bpf_ktime_get_ns). */
export const conformanceHelpers: ReadonlyMap<number, Helper> = new Map<number, Helper>([[5, () => 0n]]);

/**
 * Runs a suite program the way bpf_conformance does: r1 = pointer to a writable copy of
 * `mem`, r2 = its length; callx allowed; helper 5 present.
 */
export function runConformance(
  insns: readonly Insn[],
  memBytes: Uint8Array = new Uint8Array(0),
  opts: RunOptions = {},
): RunResult {
  const mem = opts.mem ?? new Memory();
  const addr = mem.map('mem', memBytes.slice(), true);
  return runProgram(insns, {
    helpers: conformanceHelpers,
    ...opts,
    mem,
    args: [memBytes.length ? addr : 0n, BigInt(memBytes.length)],
  });
}
