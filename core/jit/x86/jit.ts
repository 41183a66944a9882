// bpf_int_jit_compile() of arch/x86/net/bpf_jit_comp.c: run do_jit() until the image stops
// shrinking (padding from pass 15 on), then one more pass that writes the image; and jit_subprogs()'s
// two rounds for programs with bpf-to-bpf calls.

import type { Insn } from '../../isa/insn';
import { BPF_PSEUDO_CALL } from '../../isa/opcodes';
import type { JitAddressSpace } from './address-space';
import {
  DEFAULT_FEATURES,
  doJit,
  type EmittedCall,
  type JitContext,
  type JitEnv,
  type JitFeatures,
  type JitFuncSpec,
  type PassOutput,
} from './do-jit';
import { JitError } from './emit-ops';

const MAX_PASSES = 20;
const PADDING_PASSES = MAX_PASSES - 5;

export interface JitInput {
  /** The verifier's output (xlated) for one function. */
  insns: readonly Insn[];
  /** Verifier stack depth (bytes, before rounding). */
  stackDepth: number;
  isSubprog?: boolean;
  funcIndex?: number;
  tailCallReachable?: boolean;
  /** Tail calls whose key the verifier proved constant (direct, patchable). Default: none. */
  directTailCalls?: ReadonlySet<number>;
  /** Tail calls written as `call 12` (xlated dump form). Default true. */
  tailCallsAsHelper?: boolean;
  wasClassic?: boolean;
  /** Value of the ld_imm64 at insn i (map addresses); default: the pair's own immediate. */
  imm64?: (i: number) => bigint;
  features?: Partial<JitFeatures>;
}

export interface JitCall {
  /** Offset of the e8/e9 opcode in the image (program-wide for jitProgramFuncs). */
  at: number;
  kind: 'call' | 'jmp';
  /** Kernel symbol, `func#K` for another function of the program, undefined when unknown. */
  symbol: string | undefined;
  target: bigint;
  /** BPF insn index (program-wide for jitProgramFuncs). */
  insn: number;
  what: EmittedCall['what'];
}

export interface JitResult {
  image: Uint8Array;
  /** addrs[k] = offset of BPF insn k's code; addrs[len] = image size (ld_imm64's second slot: its end). */
  addrs: number[];
  calls: JitCall[];
  /** do_jit() passes run, as bpf_jit_dump reports them (the image-writing pass included). */
  passes: number;
  size: number;
  /** x86 bytes per BPF insn (0 for an ld_imm64's second slot). */
  perInsnBytes: number[];
  /** Offsets of movabs immediates loading map addresses (8 bytes each). */
  imm64: { at: number; insn: number }[];
}

interface FuncState {
  spec: JitFuncSpec;
  env: JitEnv;
  addrs: number[];
  ctx: JitContext;
  proglen: number;
  passes: number;
  last?: PassOutput;
}

function specOf(input: JitInput): JitFuncSpec {
  return {
    insns: input.insns,
    stackDepth: input.stackDepth,
    isSubprog: input.isSubprog ?? (input.funcIndex ?? 0) !== 0,
    tailCallReachable: input.tailCallReachable ?? false,
    wasClassic: input.wasClassic ?? false,
    directTailCalls: input.directTailCalls ?? new Set(),
    tailCallsAsHelper: input.tailCallsAsHelper ?? true,
  };
}

const ownImm64 =
  (insns: readonly Insn[]) =>
  (i: number): bigint =>
    (BigInt(insns[i + 1]!.imm >>> 0) << 32n) | BigInt(insns[i]!.imm >>> 0);

function envOf(
  input: JitInput,
  as: JitAddressSpace,
  pseudoTarget: (i: number, insn: Insn) => bigint,
): JitEnv {
  const returnThunk = as.returnThunk;
  return {
    features: { ...DEFAULT_FEATURES, ...input.features },
    callBase: as.callBase,
    returnThunk,
    indirectThunk: as.indirectThunk ?? ((reg) => returnThunk + 0x100n + 32n * BigInt(reg)),
    thisCpuOff: as.thisCpuOff ?? 0,
    callTarget: (i, insn) =>
      insn.src === BPF_PSEUDO_CALL ? pseudoTarget(i, insn) : as.callBase + BigInt(insn.imm | 0),
    imm64: input.imm64 ?? ownImm64(input.insns),
  };
}

