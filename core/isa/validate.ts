// Encoding checks for struct bpf_insn programs: RFC 9669 v1–v4 plus the kernel's own
// extensions. Reasons use the kernel's wording (kernel/bpf/verifier.c: check_alu_op,
// do_check, check_cond_jmp_op, resolve_pseudo_ldimm64, check_subprogs, check_cfg) so
// that an error here reads like the verifier log line the kernel would print.

import { IsaError } from './errors';
import { BPF_FUNC_MAX_ID } from './helper-names';
import type { Insn } from './insn';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ADDR_PERCPU,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_LSH,
  BPF_MAY_GOTO,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_NOSPEC,
  BPF_OP,
  BPF_OR,
  BPF_PROBE_ATOMIC,
  BPF_PROBE_MEM,
  BPF_PROBE_MEM32,
  BPF_PROBE_MEM32SX,
  BPF_PROBE_MEMSX,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_RSH,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TAIL_CALL,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
} from './opcodes';

export interface ValidateOptions {
  /** Accept callx (0x85 | BPF_X = 0x8d, register in dst): the bpf_conformance extension. */
  callx?: boolean;
  /**
   * Accept the kernel-internal forms found in xlated programs: nospec (0xc2), internal
   * helper calls with any imm.
   */
  xlated?: boolean;
  /**
   * Accept BPF_REG_AX (r11). Only the verifier's own rewrites emit it (xlated dumps, the
   * JIT's input); in a program as loaded, check_reg_arg rejects it ("R11 is invalid").
   */
  regAx?: boolean;
  /**
   * Also apply the verifier's value checks that RFC 9669 leaves open: immediate shift
   * counts out of range, division by an immediate 0, helper ids out of enum bpf_func_id.
   */
  kernel?: boolean;
  /**
   * Accept the stream the verifier hands to the JIT (implies xlated): BPF_PROBE_MEM /
   * PROBE_MEMSX / PROBE_MEM32 / PROBE_MEM32SX accesses, BPF_PROBE_ATOMIC, and the
   * rewritten tail call (BPF_JMP | BPF_TAIL_CALL). The dump to user space shows none of them.
   */
  internal?: boolean;
}

const COND_JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];

/** The kernel's bpf_opcode_in_insntable() (kernel/bpf/core.c) as of 6.18. */
const PUBLIC_OPCODES: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of ALU_OPS) {
      s.add(cls | op | BPF_K);
      s.add(cls | op | BPF_X);
    }
    s.add(cls | BPF_NEG);
  }
  s.add(BPF_ALU | BPF_END | 0x00)
    .add(BPF_ALU | BPF_END | 0x08)
    .add(BPF_ALU64 | BPF_END | BPF_TO_LE);
  for (const cls of [BPF_JMP, BPF_JMP32]) {
    for (const op of COND_JMP_OPS) {
      s.add(cls | op | BPF_K);
      s.add(cls | op | BPF_X);
    }
    s.add(cls | BPF_JA);
  }
  s.add(BPF_JMP | BPF_CALL)
    .add(BPF_JMP | BPF_EXIT)
    .add(BPF_JMP | BPF_JCOND);
  for (const size of [BPF_B, BPF_H, BPF_W, BPF_DW]) {
    s.add(BPF_STX | BPF_MEM | size)
      .add(BPF_ST | BPF_MEM | size)
      .add(BPF_LDX | BPF_MEM | size);
    s.add(BPF_STX | BPF_ATOMIC | size);
  }
  for (const size of [BPF_B, BPF_H, BPF_W]) {
    s.add(BPF_LDX | BPF_MEMSX | size)
      .add(BPF_LD | BPF_ABS | size)
      .add(BPF_LD | BPF_IND | size);
  }
  s.add(BPF_LD | BPF_IMM | BPF_DW);
  return s;
})();

const CALLX = BPF_JMP | BPF_CALL | BPF_X;
const NOSPEC = BPF_ST | BPF_NOSPEC;

