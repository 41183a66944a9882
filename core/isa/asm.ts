// Assembler for two text forms:
// - 'kernel': what disasm.ts (the kernel's print_bpf_insn) prints, with or without the
//   `N: (op)` prefix, plus labels (`name:`) usable as jump and call targets;
// - 'conformance': the bpf_conformance suite's syntax (`mov %r0, 1`, `ldxw %r0, [%r1+4]`,
//   `lock fetch add [%r10-8], %r1`), with labels and the implicit `exit` label.
// Errors are AsmError with a 1-based line and column.

import { helperId } from './helper-names';
import type { Insn } from './insn';
import { insn } from './insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_H,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_NEG,
  BPF_NOSPEC,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
} from './opcodes';

export type AsmSyntax = 'kernel' | 'conformance';

export class AsmError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'AsmError';
  }
}

export interface AsmOptions {
  /** Default 'auto': conformance when the text uses `%r` registers or its mnemonics. */
  syntax?: AsmSyntax | 'auto';
  /**
   * Kernel syntax: how `call NAME#IMM` (or `call NAME`) is encoded when NAME is not a
   * label or a helper of enum bpf_func_id. Default: src 0 (an internal helper call),
   * `kernel-function` → kfunc call (src 2).
   */
  resolveCall?(name: string, imm: number | undefined): { src: number; imm: number; off?: number } | undefined;
}

const ALU_OPS: Record<string, number> = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  mod: 0x90,
  xor: 0xa0,
  mov: 0xb0,
  arsh: 0xc0,
};
const JMP_OPS: Record<string, number> = {
  jeq: 0x10,
  jgt: 0x20,
  jge: 0x30,
  jset: 0x40,
  jne: 0x50,
  jsgt: 0x60,
  jsge: 0x70,
  jlt: 0xa0,
  jle: 0xb0,
  jslt: 0xc0,
  jsle: 0xd0,
};
const SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };
const ATOMIC_OPS: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 };

/** One parsed instruction awaiting label resolution. */
interface Pending {
  line: number;
  column: number;
  slots: 1 | 2;
  build(resolve: (label: string, column: number) => number, index: number): Insn[];
}

interface Line {
  no: number;
  text: string; // original
}

/** Offsets into a line, so errors can point at the token. */
interface Tok {
  text: string;
  col: number; // 1-based
}

