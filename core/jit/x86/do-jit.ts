// One pass of the x86-64 BPF JIT over one function (do_jit() of arch/x86/net/bpf_jit_comp.c,
// Linux 6.18): the prologue, then every BPF instruction, recording addrs[] as it goes. The pass
// loop around it lives in jit.ts.

import type { Insn } from '../../isa/insn';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_DIV,
  BPF_DW,
  BPF_EXIT,
  BPF_FETCH,
  BPF_FROM_BE,
  BPF_FROM_LE,
  BPF_IMM,
  BPF_JA,
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
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MUL,
  BPF_NOSPEC,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_REG_0,
  BPF_REG_3,
  BPF_REG_4,
  BPF_REG_6,
  BPF_REG_7,
  BPF_REG_8,
  BPF_REG_9,
  BPF_REG_AX,
  BPF_RSH,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_X,
  BPF_XOR,
} from '../../isa/opcodes';
import {
  type CalleeRegs,
  EFAULT,
  EINVAL,
  ERANGE,
  emitAtomic,
  emitAtomicLdSt,
  emitLdsx,
  emitLdx,
  emitMov,
  emitMovImm32,
  emitMovImm64,
  emitMovReg,
  emitMovsxReg,
  emitShiftx,
  emitStx,
  JitError,
  maybeEmit1mod,
  maybeEmitMod,
  popCalleeRegs,
  pushCalleeRegs,
  simpleAluOpcode,
} from './emit-ops';
import { Emitter, emitNops, isImm8, isImm8JmpOffset, isSimm32 } from './emitter';
import {
  AUX_REG,
  add1mod,
  add1reg,
  add2reg,
  isEreg,
  X86_JA,
  X86_JAE,
  X86_JB,
  X86_JBE,
  X86_JE,
  X86_JG,
  X86_JGE,
  X86_JL,
  X86_JLE,
  X86_JNE,
} from './regs';

/** Kernel-internal load modes (include/linux/filter.h) the verifier gives loads through BTF pointers. */
export const BPF_PROBE_MEM = 0x20;
export const BPF_PROBE_MEMSX = 0x40;
/** The vsyscall page: the top of the range PROBE_MEM loads check against. */
const VSYSCALL_ADDR = 0xffffffffff600000n;

/** BPF_JMP | BPF_TAIL_CALL: kernel-internal opcode the verifier gives `call bpf_tail_call`. */
export const BPF_TAIL_CALL = 0xf0;
/** off of `mov dst, src` that marks the per-CPU address conversion (BPF_ADDR_PERCPU). */
export const BPF_ADDR_PERCPU = -1;
/** BPF_FUNC_tail_call: xlated dumps show a tail call as `call 12`. */
export const BPF_FUNC_TAIL_CALL = 12;
const MAX_TAIL_CALL_CNT = 33;
const X86_PATCH_SIZE = 5;
/** Bytes a tail call skips in the callee: nop5 + xor/nop3 + push rbp + mov rbp, rsp (no IBT). */
export const X86_TAIL_CALL_OFFSET = 12;
// struct bpf_array / struct bpf_prog offsets the tail-call sequence reads (x86-64 6.18 layout).
// Struct layout of the corpus kernel build, as its indirect tail-call sequence shows them.
const BPF_ARRAY_MAX_ENTRIES = 0x4c;
const BPF_ARRAY_PTRS = 0x138;
const BPF_PROG_BPF_FUNC = 0x48;

/** Mitigations and CPU features that change the code (the corpus kernel: AMD EPYC, SRSO safe RET). */
export interface JitFeatures {
  /** shlx/shrx/sarx for register shifts. */
  bmi2: boolean;
  /** X86_FEATURE_RETHUNK: returns are `jmp x86_return_thunk`. */
  retThunk: boolean;
  /** X86_FEATURE_RETPOLINE: indirect jumps go through __x86_indirect_thunk_<reg>. */
  retpoline: boolean;
  /** CONFIG_MITIGATION_SLS: int3 after ret / indirect jmp. */
  sls: boolean;
  /** TASK_SIZE_MAX: (1 << 47) - PAGE_SIZE with 4-level paging, (1 << 56) - PAGE_SIZE with LA57. */
  taskSizeMax: bigint;
}

