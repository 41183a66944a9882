// One pass of the x86-64 BPF JIT over one function (do_jit() of arch/x86/net/bpf_jit_comp.c,
// Linux 6.18): the prologue, then every BPF instruction, recording addrs[] as it goes. The pass
// loop around it lives in jit.ts.
//
// Speed: a pass writes straight into the function's one buffer, dispatches on a per-opcode table,
// and leaves every placement-dependent field (rel32 of calls and thunk jumps, the call-depth
// counter's RIP displacement, map movabs) as a recorded site, so the image-writing pass of the
// kernel reduces to patching those sites once the sizes have converged (jit.ts).

import type { Insn } from '../../isa/insn';
import * as isa from '../../isa/opcodes';
import { REFERENCE_X86_CONFIG, type X86Config } from '../../kernel/x86-config';
import type { CalleeRegs } from './emit-ops';
import * as ops from './emit-ops';
import * as emitter from './emitter';
import { Emitter } from './emitter';
import * as regs from './regs';

// Module-local bindings: under tsx each imported name is a getter call per use (see emit-ops.ts).
const { BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_CALL, BPF_DIV, BPF_DW, BPF_EXIT } = isa;
const { BPF_FETCH, BPF_FROM_LE, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT } = isa;
const { BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K } = isa;
const { BPF_LD, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MODE, BPF_MUL, BPF_NOSPEC } = isa;
const { BPF_OP, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_REG_0, BPF_REG_3, BPF_REG_4 } = isa;
const { BPF_REG_6, BPF_REG_7, BPF_REG_8, BPF_REG_9, BPF_REG_AX, BPF_RSH, BPF_SIZE, BPF_ST } = isa;
const { BPF_STX, BPF_X, BPF_XOR, BPF_ADD, BPF_SUB, BPF_ARSH, BPF_NEG, BPF_MOV, BPF_END } = isa;
const { BPF_FROM_BE, BPF_B, BPF_H, BPF_W, BPF_PSEUDO_FUNC } = isa;
const { EFAULT, EINVAL, JitError, emitAtomic, emitAtomicLdSt, emitLdsx, emitLdx, emitMov } = ops;
const { emitMovImm32, emitMovImm64, emitMovReg, emitMovsxReg, emitShiftx, emitStx } = ops;
const { maybeEmit1mod, maybeEmitMod, popCalleeRegs, pushCalleeRegs, simpleAluOpcode } = ops;
const { AUX_REG, add1mod, add1reg, add2reg, isEreg, X86_JA, X86_JAE, X86_JB, X86_JBE } = regs;
const { X86_JE, X86_JG, X86_JGE, X86_JL, X86_JLE, X86_JNE } = regs;
const { BPF_MAX_INSN_SIZE, emitNops, INSN_ROOM, isImm8, isImm8JmpOffset } = emitter;

/** Kernel-internal load modes (include/linux/filter.h) the verifier gives loads through BTF pointers. */
export const BPF_PROBE_MEM = isa.BPF_PROBE_MEM;
export const BPF_PROBE_MEMSX = isa.BPF_PROBE_MEMSX;
/** The vsyscall page: the top of the range PROBE_MEM loads check against. */
const VSYSCALL_ADDR = 0xffffffffff600000n;

/** BPF_JMP | BPF_TAIL_CALL: kernel-internal opcode the verifier gives `call bpf_tail_call`. */
export const BPF_TAIL_CALL = isa.BPF_TAIL_CALL;
/** off of `mov dst, src` that marks the per-CPU address conversion (BPF_ADDR_PERCPU). */
export const BPF_ADDR_PERCPU = -1;
/** BPF_FUNC_tail_call: xlated dumps show a tail call as `call 12`. */
export const BPF_FUNC_TAIL_CALL = 12;
const MAX_TAIL_CALL_CNT = 33;
const X86_PATCH_SIZE = 5;
/** Bytes a tail call skips in the callee: nop5 + xor/nop3 + push rbp + mov rbp, rsp (+ endbr with IBT). */
export const X86_TAIL_CALL_OFFSET = 12;
/** ENDBR64 (gen_endbr()). */
const ENDBR = [0xf3, 0x0f, 0x1e, 0xfa] as const;
/** CONFIG_FUNCTION_PADDING_CFI: NOPs after the kCFI hash with CONFIG_CALL_PADDING. */
const FUNCTION_PADDING_CFI = 11;
// struct bpf_array / struct bpf_prog offsets the tail-call sequence reads (x86-64 6.18 layout).
// Struct layout of the corpus kernel build, as its indirect tail-call sequence shows them.
const BPF_ARRAY_MAX_ENTRIES = 0x4c;
const BPF_ARRAY_PTRS = 0x138;
const BPF_PROG_BPF_FUNC = 0x48;

/** Build options, mitigations and CPU features that change the code (X86Config) plus the address layout. */
export interface JitFeatures extends X86Config {
  /** TASK_SIZE_MAX: (1 << 47) - PAGE_SIZE with 4-level paging, (1 << 56) - PAGE_SIZE with LA57. */
  taskSizeMax: bigint;
}

export const DEFAULT_FEATURES: JitFeatures = {
  ...REFERENCE_X86_CONFIG,
  taskSizeMax: (1n << 47n) - 4096n,
};

/** cfi_get_offset(): bytes of CFI preamble before the entry point (bpf_func). */
export const cfiOffset = (f: X86Config): number => (f.kcfi ? (f.callPadding ? 16 : 5) : 0);

/** What one function's code depends on outside its instructions. */
export interface JitEnv {
  features: JitFeatures;
  /** __bpf_call_base: helper/kfunc call targets are callBase + imm. */
  callBase: bigint;
  /** &this_cpu_off, for the per-CPU address instruction. */
  thisCpuOff: number;
  /** Absolute target of a bpf-to-bpf call at insn index i (the callee's entry). */
  pseudoTarget: (i: number, insn: Insn) => bigint;
  /** The 64-bit value an ld_imm64 at insn index i loads (maps: the map's kernel address). */
  imm64: (i: number) => bigint;
}

export interface JitFuncSpec {
  insns: readonly Insn[];
  stackDepth: number;
  isSubprog: boolean;
  tailCallReachable: boolean;
  /** Converted from classic BPF: no tail-call counter slot in the prologue. */
  wasClassic: boolean;
  /** Insn indices of tail calls with a constant key (poke descriptors: direct tail calls). */
  directTailCalls: ReadonlySet<number>;
  /** Tail calls appear as in xlated dumps (`call 12`) instead of BPF_JMP | BPF_TAIL_CALL. */
  tailCallsAsHelper: boolean;
}

/** jit_context: survives between passes. */
export interface JitContext {
  cleanupAddr: number;
  tailCallDirectLabel: number;
  tailCallIndirectLabel: number;
}

