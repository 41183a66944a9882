// bpf_int_jit_compile() of arch/x86/net/bpf_jit_comp.c: run do_jit() until the image stops
// shrinking (padding from pass 15 on), then one more pass that writes the image; and jit_subprogs()'s
// two rounds for programs with bpf-to-bpf calls.

import type { Insn } from '../../isa/insn';
import { BPF_DW, BPF_IMM, BPF_LD, BPF_PSEUDO_FUNC } from '../../isa/opcodes';
import { returnThunkSymbol } from '../../kernel/x86-config';
import { indirectThunkName, type JitAddressSpace, X86_MODULES_VADDR } from './address-space';
import type { EmittedCall, JitContext, JitEnv, JitFeatures, JitFuncSpec, JitPlan } from './do-jit';
import * as doJitModule from './do-jit';
import { ERANGE, JitError } from './emit-ops';
import { Emitter } from './emitter';

// Module-local bindings: under tsx each imported name is a getter call per use (see emit-ops.ts).
const { cfiOffset, DEFAULT_FEATURES, doJit, jitPlan, KIND_LD_IMM64, SITE_CALL_DEPTH, SITE_IMM64 } =
  doJitModule;
const { siteWhat, sizePass } = doJitModule;

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
  /** Kernel build and mitigations (KernelProfile.x86); default: the corpus kernel's. */
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
  /** The image from the entry point (bpf_func) on, jited_len bytes: what bpf_prog_info dumps. */
  image: Uint8Array;
  /** kCFI preamble before the entry point (cfi_get_offset() bytes; empty without kCFI). */
  cfiPreamble: Uint8Array;
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
  /** Offsets of rel32 fields addressing __x86_call_depth (call-depth accounting). */
  callDepthRefs: number[];
}

/**
 * A JitCall whose symbol is looked up when first read: naming is for listings and comparisons,
 * and a symbol-table lookup per call would cost the JIT more than emitting the call.
 */
class NamedCall implements JitCall {
  private name: string | undefined | null = null;

  /** The target is `base + delta`, added when first read (a helper call's is callBase + imm). */
  constructor(
    readonly at: number,
    readonly kind: 'call' | 'jmp',
    private readonly base: bigint,
    private readonly delta: number,
    readonly insn: number,
    readonly what: EmittedCall['what'],
    private readonly nameOf: (c: EmittedCall) => string | undefined,
  ) {}

  get target(): bigint {
    return this.delta === 0 ? this.base : this.base + BigInt(this.delta);
  }

  get symbol(): string | undefined {
    if (this.name === null) this.name = this.nameOf(this);
    return this.name;
  }

  /** The same call in a concatenated image (jitProgramFuncs). */
  static moved(c: JitCall, byBytes: number, byInsns: number): JitCall {
    const name = c.symbol;
    return new NamedCall(c.at + byBytes, c.kind, c.target, 0, c.insn + byInsns, c.what, () => name);
  }

  toJSON(): Omit<JitCall, 'target'> & { target: string } {
    const { at, kind, symbol, insn, what } = this;
    return { at, kind, symbol, target: `0x${BigInt.asUintN(64, this.target).toString(16)}`, insn, what };
  }
}