/** The convergence loop; leaves st.last = the image-writing pass. */
function compile(st: FuncState, imageBase: bigint): void {
  let oldproglen = 0;
  let image: bigint | null = null;
  let padding = false;
  let pass = 0;
  for (; pass < MAX_PASSES || image !== null; pass++) {
    if (!padding && pass >= PADDING_PASSES) padding = true;
    const res = doJit(st.spec, st.env, st.addrs, st.ctx, image, oldproglen, padding);
    if (image !== null) {
      if (res.proglen !== oldproglen) {
        throw new JitError(`bpf_jit: proglen=${res.proglen} != oldproglen=${oldproglen}`, 14);
      }
      st.last = res;
      break;
    }
    if (res.proglen === oldproglen) image = imageBase;
    oldproglen = res.proglen;
  }
  if (!st.last) throw new JitError(`bpf_jit: no convergence in ${MAX_PASSES} passes`, 524);
  st.proglen = oldproglen;
  st.passes = pass + 1;
}

function freshState(spec: JitFuncSpec, env: JitEnv): FuncState {
  const n = spec.insns.length;
  // Pessimistic first estimate: 64 bytes per insn.
  const addrs = Array.from({ length: n + 1 }, (_, i) => 64 * (i + 1));
  return {
    spec,
    env,
    addrs,
    ctx: { cleanupAddr: 64 * (n + 1), tailCallDirectLabel: 0, tailCallIndirectLabel: 0 },
    proglen: 0,
    passes: 0,
  };
}

function finish(st: FuncState, nameOf: (c: EmittedCall) => string | undefined): JitResult {
  const out = st.last!;
  const { insns } = st.spec;
  const addrs = st.addrs.slice();
  const perInsnBytes: number[] = new Array(insns.length).fill(0);
  for (let k = 0; k < insns.length; k++) {
    if (insns[k]!.code === 0x18 && k + 1 < insns.length) {
      perInsnBytes[k] = addrs[k + 2]! - addrs[k]!;
      addrs[k + 1] = addrs[k + 2]!; // the kernel never writes this slot
      k++;
    } else {
      perInsnBytes[k] = addrs[k + 1]! - addrs[k]!;
    }
  }
  return {
    image: out.image!,
    addrs,
    calls: out.calls.map((c) => ({
      at: c.at,
      kind: c.kind,
      symbol: nameOf(c),
      target: c.target,
      insn: c.insn,
      what: c.what,
    })),
    passes: st.passes,
    size: out.proglen,
    perInsnBytes,
    imm64: out.imm64,
  };
}

/** JIT one function (a program without bpf-to-bpf calls, or one already split out). */
export function jitProgram(input: JitInput, as: JitAddressSpace): JitResult {
  const env = envOf(input, as, (_i, insn) => as.callBase + BigInt(insn.imm | 0));
  const st = freshState(specOf(input), env);
  compile(st, as.programArea);
  return finish(st, (c) => as.symbolAt(c.target));
}

export interface JitSubprog {
  /** First insn of the function in the whole program. */
  start: number;
  stackDepth: number;
  tailCallReachable?: boolean;
}

export interface JitFuncsInput
  extends Omit<JitInput, 'insns' | 'stackDepth' | 'isSubprog' | 'funcIndex' | 'tailCallReachable'> {
  /** The whole program (xlated), all functions in order. */
  insns: readonly Insn[];
  subprogs: readonly JitSubprog[];
  /** How a bpf-to-bpf call names its callee: xlated dumps hold the subprogram index (default). */
  pseudoCallImm?: 'subprog-index' | 'relative';
}