export interface EmittedCall {
  /** Offset of the e8/e9 opcode in the function image. */
  at: number;
  kind: 'call' | 'jmp';
  target: bigint;
  insn: number;
  what: 'helper' | 'kfunc' | 'subprog' | 'return' | 'tail_call';
}

// Placement-dependent fields a pass leaves for the image writer.
export const SITE_CALL = 1;
export const SITE_RETURN = 2;
export const SITE_INDIRECT = 3;
/** `sar qword gs:[rip + __x86_call_depth], 5`: rel32 at +4, RIP = site + 9. */
export const SITE_CALL_DEPTH = 4;
/** movabs of a map address: 8-byte immediate at the site. */
export const SITE_IMM64 = 5;

/** Sites of one pass (reused between passes). */
export class SiteList {
  at = new Int32Array(64);
  insn = new Int32Array(64);
  kind = new Uint8Array(64);
  n = 0;

  add(kind: number, at: number, insn: number): void {
    if (this.n === this.at.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.at = grow(this.at);
      this.insn = grow(this.insn);
      this.kind = grow(this.kind);
    }
    this.at[this.n] = at;
    this.insn[this.n] = insn;
    this.kind[this.n] = kind;
    this.n++;
  }
}

/** Per-function facts every pass needs, computed once. */
export interface JitPlan {
  /** Dispatch class of each insn (KIND_* below). */
  kind: Uint8Array;
  calleeRegs: CalleeRegs;
  /** ld_imm64 values as u32 halves (at the first slot's index). */
  immLo: Int32Array;
  immHi: Int32Array;
  /** addrs[] (insns + 1 entries, the start of the returned part in use). */
  addrs: Int32Array;
  /**
   * Bytes of each insn whose size no pass can change, as the last emitting pass left them; for a
   * jump, the bytes before it (cmp/test) — sizePass() adds the jump's form.
   */
  fixedLen: Int32Array;
  /** Prologue bytes (fixed). */
  prologueLen: number;
  /** The same pass buffer and site list across passes. */
  e: Emitter;
  sites: SiteList;
  /** The previous emitting pass's buffer and sites (doJit's `reuseEmitted` copies from them). */
  e2: Emitter | undefined;
  sites2: SiteList | undefined;
  /** Where each insn's code started in the last emitting pass that was not a copy. */
  starts: Int32Array;
  /**
   * Where each insn's code starts in plan.e2's buffer (what a reuse pass copies from): `starts`
   * after an emitting pass, `addrs` after a reuse pass (its image is laid out at the final offsets).
   */
  srcStarts: Int32Array;
  /** Length of the code in plan.e (becomes srcLen of the buffer a reuse pass copies from). */
  emittedLen: number;
  /**
   * Insns a reuse pass emits again, ascending (jumps, tail calls, exits after the first); every
   * other insn's bytes are copied in runs. Filled by jitPlan; `reemitN` entries in use.
   */
  reemit: Int32Array;
  reemitN: number;
  /** Jump distance in insns of each jump (off, or imm for gotol): sizePass reads no Insn. */
  jmpDelta: Int32Array;
  /** Index of the first exit (the epilogue), -1 if none. */
  firstExit: number;
}

const roundUp8 = (n: number): number => (n + 7) & ~7;
const tailCallCntPtrStackOff = (stack: number): number => -16 - roundUp8(stack);

/**
 * The src_reg the kernel's JIT sees: bpf_check's last step (convert_pseudo_ld_imm64) clears a
 * map ld_imm64's pseudo src (BPF_PSEUDO_MAP_IDX_VALUE is 6, which would read as r6 in use);
 * callbacks (BPF_PSEUDO_FUNC) keep theirs.
 */
const srcRegOf = (ins: Insn): number =>
  ins.code === (BPF_LD | BPF_IMM | BPF_DW) && ins.src !== BPF_PSEUDO_FUNC ? 0 : ins.src;

export function detectRegUsage(insns: readonly Insn[]): CalleeRegs {
  const used: CalleeRegs = [false, false, false, false];
  for (const ins of insns) {
    const s = srcRegOf(ins);
    if (ins.dst === BPF_REG_6 || s === BPF_REG_6) used[0] = true;
    if (ins.dst === BPF_REG_7 || s === BPF_REG_7) used[1] = true;
    if (ins.dst === BPF_REG_8 || s === BPF_REG_8) used[2] = true;
    if (ins.dst === BPF_REG_9 || s === BPF_REG_9) used[3] = true;
  }
  return used;
}

export const isTailCall = (spec: JitFuncSpec, ins: Insn): boolean =>
  ins.code === (BPF_JMP | BPF_TAIL_CALL) ||
  (spec.tailCallsAsHelper &&
    ins.code === (BPF_JMP | BPF_CALL) &&
    ins.src === 0 &&
    ins.imm === BPF_FUNC_TAIL_CALL);

// Dispatch classes: do_jit()'s `switch (insn->code)` arms, numbered for a dense switch.
const KIND = new Uint8Array(256);
{
  const set = (kind: number, codes: number[]) => {
    for (const c of codes) KIND[c] = kind;
  };
  const both = (f: (cls: number) => number[]) => [...f(BPF_ALU), ...f(BPF_ALU64)];
  const simple = [BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_XOR];
  const sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];
  const jcmp = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JLT, BPF_JGE, BPF_JLE, BPF_JSGT, BPF_JSLT, BPF_JSGE, BPF_JSLE];
  const jmps = (op: number[], src: number) => op.flatMap((o) => [BPF_JMP | o | src, BPF_JMP32 | o | src]);
  set(
    1,
    both((c) => simple.map((o) => c | o | BPF_X)),
  );
  set(2, [BPF_ALU64 | BPF_MOV | BPF_X]);
  set(3, [BPF_ALU | BPF_MOV | BPF_X]);
  set(4, [BPF_ALU | BPF_NEG, BPF_ALU64 | BPF_NEG]);
  set(
    5,
    both((c) => simple.map((o) => c | o | BPF_K)),
  );
  set(6, [BPF_ALU | BPF_MOV | BPF_K, BPF_ALU64 | BPF_MOV | BPF_K]);
  set(7, [BPF_LD | BPF_IMM | BPF_DW]);
  set(
    8,
    both((c) => [BPF_MOD, BPF_DIV].flatMap((o) => [c | o | BPF_X, c | o | BPF_K])),
  );
  set(
    9,
    both((c) => [c | BPF_MUL | BPF_K]),
  );
  set(
    10,
    both((c) => [c | BPF_MUL | BPF_X]),
  );
  set(
    11,
    both((c) => [BPF_LSH, BPF_RSH, BPF_ARSH].map((o) => c | o | BPF_K)),
  );
  set(
    12,
    both((c) => [BPF_LSH, BPF_RSH, BPF_ARSH].map((o) => c | o | BPF_X)),
  );
  set(13, [BPF_ALU | BPF_END | BPF_FROM_BE, BPF_ALU64 | BPF_END | BPF_FROM_LE]);
  set(14, [BPF_ALU | BPF_END | BPF_FROM_LE]);
  set(15, [BPF_ST | BPF_NOSPEC]);
  set(
    16,
    sizes.map((s) => BPF_ST | BPF_MEM | s),
  );
  set(
    17,
    sizes.map((s) => BPF_STX | BPF_MEM | s),
  );
  set(
    18,
    sizes.map((s) => BPF_LDX | BPF_MEM | s),
  );
  set(
    19,
    [BPF_B, BPF_H, BPF_W].map((s) => BPF_LDX | BPF_MEMSX | s),
  );
  set(20, [
    ...sizes.map((s) => BPF_LDX | BPF_PROBE_MEM | s),
    ...[BPF_B, BPF_H, BPF_W].map((s) => BPF_LDX | BPF_PROBE_MEMSX | s),
  ]);
  set(
    21,
    sizes.map((s) => BPF_STX | BPF_ATOMIC | s),
  );
  set(22, [BPF_JMP | BPF_CALL]);
  set(23, [BPF_JMP | BPF_TAIL_CALL]);
  set(24, jmps(jcmp, BPF_X));
  set(25, jmps([BPF_JSET], BPF_X));
  set(26, jmps([BPF_JSET], BPF_K));
  set(27, jmps(jcmp, BPF_K));
  set(28, [BPF_JMP | BPF_JA, BPF_JMP32 | BPF_JA]);
  set(29, [BPF_JMP | BPF_EXIT]);
}