interface FuncState {
  spec: JitFuncSpec;
  env: JitEnv;
  plan: JitPlan;
  addrs: Int32Array;
  ctx: JitContext;
  proglen: number;
  passes: number;
  /** The image, in memory of its own, once a pass wrote it there (imageEmitter). */
  image: Uint8Array | undefined;
  /** Where the image starts in the last pass's buffer (plan.sites hold offsets in that buffer). */
  imageBase: number;
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

/** Where a named thunk lives: the address space's symbol, else a symbol-less address near the return thunk. */
function thunkAddr(as: JitAddressSpace, name: string, fallback: bigint): bigint {
  return as.lookup?.(name) ?? fallback;
}

function envOf(
  input: JitInput,
  as: JitAddressSpace,
  pseudoTarget: (i: number, insn: Insn) => bigint,
): JitEnv {
  return {
    features: input.features ? { ...DEFAULT_FEATURES, ...input.features } : DEFAULT_FEATURES,
    callBase: as.callBase,
    thisCpuOff: as.thisCpuOff ?? 0,
    pseudoTarget,
    imm64: input.imm64 ?? ownImm64(input.insns),
  };
}

/** Where the thunk jumps and the call-depth reference of a configuration point. */
interface SiteTargets {
  returnThunk: bigint | undefined;
  indirectThunkRcx: bigint | undefined;
  callDepth: bigint;
}

// Resolved once per address space and configuration: symbol lookups are not free.
const siteTargetCache = new WeakMap<JitAddressSpace, WeakMap<JitFeatures, SiteTargets>>();

function siteTargets(f: JitFeatures, as: JitAddressSpace): SiteTargets {
  let perAs = siteTargetCache.get(as);
  if (!perAs) {
    perAs = new WeakMap();
    siteTargetCache.set(as, perAs);
  }
  let t = perAs.get(f);
  if (!t) {
    t = resolveSiteTargets(f, as);
    perAs.set(f, t);
  }
  return t;
}

function resolveSiteTargets(f: JitFeatures, as: JitAddressSpace): SiteTargets {
  const rcx = 1;
  const rt = returnThunkSymbol(f.returnThunk);
  const indirect =
    f.retpoline === 'its'
      ? thunkAddr(as, '__x86_indirect_its_thunk_rcx', as.returnThunk + 0x400n + 32n)
      : f.callDepthTracking
        ? thunkAddr(as, '__x86_indirect_jump_thunk_rcx', as.returnThunk + 0x600n + 32n)
        : (as.lookup?.(indirectThunkName(rcx)) ??
          (as.indirectThunk ? as.indirectThunk(rcx) : as.returnThunk + 0x100n + 32n));
  return {
    returnThunk:
      rt === undefined
        ? undefined
        : rt === 'srso_alias_return_thunk'
          ? thunkAddr(as, rt, as.returnThunk)
          : thunkAddr(as, rt, as.returnThunk + 0x800n),
    indirectThunkRcx: f.retpoline === 'on' || f.retpoline === 'its' ? indirect : undefined,
    callDepth: thunkAddr(as, '__x86_call_depth', as.callBase + 0x2000000n),
  };
}

/**
 * The convergence loop of bpf_int_jit_compile(). The first pass emits (it learns every insn's
 * size); the next ones only size (sizePass: just jumps can change); once a pass repeats the
 * previous length, the image-writing pass emits the image at the converged offsets.
 */
function compile(st: FuncState, toImage: boolean): void {
  let oldproglen = 0;
  let padding = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    if (!padding && pass >= PADDING_PASSES) padding = true;
    const proglen =
      pass === 0
        ? doJit(st.spec, st.env, st.plan, st.addrs, st.ctx, oldproglen, padding)
        : sizePass(st.spec, st.plan, st.addrs, st.ctx, padding);
    if (proglen === oldproglen) {
      // The image is allocated; one more pass (padding from pass 15 on) writes it.
      if (pass + 1 >= PADDING_PASSES) padding = true;
      finalPass(st, oldproglen, padding, toImage);
      st.proglen = oldproglen;
      st.passes = pass + 2;
      return;
    }
    oldproglen = proglen;
  }
  throw new JitError(`bpf_jit: no convergence in ${MAX_PASSES} passes`, 524);
}

/**
 * The image-writing pass. `toImage`: straight into the result's memory (no pass after it), else
 * into the plan's other buffer.
 */
function finalPass(st: FuncState, proglen: number, padding: boolean, toImage: boolean): void {
  if (!toImage) {
    doJit(st.spec, st.env, st.plan, st.addrs, st.ctx, proglen, padding, true, true);
    st.image = undefined;
    st.imageBase = 0;
    return;
  }
  const dest = imageEmitter(proglen);
  const base = dest.base;
  doJit(st.spec, st.env, st.plan, st.addrs, st.ctx, proglen, padding, true, true, dest);
  // (an emitter that had to grow copied what it held: the image is in its new buffer)
  st.image = dest.buf.subarray(base, base + proglen);
  st.imageBase = base;
  if (dest.buf !== imageE?.buf) imageE = undefined;
  // the plan's buffers stay its own: the image is the result's
  st.plan.e = st.plan.e2!;
  st.plan.e2 = undefined;
}