function parseIntStrict(text: string): bigint | undefined {
  const t = text.trim();
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(t);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

// ---------------------------------------------------------------------------------------
// Shared driver

function splitLines(text: string): Line[] {
  return text.split(/\r?\n/).map((t, k) => ({ no: k + 1, text: t }));
}

const LABEL_RE = /^([A-Za-z_.$][\w.$]*):/;

function link(pending: Pending[], labels: Map<string, number>, implicitExit: number | undefined): Insn[] {
  const out: Insn[] = [];
  for (const p of pending) {
    const resolve = (label: string, column: number): number => {
      const at = labels.get(label) ?? (label === 'exit' ? implicitExit : undefined);
      if (at === undefined) throw new AsmError(p.line, column, `Invalid label: ${label}`);
      return at;
    };
    out.push(...p.build(resolve, out.length));
  }
  return out;
}

/** Guesses the syntax of a text: conformance uses `%rN` registers and mnemonics like `mov`. */
export function detectSyntax(text: string): AsmSyntax {
  for (const raw of splitLines(text)) {
    const t = raw.text
      .replace(/(#|;|\/\/).*/, '')
      .replace(/^\s*\d+:\s*(\([0-9a-f]{2}\)\s*)?/i, '')
      .trim();
    if (!t || (LABEL_RE.test(t) && !t.replace(LABEL_RE, '').trim())) continue;
    if (/%r\d/.test(t)) return 'conformance';
    const word = t.split(/\s+/)[0]!;
    if (word === 'exit' || word === 'call') continue;
    if (
      /^(r\d+|w\d+|if|goto|gotol|call|\*|lock|may_goto|nospec|store_release)\b/.test(t) ||
      t.startsWith('*(')
    ) {
      return 'kernel';
    }
    return 'conformance';
  }
  return 'kernel';
}

export function assemble(text: string, opts: AsmOptions = {}): Insn[] {
  const syntax = !opts.syntax || opts.syntax === 'auto' ? detectSyntax(text) : opts.syntax;
  return syntax === 'kernel' ? assembleKernel(text, opts) : assembleConformance(text);
}

// ---------------------------------------------------------------------------------------
// bpf_conformance syntax

function tokenizeOperands(rest: string, startCol: number): Tok[] {
  if (!rest.trim()) return [];
  const toks: Tok[] = [];
  let pos = 0;
  for (const part of rest.split(',')) {
    const lead = part.length - part.trimStart().length;
    toks.push({ text: part.trim(), col: startCol + pos + lead });
    pos += part.length + 1;
  }
  return toks;
}

export function assembleConformance(text: string): Insn[] {
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  let implicitExit: number | undefined;

  for (const { no, text: raw } of splitLines(text)) {
    let body = raw.replace(/#.*/, '');
    let col = body.length - body.trimStart().length + 1;
    body = body.trim();
    if (!body) continue;
    const lm = LABEL_RE.exec(body);
    if (lm) {
      if (labels.has(lm[1]!)) throw new AsmError(no, col, `Duplicate label: ${lm[1]}`);
      labels.set(lm[1]!, slot);
      const after = body.slice(lm[0].length);
      col += lm[0].length + (after.length - after.trimStart().length);
      body = after.trim();
      if (!body) continue;
    }
    const p = parseConformanceInsn(body, no, col);
    if (implicitExit === undefined && /^exit$/i.test(body)) implicitExit = slot;
    pending.push(p);
    slot += p.slots;
  }
  return link(pending, labels, implicitExit);
}

function parseConformanceInsn(body: string, line: number, col: number): Pending {
  const m = /^(\S+)\s*(.*)$/.exec(body)!;
  let mnem = m[1]!.toLowerCase();
  let rest = m[2]!;
  let restCol = col + body.length - rest.length;
  const err = (c: number, reason: string) => new AsmError(line, c, reason);

  const reg = (t: Tok | undefined): number => {
    const r = t && /^%r(\d+)$/i.exec(t.text);
    if (!t) throw err(col, `Invalid number of operands for mnemonic: ${mnem}`);
    if (!r || Number(r[1]) > 10) throw err(t.col, `Invalid register: ${t.text}`);
    return Number(r[1]);
  };
  const isReg = (t: Tok) => /^%r/i.test(t.text);
  const imm32 = (t: Tok): number => {
    const v = parseIntStrict(t.text);
    if (v === undefined) throw err(t.col, `Invalid immediate: ${t.text}`);
    // Decimal must fit s32; hex may spell the u32 bit pattern.
    const max = /0x/i.test(t.text) ? 0xffffffffn : 0x7fffffffn;
    if (v < -(1n << 31n) || v > max) throw err(t.col, `Immediate out of 32-bit range: ${t.text}`);
    return Number(BigInt.asIntN(32, v));
  };
  const off16 = (text: string, c: number): number => {
    const v = parseIntStrict(text);
    if (v === undefined) throw err(c, `Invalid offset: ${text}`);
    if (v < -32768n || v > 0xffffn) throw err(c, `Offset out of 16-bit range: ${text}`);
    return Number(BigInt.asIntN(16, v));
  };
  const memOp = (t: Tok | undefined): { r: number; off: number } => {
    if (!t) throw err(col, `Invalid number of operands for mnemonic: ${mnem}`);
    const mm = /^\[\s*(%r\d+)\s*(?:([+-])\s*([^\]\s]+))?\s*\]$/i.exec(t.text);
    if (!mm) throw err(t.col, `Failed to decode register and offset: ${t.text}`);
    const r = reg({ text: mm[1]!, col: t.col + 1 });
    const off = mm[2] ? off16(`${mm[2]}${mm[3]}`, t.col) : 0;
    return { r, off };
  };
  const count = (ops: Tok[], n: number) => {
    if (ops.length !== n) throw err(col, `Invalid number of operands for mnemonic: ${mnem}`);
  };
  const one = (i: Insn): Pending => ({ line, column: col, slots: 1, build: () => [i] });
  const jumpTarget = (t: Tok, resolve: (l: string, c: number) => number, index: number): number => {
    const v = parseIntStrict(t.text);
    if (v !== undefined) return Number(v);
    if (!/^[A-Za-z_.$][\w.$]*$/.test(t.text)) throw err(t.col, `Invalid label: ${t.text}`);
    return resolve(t.text, t.col) - (index + 1);
  };

  if (mnem === 'lock') {
    const lw = /^(\S+)\s*(.*)$/.exec(rest);
    if (!lw) throw err(col, 'Invalid number of operands for lock');
    let fetch = false;
    let w = lw;
    if (lw[1]!.toLowerCase() === 'fetch') {
      fetch = true;
      w =
        /^fetch\s+(\S+)\s*(.*)$/i.exec(rest) ??
        (() => {
          throw err(col, 'Invalid number of operands for lock');
        })();
    }
    mnem = w[1]!.toLowerCase();
    rest = w[2]!;
    restCol = col + body.length - rest.length;
    const ops = tokenizeOperands(rest, restCol);
    const am = /^(add|or|and|xor|xchg|cmpxchg)(32|64)?$/.exec(mnem);
    if (!am) throw err(col, `Invalid mnemonic: ${mnem}`);
    count(ops, 2);
    const { r, off } = memOp(ops[0]);
    const src = reg(ops[1]);
    const size = am[2] === '32' ? BPF_W : BPF_DW;
    const op =
      am[1] === 'xchg'
        ? BPF_XCHG
        : am[1] === 'cmpxchg'
          ? BPF_CMPXCHG
          : ATOMIC_OPS[am[1]!]! | (fetch ? BPF_FETCH : 0);
    return one(insn(BPF_STX | BPF_ATOMIC | size, r, src, off, op));
  }

  const ops = tokenizeOperands(rest, restCol);

  // ALU: add/add32/add64, sdiv/smod, neg
  const alu = /^(add|sub|mul|div|or|and|lsh|rsh|mod|xor|mov|arsh|sdiv|smod|neg)(32|64)?$/.exec(mnem);
  if (alu) {
    const cls = alu[2] === '32' ? BPF_ALU : BPF_ALU64;
    if (alu[1] === 'neg') {
      count(ops, 1);
      return one(insn(cls | BPF_NEG, reg(ops[0]), 0, 0, 0));
    }
    count(ops, 2);
    const signed = alu[1] === 'sdiv' || alu[1] === 'smod';
    const op = ALU_OPS[signed ? alu[1]!.slice(1) : alu[1]!]!;
    const dst = reg(ops[0]);
    if (isReg(ops[1]!)) return one(insn(cls | op | BPF_X, dst, reg(ops[1]), signed ? 1 : 0, 0));
    return one(insn(cls | op | BPF_K, dst, 0, signed ? 1 : 0, imm32(ops[1]!)));
  }
  const movsx = /^movsx(8|16|32)(64|32)$/.exec(mnem);
  if (movsx) {
    count(ops, 2);
    const cls = movsx[2] === '32' ? BPF_ALU : BPF_ALU64;
    return one(insn(cls | BPF_MOV | BPF_X, reg(ops[0]), reg(ops[1]), Number(movsx[1]), 0));
  }
  const end = /^(le|be|bswap|swap)(16|32|64)$/.exec(mnem);
  if (end) {
    count(ops, 1);
    const code =
      end[1] === 'le'
        ? BPF_ALU | BPF_END | BPF_TO_LE
        : end[1] === 'be'
          ? BPF_ALU | BPF_END | BPF_TO_BE
          : BPF_ALU64 | BPF_END | BPF_TO_LE;
    return one(insn(code, reg(ops[0]), 0, 0, Number(end[2])));
  }
  const ldx = /^ldx(s?)(b|h|w|dw)$/.exec(mnem);
  if (ldx) {
    count(ops, 2);
    const dst = reg(ops[0]);
    const { r, off } = memOp(ops[1]);
    if (ldx[1] && ldx[2] === 'dw') throw err(col, `Invalid mnemonic: ${mnem}`);
    return one(insn(BPF_LDX | SIZES[ldx[2]!]! | (ldx[1] ? BPF_MEMSX : BPF_MEM), dst, r, off, 0));
  }
  const st = /^st(x?)(b|h|w|dw)$/.exec(mnem);
  if (st) {
    count(ops, 2);
    const { r, off } = memOp(ops[0]);
    if (st[1]) return one(insn(BPF_STX | SIZES[st[2]!]! | BPF_MEM, r, reg(ops[1]), off, 0));
    return one(insn(BPF_ST | SIZES[st[2]!]! | BPF_MEM, r, 0, off, imm32(ops[1]!)));
  }
  if (mnem === 'lddw') {
    count(ops, 2);
    const dst = reg(ops[0]);
    const v = parseIntStrict(ops[1]!.text);
    if (v === undefined) throw err(ops[1]!.col, `Invalid immediate: ${ops[1]!.text}`);
    if (v < -(1n << 63n) || v > (1n << 64n) - 1n)
      throw err(ops[1]!.col, `Immediate out of 64-bit range: ${ops[1]!.text}`);
    const u = BigInt.asUintN(64, v);
    const lo = Number(BigInt.asIntN(32, u));
    const hi = Number(BigInt.asIntN(32, u >> 32n));
    return {
      line,
      column: col,
      slots: 2,
      build: () => [insn(BPF_LD | BPF_DW, dst, 0, 0, lo), insn(0, 0, 0, 0, hi)],
    };
  }
  if (mnem === 'ja' || mnem === 'ja32') {
    count(ops, 1);
    const t = ops[0]!;
    return {
      line,
      column: col,
      slots: 1,
      build: (resolve, index) => {
        const d = jumpTarget(t, resolve, index);
        if (mnem === 'ja32') return [insn(BPF_JMP32 | BPF_JA, 0, 0, 0, d)];
        if (d < -32768 || d > 32767) throw err(t.col, `Offset out of 16-bit range: ${t.text}`);
        return [insn(BPF_JMP | BPF_JA, 0, 0, d, 0)];
      },
    };
  }
  const jm = /^(jeq|jgt|jge|jset|jne|jsgt|jsge|jlt|jle|jslt|jsle)(32|64)?$/.exec(mnem);
  if (jm) {
    count(ops, 3);
    const cls = jm[2] === '32' ? BPF_JMP32 : BPF_JMP;
    const op = JMP_OPS[jm[1]!]!;
    const dst = reg(ops[0]);
    const x = isReg(ops[1]!);
    const src = x ? reg(ops[1]) : 0;
    const imm = x ? 0 : imm32(ops[1]!);
    const t = ops[2]!;
    return {
      line,
      column: col,
      slots: 1,
      build: (resolve, index) => {
        const d = jumpTarget(t, resolve, index);
        if (d < -32768 || d > 32767) throw err(t.col, `Offset out of 16-bit range: ${t.text}`);
        return [insn(cls | op | (x ? BPF_X : BPF_K), dst, src, d, imm)];
      },
    };
  }
  if (mnem === 'call') {
    const words = rest.trim().split(/\s+/);
    if (words[0] === 'local' && words.length === 2) {
      const t: Tok = { text: words[1]!, col: restCol + rest.indexOf(words[1]!, 5) };
      return {
        line,
        column: col,
        slots: 1,
        build: (resolve, index) => [
          insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, jumpTarget(t, resolve, index)),
        ],
      };
    }
    if (words[0] === 'runtime' && words.length === 2) {
      const t: Tok = { text: words[1]!, col: restCol + rest.indexOf(words[1]!, 7) };
      return one(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, imm32(t)));
    }
    count(ops, 1);
    if (isReg(ops[0]!)) return one(insn(BPF_JMP | BPF_CALL | BPF_X, reg(ops[0]), 0, 0, 0));
    return one(insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm32(ops[0]!)));
  }
  if (mnem === 'exit') {
    count(ops, 0);
    return one(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  throw err(col, `Invalid mnemonic: ${m[1]}`);
}

// ---------------------------------------------------------------------------------------
// Kernel (verifier log / bpftool xlated) syntax

const KSIZE: Record<string, number> = { u8: BPF_B, u16: BPF_H, u32: BPF_W, u64: BPF_DW };
const KSIZE_SX: Record<string, number> = { s8: BPF_B, s16: BPF_H, s32: BPF_W };
const KALU: Record<string, [number, number]> = {
  '+=': [0x00, 0],
  '-=': [0x10, 0],
  '*=': [0x20, 0],
  '/=': [0x30, 0],
  '|=': [0x40, 0],
  '&=': [0x50, 0],
  '<<=': [0x60, 0],
  '>>=': [0x70, 0],
  '%=': [0x90, 0],
  '^=': [0xa0, 0],
  '=': [0xb0, 0],
  's>>=': [0xc0, 0],
  's/=': [0x30, 1],
  's%=': [0x90, 1],
};
const KJMP: Record<string, number> = {
  '==': 0x10,
  '>': 0x20,
  '>=': 0x30,
  '&': 0x40,
  '!=': 0x50,
  's>': 0x60,
  's>=': 0x70,
  '<': 0xa0,
  '<=': 0xb0,
  's<': 0xc0,
  's<=': 0xd0,
};
const KATOMIC: Record<string, number> = { '+=': 0x00, '|=': 0x40, '&=': 0x50, '^=': 0xa0 };
const KATOMIC_FETCH: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 };

const REG = '([rw])(\\d+)';
const NUM = '([+-]?(?:0x[0-9a-fA-F]+|\\d+))';
const MEMK = '\\((u8|u16|u32|u64|s8|s16|s32) \\*\\)\\(r(\\d+) ([+-]\\d+)\\)';
const LD_IMM64_RE =
  /^r(\d+) = (0x[0-9a-fA-F]+|map\[id:(\d+)\](?:\[0\]\+(\d+))?|map\[idx:(\d+)\](?:\+(\d+))?|subprog\[([+-]\d+)\])$/;
const TARGET = '(pc[+-]\\d+|[A-Za-z_.$][\\w.$]*)';

export function assembleKernel(text: string, opts: AsmOptions = {}): Insn[] {
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  for (const { no, text: raw } of splitLines(text)) {
    // `#` is part of call text (`call bpf_map_lookup_elem#1`), so comments are `;` or `//`.
    let body = raw.replace(/(;|\/\/).*/, '');
    let col = body.length - body.trimStart().length + 1;
    body = body.trim();
    // bpftool prints a C signature line (`int prog(struct xdp_md * ctx):`) before each function.
    if (!body || /^[A-Za-z_][\w\s*]*\(.*\):$/.test(body)) continue;
    // `N: ` index prefix (checked against the slot count) and `(op)` opcode prefix.
    const idx = /^(\d+):\s*/.exec(body);
    if (idx) {
      if (Number(idx[1]) !== slot) {
        throw new AsmError(no, col, `instruction index ${idx[1]} does not match its position ${slot}`);
      }
      col += idx[0].length;
      body = body.slice(idx[0].length);
    }
    const lm = LABEL_RE.exec(body);
    if (lm && !idx) {
      if (labels.has(lm[1]!)) throw new AsmError(no, col, `Duplicate label: ${lm[1]}`);
      labels.set(lm[1]!, slot);
      const after = body.slice(lm[0].length);
      col += lm[0].length + (after.length - after.trimStart().length);
      body = after.trim();
      if (!body) continue;
    }
    let expectCode: number | undefined;
    const op = /^\(([0-9a-fA-F]{2})\)\s*/.exec(body);
    if (op) {
      expectCode = Number.parseInt(op[1]!, 16);
      col += op[0].length;
      body = body.slice(op[0].length);
    }
    const p = parseKernelInsn(body, no, col, opts);
    if (expectCode !== undefined) {
      const build = p.build;
      p.build = (resolve, index) => {
        const out = build(resolve, index);
        if (out[0]!.code !== expectCode) {
          throw new AsmError(
            no,
            col,
            `opcode (${op![1]}) does not match the instruction, which encodes as (${out[0]!.code.toString(16).padStart(2, '0')})`,
          );
        }
        return out;
      };
    }
    pending.push(p);
    slot += p.slots;
  }
  return link(pending, labels, undefined);
}

function parseKernelInsn(body: string, line: number, col: number, opts: AsmOptions): Pending {
  const one = (i: Insn): Pending => ({ line, column: col, slots: 1, build: () => [i] });
  const err = (reason: string) => new AsmError(line, col, reason);
  const regNo = (s: string): number => {
    const n = Number(s);
    if (n > 11) throw err(`Invalid register: r${s} (BPF has r0-r10; r11 is the JIT's scratch BPF_REG_AX)`);
    return n;
  };
  const num32 = (s: string): number => {
    const v = parseIntStrict(s)!;
    if (v < -(1n << 31n) || v > 0xffffffffn) throw err(`Immediate out of 32-bit range: ${s}`);
    return Number(BigInt.asIntN(32, v));
  };
  const offOf = (s: string): number => {
    const v = Number(s);
    if (v < -32768 || v > 32767) throw err(`Offset out of 16-bit range: ${s}`);
    return v;
  };
  const jump = (target: string, make: (d: number) => Insn, wide = false): Pending => ({
    line,
    column: col,
    slots: 1,
    build: (resolve, index) => {
      const pcm = /^pc([+-]\d+)$/.exec(target);
      const d = pcm ? Number(pcm[1]) : resolve(target, col) - (index + 1);
      if (!wide && (d < -32768 || d > 32767)) throw err(`Offset out of 16-bit range: ${d}`);
      return [make(d)];
    },
  });
  // The last successful match; `match` keeps it for the branch that follows.
  let m = [] as unknown as RegExpExecArray;
  const match = (re: RegExp): boolean => {
    const r = re.exec(body);
    if (r) m = r;
    return r !== null;
  };
  if (body === 'exit') return one(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  if (body === 'nospec') return one(insn(BPF_ST | BPF_NOSPEC, 0, 0, 0, 0));
  if (match(/^callx r(\d+)$/)) return one(insn(BPF_JMP | BPF_CALL | BPF_X, regNo(m[1]!), 0, 0, 0));
  if (match(new RegExp(`^goto ${TARGET}$`))) return jump(m[1]!, (d) => insn(BPF_JMP | BPF_JA, 0, 0, d, 0));
  if (match(new RegExp(`^gotol ${TARGET}$`))) {
    return jump(m[1]!, (d) => insn(BPF_JMP32 | BPF_JA, 0, 0, 0, d), true);
  }
  if (match(new RegExp(`^may_goto ${TARGET}$`))) {
    return jump(m[1]!, (d) => insn(BPF_JMP | BPF_JCOND, 0, 0, d, 0));
  }
  // if rD OP rS|IMM goto T
  if (match(new RegExp(`^if ${REG} (==|!=|>=|<=|>|<|&|s>=|s<=|s>|s<) (?:${REG}|${NUM}) goto ${TARGET}$`))) {
    const cls = m[1] === 'w' ? BPF_JMP32 : BPF_JMP;
    const dst = regNo(m[2]!);
    const op = KJMP[m[3]!]!;
    if (m[4] && m[4] !== m[1]) throw err('mixed r and w registers');
    const src = m[4] ? regNo(m[5]!) : 0;
    const imm = m[4] ? 0 : num32(m[6]!);
    return jump(m[7]!, (d) => insn(cls | op | (m![4] ? BPF_X : BPF_K), dst, src, d, imm));
  }
  // call pc+N | call NAME#IMM | call NAME | call LABEL
  // bpftool names a JITed callee after the offset: `call pc+2#bpf_prog_<tag>_<name>`.
  if (match(/^call (pc[+-]\d+)#[\w.]+$/)) {
    return one(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, Number(m[1]!.slice(2))));
  }
  if (match(/^call (pc[+-]\d+|[A-Za-z_.$][\w.$-]*)(?:#(-?\d+))?$/)) {
    const name = m[1]!;
    const imm = m[2] === undefined ? undefined : Number(m[2]);
    if (name.startsWith('pc') && /^pc[+-]\d+$/.test(name)) {
      return one(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, Number(name.slice(2))));
    }
    return {
      line,
      column: col,
      slots: 1,
      build: (resolve, index) => {
        if (imm === undefined) {
          const hid = helperId(name);
          if (hid !== undefined) return [insn(BPF_JMP | BPF_CALL, 0, 0, 0, hid)];
          const r = opts.resolveCall?.(name, undefined);
          if (r) return [insn(BPF_JMP | BPF_CALL, 0, r.src, r.off ?? 0, r.imm)];
          return [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, resolve(name, col) - (index + 1))];
        }
        if (name === 'kernel-function') return [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, imm)];
        const hid = helperId(name);
        if (hid !== undefined && hid === imm) return [insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm)];
        const r = opts.resolveCall?.(name, imm);
        if (r) return [insn(BPF_JMP | BPF_CALL, 0, r.src, r.off ?? 0, r.imm)];
        return [insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm)];
      },
    };
  }
  // lock *(uN *)(rD +off) OP rS
  if (match(new RegExp(`^lock \\*${MEMK} (\\+=|\\|=|&=|\\^=) r(\\d+)$`))) {
    const size = KSIZE[m[1]!];
    if (size === undefined) throw err(`bad size ${m[1]}`);
    return one(insn(BPF_STX | BPF_ATOMIC | size, regNo(m[2]!), regNo(m[5]!), offOf(m[3]!), KATOMIC[m[4]!]!));
  }
  // rS = atomic[64]_fetch_OP((uN *)(rD +off), rS) / _xchg / r0 = _cmpxchg(..., r0, rS)
  if (
    match(
      new RegExp(
        `^r(\\d+) = atomic(64)?_(fetch_add|fetch_and|fetch_or|fetch_xor|xchg)\\(${MEMK}, r(\\d+)\\)$`,
      ),
    )
  ) {
    const size = KSIZE[m[4]!]!;
    const op = m[3] === 'xchg' ? BPF_XCHG : KATOMIC_FETCH[m[3]!.slice(6)]! | BPF_FETCH;
    if (m[1] !== m[7]) throw err('atomic fetch must load into its source register');
    return one(insn(BPF_STX | BPF_ATOMIC | size, regNo(m[5]!), regNo(m[7]!), offOf(m[6]!), op));
  }
  if (match(new RegExp(`^r0 = atomic(64)?_cmpxchg\\(${MEMK}, r0, r(\\d+)\\)$`))) {
    return one(
      insn(BPF_STX | BPF_ATOMIC | KSIZE[m[2]!]!, regNo(m[3]!), regNo(m[5]!), offOf(m[4]!), BPF_CMPXCHG),
    );
  }
  if (match(new RegExp(`^r(\\d+) = load_acquire\\(${MEMK}\\)$`))) {
    return one(
      insn(BPF_STX | BPF_ATOMIC | KSIZE[m[2]!]!, regNo(m[1]!), regNo(m[3]!), offOf(m[4]!), BPF_LOAD_ACQ),
    );
  }
  if (match(new RegExp(`^store_release\\(${MEMK}, r(\\d+)\\)$`))) {
    return one(
      insn(BPF_STX | BPF_ATOMIC | KSIZE[m[1]!]!, regNo(m[2]!), regNo(m[4]!), offOf(m[3]!), BPF_STORE_REL),
    );
  }
  // *(uN *)(rD +off) = rS | IMM
  if (match(new RegExp(`^\\*${MEMK} = (?:r(\\d+)|${NUM})$`))) {
    const size = KSIZE[m[1]!];
    if (size === undefined) throw err(`stores take u8/u16/u32/u64, not ${m[1]}`);
    if (m[4] !== undefined)
      return one(insn(BPF_STX | BPF_MEM | size, regNo(m[2]!), regNo(m[4]), offOf(m[3]!), 0));
    return one(insn(BPF_ST | BPF_MEM | size, regNo(m[2]!), 0, offOf(m[3]!), num32(m[5]!)));
  }
  // r0 = *(uN *)skb[IMM] / skb[rS + IMM]
  if (match(/^r0 = \*\((u8|u16|u32) \*\)skb\[(?:r(\d+) \+ )?(-?\d+)\]$/)) {
    const size = KSIZE[m[1]!]!;
    if (m[2] !== undefined) return one(insn(BPF_LD | BPF_IND | size, 0, regNo(m[2]), 0, num32(m[3]!)));
    return one(insn(BPF_LD | BPF_ABS | size, 0, 0, 0, num32(m[3]!)));
  }
  // rD = *(uN|sN *)(rS +off)
  if (match(new RegExp(`^r(\\d+) = \\*${MEMK}$`))) {
    const sx = KSIZE_SX[m[2]!];
    const mode = sx === undefined ? BPF_MEM : BPF_MEMSX;
    return one(insn(BPF_LDX | mode | (sx ?? KSIZE[m[2]!]!), regNo(m[1]!), regNo(m[3]!), offOf(m[4]!), 0));
  }
  // rD = leN rD / beN / bswapN
  if (match(/^r(\d+) = (le|be|bswap)(16|32|64) r(\d+)$/)) {
    if (m[1] !== m[4]) throw err('byte swaps work in place');
    const code =
      m[2] === 'le'
        ? BPF_ALU | BPF_END | BPF_TO_LE
        : m[2] === 'be'
          ? BPF_ALU | BPF_END | BPF_TO_BE
          : BPF_ALU64 | BPF_END;
    return one(insn(code, regNo(m[1]!), 0, 0, Number(m[3])));
  }
  if (match(/^r(\d+) = &\(void __percpu \*\)\(r(\d+)\)$/)) {
    return one(insn(BPF_ALU64 | BPF_MOV | BPF_X, regNo(m[1]!), regNo(m[2]!), -1, 0));
  }
  if (match(/^r(\d+) = addr_space_cast\(r(\d+), (\d+), (\d+)\)$/)) {
    return one(
      insn(BPF_ALU64 | BPF_MOV | BPF_X, regNo(m[1]!), regNo(m[2]!), 1, (Number(m[3]) << 16) | Number(m[4])),
    );
  }
  // ld_imm64: rD = 0x..., map[id:N], map[id:N][0]+M, map[idx:N]+M, subprog[+N]
  if (match(LD_IMM64_RE)) {
    const dst = regNo(m[1]!);
    let src = 0;
    let lo = 0;
    let hi = 0;
    if (m[2]!.startsWith('0x')) {
      const v = BigInt(m[2]!);
      if (v > (1n << 64n) - 1n) throw err(`Immediate out of 64-bit range: ${m[2]}`);
      lo = Number(BigInt.asIntN(32, v));
      hi = Number(BigInt.asIntN(32, v >> 32n));
    } else if (m[3] !== undefined) {
      src = m[4] !== undefined ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD;
      lo = Number(m[3]) | 0;
      hi = m[4] !== undefined ? Number(m[4]) | 0 : 0;
    } else if (m[5] !== undefined) {
      src = m[6] !== undefined ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_IDX;
      lo = Number(m[5]) | 0;
      hi = m[6] !== undefined ? Number(m[6]) | 0 : 0;
    } else {
      src = BPF_PSEUDO_FUNC;
      lo = Number(m[7]);
    }
    return {
      line,
      column: col,
      slots: 2,
      build: () => [insn(BPF_LD | BPF_DW, dst, src, 0, lo), insn(0, 0, 0, 0, hi)],
    };
  }
  // wD = -wD / rD = -rD
  if (match(new RegExp(`^${REG} = -${REG}$`))) {
    if (m[1] !== m[3] || m[2] !== m[4]) throw err('negation works in place');
    return one(insn((m[1] === 'w' ? BPF_ALU : BPF_ALU64) | BPF_NEG, regNo(m[2]!), 0, 0, 0));
  }
  // ALU: rD OP rS | rD = (sN)rS | rD OP IMM
  if (
    match(
      new RegExp(
        `^${REG} (\\+=|-=|\\*=|/=|\\|=|&=|<<=|>>=|%=|\\^=|=|s>>=|s/=|s%=) (?:(\\(s(?:8|16|32)\\))?${REG}|${NUM})$`,
      ),
    )
  ) {
    const cls = m[1] === 'w' ? BPF_ALU : BPF_ALU64;
    const dst = regNo(m[2]!);
    const [op, signed] = KALU[m[3]!]!;
    if (m[5] !== undefined) {
      if (m[5] !== m[1]) throw err('mixed r and w registers');
      const sx = m[4] ? Number(String(m[4]).slice(2, -1)) : 0;
      if (sx && op !== BPF_MOV) throw err('sign extension applies to moves only');
      return one(insn(cls | op | BPF_X, dst, regNo(m[6]!), sx || signed, 0));
    }
    return one(insn(cls | op | BPF_K, dst, 0, signed, num32(m[7]!)));
  }
  throw err(`cannot parse instruction: ${body}`);
}