const BPF_JMP_CALL = BPF_JMP | BPF_CALL;
// BPF R6..R9 (rbx, r13, r14, r15) → their bit in detect_reg_usage()'s mask
const CALLEE_REG_BIT = new Uint8Array(256);
CALLEE_REG_BIT[BPF_REG_6] = 1;
CALLEE_REG_BIT[BPF_REG_7] = 2;
CALLEE_REG_BIT[BPF_REG_8] = 4;
CALLEE_REG_BIT[BPF_REG_9] = 8;
/** JitPlan.kind of an ld_imm64's first slot. */
export const KIND_LD_IMM64 = 7;

// BPF jump op → x86 condition code (short form).
const JMP_COND = new Uint8Array(256);
JMP_COND[BPF_JEQ] = X86_JE;
JMP_COND[BPF_JSET] = X86_JNE;
JMP_COND[BPF_JNE] = X86_JNE;
JMP_COND[BPF_JGT] = X86_JA;
JMP_COND[BPF_JLT] = X86_JB;
JMP_COND[BPF_JGE] = X86_JAE;
JMP_COND[BPF_JLE] = X86_JBE;
JMP_COND[BPF_JSGT] = X86_JG;
JMP_COND[BPF_JSLT] = X86_JL;
JMP_COND[BPF_JSGE] = X86_JGE;
JMP_COND[BPF_JSLE] = X86_JLE;

// ALU-with-immediate: ModRM /digit byte and the short rax-only opcode, by BPF_OP.
const ALU_K_MODRM = new Uint8Array(256);
const ALU_K_RAX = new Uint8Array(256);
for (const [op, modrm, rax] of [
  [BPF_ADD, 0xc0, 0x05],
  [BPF_SUB, 0xe8, 0x2d],
  [BPF_AND, 0xe0, 0x25],
  [BPF_OR, 0xc8, 0x0d],
  [BPF_XOR, 0xf0, 0x35],
] as const) {
  ALU_K_MODRM[op] = modrm;
  ALU_K_RAX[op] = rax;
}

const u32Halves = (v: bigint): [number, number] => {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
};
const [VSYSCALL_LO, VSYSCALL_HI] = u32Halves(VSYSCALL_ADDR);

/**
 * The per-function plan (dispatch classes, callee-saved registers, ld_imm64 values). `reuse`: a
 * plan whose buffers may be taken over (jitProgram keeps one, so a JIT run allocates little).
 */
export function jitPlan(spec: JitFuncSpec, env: JitEnv, reuse?: JitPlan): JitPlan {
  const { insns } = spec;
  const n = insns.length;
  const fits = reuse !== undefined && reuse.kind.length >= n;
  const addrs = fits ? reuse.addrs : new Int32Array(n + 1);
  const fixedLen = fits ? reuse.fixedLen : new Int32Array(n);
  const starts = fits ? reuse.starts : new Int32Array(n);
  const kind = fits ? reuse.kind : new Uint8Array(n);
  const immLo = fits ? reuse.immLo : new Int32Array(n);
  const immHi = fits ? reuse.immHi : new Int32Array(n);
  const reemit = fits ? reuse.reemit : new Int32Array(n);
  const jmpDelta = fits ? reuse.jmpDelta : new Int32Array(n);
  let reemitN = 0;
  let firstExit = -1;
  let regMask = 0;
  const asHelper = spec.tailCallsAsHelper;
  for (let k = 0; k < n; k++) {
    const ins = insns[k]!;
    const code = ins.code;
    let kk = KIND[code]!;
    if (code === BPF_JMP_CALL && asHelper && ins.src === 0 && ins.imm === BPF_FUNC_TAIL_CALL) kk = 23;
    kind[k] = kk;
    // detect_reg_usage(), with the src the kernel's JIT sees (srcRegOf)
    regMask |=
      CALLEE_REG_BIT[ins.dst]! |
      (kk === KIND_LD_IMM64 && ins.src !== BPF_PSEUDO_FUNC ? 0 : CALLEE_REG_BIT[ins.src]!);
    addrs[k] = 64 * (k + 1); // the first pass's pessimistic estimate: 64 bytes per insn
    if (kk >= 23) {
      if (kk === 29 && firstExit < 0) firstExit = k;
      else reemit[reemitN++] = k;
      if (kk >= 24 && kk <= 28) jmpDelta[k] = kk === 28 && (code & 7) !== BPF_JMP ? ins.imm | 0 : ins.off;
    } else if (kk === KIND_LD_IMM64 && k + 1 < n) {
      const v = env.imm64(k);
      immLo[k] = Number(BigInt.asIntN(32, v));
      immHi[k] = Number(BigInt.asIntN(32, v >> 32n));
      // A callback's address changes for jit_subprogs' last pass: its bytes are written anew.
      if (ins.src === BPF_PSEUDO_FUNC) reemit[reemitN++] = k;
    }
  }
  addrs[n] = 64 * (n + 1);
  const used: CalleeRegs = [
    (regMask & 1) !== 0,
    (regMask & 2) !== 0,
    (regMask & 4) !== 0,
    (regMask & 8) !== 0,
  ];
  return {
    kind,
    calleeRegs: used,
    immLo,
    immHi,
    addrs,
    fixedLen,
    prologueLen: 0,
    e: reuse?.e ?? new Emitter(16 * n + 256),
    sites: reuse?.sites ?? new SiteList(),
    e2: reuse?.e2,
    sites2: reuse?.sites2,
    starts,
    srcStarts: starts,
    emittedLen: 0,
    reemit,
    reemitN,
    jmpDelta,
    firstExit,
  };
}

