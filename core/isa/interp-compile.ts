// The compiled engine: a program becomes one JavaScript function, once, with `new Function`
// (core and worker code only — the renderer never imports core, and its CSP forbids eval;
// where eval is refused, runProgram steps instead). Registers live in int32 locals, a lo/hi
// pair per register, so the common ALU, jump and memory instructions run without bigints;
// the rare ones (64-bit division, byte swaps, atomics, packet loads, pseudo ld_imm64) and
// every helper call go through the same functions the stepping engine uses (interp-ops.ts).
//
// The generated code is a `switch (pc)` over basic blocks (a block that jumps to its own
// start is a loop of its own). Steps are counted per block; the step-limit fault still
// names the same instruction as the stepping engine (see programSource).

import type { Insn } from './insn';
import type { RunOptions, RunResult } from './interp';
import {
  alu,
  atomic,
  atomicWrites,
  BPF_MAX_LOOPS,
  byteSwap,
  callxTarget,
  ExitSignal,
  type Helper,
  InterpError,
  type InterpFaultKind,
  invokeHelper,
  loadPacket,
  lookupHelper,
  MAX_CALL_FRAMES,
  STACK_BASE,
  STACK_STRIDE,
  u64,
} from './interp-ops';
import { Memory, MemoryFault } from './memory';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_DIV,
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
  BPF_LSH,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_PROBE_ATOMIC,
  BPF_PROBE_MEM32,
  BPF_PROBE_MEM32SX,
  BPF_PROBE_MEMSX,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_RSH,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAIL_CALL,
  BPF_TO_BE,
  BPF_X,
  BPF_XOR,
  MAX_BPF_STACK,
  sizeBytes,
} from './opcodes';

/**
 * A stepping run handed over mid-way (interp.ts tiers up a long run): pc must start a
 * block (a jump target). The stacks stay mapped in `mem` and pass to the compiled run.
 */
export interface SteppedState {
  pc: number;
  steps: number;
  mayGoto: number;
  mem: Memory;
  regs: readonly bigint[];
  /** Caller frames, outermost first. */
  frames: readonly { returnPc: number; regs: readonly bigint[] }[];
  /** Stack bases, one per frame, outermost first. */
  stacks: bigint[];
}

type Run = (opts: RunOptions, from?: SteppedState) => RunResult;

/** r0..r10 plus the kernel's auxiliary r11, which xlated programs may use. */
const NREGS = 12;
/** A saved frame: NREGS lo/hi pairs, then the return pc. */
const FRAME_INTS = 2 * NREGS + 1;
const STACK_HI = Number(STACK_BASE >> 32n) | 0;
if (Number(STACK_BASE & 0xffffffffn) + MAX_CALL_FRAMES * STACK_STRIDE > 2 ** 32) {
  throw new Error('stacks must share their high 32 address bits');
}

/** A compiled program and the instructions it was compiled from (arrays can be edited in place). */
const compiled = new WeakMap<readonly Insn[], { run: Run; from: Int32Array }>();
const runsSoFar = new WeakMap<readonly Insn[], number>();
let evalRefused = false;

/** Runs of one program array after which it is compiled before it runs. */
const RUNS_BEFORE_COMPILING = 4;

/**
 * Whether to compile the program before running it: it was compiled already, or it has
 * been run several times. Otherwise it steps (a program run once steps faster than it
 * compiles) and a long run tiers up mid-way (interp.ts).
 */
export function worthCompiling(insns: readonly Insn[]): boolean {
  if (compiled.has(insns)) return true;
  const runs = (runsSoFar.get(insns) ?? 0) + 1;
  runsSoFar.set(insns, runs);
  return runs >= RUNS_BEFORE_COMPILING;
}

/** Whether the program array has been compiled. */
export const isCompiled = (insns: readonly Insn[]): boolean => compiled.has(insns);

/**
 * The compiled runner of a program (made on first use, then kept while the array
 * lives), or undefined where the environment refuses `new Function`.
 */
export function compiledProgram(insns: readonly Insn[]): Run | undefined {
  if (evalRefused) return undefined;
  const known = compiled.get(insns);
  if (known && sameInsns(known.from, insns)) return known.run;
  let factory: (env: Env) => RunBody;
  try {
    factory = new Function('env', programSource(insns)) as (env: Env) => RunBody;
  } catch (e) {
    if (e instanceof EvalError) {
      evalRefused = true;
      return undefined;
    }
    throw e;
  }
  const run = runner(insns, factory);
  compiled.set(insns, { run, from: insnWords(insns) });
  return run;
}

/** Each slot as two words (code, dst, src, off | imm), to see whether an array changed. */
function insnWords(insns: readonly Insn[]): Int32Array {
  const w = new Int32Array(2 * insns.length);
  insns.forEach((x, i) => {
    w[2 * i] = x.code | (x.dst << 8) | (x.src << 12) | (x.off << 16);
    w[2 * i + 1] = x.imm;
  });
  return w;
}