function freshState(spec: JitFuncSpec, env: JitEnv, reuse?: JitPlan): FuncState {
  const n = spec.insns.length;
  const plan = jitPlan(spec, env, reuse); // addrs[]: the pessimistic first estimate
  const addrs = plan.addrs;
  return {
    spec,
    env,
    plan,
    addrs,
    ctx: { cleanupAddr: 64 * (n + 1), tailCallDirectLabel: 0, tailCallIndirectLabel: 0 },
    proglen: 0,
    passes: 0,
    image: undefined,
    imageBase: 0,
  };
}

/** a - b as a double: exact while |a - b| < 2^53 (beyond that no rel32 can reach anyway). */
function relativeTo(a: bigint, b: bigint): number {
  return Number(BigInt.asIntN(64, a - b));
}

const NO_PREAMBLE = new Uint8Array(0);

// Images are views into shared 256 KiB chunks: a fresh ArrayBuffer per image (slice()) cost more
// than JITing a small program. A chunk lives while any image in it does. The image-writing pass
// writes into the chunk through one emitter per chunk (an Emitter per image cost its DataView).
const CHUNK = 256 * 1024;
let chunk = new ArrayBuffer(CHUNK);
let chunkUsed = 0;
let imageE: Emitter | undefined;

/** A copy of buf[0, len) that owns its bytes (no other image shares them). */
function imageCopy(buf: Uint8Array, len: number): Uint8Array {
  if (len > CHUNK / 4) return buf.slice(0, len);
  if (chunkUsed + len > CHUNK) newChunk();
  const out = new Uint8Array(chunk, chunkUsed, len);
  out.set(buf.subarray(0, len));
  chunkUsed += (len + 7) & ~7;
  return out;
}

function newChunk(): void {
  chunk = new ArrayBuffer(CHUNK);
  chunkUsed = 0;
  imageE = undefined;
}

/**
 * An emitter whose next pass writes an image of `len` bytes at its `base`, in memory the result
 * keeps; room for one more insn after it, which the next image may take over.
 */
function imageEmitter(len: number): Emitter {
  const room = Emitter.roomFor(len);
  if (room > CHUNK / 4) return new Emitter(room);
  if (chunkUsed + room > CHUNK) newChunk();
  imageE ??= new Emitter(0, new Uint8Array(chunk));
  imageE.base = chunkUsed;
  chunkUsed += (len + 7) & ~7;
  return imageE;
}

function putU32(image: Uint8Array, at: number, v: number): void {
  image[at] = v;
  image[at + 1] = v >>> 8;
  image[at + 2] = v >>> 16;
  image[at + 3] = v >>> 24;
}

/**
 * The image as the image-writing pass leaves it at `imageBase` (where the preamble starts), sliced
 * from the entry point: call/jmp displacements and RIP-relative fields filled in.
 */