function emitEndbr(e: Emitter): void {
  e.b(ENDBR[0], ENDBR[1], ENDBR[2], ENDBR[3]);
}

function emitPrologue(e: Emitter, spec: JitFuncSpec, f: X86Config, stackDepth: number): void {
  // emit_cfi(): kCFI hash (+ call padding) before the entry, or ENDBR alone with IBT
  if (f.kcfi) {
    e.b(0xb8); // mov eax, hash
    e.u32(spec.isSubprog ? f.kcfiSubprogHash : f.kcfiHash);
    if (f.callPadding) for (let k = 0; k < FUNCTION_PADDING_CFI; k++) e.b(0x90);
  }
  if (f.ibt) emitEndbr(e);
  emitNops(e, X86_PATCH_SIZE); // fentry patch site for trampolines
  if (!spec.wasClassic) {
    if (spec.tailCallReachable && !spec.isSubprog)
      e.b(0x48, 0x31, 0xc0); // tail_call_cnt = 0
    else emitNops(e, 3); // same layout either way
  }
  e.b(0x55); // push rbp
  e.b(0x48, 0x89, 0xe5); // mov rbp, rsp
  if (f.ibt) emitEndbr(e); // tail calls land here
  if (stackDepth) {
    e.b(0x48, 0x81, 0xec);
    e.u32(roundUp8(stackDepth));
  }
  if (spec.tailCallReachable) {
    if (!spec.isSubprog) {
      e.b(0x48, 0x83, 0xf8, MAX_TAIL_CALL_CNT); // cmp rax, MAX_TAIL_CALL_CNT
      e.b(X86_JA, 6);
      e.b(0x50); // push rax (the counter)
      e.b(0x48, 0x89, 0xe0); // mov rax, rsp (pointer to it)
      e.b(0xeb, 1);
      e.b(0x50); // push rax (counter pointer handed over by a subprog's tail call)
      e.b(0x50); // push rax (the pointer)
    } else {
      e.b(0x50, 0x50);
    }
  }
}

/**
 * One do_jit() pass into plan.e (from offset 0). `addrs` (length insns + 1) is read and updated in
 * place exactly like the kernel's: jump displacements use the previous pass's values for forward
 * targets. Placement-dependent fields are written as zeros and listed in plan.sites.
 * `final`: the kernel's image-writing pass, which must not move any insn ("bpf_jit: fatal error").
 * `reuseEmitted`: insns whose bytes no pass changes (all but jumps, later exits and tail calls,
 * whose labels settle after the first pass) are copied from the last emitting pass instead of
 * emitted again; sizePass() passes in between leave that pass's buffer alone. Only with `final`.
 * `imageDest`: where a reuse pass writes (the result's own memory); default: a buffer of the plan.
 */