/** Opcodes only the verifier produces (include/linux/filter.h), for the JIT. */
const INTERNAL_OPCODES: ReadonlySet<number> = (() => {
  const s = new Set<number>([BPF_JMP | BPF_TAIL_CALL]);
  for (const size of [BPF_B, BPF_H, BPF_W, BPF_DW]) {
    s.add(BPF_LDX | BPF_PROBE_MEM | size).add(BPF_LDX | BPF_PROBE_MEM32 | size);
    s.add(BPF_ST | BPF_PROBE_MEM32 | size).add(BPF_STX | BPF_PROBE_MEM32 | size);
    s.add(BPF_STX | BPF_PROBE_ATOMIC | size);
  }
  for (const size of [BPF_B, BPF_H, BPF_W]) {
    s.add(BPF_LDX | BPF_PROBE_MEMSX | size).add(BPF_LDX | BPF_PROBE_MEM32SX | size);
  }
  return s;
})();

const LDX_MODES = new Set([BPF_MEM, BPF_MEMSX]);
const LDX_INTERNAL_MODES = new Set([
  BPF_MEM,
  BPF_MEMSX,
  BPF_PROBE_MEM,
  BPF_PROBE_MEMSX,
  BPF_PROBE_MEM32,
  BPF_PROBE_MEM32SX,
]);

const normalize = (opts: ValidateOptions): ValidateOptions =>
  opts.internal ? { ...opts, xlated: true, regAx: true } : opts;

/** True when the kernel (with the options' extensions) knows this opcode byte. */
export function isKnownOpcode(code: number, opts: ValidateOptions = {}): boolean {
  if (PUBLIC_OPCODES.has(code)) return true;
  if (code === CALLX) return !!opts.callx;
  if (code === NOSPEC) return !!(opts.xlated || opts.internal);
  return !!opts.internal && INTERNAL_OPCODES.has(code);
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Checks one instruction's fields (not jump targets). Returns the first problem or undefined. */
export function checkInsn(
  insns: readonly Insn[],
  i: number,
  options: ValidateOptions = {},
): IsaError | undefined {
  const opts = normalize(options);
  const insn = insns[i]!;
  const { code, dst, src, off, imm } = insn;
  const cls = BPF_CLASS(code);
  const reserved = (what: string) => new IsaError(i, `${what} uses reserved fields`, 'reserved-field');
  const maxReg = opts.regAx ? 11 : 10;
  const regOk = (r: number) => (r > maxReg ? new IsaError(i, `R${r} is invalid`, 'bad-register') : undefined);

  // resolve_pseudo_ldimm64 runs before the opcode table check, so LDX and ld_imm64
  // problems are reported with these words even for unknown LDX modes.
  if (
    cls === BPF_LDX &&
    (!(opts.internal ? LDX_INTERNAL_MODES : LDX_MODES).has(BPF_MODE(code)) || imm !== 0)
  ) {
    return reserved('BPF_LDX');
  }
  if (code === (BPF_LD | BPF_IMM | BPF_DW)) {
    const next = insns[i + 1];
    if (next?.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      return new IsaError(i, 'invalid bpf_ld_imm64 insn', 'ld-imm64');
    }
    switch (src) {
      case 0:
      case BPF_PSEUDO_MAP_VALUE:
      case BPF_PSEUDO_MAP_IDX_VALUE:
        break;
      case BPF_PSEUDO_BTF_ID:
        if (next.imm !== 0) {
          return new IsaError(
            i,
            'reserved field (insn[1].imm) is used in pseudo_btf_id ldimm64 insn',
            'ld-imm64',
          );
        }
        break;
      case BPF_PSEUDO_FUNC:
        break;
      case BPF_PSEUDO_MAP_FD:
      case BPF_PSEUDO_MAP_IDX:
        if (next.imm === 0) break;
        return new IsaError(i, 'unrecognized bpf_ld_imm64 insn', 'ld-imm64');
      default:
        return new IsaError(i, 'unrecognized bpf_ld_imm64 insn', 'ld-imm64');
    }
    return regOk(dst);
  }
  if (!isKnownOpcode(code, opts)) return new IsaError(i, `unknown opcode ${hex2(code)}`, 'unknown-opcode');

  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      return checkAlu(insn, i, cls, opts) ?? regOk(dst) ?? (BPF_SRC(code) === BPF_X ? regOk(src) : undefined);
    case BPF_JMP:
    case BPF_JMP32:
      return checkJmp(insns, i, cls, opts, reserved, regOk);
    case BPF_LDX:
      return regOk(dst) ?? regOk(src);
    case BPF_ST:
      if (code === NOSPEC) {
        return dst || src || off || imm
          ? new IsaError(i, 'nospec uses reserved fields', 'reserved-field')
          : undefined;
      }
      if (src !== 0) return reserved('BPF_ST');
      return regOk(dst);
    case BPF_STX:
      if (BPF_MODE(code) === BPF_ATOMIC || BPF_MODE(code) === BPF_PROBE_ATOMIC) {
        return checkAtomic(insn, i) ?? regOk(dst) ?? regOk(src);
      }
      if (imm !== 0) return reserved('BPF_STX');
      return regOk(dst) ?? regOk(src);
    case BPF_LD: {
      // LD_ABS / LD_IND (ld_imm64 handled above).
      const mode = BPF_MODE(code);
      if (dst !== 0 || off !== 0 || BPF_SIZE(code) === BPF_DW || (mode === BPF_ABS && src !== 0)) {
        return reserved('BPF_LD_[ABS|IND]');
      }
      return mode === BPF_IND ? regOk(src) : undefined;
    }
  }
  return undefined;
}