function writeImage(
  st: FuncState,
  as: JitAddressSpace,
  imageBase: bigint,
  nameOf: (c: EmittedCall) => string | undefined,
): JitResult {
  const { insns } = st.spec;
  const { env, plan } = st;
  const entry = cfiOffset(env.features);
  const full = st.image ?? imageCopy(plan.e.buf, st.proglen);
  const base = st.imageBase;
  const calls: JitCall[] = [];
  const imm64: { at: number; insn: number }[] = [];
  const callDepthRefs: number[] = [];
  const { sites } = plan;
  let targets: SiteTargets | undefined;
  // Displacements in doubles (exact: kernel addresses lie within 2^53 of each other), so a
  // helper call costs one BigInt operation (its target) instead of a chain of them.
  let callBaseRel: number | undefined;
  for (let k = 0; k < sites.n; k++) {
    const at = sites.at[k]! - base;
    const idx = sites.insn[k]!;
    const kind = sites.kind[k]!;
    if (kind === SITE_IMM64) {
      imm64.push({ at: at - entry, insn: idx });
      continue;
    }
    targets ??= siteTargets(env.features, as);
    if (kind === SITE_CALL_DEPTH) {
      // RIP-relative: from the end of the 9-byte sar
      putU32(full, at + 4, Number(BigInt.asIntN(32, targets.callDepth - (imageBase + BigInt(at) + 9n))));
      callDepthRefs.push(at + 4 - entry);
      continue;
    }
    const insn = insns[idx]!;
    const what = siteWhat(kind, insn);
    let target: bigint;
    let delta = 0;
    let rel: number;
    if (what === 'helper' || what === 'kfunc') {
      callBaseRel ??= relativeTo(env.callBase, imageBase);
      target = env.callBase;
      delta = insn.imm | 0;
      rel = callBaseRel + delta - (at + 5);
    } else {
      target =
        what === 'return'
          ? targets.returnThunk!
          : what === 'tail_call'
            ? targets.indirectThunkRcx!
            : env.pseudoTarget(idx, insn);
      rel = relativeTo(target, imageBase) - (at + 5);
    }
    // emit_patch()
    if (rel < -0x80000000 || rel > 0x7fffffff) {
      const to = BigInt.asUintN(64, target + BigInt(delta));
      throw new JitError(`Target call 0x${to.toString(16)} is out of range`, ERANGE);
    }
    putU32(full, at + 1, rel);
    calls.push(
      new NamedCall(at - entry, full[at] === 0xe8 ? 'call' : 'jmp', target, delta, idx, what, nameOf),
    );
  }
  const n = insns.length;
  // addrs[k]: start of insn k's code (addrs[0] = end of the prologue), from the entry point
  const a = st.addrs;
  const kinds = plan.kind;
  // sized up front: filled in order, so no holes remain
  const addrs = new Array<number>(n + 1);
  const perInsnBytes = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const at = a[k]!;
    addrs[k] = at - entry;
    if (kinds[k] === KIND_LD_IMM64 && k + 1 < n) {
      const end = a[k + 2]!;
      addrs[k + 1] = end - entry; // the kernel never writes the second slot's entry
      perInsnBytes[k] = end - at;
      perInsnBytes[k + 1] = 0;
      k++;
    } else {
      perInsnBytes[k] = a[k + 1]! - at;
    }
  }
  addrs[n] = a[n]! - entry;
  return {
    image: entry ? full.subarray(entry) : full,
    cfiPreamble: entry ? full.subarray(0, entry) : NO_PREAMBLE,
    addrs,
    calls,
    passes: st.passes,
    size: st.proglen - entry,
    perInsnBytes,
    imm64,
    callDepthRefs,
  };
}

// Buffers jitProgram hands from one run to the next (the result copies what it keeps).
let scratch: JitPlan | undefined;