export function doJit(
  spec: JitFuncSpec,
  env: JitEnv,
  plan: JitPlan,
  addrs: Int32Array,
  ctx: JitContext,
  oldproglen: number,
  jmpPadding: boolean,
  final = false,
  reuseEmitted = false,
  imageDest?: Emitter,
): number {
  const { insns } = spec;
  const f = env.features;
  const stackDepth = spec.stackDepth;
  const calleeRegsUsed = plan.calleeRegs;
  const kinds = plan.kind;
  // Where plan.e2's code starts per insn, and its length (after the swap below)
  let srcStarts = plan.starts;
  let srcLen = 0;
  if (reuseEmitted) {
    if (!final) throw new Error('doJit: reuseEmitted is for the image-writing pass');
    srcStarts = plan.srcStarts;
    srcLen = plan.emittedLen;
    // this pass writes the other buffer; the last emitting pass's stays readable
    const src = plan.e;
    plan.e =
      imageDest ??
      (plan.e2 !== undefined && plan.e2.buf.length >= src.buf.length ? plan.e2 : new Emitter(src.buf.length));
    plan.e2 = src;
    const srcSites = plan.sites;
    plan.sites = plan.sites2 ?? new SiteList();
    plan.sites2 = srcSites;
  }
  const sites = plan.sites;
  const e = plan.e;
  const srcSites = plan.sites2;
  const starts = plan.starts;
  const reemit = plan.reemit;
  const reemitN = plan.reemitN;
  let ri = 0;
  let sp = 0;
  e.rewind();
  sites.n = 0;
  let seenExit = false;

  emitPrologue(e, spec, f, stackDepth);
  pushCalleeRegs(e, calleeRegsUsed);
  let proglen = e.length;
  plan.prologueLen = proglen;
  const fixedLen = plan.fixedLen;
  addrs[0] = proglen;
  e.commit();

  const n = insns.length;
  for (let i = 1; i <= n; i++) {
    const idx = i - 1;
    const kind = kinds[idx]!;
    if (reuseEmitted) {
      while (ri < reemitN && reemit[ri]! < idx) ri++;
      if (ri === reemitN || reemit[ri]! !== idx) {
        // A run of insns [idx, end) whose bytes no pass changes: one copy, their sites moved along.
        // Every insn in it keeps the size sizePass() gave it, so addrs[] holds the run's layout.
        const end = ri < reemitN ? reemit[ri]! : n;
        const from = srcStarts[idx]!;
        const to = end < n ? srcStarts[end]! : srcLen;
        const len = to - from;
        if (proglen + len > oldproglen || proglen + len !== addrs[end]) {
          throw new JitError('bpf_jit: fatal error', EFAULT);
        }
        const shift = e.pos - from;
        while (sp < srcSites!.n && srcSites!.insn[sp]! < idx) sp++;
        for (; sp < srcSites!.n && srcSites!.insn[sp]! < end; sp++)
          sites.add(srcSites!.kind[sp]!, srcSites!.at[sp]! + shift, srcSites!.insn[sp]!);
        e.copy(plan.e2!, from, len);
        if (plan.firstExit >= idx && plan.firstExit < end) {
          seenExit = true;
          ctx.cleanupAddr = proglen + srcStarts[plan.firstExit]! - from;
        }
        proglen += len;
        e.commit();
        i = end; // the loop's i++ moves on to insn `end`
        continue;
      }
      ri++;
    } else {
      starts[idx] = proglen;
    }
    {
      // The insn itself is read only where it is emitted (later passes copy most insns' bytes).
      const insn = insns[idx]!;
      const code = insn.code;
      const imm32 = insn.imm | 0;
      let dst = insn.dst;
      let src = insn.src;
      const cls = code & 7;
      const op = code & 0xf0;
      const is64Alu = cls === BPF_ALU64;
      switch (kind) {
        case 1: // ALU reg: add, sub, and, or, xor
          maybeEmitMod(e, dst, src, is64Alu);
          e.b2(simpleAluOpcode(op), add2reg(0xc0, dst, src));
          break;

        case 2: // mov64 reg (+ per-CPU address, movsx)
          if (insn.off === BPF_ADDR_PERCPU) {
            emitMov(e, dst, src);
            e.b(0x65, add1mod(0x48, dst)); // gs: prefix, REX.W
            e.b(0x03, add2reg(0x04, 0, dst), 0x25); // add dst, [disp32]
            e.u32(env.thisCpuOff);
            break;
          }
          if (insn.off === 1)
            throw new JitError('bpf_jit: arena address-space casts are not modeled', EINVAL);
          if (insn.off === 0) emitMovReg(e, true, dst, src);
          else emitMovsxReg(e, insn.off, true, dst, src);
          break;
        case 3: // mov32 reg
          if (insn.off === 0) emitMovReg(e, false, dst, src);
          else emitMovsxReg(e, insn.off, false, dst, src);
          break;

        case 4: // neg
          maybeEmit1mod(e, dst, is64Alu);
          e.b(0xf7, add1reg(0xd8, dst));
          break;

        case 5: // ALU imm: add, sub, and, or, xor
          maybeEmit1mod(e, dst, is64Alu);
          if (isImm8(imm32)) e.b3(0x83, add1reg(ALU_K_MODRM[op]!, dst), imm32);
          else if (dst === BPF_REG_0) {
            e.b(ALU_K_RAX[op]!);
            e.u32(imm32);
          } else {
            e.b(0x81, add1reg(ALU_K_MODRM[op]!, dst));
            e.u32(imm32);
          }
          break;

        case 6: // mov imm
          emitMovImm32(e, is64Alu, dst, imm32);
          break;

        case 7: {
          // ld_imm64: two slots, one x86 instruction
          const before = e.length;
          emitMovImm64(e, dst, plan.immHi[idx]!, plan.immLo[idx]!);
          if (insn.src !== 0 && e.length - before === 10) sites.add(SITE_IMM64, e.start + before + 2, idx);
          i++;
          break;
        }

        case 8: {
          // div / mod through rax:rdx
          const is64 = is64Alu;
          if (dst !== BPF_REG_0) e.b(0x50); // push rax
          if (dst !== BPF_REG_3) e.b(0x52); // push rdx
          if ((code & 0x08) === BPF_X) {
            if (src === BPF_REG_0 || src === BPF_REG_3) {
              emitMov(e, AUX_REG, src);
              src = AUX_REG;
            }
          } else {
            e.b(0x49, 0xc7, 0xc3); // mov r11, imm32
            e.u32(imm32);
            src = AUX_REG;
          }
          if (dst !== BPF_REG_0) emitMovReg(e, is64, BPF_REG_0, dst);
          if (insn.off === 0) {
            e.b(0x31, 0xd2); // xor edx, edx
            maybeEmit1mod(e, src, is64);
            e.b(0xf7, add1reg(0xf0, src)); // div
          } else {
            if (cls === BPF_ALU)
              e.b(0x99); // cdq
            else e.b(0x48, 0x99); // cqo
            maybeEmit1mod(e, src, is64);
            e.b(0xf7, add1reg(0xf8, src)); // idiv
          }
          if (op === BPF_MOD && dst !== BPF_REG_3) emitMovReg(e, is64, dst, BPF_REG_3);
          else if (op === BPF_DIV && dst !== BPF_REG_0) emitMovReg(e, is64, dst, BPF_REG_0);
          if (dst !== BPF_REG_3) e.b(0x5a); // pop rdx
          if (dst !== BPF_REG_0) e.b(0x58); // pop rax
          break;
        }

        case 9: // mul imm
          maybeEmitMod(e, dst, dst, is64Alu);
          if (isImm8(imm32)) e.b(0x6b, add2reg(0xc0, dst, dst), imm32);
          else {
            e.b(0x69, add2reg(0xc0, dst, dst));
            e.u32(imm32);
          }
          break;

        case 10: // mul reg
          maybeEmitMod(e, src, dst, is64Alu);
          e.b(0x0f, 0xaf, add2reg(0xc0, src, dst)); // imul dst, src
          break;

        case 11: {
          // shift by imm
          maybeEmit1mod(e, dst, is64Alu);
          const b3 = simpleAluOpcode(op);
          if (imm32 === 1) e.b(0xd1, add1reg(b3, dst));
          else e.b(0xc1, add1reg(b3, dst), imm32);
          break;
        }

        case 12: {
          // shift by reg: BMI2 forms take the count in any register; not worth it when it is already rcx
          if (f.bmi2 && src !== BPF_REG_4) {
            const pp = op === BPF_LSH ? 1 : op === BPF_RSH ? 3 : 2;
            emitShiftx(e, dst, src, is64Alu, pp);
            break;
          }
          if (src !== BPF_REG_4) {
            if (dst === BPF_REG_4) {
              emitMov(e, AUX_REG, dst);
              dst = AUX_REG;
            } else {
              e.b(0x51); // push rcx
            }
            emitMov(e, BPF_REG_4, src);
          }
          maybeEmit1mod(e, dst, is64Alu);
          e.b(0xd3, add1reg(simpleAluOpcode(op), dst));
          if (src !== BPF_REG_4) {
            if (insn.dst === BPF_REG_4) emitMov(e, insn.dst, AUX_REG);
            else e.b(0x59); // pop rcx
          }
          break;
        }

        case 13: // byte swap (be16/32/64, bswap)
          switch (imm32) {
            case 16:
              e.b(0x66); // ror ax, 8
              if (isEreg(dst)) e.b(0x41);
              e.b(0xc1, add1reg(0xc8, dst), 8);
              if (isEreg(dst))
                e.b(0x45, 0x0f, 0xb7); // movzx eax, ax
              else e.b(0x0f, 0xb7);
              e.b(add2reg(0xc0, dst, dst));
              break;
            case 32:
              if (isEreg(dst))
                e.b(0x41, 0x0f); // bswap eax
              else e.b(0x0f);
              e.b(add1reg(0xc8, dst));
              break;
            case 64:
              e.b(add1mod(0x48, dst), 0x0f, add1reg(0xc8, dst)); // bswap rax
              break;
          }
          break;

        case 14: // le16/32/64: zero-extension only
          switch (imm32) {
            case 16:
              if (isEreg(dst))
                e.b(0x45, 0x0f, 0xb7); // movzx eax, ax
              else e.b(0x0f, 0xb7);
              e.b(add2reg(0xc0, dst, dst));
              break;
            case 32:
              if (isEreg(dst)) e.b(0x45); // mov eax, eax
              e.b(0x89, add2reg(0xc0, dst, dst));
              break;
            case 64:
              break;
          }
          break;

        case 15:
          e.b(0x0f, 0xae, 0xe8); // lfence
          break;

        case 16: {
          // *(size *)(dst + off) = imm
          const size = BPF_SIZE(code);
          if (size === BPF_B) {
            if (isEreg(dst)) e.b(0x41, 0xc6);
            else e.b(0xc6);
          } else if (size === BPF_H) {
            if (isEreg(dst)) e.b(0x66, 0x41, 0xc7);
            else e.b(0x66, 0xc7);
          } else if (size === BPF_W) {
            if (isEreg(dst)) e.b(0x41, 0xc7);
            else e.b(0xc7);
          } else {
            e.b(add1mod(0x48, dst), 0xc7);
          }
          if (isImm8(insn.off)) e.b(add1reg(0x40, dst), insn.off);
          else {
            e.b(add1reg(0x80, dst));
            e.u32(insn.off);
          }
          e.le(imm32, size === BPF_B ? 1 : size === BPF_H ? 2 : 4);
          break;
        }

        case 17:
          emitStx(e, BPF_SIZE(code), dst, src, insn.off);
          break;

        case 18:
          emitLdx(e, BPF_SIZE(code), dst, src, insn.off);
          break;
        case 19:
          emitLdsx(e, BPF_SIZE(code), dst, src, insn.off);
          break;

        case 20: {
          // Loads through untrusted BTF pointers: fault-tolerant, and user addresses read as 0.
          // src + off must lie above TASK_SIZE_MAX + PAGE_SIZE and below VSYSCALL_ADDR
          emitMovImm64(e, BPF_REG_AX, VSYSCALL_HI, VSYSCALL_LO);
          emitMov(e, AUX_REG, src);
          if (insn.off) {
            maybeEmit1mod(e, AUX_REG, true);
            e.b(0x81, add1reg(0xc0, AUX_REG)); // add r11, off
            e.u32(insn.off);
          }
          maybeEmitMod(e, AUX_REG, BPF_REG_AX, true);
          e.b(0x29, add2reg(0xc0, AUX_REG, BPF_REG_AX)); // sub r11, r10
          const [limLo, limHi] = u32Halves(f.taskSizeMax + 4096n - VSYSCALL_ADDR);
          emitMovImm64(e, BPF_REG_AX, limHi, limLo);
          maybeEmitMod(e, AUX_REG, BPF_REG_AX, true);
          e.b(0x39, add2reg(0xc0, AUX_REG, BPF_REG_AX)); // cmp r11, r10
          e.b(X86_JA, 0);
          const endOfJa = e.length;
          emitMovImm32(e, false, dst, 0);
          e.b(0xeb, 0);
          const startOfLdx = e.length;
          e.set(endOfJa - 1, startOfLdx - endOfJa);
          if (BPF_MODE(code) === BPF_PROBE_MEMSX) emitLdsx(e, BPF_SIZE(code), dst, src, insn.off);
          else emitLdx(e, BPF_SIZE(code), dst, src, insn.off);
          e.set(startOfLdx - 1, e.length - startOfLdx);
          break;
        }

        case 21: {
          const size = BPF_SIZE(code);
          if (imm32 === 0x100 || imm32 === 0x110) {
            emitAtomicLdSt(e, imm32, dst, src, insn.off, size);
            break;
          }
          if (size === BPF_B || size === BPF_H) {
            throw new JitError('bpf_jit: 1- and 2-byte RMW atomics are not supported', EFAULT);
          }
          if (
            imm32 === (BPF_AND | BPF_FETCH) ||
            imm32 === (BPF_OR | BPF_FETCH) ||
            imm32 === (BPF_XOR | BPF_FETCH)
          ) {
            // No single x86 instruction: a cmpxchg loop with rax saved in r10.
            const is64 = size === BPF_DW;
            const realSrc = src === BPF_REG_0 ? BPF_REG_AX : src;
            const realDst = dst === BPF_REG_0 ? BPF_REG_AX : dst;
            emitMovReg(e, true, BPF_REG_AX, BPF_REG_0);
            const branchTarget = e.length;
            emitLdx(e, size, BPF_REG_0, realDst, insn.off);
            emitMovReg(e, is64, AUX_REG, BPF_REG_0);
            maybeEmitMod(e, AUX_REG, realSrc, is64);
            e.b(simpleAluOpcode(BPF_OP(imm32)), add2reg(0xc0, AUX_REG, realSrc));
            emitAtomic(e, 0xf1, realDst, AUX_REG, insn.off, size);
            e.b(X86_JNE, -(e.length - branchTarget) - 2);
            emitMovReg(e, is64, realSrc, BPF_REG_0);
            emitMovReg(e, true, BPF_REG_0, BPF_REG_AX);
            break;
          }
          emitAtomic(e, imm32, dst, src, insn.off, size);
          break;
        }

        case 22: {
          // call: helpers, kfuncs and bpf-to-bpf alike
          if (src === BPF_PSEUDO_CALL && spec.tailCallReachable) {
            e.b(0x48, 0x8b, 0x85); // load tail_call_cnt_ptr
            e.u32(tailCallCntPtrStackOff(stackDepth));
          }
          if (!imm32 && src !== BPF_PSEUDO_CALL) throw new JitError('bpf_jit: call with imm 0', EINVAL);
          if (f.callDepthTracking) emitCallDepthAccounting(e, sites, idx);
          sites.add(SITE_CALL, e.pos, idx);
          e.b(0xe8);
          e.u32(0);
          break;
        }

        case 23: // tail call
          if (spec.directTailCalls.has(idx)) emitTailCallDirect(e, ctx, calleeRegsUsed, stackDepth);
          else emitTailCallIndirect(e, sites, f, ctx, calleeRegsUsed, stackDepth, idx);
          break;

        case 24: // cmp dst, src; jcc
          maybeEmitMod(e, dst, src, cls === BPF_JMP);
          e.b2(0x39, add2reg(0xc0, dst, src));
          fixedLen[idx] = e.length;
          emitCondJmp(e, addrs, i, op, insn.off, jmpPadding);
          break;

        case 25: // test dst, src; jcc
          maybeEmitMod(e, dst, src, cls === BPF_JMP);
          e.b(0x85, add2reg(0xc0, dst, src));
          fixedLen[idx] = e.length;
          emitCondJmp(e, addrs, i, op, insn.off, jmpPadding);
          break;

        case 26: // test dst, imm32; jcc
          maybeEmit1mod(e, dst, cls === BPF_JMP);
          e.b(0xf7, add1reg(0xc0, dst));
          e.u32(imm32);
          fixedLen[idx] = e.length;
          emitCondJmp(e, addrs, i, op, insn.off, jmpPadding);
          break;

        case 27: // cmp dst, imm; jcc
          if (imm32 === 0) {
            maybeEmitMod(e, dst, dst, cls === BPF_JMP);
            e.b2(0x85, add2reg(0xc0, dst, dst)); // test dst, dst: one byte shorter than cmp
          } else {
            maybeEmit1mod(e, dst, cls === BPF_JMP);
            if (isImm8(imm32)) e.b3(0x83, add1reg(0xf8, dst), imm32);
            else {
              e.b(0x81, add1reg(0xf8, dst));
              e.u32(imm32);
            }
          }
          fixedLen[idx] = e.length;
          emitCondJmp(e, addrs, i, op, insn.off, jmpPadding);
          break;

        case 28: {
          // goto
          const delta = cls === BPF_JMP ? insn.off : imm32;
          fixedLen[idx] = 0;
          // A jump to itself is always -2: saves passes over long runs of patched-out dead code.
          const jmpOffset = delta === -1 ? -2 : addrs[i + delta]! - addrs[i]!;
          if (!jmpOffset) {
            if (jmpPadding) {
              const nops = addrs[i]! - addrs[i - 1]! - e.length;
              if (nops !== 0 && nops !== 2 && nops !== 5) {
                throw new JitError(`unexpected nop jump padding: ${nops} bytes`, EFAULT);
              }
              emitNops(e, nops);
            }
            break;
          }
          emitJmp(e, addrs, i, jmpOffset, jmpPadding);
          break;
        }

        case 29: // exit: the first one is the epilogue, later ones jump to it
          if (seenExit) {
            fixedLen[idx] = 0;
            emitJmp(e, addrs, i, ctx.cleanupAddr - addrs[i]!, jmpPadding);
            break;
          }
          seenExit = true;
          ctx.cleanupAddr = proglen;
          popCalleeRegs(e, calleeRegsUsed);
          e.b(0xc9); // leave
          emitReturn(e, sites, f, idx);
          fixedLen[idx] = e.length;
          break;

        default:
          throw new JitError(`bpf_jit: unknown opcode ${code.toString(16).padStart(2, '0')}`, EINVAL);
      }
    }

    // (e.length and e.commit() spelled out: this loop is too big for V8 to inline them)
    const pos = e.pos;
    const ilen = pos - e.start;
    if (ilen > BPF_MAX_INSN_SIZE) throw new JitError('bpf_jit: fatal insn size error', EFAULT);
    if (kind < 24) fixedLen[idx] = ilen;
    if (final && (proglen + ilen > oldproglen || proglen + ilen !== addrs[i])) {
      throw new JitError('bpf_jit: fatal error', EFAULT);
    }
    proglen += ilen;
    addrs[i] = proglen;
    if (e.buf.length - pos < INSN_ROOM) e.commit();
    else e.start = pos;
  }

  plan.emittedLen = proglen;
  plan.srcStarts = reuseEmitted ? addrs : starts;
  return proglen;
}