function checkAlu(insn: Insn, i: number, cls: number, opts: ValidateOptions): IsaError | undefined {
  const { code, src, off, imm } = insn;
  const op = BPF_OP(code);
  const isX = BPF_SRC(code) === BPF_X;
  const reserved = (what: string) => new IsaError(i, `${what} uses reserved fields`, 'reserved-field');
  if (op === BPF_NEG) {
    if (isX || src !== 0 || off !== 0 || imm !== 0) return reserved('BPF_NEG');
    return undefined;
  }
  if (op === BPF_END) {
    if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (cls === BPF_ALU64 && isX)) {
      return reserved('BPF_END');
    }
    return undefined;
  }
  if (op === BPF_MOV) {
    if (!isX) return src !== 0 || off !== 0 ? reserved('BPF_MOV') : undefined;
    if (cls === BPF_ALU) {
      // imm 1 marks the verifier's zero-extension (BPF_ZEXT_REG) in xlated code.
      const zext = opts.xlated && imm === 1 && off === 0 && insn.dst === src;
      return (off !== 0 && off !== 8 && off !== 16) || (imm !== 0 && !zext) ? reserved('BPF_MOV') : undefined;
    }
    if (off === BPF_ADDR_PERCPU && opts.xlated) return imm !== 0 ? reserved('BPF_MOV') : undefined;
    if (off === BPF_ADDR_SPACE_CAST) {
      if (imm !== 1 && imm !== 1 << 16) {
        return new IsaError(
          i,
          'addr_space_cast insn can only convert between address space 1 and 0',
          'reserved-field',
        );
      }
      return undefined;
    }
    return (off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm !== 0
      ? reserved('BPF_MOV')
      : undefined;
  }
  const divmod = op === BPF_DIV || op === BPF_MOD;
  if (isX ? imm !== 0 : src !== 0) return reserved('BPF_ALU');
  if ((off !== 0 && off !== 1) || (off === 1 && !divmod)) return reserved('BPF_ALU');
  if (opts.kernel && !isX) {
    if (divmod && imm === 0) return new IsaError(i, 'div by zero', 'invalid-value');
    if (op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) {
      const size = cls === BPF_ALU64 ? 64 : 32;
      if (imm < 0 || imm >= size) return new IsaError(i, `invalid shift ${imm}`, 'invalid-value');
    }
  }
  return undefined;
}