function sameInsns(w: Int32Array, insns: readonly Insn[]): boolean {
  if (w.length !== 2 * insns.length) return false;
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i]!;
    if (w[2 * i] !== (x.code | (x.dst << 8) | (x.src << 12) | (x.off << 16)) || w[2 * i + 1] !== (x.imm | 0))
      return false;
  }
  return true;
}

/** The generated function: registers in, RunResult out (through env.finish). */
type RunBody = (
  init: Int32Array,
  stepLimit: number,
  mayGoto: number,
  pc: number,
  steps: number,
  depth: number,
) => RunResult;

/** How the generated program's run ended, for env.finish. */
const END_EXIT = 0;
const END_PACKET = 1;
const END_HELPER_EXIT = 2;

// --- the generated source ---

const lo = (r: number) => `a${r}`;
const hi = (r: number) => `b${r}`;
const lit = (v: number) => (v < 0 ? `(${v})` : String(v));

interface Operand {
  lo: string;
  hi: string;
}

/** Source of one program: `return function run(init, L, mayGoto, pc, steps, depth) {…}` with env bound. */
export function programSource(insns: readonly Insn[]): string {
  const n = insns.length;
  const leaders = new Set<number>([0]);
  const mark = (t: number) => {
    if (t >= 0 && t < n) leaders.add(t);
  };
  for (let i = 0; i < n; i += insns[i]!.code === 0x18 ? 2 : 1) {
    const x = insns[i]!;
    const cls = BPF_CLASS(x.code);
    if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = BPF_OP(x.code);
      mark(i + 1);
      if (op === BPF_JA) mark(i + 1 + (cls === BPF_JMP32 ? x.imm : x.off));
      else if (op === BPF_CALL) {
        if (BPF_SRC(x.code) !== BPF_X && x.src === BPF_PSEUDO_CALL) mark(i + 1 + x.imm);
      } else if (op !== BPF_EXIT && op !== BPF_TAIL_CALL) mark(i + 1 + x.off);
    } else if (cls === BPF_LD && x.code !== 0x18) {
      mark(i + 1); // a packet load may end the program: steps must be exact there
    }
  }

  const calls = insns.some((x) => x.code === (BPF_JMP | BPF_CALL) && x.src === BPF_PSEUDO_CALL);
  const out: string[] = [];
  out.push(
    '"use strict";',
    'const { io, F, mulhu, ld1, ld2, ld4, ld8, st1, st2, st4, st8, slow, helper, kfunc, callx, tailcall, pushStack, popStack, fault, overLimit, fellOff, finish, shl, shr, sar } = env;',
    'return function run(init, L, mayGoto, pc, steps, depth) {',
    `  let ${Array.from({ length: NREGS }, (_, r) => `${lo(r)} = init[${2 * r}], ${hi(r)} = init[${2 * r + 1}]`).join(', ')};`,
    '  let t = 0, u = 0;',
    '  dispatch: for (;;) {',
    '    switch (pc) {',
  );
  for (const start of [...leaders].sort((a, b) => a - b)) {
    const block: number[] = [];
    let i = start;
    for (;;) {
      block.push(i);
      const x = insns[i]!;
      const next = i + (x.code === 0x18 ? 2 : 1);
      if (endsBlock(x) || next >= n || leaders.has(next)) break;
      i = next;
    }
    const last = block[block.length - 1]!;
    const selfLoop = jumpTargets(insns, last).includes(start);
    const label = `loop${start}`;
    const go = (target: number) =>
      selfLoop && target === start ? `continue ${label};` : `pc = ${target}; continue dispatch;`;
    // A block whose last instruction does not transfer control continues at the next slot.
    const tail = endsBlock(insns[last]!) ? '' : ` ${go(last + (insns[last]!.code === 0x18 ? 2 : 1))}`;
    // Steps are added per block. Only before an instruction with effects beyond registers
    // (memory, calls, faults, leaving the block) is the limit checked: whatever registers
    // the instructions past the limit changed are never seen, the fault names the first.
    const len = block.length;
    const code = block.map((k, pos) => {
      const check =
        pos === len - 1 || observable(insns[k]!)
          ? `if (steps >= L + ${len - pos}) return overLimit(${start}, steps - ${len}); `
          : '';
      return check + insnSource(insns, k, go, calls);
    });
    out.push(`    case ${start}:`);
    if (selfLoop) out.push(`      ${label}: for (;;) {`);
    out.push(`      steps += ${len};`, code.join('\n') + tail);
    if (selfLoop) out.push('      }');
  }
  out.push('    default:', '      return fellOff(pc);', '    }', '  }', '};');
  return out.join('\n');
}

/**
 * Whether control may leave the instruction other than to the next slot, or the run may
 * end there; the code of such an instruction always ends in a jump, return or throw.
 */