// do_jit()'s helpers that depend on the pass (addrs[], padding, jit_context): module functions
// rather than closures, which every pass would allocate anew.

// emit_jmp: shared by BPF_JA and exits after the first one. INSN_SZ_DIFF (the previous pass's
// size of insn i minus what this pass has emitted for it so far) sizes the padding.
function emitJmp(e: Emitter, addrs: Int32Array, i: number, jmpOffset: number, jmpPadding: boolean): void {
  if (isImm8JmpOffset(jmpOffset)) {
    if (jmpPadding) {
      const nops = addrs[i]! - addrs[i - 1]! - e.length - 2;
      if (nops !== 0 && nops !== 3) throw new JitError(`unexpected jump padding: ${nops} bytes`, EFAULT);
      emitNops(e, nops);
    }
    e.b2(0xeb, jmpOffset);
  } else if (jmpOffset >= -0x80000000 && jmpOffset <= 0x7fffffff) {
    e.b(0xe9);
    e.u32(jmpOffset);
  } else {
    throw new JitError(`jmp gen bug ${jmpOffset.toString(16)}`, EFAULT);
  }
}

function emitCondJmp(
  e: Emitter,
  addrs: Int32Array,
  i: number,
  op: number,
  off: number,
  jmpPadding: boolean,
): void {
  const jmpCond = JMP_COND[op]!;
  const jmpOffset = addrs[i + off]! - addrs[i]!;
  if (isImm8JmpOffset(jmpOffset)) {
    if (jmpPadding) {
      const nops = addrs[i]! - addrs[i - 1]! - e.length - 2;
      if (nops !== 0 && nops !== 4) throw new JitError(`unexpected jmp_cond padding: ${nops} bytes`, EFAULT);
      emitNops(e, nops);
    }
    e.b2(jmpCond, jmpOffset);
  } else {
    e.b2(0x0f, jmpCond + 0x10);
    e.u32(jmpOffset);
  }
}