function checkAtomic(insn: Insn, i: number): IsaError | undefined {
  const { code, imm } = insn;
  const size = BPF_SIZE(code);
  switch (imm) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH:
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
    case BPF_XCHG:
    case BPF_CMPXCHG:
      if (size !== BPF_W && size !== BPF_DW)
        return new IsaError(i, 'invalid atomic operand size', 'reserved-field');
      return undefined;
    case BPF_LOAD_ACQ:
    case BPF_STORE_REL:
      return undefined;
    default:
      return new IsaError(i, `BPF_ATOMIC uses invalid atomic opcode ${hex2(imm & 0xff)}`, 'reserved-field');
  }
}

function checkJmp(
  insns: readonly Insn[],
  i: number,
  cls: number,
  opts: ValidateOptions,
  reserved: (what: string) => IsaError,
  regOk: (r: number) => IsaError | undefined,
): IsaError | undefined {
  const { code, dst, src, off, imm } = insns[i]!;
  const op = BPF_OP(code);
  const isX = BPF_SRC(code) === BPF_X;
  if (op === BPF_CALL) {
    if (code === CALLX) {
      // The conformance suite's callx: register in dst, everything else zero.
      return src !== 0 || off !== 0 || imm !== 0 ? reserved('BPF_CALL') : regOk(dst);
    }
    // After jit_subprogs a bpf-to-bpf call keeps its relative offset in off and the
    // callee's subprogram index in imm.
    const xlatedSubprogCall = opts.xlated && src === BPF_PSEUDO_CALL;
    if (
      (src !== BPF_PSEUDO_KFUNC_CALL && off !== 0 && !xlatedSubprogCall) ||
      (src !== 0 && src !== BPF_PSEUDO_CALL && src !== BPF_PSEUDO_KFUNC_CALL) ||
      dst !== 0
    ) {
      return reserved('BPF_CALL');
    }
    if (src === 0 && opts.kernel && !opts.xlated && (imm < 0 || imm >= BPF_FUNC_MAX_ID)) {
      return new IsaError(i, `invalid func unknown#${imm}`, 'invalid-value');
    }
    return undefined;
  }
  if (op === BPF_JA) {
    if (src !== 0 || dst !== 0 || (cls === BPF_JMP && imm !== 0) || (cls === BPF_JMP32 && off !== 0)) {
      return reserved('BPF_JA');
    }
    return undefined;
  }
  if (op === BPF_EXIT) {
    return imm !== 0 || src !== 0 || dst !== 0 || off !== 0 ? reserved('BPF_EXIT') : undefined;
  }
  if (op === BPF_TAIL_CALL) {
    // imm may hold the poke descriptor index of a direct tail call.
    return dst !== 0 || src !== 0 || off !== 0 ? reserved('BPF_TAIL_CALL') : undefined;
  }
  if (op === BPF_JCOND) {
    if (src !== BPF_MAY_GOTO || dst !== 0 || imm !== 0) {
      return new IsaError(i, `invalid may_goto imm ${imm}`, 'reserved-field');
    }
    return undefined;
  }
  if (isX ? imm !== 0 : src !== 0) return reserved('BPF_JMP/JMP32');
  return regOk(dst) ?? (isX ? regOk(src) : undefined);
}