function endsBlock(x: Insn): boolean {
  const cls = BPF_CLASS(x.code);
  return cls === BPF_JMP || cls === BPF_JMP32 || (cls === BPF_LD && x.code !== 0x18);
}

/** Whether running the instruction can be seen beyond the registers: memory, calls, faults. */
function observable(x: Insn): boolean {
  const cls = BPF_CLASS(x.code);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const op = BPF_OP(x.code);
    return op === BPF_END || op > BPF_END || (cls === BPF_ALU64 && (op === BPF_DIV || op === BPF_MOD));
  }
  return !(cls === BPF_LD && x.code === 0x18 && x.src === 0);
}

/** In-program targets of a block's last instruction, besides the next slot. */
function jumpTargets(insns: readonly Insn[], i: number): number[] {
  const x = insns[i]!;
  const cls = BPF_CLASS(x.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [];
  const op = BPF_OP(x.code);
  if (op === BPF_JA) return [i + 1 + (cls === BPF_JMP32 ? x.imm : x.off)];
  if (op === BPF_CALL || op === BPF_EXIT || op === BPF_TAIL_CALL) return [];
  return [i + 1 + x.off];
}

/** Saves every register to F at u (the caller's frame). */
const spill = (into: string, at: string) =>
  Array.from(
    { length: NREGS },
    (_, r) => `${into}[${at}${2 * r}] = ${lo(r)}; ${into}[${at}${2 * r + 1}] = ${hi(r)};`,
  ).join(' ');
/** r0..r10 as finish's arguments. */
const registerList = Array.from({ length: 11 }, (_, r) => `${lo(r)}, ${hi(r)}`).join(', ');

/** The code of instruction i; `go(t)` is the code that transfers control to slot t. */
function insnSource(insns: readonly Insn[], i: number, go: (t: number) => string, calls: boolean): string {
  const x = insns[i]!;
  const code = x.code;
  const cls = BPF_CLASS(code);
  const next = i + (code === 0x18 ? 2 : 1);
  const d = x.dst;
  const s = x.src;
  const isX = BPF_SRC(code) === BPF_X;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const is64 = cls === BPF_ALU64;
      const op = BPF_OP(code);
      if (op === BPF_END || (is64 && (op === BPF_DIV || op === BPF_MOD)) || op > BPF_END) {
        return `slow(${i}, ${lo(d)}, ${hi(d)}, ${lo(s)}, ${hi(s)}, a0, b0); ${lo(d)} = io[0]; ${hi(d)} = io[1];`;
      }
      if (is64 && op === BPF_MOV && isX && (x.off === 1 || x.off === -1)) {
        return `${lo(d)} = ${lo(s)}; ${hi(d)} = ${hi(s)};`; // addr_space_cast / per-CPU address
      }
      const src: Operand = isX ? { lo: lo(s), hi: hi(s) } : { lo: lit(x.imm), hi: lit(x.imm >> 31) };
      return is64
        ? alu64Source(op, d, src, x.off, isX ? undefined : x.imm)
        : alu32Source(op, d, src.lo, x.off);
    }
    case BPF_JMP:
    case BPF_JMP32: {
      const op = BPF_OP(code);
      if (op === BPF_JA) return go(i + 1 + (cls === BPF_JMP32 ? x.imm : x.off));
      if (op === BPF_EXIT) {
        const done = `return finish(steps, ${END_EXIT}, ${registerList});`;
        if (!calls) return done;
        const restore = Array.from({ length: NREGS - 1 }, (_, k) => k + 1)
          .map((r) => `${lo(r)} = F[u + ${2 * r}]; ${hi(r)} = F[u + ${2 * r + 1}];`)
          .join(' ');
        return `if (depth === 0) ${done}
depth--; popStack(); u = depth * ${FRAME_INTS}; ${restore} pc = F[u + ${2 * NREGS}]; continue dispatch;`;
      }
      if (op === BPF_CALL) {
        const args = [1, 2, 3, 4, 5].map((r) => `${lo(r)}, ${hi(r)}`).join(', ');
        const after = `return finish(steps, ${END_HELPER_EXIT}, ${registerList}); a0 = io[0]; b0 = io[1]; ${go(next)}`;
        if (isX) return `if (callx(${i}, ${lo(d)}, ${hi(d)}, ${args})) ${after}`;
        if (s === BPF_PSEUDO_CALL) {
          return `if (depth + 1 >= ${MAX_CALL_FRAMES}) fault(${i}, 'call-depth', 'the call stack of ${MAX_CALL_FRAMES} frames is too deep');
u = depth * ${FRAME_INTS}; ${spill('F', 'u + ')} F[u + ${2 * NREGS}] = ${next}; depth++; pushStack(depth);
a10 = depth * ${STACK_STRIDE} + ${MAX_BPF_STACK}; b10 = ${STACK_HI}; ${go(i + 1 + x.imm)}`;
        }
        const fn = s === BPF_PSEUDO_KFUNC_CALL ? 'kfunc' : 'helper';
        return `if (${fn}(${i}, ${x.imm}, ${args})) ${after}`;
      }
      if (op === BPF_TAIL_CALL) {
        const args = [1, 2, 3, 4, 5].map((r) => `${lo(r)}, ${hi(r)}`).join(', ');
        return `if (tailcall(${i}, ${args})) return finish(steps, ${END_HELPER_EXIT}, ${registerList}); a0 = io[0]; b0 = io[1]; ${go(next)}`;
      }
      if (op === BPF_JCOND) return `if (mayGoto > 0) { mayGoto--; ${go(next)} } ${go(i + 1 + x.off)}`;
      const is64 = cls === BPF_JMP;
      const b: Operand = isX ? { lo: lo(s), hi: hi(s) } : { lo: lit(x.imm), hi: lit(is64 ? x.imm >> 31 : 0) };
      return `if (${condSource(op, d, b, is64)}) { ${go(i + 1 + x.off)} } ${go(next)}`;
    }
    case BPF_LDX: {
      const size = sizeBytes(BPF_SIZE(code));
      const mode = BPF_MODE(code);
      const probe = mode === BPF_MEM || mode === BPF_MEMSX ? 0 : 1;
      const load = `ld${size}((${lo(s)} >>> 0) + ${lit(x.off)}, ${hi(s)}, ${i}, ${probe})`;
      const signed = mode === BPF_MEMSX || mode === BPF_PROBE_MEMSX || mode === BPF_PROBE_MEM32SX;
      if (!signed || size === 8) return `t = ${load}; ${hi(d)} = io[0]; ${lo(d)} = t;`;
      const shift = 32 - size * 8;
      return `${lo(d)} = (${load} << ${shift}) >> ${shift}; ${hi(d)} = ${lo(d)} >> 31;`;
    }
    case BPF_ST:
    case BPF_STX: {
      const mode = BPF_MODE(code);
      const size = sizeBytes(BPF_SIZE(code));
      if (cls === BPF_ST && mode !== BPF_MEM && mode !== BPF_PROBE_MEM32) return ''; // nospec
      const at = `(${lo(d)} >>> 0) + ${lit(x.off)}, ${hi(d)}`;
      if (cls === BPF_ST) return `st${size}(${at}, ${lit(x.imm)}, ${lit(x.imm >> 31)}, ${i});`;
      if (mode === BPF_MEM || mode === BPF_PROBE_MEM32) return `st${size}(${at}, ${lo(s)}, ${hi(s)}, ${i});`;
      if (mode !== BPF_ATOMIC && mode !== BPF_PROBE_ATOMIC) {
        return `fault(${i}, 'invalid-insn', 'unknown STX mode ${code.toString(16)}');`;
      }
      const w = atomicWrites(x);
      const call = `slow(${i}, ${lo(d)}, ${hi(d)}, ${lo(s)}, ${hi(s)}, a0, b0);`;
      return w === undefined ? call : `${call} ${lo(w)} = io[0]; ${hi(w)} = io[1];`;
    }
    default: {
      // BPF_LD
      if (code === 0x18 && s === 0) return `${lo(d)} = ${x.imm | 0}; ${hi(d)} = ${insns[i + 1]?.imm ?? 0};`;
      const call = `slow(${i}, ${lo(d)}, ${hi(d)}, ${lo(s)}, ${hi(s)}, a0, b0)`;
      if (code === 0x18) return `${call}; ${lo(d)} = io[0]; ${hi(d)} = io[1];`;
      return `if (${call}) return finish(steps, ${END_PACKET}, ${registerList}); a0 = io[0]; b0 = io[1]; ${go(next)}`;
    }
  }
}