// emit_return(): through the return thunk, or ret (+ int3 with CONFIG_MITIGATION_SLS)
function emitReturn(e: Emitter, sites: SiteList, f: JitFeatures, idx: number): void {
  if (f.returnThunk !== 'none') {
    sites.add(SITE_RETURN, e.pos, idx);
    e.b(0xe9);
    e.u32(0);
  } else {
    e.b(0xc3);
    if (f.sls) e.b(0xcc);
  }
}

// emit_indirect_jump(rcx): the kernel is built with CONFIG_MITIGATION_RETPOLINE, so a bare
// `jmp rcx` is always followed by int3.
function emitIndirectJumpRcx(e: Emitter, sites: SiteList, f: JitFeatures, idx: number): void {
  if (f.retpoline === 'its' || f.retpoline === 'on') {
    sites.add(SITE_INDIRECT, e.pos, idx);
    e.b(0xe9);
    e.u32(0);
  } else if (f.retpoline === 'lfence') {
    e.b(0x0f, 0xae, 0xe8); // lfence
    e.b(0xff, 0xe1);
  } else {
    e.b(0xff, 0xe1, 0xcc);
  }
}

// x86_call_depth_emit_accounting(): `sar qword gs:[rip + __x86_call_depth], 5` before the call.
function emitCallDepthAccounting(e: Emitter, sites: SiteList, idx: number): void {
  sites.add(SITE_CALL_DEPTH, e.pos, idx);
  e.b(0x65, 0x48, 0xc1, 0x3d);
  e.u32(0);
  e.b(0x05);
}