/** Index of the instruction a jump at i lands on, or undefined when i does not jump. */
export function jumpTarget(insn: Insn, i: number): number | undefined {
  const cls = BPF_CLASS(insn.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const op = BPF_OP(insn.code);
  if (op === BPF_EXIT) return undefined;
  if (op === BPF_CALL)
    return insn.src === BPF_PSEUDO_CALL && insn.code === (BPF_JMP | BPF_CALL) ? i + insn.imm + 1 : undefined;
  if (insn.code === (BPF_JMP32 | BPF_JA)) return i + insn.imm + 1;
  return i + insn.off + 1;
}

/** Every problem in the program, in index order (at most one per instruction). */
export function checkProgram(insns: readonly Insn[], options: ValidateOptions = {}): IsaError[] {
  const opts = normalize(options);
  const errors: IsaError[] = [];
  const n = insns.length;
  if (n === 0) return [new IsaError(0, 'empty program', 'truncated')];
  // Second slots of ld_imm64 pairs: not instructions, and not jump targets.
  const second = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const e = checkInsn(insns, i, opts);
    if (e) errors.push(e);
    if (insns[i]!.code === (BPF_LD | BPF_IMM | BPF_DW)) {
      if (i + 1 < n) second[i + 1] = 1;
      i++;
    }
  }
  for (let i = 0; i < n; i++) {
    if (second[i]) continue;
    const insn = insns[i]!;
    const t = jumpTarget(insn, i);
    if (t === undefined) continue;
    if (BPF_OP(insn.code) === BPF_CALL) {
      // xlated calls name the callee by subprogram index, not by offset.
      if (opts.xlated) continue;
      if (t < 0 || t >= n) errors.push(new IsaError(i, 'call to invalid destination', 'jump-range'));
      else if (second[t])
        errors.push(new IsaError(t - 1, `jump into the middle of ldimm64 insn ${t - 1}`, 'jump-range'));
      continue;
    }
    if (t < 0 || t >= n)
      errors.push(new IsaError(i, `jump out of range from insn ${i} to ${t}`, 'jump-range'));
    else if (second[t])
      errors.push(new IsaError(t - 1, `jump into the middle of ldimm64 insn ${t - 1}`, 'jump-range'));
  }
  if (opts.kernel && !opts.xlated && errors.length === 0) checkSubprogs(insns, errors);
  errors.sort((a, b) => a.index - b.index);
  return errors;
}

/**
 * The kernel's check_subprogs: every subprogram (instruction 0, each bpf-to-bpf call
 * target, each BPF_PSEUDO_FUNC target) must keep its jumps inside itself and end in
 * exit or an unconditional jump.
 */
function checkSubprogs(insns: readonly Insn[], errors: IsaError[]): void {
  const n = insns.length;
  const starts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const x = insns[i]!;
    const pseudoCall = x.code === (BPF_JMP | BPF_CALL) && x.src === BPF_PSEUDO_CALL;
    const pseudoFunc = x.code === (BPF_LD | BPF_IMM | BPF_DW) && x.src === BPF_PSEUDO_FUNC;
    if (pseudoCall || pseudoFunc) {
      const t = i + x.imm + 1;
      // add_subprog refuses a target outside the program (a BPF_PSEUDO_FUNC one is not range-checked before).
      if (t < 0 || t >= n) {
        errors.push(new IsaError(i, 'call to invalid destination', 'jump-range'));
        return;
      }
      starts.add(t);
    }
    if (x.code === (BPF_LD | BPF_IMM | BPF_DW)) i++;
  }
  const sorted = [...starts].sort((a, b) => a - b);
  for (let k = 0; k < sorted.length; k++) {
    const start = sorted[k]!;
    const end = sorted[k + 1] ?? n;
    for (let i = start; i < end; i++) {
      const x = insns[i]!;
      const t = BPF_OP(x.code) === BPF_CALL ? undefined : jumpTarget(x, i);
      if (t !== undefined && (t < start || t >= end)) {
        errors.push(new IsaError(i, `jump out of range from insn ${i} to ${t}`, 'jump-range'));
        return;
      }
      if (
        i === end - 1 &&
        x.code !== (BPF_JMP | BPF_EXIT) &&
        x.code !== (BPF_JMP | BPF_JA) &&
        x.code !== (BPF_JMP32 | BPF_JA)
      ) {
        errors.push(new IsaError(i, 'last insn is not an exit or jmp', 'jump-range'));
        return;
      }
      if (x.code === (BPF_LD | BPF_IMM | BPF_DW)) i++;
    }
  }
}

/** Throws the first IsaError of the program, if any. */
export function validateProgram(insns: readonly Insn[], opts: ValidateOptions = {}): void {
  const errors = checkProgram(insns, opts);
  if (errors.length) throw errors[0]!;
}