/** `imm` is the constant operand of a BPF_K instruction (undefined for BPF_X). */
function alu64Source(op: number, d: number, s: Operand, off: number, imm: number | undefined): string {
  const dl = lo(d);
  const dh = hi(d);
  switch (op) {
    case BPF_MOV:
      if (off === 8 || off === 16)
        return `${dl} = (${s.lo} << ${32 - off}) >> ${32 - off}; ${dh} = ${dl} >> 31;`;
      if (off === 32) return `${dl} = ${s.lo}; ${dh} = ${dl} >> 31;`;
      return `${dl} = ${s.lo}; ${dh} = ${s.hi};`;
    case BPF_ADD:
      return `t = (${dl} >>> 0) + (${s.lo} >>> 0); ${dh} = (${dh} + ${s.hi} + (t > 4294967295 ? 1 : 0)) | 0; ${dl} = t | 0;`;
    case BPF_SUB:
      return `t = (${dl} >>> 0) - (${s.lo} >>> 0); ${dh} = (${dh} - ${s.hi} - (t < 0 ? 1 : 0)) | 0; ${dl} = t | 0;`;
    case BPF_MUL:
      return `t = Math.imul(${dl}, ${s.lo}); ${dh} = (mulhu(${dl}, ${s.lo}) + Math.imul(${dl}, ${s.hi}) + Math.imul(${dh}, ${s.lo})) | 0; ${dl} = t;`;
    case BPF_OR:
      return `${dl} |= ${s.lo}; ${dh} |= ${s.hi};`;
    case BPF_AND:
      return `${dl} &= ${s.lo}; ${dh} &= ${s.hi};`;
    case BPF_XOR:
      return `${dl} ^= ${s.lo}; ${dh} ^= ${s.hi};`;
    case BPF_NEG:
      return `t = -(${dl} >>> 0); ${dh} = (-${dh} - (t < 0 ? 1 : 0)) | 0; ${dl} = t | 0;`;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH: {
      const fn = op === BPF_LSH ? 'shl' : op === BPF_RSH ? 'shr' : 'sar';
      if (imm === undefined) return `${dl} = ${fn}(${dl}, ${dh}, ${s.lo} & 63); ${dh} = io[0];`;
      return shiftSource(op, dl, dh, imm & 63);
    }
  }
  throw new Error(`alu op ${op.toString(16)}`);
}