export interface JitFuncsResult extends JitResult {
  /** Byte length of each function's image (the kernel's jited_func_lens). */
  funcLens: number[];
  funcResults: JitResult[];
}

/**
 * jit_subprogs(): JIT every function with placeholder call targets, lay the images out in function
 * order, then one extra pass per function (padding on) with the real targets. The result
 * concatenates the images like bpf_prog_info.jited_prog_insns.
 */
export function jitProgramFuncs(input: JitFuncsInput, as: JitAddressSpace): JitFuncsResult {
  const subs = [...input.subprogs].sort((a, b) => a.start - b.start);
  if (subs.length === 0 || subs[0]!.start !== 0)
    throw new JitError('subprogs must start with function 0 at insn 0', 22);
  const n = input.insns.length;
  const ends = subs.map((_s, k) => (k + 1 < subs.length ? subs[k + 1]!.start : n));
  const funcOf = (pos: number) => subs.findIndex((s, k) => pos >= s.start && pos < ends[k]!);
  const calleeOf = (whole: number, insn: Insn): number =>
    input.pseudoCallImm === 'relative' ? funcOf(whole + insn.imm + 1) : insn.imm;

  const bases: bigint[] = [];
  let realTargets = false;
  const states = subs.map((s, k) => {
    const insns = input.insns.slice(s.start, ends[k]);
    const fnInput: JitInput = {
      ...input,
      insns,
      stackDepth: s.stackDepth,
      funcIndex: k,
      isSubprog: k !== 0,
      tailCallReachable: s.tailCallReachable ?? false,
      directTailCalls: new Set(
        [...(input.directTailCalls ?? [])]
          .filter((i) => i >= s.start && i < ends[k]!)
          .map((i) => i - s.start),
      ),
      imm64: input.imm64 ? (i: number) => input.imm64!(i + s.start) : undefined,
    };
    // First round: the kernel points every bpf-to-bpf call at __bpf_call_base + 1.
    const env = envOf(fnInput, as, (i, insn) =>
      realTargets ? bases[calleeOf(i + s.start, insn)]! : as.callBase + 1n,
    );
    return freshState(specOf(fnInput), env);
  });

  let at = as.programArea;
  for (const st of states) {
    compile(st, at);
    bases.push(at);
    at += BigInt(st.proglen);
  }
  realTargets = true;
  const results: JitResult[] = states.map((st, k) => {
    const res = doJit(st.spec, st.env, st.addrs, st.ctx, bases[k]!, st.proglen, true);
    if (res.proglen !== st.proglen)
      throw new JitError(`bpf_jit: proglen=${res.proglen} != oldproglen=${st.proglen}`, 14);
    st.last = res;
    st.passes += 1;
    const baseToFunc = new Map(bases.map((b, j) => [b, j]));
    return finish(st, (c) =>
      c.what === 'subprog' ? `func#${baseToFunc.get(c.target) ?? '?'}` : as.symbolAt(c.target),
    );
  });

  const size = results.reduce((a, r) => a + r.size, 0);
  const image = new Uint8Array(size);
  const addrs: number[] = [];
  const calls: JitCall[] = [];
  const imm64: { at: number; insn: number }[] = [];
  const perInsnBytes: number[] = [];
  let off = 0;
  results.forEach((r, k) => {
    image.set(r.image, off);
    const start = subs[k]!.start;
    addrs.push(...r.addrs.slice(0, -1).map((a) => a + off));
    calls.push(...r.calls.map((c) => ({ ...c, at: c.at + off, insn: c.insn + start })));
    imm64.push(...r.imm64.map((m) => ({ at: m.at + off, insn: m.insn + start })));
    perInsnBytes.push(...r.perInsnBytes);
    off += r.size;
  });
  addrs.push(size);
  return {
    image,
    addrs,
    calls,
    passes: Math.max(...results.map((r) => r.passes)),
    size,
    perInsnBytes,
    imm64,
    funcLens: results.map((r) => r.size),
    funcResults: results,
  };
}