export const DEFAULT_FEATURES: JitFeatures = {
  bmi2: true,
  retThunk: true,
  retpoline: true,
  sls: false,
  taskSizeMax: (1n << 47n) - 4096n,
};

/** What one function's code depends on outside its instructions. */
export interface JitEnv {
  features: JitFeatures;
  /** __bpf_call_base: helper/kfunc call targets are callBase + imm. */
  callBase: bigint;
  returnThunk: bigint;
  /** __x86_indirect_thunk_array[reg] (reg = x86 register number). */
  indirectThunk: (x86reg: number) => bigint;
  /** &this_cpu_off, for the per-CPU address instruction. */
  thisCpuOff: number;
  /** Absolute target of a call at insn index i (helpers/kfuncs: callBase + imm; bpf-to-bpf: the callee). */
  callTarget: (i: number, insn: Insn) => bigint;
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

export interface PassOutput {
  proglen: number;
  /** Only when the pass writes the image. */
  image?: Uint8Array;
  calls: EmittedCall[];
  /** Offsets of the 8-byte immediates of movabs from ld_imm64 of a pseudo source (maps). */
  imm64: { at: number; insn: number }[];
}

const roundUp8 = (n: number): number => (n + 7) & ~7;
const tailCallCntPtrStackOff = (stack: number): number => -16 - roundUp8(stack);

export function detectRegUsage(insns: readonly Insn[]): CalleeRegs {
  const used: CalleeRegs = [false, false, false, false];
  for (const ins of insns) {
    if (ins.dst === BPF_REG_6 || ins.src === BPF_REG_6) used[0] = true;
    if (ins.dst === BPF_REG_7 || ins.src === BPF_REG_7) used[1] = true;
    if (ins.dst === BPF_REG_8 || ins.src === BPF_REG_8) used[2] = true;
    if (ins.dst === BPF_REG_9 || ins.src === BPF_REG_9) used[3] = true;
  }
  return used;
}

export const isTailCall = (spec: JitFuncSpec, ins: Insn): boolean =>
  ins.code === (BPF_JMP | BPF_TAIL_CALL) ||
  (spec.tailCallsAsHelper &&
    ins.code === (BPF_JMP | BPF_CALL) &&
    ins.src === 0 &&
    ins.imm === BPF_FUNC_TAIL_CALL);

function emitPrologue(e: Emitter, spec: JitFuncSpec, stackDepth: number): void {
  emitNops(e, X86_PATCH_SIZE); // fentry patch site for trampolines
  if (!spec.wasClassic) {
    if (spec.tailCallReachable && !spec.isSubprog)
      e.b(0x48, 0x31, 0xc0); // tail_call_cnt = 0
    else emitNops(e, 3); // same layout either way
  }
  e.b(0x55); // push rbp
  e.b(0x48, 0x89, 0xe5); // mov rbp, rsp
  if (stackDepth) e.off32([0x48, 0x81, 0xec], roundUp8(stackDepth));
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

function jmpCondOf(op: number): number {
  switch (op) {
    case BPF_JEQ:
      return X86_JE;
    case BPF_JSET:
    case BPF_JNE:
      return X86_JNE;
    case BPF_JGT:
      return X86_JA;
    case BPF_JLT:
      return X86_JB;
    case BPF_JGE:
      return X86_JAE;
    case BPF_JLE:
      return X86_JBE;
    case BPF_JSGT:
      return X86_JG;
    case BPF_JSLT:
      return X86_JL;
    case BPF_JSGE:
      return X86_JGE;
    case BPF_JSLE:
      return X86_JLE;
    default:
      throw new JitError('bpf_jit: bad conditional jump', EFAULT);
  }
}

/**
 * One do_jit() pass. `addrs` (length insns + 1) is read and updated in place exactly like the
 * kernel's: jump displacements use the previous pass's values for forward targets.
 * `imageBase` is null for sizing passes (the kernel's image == NULL).
 */
export function doJit(
  spec: JitFuncSpec,
  env: JitEnv,
  addrs: number[],
  ctx: JitContext,
  imageBase: bigint | null,
  oldproglen: number,
  jmpPadding: boolean,
): PassOutput {
  const { insns } = spec;
  const base = imageBase ?? 0n;
  const stackDepth = spec.stackDepth;
  const calleeRegsUsed = detectRegUsage(insns);
  const out: number[] | null = imageBase === null ? null : [];
  const calls: EmittedCall[] = [];
  const imm64s: { at: number; insn: number }[] = [];
  const e = new Emitter();
  let proglen = 0;
  let seenExit = false;

  emitPrologue(e, spec, stackDepth);
  pushCalleeRegs(e, calleeRegsUsed);
  out?.push(...e.bytes);
  proglen += e.length;
  addrs[0] = proglen;
  e.reset();

  /** emit_patch: rel32 call/jmp from `ip` (the instruction's address) to `target`. */
  const emitPatch = (target: bigint, ip: bigint, opcode: number, i: number, what: EmittedCall['what']) => {
    // Pointer arithmetic wraps at 64 bits: sizing passes (image NULL) still land in s32 range.
    const offset = BigInt.asIntN(64, target - (ip + BigInt(X86_PATCH_SIZE)));
    if (!isSimm32(offset)) {
      throw new JitError(`Target call 0x${BigInt.asUintN(64, target).toString(16)} is out of range`, ERANGE);
    }
    calls.push({ at: proglen + e.length, kind: opcode === 0xe8 ? 'call' : 'jmp', target, insn: i, what });
    e.b(opcode);
    e.u32(Number(BigInt.asUintN(32, offset)));
  };

  const emitReturn = (ip: bigint, i: number) => {
    if (env.features.retThunk) {
      emitPatch(env.returnThunk, ip, 0xe9, i, 'return');
    } else {
      e.b(0xc3);
      if (env.features.sls) e.b(0xcc);
    }
  };

  const emitIndirectJump = (x86reg: number, ip: bigint, i: number) => {
    if (env.features.retpoline) {
      emitPatch(env.indirectThunk(x86reg), ip, 0xe9, i, 'tail_call');
    } else {
      e.b(0xff, 0xe0 + x86reg);
      if (env.features.sls) e.b(0xcc);
    }
  };

  // INSN_SZ_DIFF: the previous pass's size of insn i minus what this pass has emitted for it so far.
  const sizeDiff = (i: number) => addrs[i]! - addrs[i - 1]! - e.length;

  // emit_jmp: shared by BPF_JA and exits after the first one.
  const emitJmp = (i: number, jmpOffset: number) => {
    if (isImm8JmpOffset(jmpOffset)) {
      if (jmpPadding) {
        const nops = sizeDiff(i) - 2;
        if (nops !== 0 && nops !== 3) throw new JitError(`unexpected jump padding: ${nops} bytes`, EFAULT);
        emitNops(e, nops);
      }
      e.b(0xeb, jmpOffset);
    } else if (jmpOffset >= -0x80000000 && jmpOffset <= 0x7fffffff) {
      e.off32([0xe9], jmpOffset);
    } else {
      throw new JitError(`jmp gen bug ${jmpOffset.toString(16)}`, EFAULT);
    }
  };

  const emitCondJmp = (i: number, insn: Insn) => {
    const jmpCond = jmpCondOf(BPF_OP(insn.code));
    const jmpOffset = addrs[i + insn.off]! - addrs[i]!;
    if (isImm8JmpOffset(jmpOffset)) {
      if (jmpPadding) {
        const nops = sizeDiff(i) - 2;
        if (nops !== 0 && nops !== 4)
          throw new JitError(`unexpected jmp_cond padding: ${nops} bytes`, EFAULT);
        emitNops(e, nops);
      }
      e.b(jmpCond, jmpOffset);
    } else {
      e.off32([0x0f, jmpCond + 0x10], jmpOffset);
    }
  };

  for (let i = 1; i <= insns.length; i++) {
    const idx = i - 1;
    const insn = insns[idx]!;
    const imm32 = insn.imm | 0;
    let dst = insn.dst;
    let src = insn.src;
    const cls = BPF_CLASS(insn.code);
    const op = BPF_OP(insn.code);
    const is64Alu = cls === BPF_ALU64;
    if (isTailCall(spec, insn)) {
      const ip = base + BigInt(addrs[i - 1]!);
      if (spec.directTailCalls.has(idx)) emitTailCallDirect();
      else emitTailCallIndirect(ip, i);
    } else {
      switch (insn.code) {
        case BPF_ALU | 0x00 | BPF_X:
        case BPF_ALU | 0x10 | BPF_X:
        case BPF_ALU | BPF_AND | BPF_X:
        case BPF_ALU | BPF_OR | BPF_X:
        case BPF_ALU | BPF_XOR | BPF_X:
        case BPF_ALU64 | 0x00 | BPF_X:
        case BPF_ALU64 | 0x10 | BPF_X:
        case BPF_ALU64 | BPF_AND | BPF_X:
        case BPF_ALU64 | BPF_OR | BPF_X:
        case BPF_ALU64 | BPF_XOR | BPF_X:
          maybeEmitMod(e, dst, src, is64Alu);
          e.b(simpleAluOpcode(op), add2reg(0xc0, dst, src));
          break;

        case BPF_ALU64 | 0xb0 | BPF_X:
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
        case BPF_ALU | 0xb0 | BPF_X:
          if (insn.off === 0) emitMovReg(e, false, dst, src);
          else emitMovsxReg(e, insn.off, false, dst, src);
          break;

        case BPF_ALU | 0x80:
        case BPF_ALU64 | 0x80:
          maybeEmit1mod(e, dst, is64Alu);
          e.b(0xf7, add1reg(0xd8, dst));
          break;

        case BPF_ALU | 0x00 | BPF_K:
        case BPF_ALU | 0x10 | BPF_K:
        case BPF_ALU | BPF_AND | BPF_K:
        case BPF_ALU | BPF_OR | BPF_K:
        case BPF_ALU | BPF_XOR | BPF_K:
        case BPF_ALU64 | 0x00 | BPF_K:
        case BPF_ALU64 | 0x10 | BPF_K:
        case BPF_ALU64 | BPF_AND | BPF_K:
        case BPF_ALU64 | BPF_OR | BPF_K:
        case BPF_ALU64 | BPF_XOR | BPF_K: {
          maybeEmit1mod(e, dst, is64Alu);
          // b3: ModRM /digit form; b2: the short rax-only form
          const [b3, b2] = (
            {
              0: [0xc0, 0x05],
              16: [0xe8, 0x2d],
              [BPF_AND]: [0xe0, 0x25],
              [BPF_OR]: [0xc8, 0x0d],
              [BPF_XOR]: [0xf0, 0x35],
            } as Record<number, [number, number]>
          )[op]!;
          if (isImm8(imm32)) e.b(0x83, add1reg(b3, dst), imm32);
          else if (dst === BPF_REG_0) e.off32([b2], imm32);
          else e.off32([0x81, add1reg(b3, dst)], imm32);
          break;
        }

        case BPF_ALU64 | 0xb0 | BPF_K:
        case BPF_ALU | 0xb0 | BPF_K:
          emitMovImm32(e, is64Alu, dst, imm32);
          break;

        case BPF_LD | BPF_IMM | BPF_DW: {
          const value = env.imm64(idx);
          const before = e.length;
          emitMovImm64(e, dst, value);
          if (insn.src !== 0 && e.length - before === 10)
            imm64s.push({ at: proglen + before + 2, insn: idx });
          i++;
          break;
        }

        case BPF_ALU | BPF_MOD | BPF_X:
        case BPF_ALU | BPF_DIV | BPF_X:
        case BPF_ALU | BPF_MOD | BPF_K:
        case BPF_ALU | BPF_DIV | BPF_K:
        case BPF_ALU64 | BPF_MOD | BPF_X:
        case BPF_ALU64 | BPF_DIV | BPF_X:
        case BPF_ALU64 | BPF_MOD | BPF_K:
        case BPF_ALU64 | BPF_DIV | BPF_K: {
          const is64 = is64Alu;
          if (dst !== BPF_REG_0) e.b(0x50); // push rax
          if (dst !== BPF_REG_3) e.b(0x52); // push rdx
          if (BPF_SRC(insn.code) === BPF_X) {
            if (src === BPF_REG_0 || src === BPF_REG_3) {
              emitMov(e, AUX_REG, src);
              src = AUX_REG;
            }
          } else {
            e.off32([0x49, 0xc7, 0xc3], imm32); // mov r11, imm32
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

        case BPF_ALU | BPF_MUL | BPF_K:
        case BPF_ALU64 | BPF_MUL | BPF_K:
          maybeEmitMod(e, dst, dst, is64Alu);
          if (isImm8(imm32)) e.b(0x6b, add2reg(0xc0, dst, dst), imm32);
          else e.off32([0x69, add2reg(0xc0, dst, dst)], imm32);
          break;

        case BPF_ALU | BPF_MUL | BPF_X:
        case BPF_ALU64 | BPF_MUL | BPF_X:
          maybeEmitMod(e, src, dst, is64Alu);
          e.b(0x0f, 0xaf, add2reg(0xc0, src, dst)); // imul dst, src
          break;

        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
        case BPF_ALU | 0xc0 | BPF_K:
        case BPF_ALU64 | BPF_LSH | BPF_K:
        case BPF_ALU64 | BPF_RSH | BPF_K:
        case BPF_ALU64 | 0xc0 | BPF_K: {
          maybeEmit1mod(e, dst, is64Alu);
          const b3 = simpleAluOpcode(op);
          if (imm32 === 1) e.b(0xd1, add1reg(b3, dst));
          else e.b(0xc1, add1reg(b3, dst), imm32);
          break;
        }

        case BPF_ALU | BPF_LSH | BPF_X:
        case BPF_ALU | BPF_RSH | BPF_X:
        case BPF_ALU | 0xc0 | BPF_X:
        case BPF_ALU64 | BPF_LSH | BPF_X:
        case BPF_ALU64 | BPF_RSH | BPF_X:
        case BPF_ALU64 | 0xc0 | BPF_X: {
          // BMI2 forms take the count in any register; not worth it when it is already rcx
          if (env.features.bmi2 && src !== BPF_REG_4) {
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

        case BPF_ALU | 0xd0 | BPF_FROM_BE:
        case BPF_ALU64 | 0xd0 | BPF_FROM_LE:
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

        case BPF_ALU | 0xd0 | BPF_FROM_LE:
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

        case BPF_ST | BPF_NOSPEC:
          e.b(0x0f, 0xae, 0xe8); // lfence
          break;

        case BPF_ST | BPF_MEM | 0x10: // B
        case BPF_ST | BPF_MEM | 0x08: // H
        case BPF_ST | BPF_MEM | 0x00: // W
        case BPF_ST | BPF_MEM | BPF_DW: {
          const size = BPF_SIZE(insn.code);
          if (size === 0x10) {
            if (isEreg(dst)) e.b(0x41, 0xc6);
            else e.b(0xc6);
          } else if (size === 0x08) {
            if (isEreg(dst)) e.b(0x66, 0x41, 0xc7);
            else e.b(0x66, 0xc7);
          } else if (size === 0x00) {
            if (isEreg(dst)) e.b(0x41, 0xc7);
            else e.b(0xc7);
          } else {
            e.b(add1mod(0x48, dst), 0xc7);
          }
          if (isImm8(insn.off)) e.b(add1reg(0x40, dst), insn.off);
          else e.off32([add1reg(0x80, dst)], insn.off);
          e.le(imm32, size === 0x10 ? 1 : size === 0x08 ? 2 : 4);
          break;
        }

        case BPF_STX | BPF_MEM | 0x10:
        case BPF_STX | BPF_MEM | 0x08:
        case BPF_STX | BPF_MEM | 0x00:
        case BPF_STX | BPF_MEM | BPF_DW:
          emitStx(e, BPF_SIZE(insn.code), dst, src, insn.off);
          break;

        case BPF_LDX | BPF_MEM | 0x10:
        case BPF_LDX | BPF_MEM | 0x08:
        case BPF_LDX | BPF_MEM | 0x00:
        case BPF_LDX | BPF_MEM | BPF_DW:
          emitLdx(e, BPF_SIZE(insn.code), dst, src, insn.off);
          break;
        case BPF_LDX | BPF_MEMSX | 0x10:
        case BPF_LDX | BPF_MEMSX | 0x08:
        case BPF_LDX | BPF_MEMSX | 0x00:
          emitLdsx(e, BPF_SIZE(insn.code), dst, src, insn.off);
          break;

        // Loads through untrusted BTF pointers: fault-tolerant, and user addresses read as 0.
        case BPF_LDX | BPF_PROBE_MEM | 0x10:
        case BPF_LDX | BPF_PROBE_MEM | 0x08:
        case BPF_LDX | BPF_PROBE_MEM | 0x00:
        case BPF_LDX | BPF_PROBE_MEM | BPF_DW:
        case BPF_LDX | BPF_PROBE_MEMSX | 0x10:
        case BPF_LDX | BPF_PROBE_MEMSX | 0x08:
        case BPF_LDX | BPF_PROBE_MEMSX | 0x00: {
          // src + off must lie above TASK_SIZE_MAX + PAGE_SIZE and below VSYSCALL_ADDR
          emitMovImm64(e, BPF_REG_AX, VSYSCALL_ADDR);
          emitMov(e, AUX_REG, src);
          if (insn.off) {
            maybeEmit1mod(e, AUX_REG, true);
            e.off32([0x81, add1reg(0xc0, AUX_REG)], insn.off); // add r11, off
          }
          maybeEmitMod(e, AUX_REG, BPF_REG_AX, true);
          e.b(0x29, add2reg(0xc0, AUX_REG, BPF_REG_AX)); // sub r11, r10
          emitMovImm64(e, BPF_REG_AX, BigInt.asUintN(64, env.features.taskSizeMax + 4096n - VSYSCALL_ADDR));
          maybeEmitMod(e, AUX_REG, BPF_REG_AX, true);
          e.b(0x39, add2reg(0xc0, AUX_REG, BPF_REG_AX)); // cmp r11, r10
          e.b(X86_JA, 0);
          const endOfJa = e.length;
          emitMovImm32(e, false, dst, 0);
          e.b(0xeb, 0);
          const startOfLdx = e.length;
          e.set(endOfJa - 1, startOfLdx - endOfJa);
          if (BPF_MODE(insn.code) === BPF_PROBE_MEMSX) emitLdsx(e, BPF_SIZE(insn.code), dst, src, insn.off);
          else emitLdx(e, BPF_SIZE(insn.code), dst, src, insn.off);
          e.set(startOfLdx - 1, e.length - startOfLdx);
          break;
        }

        case BPF_STX | BPF_ATOMIC | 0x10:
        case BPF_STX | BPF_ATOMIC | 0x08:
        case BPF_STX | BPF_ATOMIC | 0x00:
        case BPF_STX | BPF_ATOMIC | BPF_DW: {
          const size = BPF_SIZE(insn.code);
          if (imm32 === 0x100 || imm32 === 0x110) {
            emitAtomicLdSt(e, imm32, dst, src, insn.off, size);
            break;
          }
          if (size === 0x10 || size === 0x08) {
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

        case BPF_JMP | BPF_CALL: {
          let ip = base + BigInt(addrs[i - 1]!);
          const func = env.callTarget(idx, insn);
          if (src === BPF_PSEUDO_CALL && spec.tailCallReachable) {
            e.off32([0x48, 0x8b, 0x85], tailCallCntPtrStackOff(stackDepth)); // load tail_call_cnt_ptr
            ip += 7n;
          }
          if (!imm32 && src !== BPF_PSEUDO_CALL) throw new JitError('bpf_jit: call with imm 0', EINVAL);
          emitPatch(
            func,
            ip,
            0xe8,
            idx,
            src === BPF_PSEUDO_CALL ? 'subprog' : src === 2 ? 'kfunc' : 'helper',
          );
          break;
        }

        case BPF_JMP | BPF_JEQ | BPF_X:
        case BPF_JMP | BPF_JNE | BPF_X:
        case BPF_JMP | BPF_JGT | BPF_X:
        case BPF_JMP | BPF_JLT | BPF_X:
        case BPF_JMP | BPF_JGE | BPF_X:
        case BPF_JMP | BPF_JLE | BPF_X:
        case BPF_JMP | BPF_JSGT | BPF_X:
        case BPF_JMP | BPF_JSLT | BPF_X:
        case BPF_JMP | BPF_JSGE | BPF_X:
        case BPF_JMP | BPF_JSLE | BPF_X:
        case BPF_JMP32 | BPF_JEQ | BPF_X:
        case BPF_JMP32 | BPF_JNE | BPF_X:
        case BPF_JMP32 | BPF_JGT | BPF_X:
        case BPF_JMP32 | BPF_JLT | BPF_X:
        case BPF_JMP32 | BPF_JGE | BPF_X:
        case BPF_JMP32 | BPF_JLE | BPF_X:
        case BPF_JMP32 | BPF_JSGT | BPF_X:
        case BPF_JMP32 | BPF_JSLT | BPF_X:
        case BPF_JMP32 | BPF_JSGE | BPF_X:
        case BPF_JMP32 | BPF_JSLE | BPF_X:
          maybeEmitMod(e, dst, src, cls === BPF_JMP);
          e.b(0x39, add2reg(0xc0, dst, src)); // cmp dst, src
          emitCondJmp(i, insn);
          break;

        case BPF_JMP | BPF_JSET | BPF_X:
        case BPF_JMP32 | BPF_JSET | BPF_X:
          maybeEmitMod(e, dst, src, cls === BPF_JMP);
          e.b(0x85, add2reg(0xc0, dst, src)); // test dst, src
          emitCondJmp(i, insn);
          break;

        case BPF_JMP | BPF_JSET | BPF_K:
        case BPF_JMP32 | BPF_JSET | BPF_K:
          maybeEmit1mod(e, dst, cls === BPF_JMP);
          e.off32([0xf7, add1reg(0xc0, dst)], imm32); // test dst, imm32
          emitCondJmp(i, insn);
          break;

        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JLT | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JLE | BPF_K:
        case BPF_JMP | BPF_JSGT | BPF_K:
        case BPF_JMP | BPF_JSLT | BPF_K:
        case BPF_JMP | BPF_JSGE | BPF_K:
        case BPF_JMP | BPF_JSLE | BPF_K:
        case BPF_JMP32 | BPF_JEQ | BPF_K:
        case BPF_JMP32 | BPF_JNE | BPF_K:
        case BPF_JMP32 | BPF_JGT | BPF_K:
        case BPF_JMP32 | BPF_JLT | BPF_K:
        case BPF_JMP32 | BPF_JGE | BPF_K:
        case BPF_JMP32 | BPF_JLE | BPF_K:
        case BPF_JMP32 | BPF_JSGT | BPF_K:
        case BPF_JMP32 | BPF_JSLT | BPF_K:
        case BPF_JMP32 | BPF_JSGE | BPF_K:
        case BPF_JMP32 | BPF_JSLE | BPF_K:
          if (imm32 === 0) {
            maybeEmitMod(e, dst, dst, cls === BPF_JMP);
            e.b(0x85, add2reg(0xc0, dst, dst)); // test dst, dst: one byte shorter than cmp
          } else {
            maybeEmit1mod(e, dst, cls === BPF_JMP);
            if (isImm8(imm32)) e.b(0x83, add1reg(0xf8, dst), imm32);
            else e.off32([0x81, add1reg(0xf8, dst)], imm32);
          }
          emitCondJmp(i, insn);
          break;

        case BPF_JMP | BPF_JA:
        case BPF_JMP32 | BPF_JA: {
          const delta = cls === BPF_JMP ? insn.off : imm32;
          // A jump to itself is always -2: saves passes over long runs of patched-out dead code.
          const jmpOffset = delta === -1 ? -2 : addrs[i + delta]! - addrs[i]!;
          if (!jmpOffset) {
            if (jmpPadding) {
              const nops = sizeDiff(i);
              if (nops !== 0 && nops !== 2 && nops !== 5) {
                throw new JitError(`unexpected nop jump padding: ${nops} bytes`, EFAULT);
              }
              emitNops(e, nops);
            }
            break;
          }
          emitJmp(i, jmpOffset);
          break;
        }

        case BPF_JMP | BPF_EXIT: {
          if (seenExit) {
            emitJmp(i, ctx.cleanupAddr - addrs[i]!);
            break;
          }
          seenExit = true;
          ctx.cleanupAddr = proglen;
          popCalleeRegs(e, calleeRegsUsed);
          e.b(0xc9); // leave
          emitReturn(base + BigInt(addrs[i - 1]! + e.length), idx);
          break;
        }

        default:
          throw new JitError(`bpf_jit: unknown opcode ${insn.code.toString(16).padStart(2, '0')}`, EINVAL);
      }
    }

    if (out !== null) {
      if (proglen + e.length > oldproglen || proglen + e.length !== addrs[i]) {
        throw new JitError('bpf_jit: fatal error', EFAULT);
      }
      out.push(...e.bytes);
    }
    proglen += e.length;
    addrs[i] = proglen;
    e.reset();
  }

  return { proglen, image: out ? Uint8Array.from(out) : undefined, calls, imm64: imm64s };

  function emitTailCallIndirect(ip: bigint, i: number): void {
    const start = e.length;
    const label = () => ctx.tailCallIndirectLabel - (e.length + 2 - start);
    e.b(0x89, 0xd2); // mov edx, edx
    e.b(0x39, 0x56, BPF_ARRAY_MAX_ENTRIES); // cmp [rsi + max_entries], edx
    e.b(X86_JBE, label());
    e.off32([0x48, 0x8b, 0x85], tailCallCntPtrStackOff(stackDepth)); // mov rax, tcc_ptr
    e.b(0x48, 0x83, 0x38, MAX_TAIL_CALL_CNT); // cmp qword [rax], MAX
    e.b(X86_JAE, label());
    e.off32([0x48, 0x8b, 0x8c, 0xd6], BPF_ARRAY_PTRS); // mov rcx, [rsi + rdx*8 + ptrs]
    e.b(0x48, 0x85, 0xc9); // test rcx, rcx
    e.b(X86_JE, label());
    e.b(0x48, 0x83, 0x00, 0x01); // add qword [rax], 1
    popCalleeRegs(e, calleeRegsUsed);
    e.b(0x58, 0x58); // pop the counter pointer and the counter
    if (stackDepth) e.off32([0x48, 0x81, 0xc4], roundUp8(stackDepth));
    e.b(0x48, 0x8b, 0x49, BPF_PROG_BPF_FUNC); // mov rcx, [rcx + bpf_func]
    e.b(0x48, 0x83, 0xc1, X86_TAIL_CALL_OFFSET);
    emitIndirectJump(1, ip + BigInt(e.length - start), i - 1);
    ctx.tailCallIndirectLabel = e.length - start;
  }

  function emitTailCallDirect(): void {
    const start = e.length;
    e.off32([0x48, 0x8b, 0x85], tailCallCntPtrStackOff(stackDepth));
    e.b(0x48, 0x83, 0x38, MAX_TAIL_CALL_CNT);
    e.b(X86_JAE, ctx.tailCallDirectLabel - (e.length + 2 - start));
    // Bypass jump over the poke site while the slot is empty: stays inside the image.
    const rel = ctx.tailCallDirectLabel - (e.length - start) - X86_PATCH_SIZE;
    e.b(0xe9);
    e.u32(rel);
    e.b(0x48, 0x83, 0x00, 0x01);
    popCalleeRegs(e, calleeRegsUsed);
    e.b(0x58, 0x58);
    if (stackDepth) e.off32([0x48, 0x81, 0xc4], roundUp8(stackDepth));
    emitNops(e, X86_PATCH_SIZE); // the poke site
    ctx.tailCallDirectLabel = e.length - start;
  }
}