/** A 64-bit shift by a constant. */
function shiftSource(op: number, dl: string, dh: string, k: number): string {
  if (k === 0) return '';
  if (op === BPF_LSH) {
    return k >= 32
      ? `${dh} = ${dl} << ${k - 32}; ${dl} = 0;`
      : `${dh} = (${dh} << ${k}) | (${dl} >>> ${32 - k}); ${dl} = ${dl} << ${k};`;
  }
  if (op === BPF_RSH) {
    return k >= 32
      ? `${dl} = (${dh} >>> ${k - 32}) | 0; ${dh} = 0;`
      : `${dl} = (${dl} >>> ${k}) | (${dh} << ${32 - k}); ${dh} = (${dh} >>> ${k}) | 0;`;
  }
  return k >= 32
    ? `${dl} = ${dh} >> ${k - 32}; ${dh} = ${dh} >> 31;`
    : `${dl} = (${dl} >>> ${k}) | (${dh} << ${32 - k}); ${dh} = ${dh} >> ${k};`;
}

function alu32Source(op: number, d: number, s: string, off: number): string {
  const dl = lo(d);
  const value = ((): string => {
    switch (op) {
      case BPF_MOV:
        return off === 8 || off === 16 ? `(${s} << ${32 - off}) >> ${32 - off}` : s;
      case BPF_ADD:
        return `(${dl} + ${s}) | 0`;
      case BPF_SUB:
        return `(${dl} - ${s}) | 0`;
      case BPF_MUL:
        return `Math.imul(${dl}, ${s})`;
      case BPF_DIV:
        return off === 1
          ? `${s} === 0 ? 0 : (${dl} / ${s}) | 0`
          : `${s} === 0 ? 0 : ((${dl} >>> 0) / (${s} >>> 0)) | 0`;
      case BPF_MOD:
        return off === 1
          ? `${s} === 0 ? ${dl} : (${dl} % ${s}) | 0`
          : `${s} === 0 ? ${dl} : ((${dl} >>> 0) % (${s} >>> 0)) | 0`;
      case BPF_OR:
        return `${dl} | ${s}`;
      case BPF_AND:
        return `${dl} & ${s}`;
      case BPF_XOR:
        return `${dl} ^ ${s}`;
      case BPF_LSH:
        return `${dl} << (${s} & 31)`;
      case BPF_RSH:
        return `(${dl} >>> (${s} & 31)) | 0`;
      case BPF_ARSH:
        return `${dl} >> (${s} & 31)`;
      case BPF_NEG:
        return `-${dl} | 0`;
    }
    throw new Error(`alu op ${op.toString(16)}`);
  })();
  return `${dl} = ${value}; ${hi(d)} = 0;`;
}