function emitTailCallIndirect(
  e: Emitter,
  sites: SiteList,
  f: JitFeatures,
  ctx: JitContext,
  calleeRegsUsed: CalleeRegs,
  stackDepth: number,
  idx: number,
): void {
  const start = e.length;
  e.b(0x89, 0xd2); // mov edx, edx
  e.b(0x39, 0x56, BPF_ARRAY_MAX_ENTRIES); // cmp [rsi + max_entries], edx
  e.b(X86_JBE, ctx.tailCallIndirectLabel - (e.length + 2 - start));
  e.b(0x48, 0x8b, 0x85); // mov rax, tcc_ptr
  e.u32(tailCallCntPtrStackOff(stackDepth));
  e.b(0x48, 0x83, 0x38, MAX_TAIL_CALL_CNT); // cmp qword [rax], MAX
  e.b(X86_JAE, ctx.tailCallIndirectLabel - (e.length + 2 - start));
  e.b(0x48, 0x8b, 0x8c, 0xd6); // mov rcx, [rsi + rdx*8 + ptrs]
  e.u32(BPF_ARRAY_PTRS);
  e.b(0x48, 0x85, 0xc9); // test rcx, rcx
  e.b(X86_JE, ctx.tailCallIndirectLabel - (e.length + 2 - start));
  e.b(0x48, 0x83, 0x00, 0x01); // add qword [rax], 1
  popCalleeRegs(e, calleeRegsUsed);
  e.b(0x58, 0x58); // pop the counter pointer and the counter
  if (stackDepth) {
    e.b(0x48, 0x81, 0xc4);
    e.u32(roundUp8(stackDepth));
  }
  e.b(0x48, 0x8b, 0x49, BPF_PROG_BPF_FUNC); // mov rcx, [rcx + bpf_func]
  e.b(0x48, 0x83, 0xc1, X86_TAIL_CALL_OFFSET + (f.ibt ? ENDBR.length : 0));
  emitIndirectJumpRcx(e, sites, f, idx);
  ctx.tailCallIndirectLabel = e.length - start;
}

function emitTailCallDirect(
  e: Emitter,
  ctx: JitContext,
  calleeRegsUsed: CalleeRegs,
  stackDepth: number,
): void {
  const start = e.length;
  e.b(0x48, 0x8b, 0x85);
  e.u32(tailCallCntPtrStackOff(stackDepth));
  e.b(0x48, 0x83, 0x38, MAX_TAIL_CALL_CNT);
  e.b(X86_JAE, ctx.tailCallDirectLabel - (e.length + 2 - start));
  // Bypass jump over the poke site while the slot is empty: stays inside the image.
  const rel = ctx.tailCallDirectLabel - (e.length - start) - X86_PATCH_SIZE;
  e.b(0xe9);
  e.u32(rel);
  e.b(0x48, 0x83, 0x00, 0x01);
  popCalleeRegs(e, calleeRegsUsed);
  e.b(0x58, 0x58);
  if (stackDepth) {
    e.b(0x48, 0x81, 0xc4);
    e.u32(roundUp8(stackDepth));
  }
  emitNops(e, X86_PATCH_SIZE); // the poke site
  ctx.tailCallDirectLabel = e.length - start;
}

/**
 * A do_jit() pass that only sizes: every insn but the jumps keeps the size the last emitting pass
 * gave it (nothing in them depends on addrs[] or on the pass), so only jump forms, padding and
 * cleanup_addr are recomputed — with the same rules and errors as doJit(). addrs[] and ctx move
 * exactly as an emitting pass would move them.
 */
export function sizePass(
  spec: JitFuncSpec,
  plan: JitPlan,
  addrs: Int32Array,
  ctx: JitContext,
  jmpPadding: boolean,
): number {
  const n = spec.insns.length;
  const kinds = plan.kind;
  const fixedLen = plan.fixedLen;
  const jmpDelta = plan.jmpDelta;
  let seenExit = false;
  let proglen = plan.prologueLen;
  addrs[0] = proglen;
  for (let i = 1; i <= n; i++) {
    const idx = i - 1;
    const kind = kinds[idx]!;
    let ilen = fixedLen[idx]!;
    if (kind === 7) {
      i++; // ld_imm64: two slots
    } else if (kind >= 24) {
      if (kind <= 27) {
        const jmpOffset = addrs[i + jmpDelta[idx]!]! - addrs[i]!;
        if (isImm8JmpOffset(jmpOffset)) {
          if (jmpPadding) {
            const nops = addrs[i]! - addrs[i - 1]! - ilen - 2;
            if (nops !== 0 && nops !== 4)
              throw new JitError(`unexpected jmp_cond padding: ${nops} bytes`, EFAULT);
            ilen += nops;
          }
          ilen += 2;
        } else {
          ilen += 6;
        }
      } else if (kind === 28) {
        const delta = jmpDelta[idx]!;
        const jmpOffset = delta === -1 ? -2 : addrs[i + delta]! - addrs[i]!;
        if (!jmpOffset) {
          if (jmpPadding) {
            const nops = addrs[i]! - addrs[i - 1]!;
            if (nops !== 0 && nops !== 2 && nops !== 5)
              throw new JitError(`unexpected nop jump padding: ${nops} bytes`, EFAULT);
            ilen += nops;
          }
        } else {
          ilen += jmpSize(addrs, i, jmpOffset, jmpPadding);
        }
      } else if (seenExit) {
        ilen += jmpSize(addrs, i, ctx.cleanupAddr - addrs[i]!, jmpPadding);
      } else {
        seenExit = true;
        ctx.cleanupAddr = proglen;
      }
    }
    proglen += ilen;
    addrs[i] = proglen;
  }
  return proglen;
}

// emit_jmp()'s size: short (+ padding) or near
function jmpSize(addrs: Int32Array, i: number, jmpOffset: number, jmpPadding: boolean): number {
  if (isImm8JmpOffset(jmpOffset)) {
    if (!jmpPadding) return 2;
    const nops = addrs[i]! - addrs[i - 1]! - 2;
    if (nops !== 0 && nops !== 3) throw new JitError(`unexpected jump padding: ${nops} bytes`, EFAULT);
    return nops + 2;
  }
  if (jmpOffset >= -0x80000000 && jmpOffset <= 0x7fffffff) return 5;
  throw new JitError(`jmp gen bug ${jmpOffset.toString(16)}`, EFAULT);
}

/** The call/jmp a site stands for, its absolute target (for EmittedCall.what). */
export function siteWhat(kind: number, insn: Insn): EmittedCall['what'] {
  if (kind === SITE_RETURN) return 'return';
  if (kind === SITE_INDIRECT) return 'tail_call';
  return insn.src === BPF_PSEUDO_CALL ? 'subprog' : insn.src === BPF_PSEUDO_KFUNC_CALL ? 'kfunc' : 'helper';
}