/** JIT one function (a program without bpf-to-bpf calls, or one already split out). */
export function jitProgram(input: JitInput, as: JitAddressSpace): JitResult {
  const env = envOf(input, as, (_i, insn) => as.callBase + BigInt(insn.imm | 0));
  const st = freshState(specOf(input), env, scratch);
  scratch = undefined; // not shared while this run uses it (a nested run allocates its own)
  try {
    compile(st, true);
    return writeImage(st, as, as.programArea, (c) => as.symbolAt(c.target));
  } finally {
    scratch = st.plan;
  }
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
  /** Each function's entry address (bpf_func), where a call or a callback's ld_imm64 points: the kernel's jited_ksyms. */
  ksyms: bigint[];
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
  let entries: bigint[] = [];
  let realTargets = false;
  // A callback's address (ld_imm64 src BPF_PSEUDO_FUNC): MODULES_VADDR while the images are
  // sized (close to where they land, so the x86 encoding is already the final one), then the
  // callee's bpf_func for the last pass, as jit_subprogs patches it.
  const modulesVaddr = as.modulesVaddr ?? X86_MODULES_VADDR;
  const funcAddrCallee = (whole: number): number | undefined => {
    const insn = input.insns[whole]!;
    if (insn.code !== (BPF_LD | BPF_IMM | BPF_DW) || insn.src !== BPF_PSEUDO_FUNC) return undefined;
    return input.pseudoCallImm === 'relative' ? funcOf(whole + insn.imm + 1) : input.insns[whole + 1]!.imm;
  };
  const callbackImm64 =
    (s: JitSubprog) =>
    (i: number): bigint | undefined => {
      const callee = funcAddrCallee(i + s.start);
      if (callee === undefined) return undefined;
      return realTargets ? entries[callee]! : modulesVaddr;
    };
  const states = subs.map((s, k) => {
    const insns = input.insns.slice(s.start, ends[k]);
    const calleeAddr = callbackImm64(s);
    const own = input.imm64 ? (i: number) => input.imm64!(i + s.start) : ownImm64(insns);
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
      imm64: (i: number) => calleeAddr(i) ?? own(i),
    };
    // First round: the kernel points every bpf-to-bpf call at __bpf_call_base + 1.
    const env = envOf(fnInput, as, (i, insn) =>
      realTargets ? entries[calleeOf(i + s.start, insn)]! : as.callBase + 1n,
    );
    return freshState(specOf(fnInput), env);
  });

  // Functions are laid out in order; a call targets the callee's entry (bpf_func, after any kCFI preamble).
  let at = as.programArea;
  for (const st of states) {
    compile(st, false);
    bases.push(at);
    at += BigInt(st.proglen);
  }
  entries = states.map((st, k) => bases[k]! + BigInt(cfiOffset(st.env.features)));
  const entryToFunc = new Map(entries.map((b, j) => [b, j]));
  realTargets = true;
  const results: JitResult[] = states.map((st, k) => {
    // Callbacks' ld_imm64 now load their bpf_func (the plan holds ld_imm64 values as halves).
    const fn = st.spec.insns;
    for (let i = 0; i + 1 < fn.length; i++) {
      if (funcAddrCallee(i + subs[k]!.start) === undefined) continue;
      const v = BigInt.asUintN(64, st.env.imm64(i));
      st.plan.immLo[i] = Number(v & 0xffffffffn) | 0;
      st.plan.immHi[i] = Number(v >> 32n) | 0;
    }
    // jit_subprogs()' extra pass with the real call targets: it must keep every size
    finalPass(st, st.proglen, true, true);
    st.passes += 1;
    return writeImage(st, as, bases[k]!, (c) =>
      c.what === 'subprog' ? `func#${entryToFunc.get(c.target) ?? '?'}` : as.symbolAt(c.target),
    );
  });

  const size = results.reduce((a, r) => a + r.size, 0);
  const image = new Uint8Array(size);
  const addrs: number[] = [];
  const calls: JitCall[] = [];
  const imm64: { at: number; insn: number }[] = [];
  const callDepthRefs: number[] = [];
  const perInsnBytes: number[] = [];
  let off = 0;
  results.forEach((r, k) => {
    image.set(r.image, off);
    const start = subs[k]!.start;
    addrs.push(...r.addrs.slice(0, -1).map((a) => a + off));
    for (const c of r.calls) calls.push(NamedCall.moved(c, off, start));
    imm64.push(...r.imm64.map((m) => ({ at: m.at + off, insn: m.insn + start })));
    callDepthRefs.push(...r.callDepthRefs.map((a) => a + off));
    perInsnBytes.push(...r.perInsnBytes);
    off += r.size;
  });
  addrs.push(size);
  return {
    image,
    // each function keeps its own kCFI preamble; the dump (like this image) leaves them out
    cfiPreamble: results[0]!.cfiPreamble,
    addrs,
    calls,
    passes: Math.max(...results.map((r) => r.passes)),
    size,
    perInsnBytes,
    imm64,
    callDepthRefs,
    funcLens: results.map((r) => r.size),
    ksyms: entries,
    funcResults: results,
  };
}