function condSource(op: number, d: number, b: Operand, is64: boolean): string {
  const al = lo(d);
  const ah = hi(d);
  if (!is64) {
    switch (op) {
      case BPF_JEQ:
        return `${al} === ${b.lo}`;
      case BPF_JNE:
        return `${al} !== ${b.lo}`;
      case BPF_JSET:
        return `(${al} & ${b.lo}) !== 0`;
    }
    const signed = op === BPF_JSGT || op === BPF_JSGE || op === BPF_JSLT || op === BPF_JSLE;
    const a = signed ? al : `(${al} >>> 0)`;
    const c = signed ? b.lo : `(${b.lo} >>> 0)`;
    return `${a} ${relation(op)} ${c}`;
  }
  switch (op) {
    case BPF_JEQ:
      return `${al} === ${b.lo} && ${ah} === ${b.hi}`;
    case BPF_JNE:
      return `(${al} !== ${b.lo} || ${ah} !== ${b.hi})`;
    case BPF_JSET:
      return `((${al} & ${b.lo}) | (${ah} & ${b.hi})) !== 0`;
  }
  // Ordered compares: the high halves decide unless equal (signed or unsigned), then the low ones (unsigned).
  const signed = op === BPF_JSGT || op === BPF_JSGE || op === BPF_JSLT || op === BPF_JSLE;
  const rel = relation(op);
  const strict = rel.replace('=', '');
  const h1 = signed ? ah : `(${ah} >>> 0)`;
  const h2 = signed ? b.hi : `(${b.hi} >>> 0)`;
  return `(${h1} ${strict} ${h2} || (${ah} === ${b.hi} && (${al} >>> 0) ${rel} (${b.lo} >>> 0)))`;
}

function relation(op: number): string {
  switch (op) {
    case BPF_JGT:
    case BPF_JSGT:
      return '>';
    case BPF_JGE:
    case BPF_JSGE:
      return '>=';
    case BPF_JLT:
    case BPF_JSLT:
      return '<';
    case BPF_JLE:
    case BPF_JSLE:
      return '<=';
  }
  throw new Error(`jmp op ${op.toString(16)}`);
}

// --- the runtime the generated code calls ---

interface Env {
  io: Int32Array;
  F: Int32Array;
  pushStack(depth: number): void;
  popStack(): void;
  [name: string]: unknown;
}

const big = (l: number, h: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
/** An address computed as (lo >>> 0) + off, possibly outside 0..2^32, with its high half. */
const address = (t: number, h: number): bigint => u64((BigInt(h >>> 0) << 32n) + BigInt(t));

/** High 32 bits of the unsigned 64-bit product of two u32s. */
function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = (((a0 * b0) >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) | 0;
}

function runner(insns: readonly Insn[], factory: (env: Env) => RunBody): Run {
  const n = insns.length;
  const io = new Int32Array(2);
  let opts: RunOptions = {};
  let mem = new Memory();
  let stacks: bigint[] = [];
  let stepLimit = 0;
  let exitR0 = 0n;
  let busy = false;

  // One cached region for loads and stores that do not leave it: low halves of its
  // addresses [cLo, cEnd) under high half cHi, never crossing a 2^32 boundary.
  let cHi = 0;
  let cLo = 0;
  let cEnd = 0;
  let cWritable = false;
  let cView: DataView = new DataView(new ArrayBuffer(0));
  const forget = () => {
    cEnd = 0;
  };
  const remember = (addr: bigint, size: number, write: boolean) => {
    const { region } = mem.resolve(addr, size, write);
    const base = region.base;
    const baseLo = Number(base & 0xffffffffn);
    if (region.access || baseLo + region.bytes.length > 2 ** 32) return;
    cHi = Number(base >> 32n) | 0;
    cLo = baseLo;
    cEnd = baseLo + region.bytes.length;
    cWritable = region.writable;
    cView = new DataView(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
  };
  const loadSlow = (t: number, h: number, size: number, index: number, probe: number): bigint => {
    const addr = address(t, h);
    let v: bigint;
    try {
      v = mem.load(addr, size);
    } catch (e) {
      if (!(e instanceof MemoryFault)) throw e;
      if (probe) return 0n; // PROBE_MEM*: fixed up through the exception table to 0
      throw new InterpError(index, 'memory', e.message);
    }
    remember(addr, size, false);
    return v;
  };
  const storeSlow = (t: number, h: number, size: number, l: number, hv: number, index: number): void => {
    const addr = address(t, h);
    try {
      mem.store(addr, size, big(l, hv));
    } catch (e) {
      if (e instanceof MemoryFault) throw new InterpError(index, 'memory', e.message);
      throw e;
    }
    remember(addr, size, true);
  };
  const loadWide = (t: number, h: number, size: number, index: number, probe: number): number => {
    const v = loadSlow(t, h, size, index, probe);
    io[0] = Number(v >> 32n) | 0;
    return Number(v & 0xffffffffn) | 0;
  };
  const hit = (t: number, h: number, size: number) => h === cHi && t >= cLo && t + size <= cEnd;

  const fault = (index: number, kind: InterpFaultKind, reason: string): never => {
    throw new InterpError(index, kind, reason);
  };
  /** Runs a helper; 1 when it ended the program (HelperCall.exit), else 0 with r0 in io. */
  const callHelper = (h: Helper, what: string, index: number, args: number[]): number => {
    const regs = [
      0n,
      big(args[0]!, args[1]!),
      big(args[2]!, args[3]!),
      big(args[4]!, args[5]!),
      big(args[6]!, args[7]!),
      big(args[8]!, args[9]!),
    ];
    forget(); // a helper may map or unmap regions
    try {
      const r0 = invokeHelper(h, what, regs, mem, index);
      io[0] = Number(r0 & 0xffffffffn) | 0;
      io[1] = Number(r0 >> 32n) | 0;
      return 0;
    } catch (e) {
      if (!(e instanceof ExitSignal)) throw e;
      exitR0 = e.r0;
      return 1;
    }
  };

  const env: Env = {
    io,
    F: new Int32Array(MAX_CALL_FRAMES * FRAME_INTS),
    mulhu,
    // Loads return the low half and leave the high half in io[0]: a context field may
    // read as a 64-bit pointer whatever the access size (memory.ts RegionAccess).
    ld1: (t: number, h: number, index: number, probe: number) => {
      if (!hit(t, h, 1)) return loadWide(t, h, 1, index, probe);
      io[0] = 0;
      return cView.getUint8(t - cLo);
    },
    ld2: (t: number, h: number, index: number, probe: number) => {
      if (!hit(t, h, 2)) return loadWide(t, h, 2, index, probe);
      io[0] = 0;
      return cView.getUint16(t - cLo, true);
    },
    ld4: (t: number, h: number, index: number, probe: number) => {
      if (!hit(t, h, 4)) return loadWide(t, h, 4, index, probe);
      io[0] = 0;
      return cView.getInt32(t - cLo, true);
    },
    ld8: (t: number, h: number, index: number, probe: number) => {
      if (!hit(t, h, 8)) return loadWide(t, h, 8, index, probe);
      io[0] = cView.getInt32(t - cLo + 4, true);
      return cView.getInt32(t - cLo, true);
    },
    st1: (t: number, h: number, l: number, hv: number, index: number) => {
      if (cWritable && hit(t, h, 1)) cView.setUint8(t - cLo, l & 0xff);
      else storeSlow(t, h, 1, l, hv, index);
    },
    st2: (t: number, h: number, l: number, hv: number, index: number) => {
      if (cWritable && hit(t, h, 2)) cView.setUint16(t - cLo, l & 0xffff, true);
      else storeSlow(t, h, 2, l, hv, index);
    },
    st4: (t: number, h: number, l: number, hv: number, index: number) => {
      if (cWritable && hit(t, h, 4)) cView.setInt32(t - cLo, l, true);
      else storeSlow(t, h, 4, l, hv, index);
    },
    st8: (t: number, h: number, l: number, hv: number, index: number) => {
      if (cWritable && hit(t, h, 8)) {
        cView.setInt32(t - cLo, l, true);
        cView.setInt32(t - cLo + 4, hv, true);
      } else storeSlow(t, h, 8, l, hv, index);
    },
    shl: (l: number, h: number, k: number) => {
      if (k === 0) {
        io[0] = h;
        return l;
      }
      if (k >= 32) {
        io[0] = l << (k - 32);
        return 0;
      }
      io[0] = (h << k) | (l >>> (32 - k));
      return l << k;
    },
    shr: (l: number, h: number, k: number) => {
      if (k === 0) {
        io[0] = h;
        return l;
      }
      if (k >= 32) {
        io[0] = 0;
        return (h >>> (k - 32)) | 0;
      }
      io[0] = (h >>> k) | 0;
      return (l >>> k) | (h << (32 - k));
    },
    sar: (l: number, h: number, k: number) => {
      if (k === 0) {
        io[0] = h;
        return l;
      }
      if (k >= 32) {
        io[0] = h >> 31;
        return h >> (k - 32);
      }
      io[0] = h >> k;
      return (l >>> k) | (h << (32 - k));
    },
    /**
     * The instructions run through interp-ops: dst, src and r0 in; the register the
     * instruction writes out in io; 1 when a packet load ends the program.
     */
    slow: (index: number, dl: number, dh: number, sl: number, sh: number, l0: number, h0: number): number => {
      const x = insns[index]!;
      const regs: bigint[] = new Array(NREGS).fill(0n);
      regs[0] = big(l0, h0);
      regs[x.src] = big(sl, sh);
      regs[x.dst] = big(dl, dh);
      let out: bigint;
      const cls = BPF_CLASS(x.code);
      if (cls === BPF_ALU || cls === BPF_ALU64) {
        const is64 = cls === BPF_ALU64;
        const op = BPF_OP(x.code);
        if (op === BPF_END) out = byteSwap(regs[x.dst]!, x.imm, is64, BPF_SRC(x.code) === BPF_TO_BE);
        else {
          const src =
            BPF_SRC(x.code) === BPF_X ? regs[x.src]! : is64 ? u64(BigInt(x.imm)) : BigInt(x.imm >>> 0);
          out = alu(op, regs[x.dst]!, src, is64, x.off);
        }
      } else if (cls === BPF_STX) {
        try {
          atomic(x, index, regs, mem);
        } catch (e) {
          if (e instanceof MemoryFault) throw new InterpError(index, 'memory', e.message);
          throw e;
        }
        forget();
        out = regs[atomicWrites(x) ?? 0]!;
      } else if (x.code === 0x18) {
        const v = opts.ldImm64?.(insns, index);
        if (v === undefined) fault(index, 'invalid-insn', `no value for ld_imm64 with src_reg ${x.src}`);
        out = u64(v!);
      } else {
        const v = loadPacket(x, regs, opts.packet);
        if (v === undefined) return 1;
        out = v;
      }
      io[0] = Number(out & 0xffffffffn) | 0;
      io[1] = Number(out >> 32n) | 0;
      return 0;
    },
    helper: (index: number, id: number, ...args: number[]) => {
      const h = lookupHelper(opts.helpers, id);
      if (!h) fault(index, 'unknown-helper', `call to unknown helper ${id}`);
      return callHelper(h!, `helper ${id}`, index, args);
    },
    kfunc: (index: number, id: number, ...args: number[]) => {
      const h = lookupHelper(opts.kfuncs, id);
      if (!h) fault(index, 'unknown-kfunc', `call to unknown kfunc btf_id ${id}`);
      return callHelper(h!, `kfunc ${id}`, index, args);
    },
    tailcall: (index: number, ...args: number[]) => {
      if (!opts.tailCall) fault(index, 'invalid-insn', 'tail calls are not modelled by the interpreter');
      return callHelper(opts.tailCall!, 'tail call', index, args);
    },
    callx: (index: number, l: number, h: number, ...args: number[]) => {
      const id = big(l, h);
      return callHelper(callxTarget(opts.helpers, id, index), `helper ${id}`, index, args);
    },
    pushStack: (depth: number) => {
      const base = STACK_BASE + BigInt(depth * STACK_STRIDE);
      mem.map(`stack[${depth}]`, new Uint8Array(MAX_BPF_STACK), true, base);
      stacks.push(base);
    },
    popStack: () => {
      mem.unmap(stacks.pop()!);
      forget();
    },
    fault,
    /** The block at `start` was entered after `before` steps: the limit falls on its (stepLimit - before)th instruction. */
    overLimit: (start: number, before: number) => {
      let i = start;
      for (let k = before; k < stepLimit; k++) i += insns[i]!.code === 0x18 ? 2 : 1;
      return fault(i, 'step-limit', `step limit of ${stepLimit} instructions reached`);
    },
    fellOff: (pc: number) =>
      fault(Math.max(0, Math.min(pc, n) - 1), 'fell-off', `execution ran off the program at ${pc}`),
    finish: (steps: number, how: number, ...pairs: number[]): RunResult => {
      const regs = Array.from({ length: 11 }, (_, r) => big(pairs[2 * r]!, pairs[2 * r + 1]!));
      const r0 = how === END_EXIT ? regs[0]! : how === END_PACKET ? 0n : exitR0;
      return { r0, steps, regs, mem };
    },
  };
  const body = factory(env);

  const init = new Int32Array(2 * NREGS);
  const setPair = (into: Int32Array, at: number, v: bigint) => {
    into[at] = Number(v & 0xffffffffn) | 0;
    into[at + 1] = Number(v >> 32n) | 0;
  };
  return (o: RunOptions, from?: SteppedState): RunResult => {
    if (busy) return compiledOnce(insns, factory)(o, from); // re-entered from a helper
    busy = true;
    opts = o;
    mem = from?.mem ?? o.mem ?? new Memory();
    stepLimit = o.stepLimit ?? 1_000_000;
    forget();
    init.fill(0);
    try {
      if (from) {
        stacks = from.stacks;
        from.regs.forEach((v, r) => {
          setPair(init, 2 * r, v ?? 0n);
        });
        from.frames.forEach((f, k) => {
          const at = k * FRAME_INTS;
          for (let r = 0; r < NREGS; r++) setPair(env.F, at + 2 * r, f.regs[r] ?? 0n);
          env.F[at + 2 * NREGS] = f.returnPc;
        });
        return body(init, stepLimit, from.mayGoto, from.pc, from.steps, from.frames.length);
      }
      stacks = [];
      (o.args ?? []).slice(0, 5).forEach((a, k) => {
        setPair(init, 2 * (k + 1), u64(BigInt(a)));
      });
      env.pushStack(0);
      init[20] = MAX_BPF_STACK;
      init[21] = STACK_HI;
      return body(init, stepLimit, o.mayGotoBudget ?? BPF_MAX_LOOPS, 0, 0, 0);
    } finally {
      while (stacks.length) env.popStack();
      busy = false;
    }
  };
}

/** A fresh runner of an already generated program, for a run nested inside another. */
const compiledOnce = (insns: readonly Insn[], factory: (env: Env) => RunBody): Run => runner(insns, factory);
