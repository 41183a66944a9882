// A small abstract check of a model's generated code (gen_prologue / gen_epilogue): the
// kernel does not verify what these hooks return — it patches them in after do_check —
// so a register read before it is set, or a load through a number, would reach the JIT
// and run unchecked in the kernel. Types per register are coarse: enough for warnings,
// never for rejecting (anything unsure is 'unknown' and passes).
import { buildCfg } from '../isa/cfg';
import { type Insn, isLdImm64 } from '../isa/insn';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_EXIT,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_X,
} from '../isa/opcodes';

/**
 * ctx: the program's context pointer; ptr: derived from a pointer; fp: the frame pointer;
 * clobbered: r1-r5 after a call (as unset as uninit, said differently).
 */
type RegType = 'uninit' | 'clobbered' | 'scalar' | 'ctx' | 'ptr' | 'fp' | 'unknown';

const unset = (t: RegType) => t === 'uninit' || t === 'clobbered';

export interface GeneratedWarning {
  /** Index of the instruction (slot) in the generated block. */
  insn: number;
  message: string;
}

export interface GeneratedCheckOptions {
  which: 'prologue' | 'epilogue';
  /** Where the kernel saved ctx for the epilogue (the {ctx_stack_off} it was assembled with). */
  ctxStackOff?: number;
  /** Arguments the k-th call in the block takes (kfunc / BPF_CALL_N wrapper), when known. */
  callArgs?: (k: number) => number | undefined;
}

const REGS = 11;

function entryState(o: GeneratedCheckOptions): RegType[] {
  const r: RegType[] = Array(REGS).fill('uninit');
  r[10] = 'fp';
  // gen_prologue runs first with the program's ctx; gen_epilogue runs at the program's
  // exit with its return value in r0 (the other registers are the program's leftovers).
  if (o.which === 'prologue') r[1] = 'ctx';
  else r[0] = 'scalar';
  return r;
}

const join = (a: RegType, b: RegType): RegType =>
  a === b ? a : a === 'uninit' || b === 'uninit' ? 'uninit' : unset(a) || unset(b) ? 'clobbered' : 'unknown';

const reg = (r: number) => `r${r}`;

export function checkGeneratedCode(insns: readonly Insn[], o: GeneratedCheckOptions): GeneratedWarning[] {
  const warnings = new Map<string, GeneratedWarning>();
  const warn = (insn: number, message: string) => warnings.set(`${insn}:${message}`, { insn, message });
  if (insns.length === 0) return [];
  const cfg = buildCfg(insns);
  const callIndex = new Map<number, number>();
  insns.forEach((x, i) => {
    if (x.code === (BPF_JMP | BPF_CALL) && x.src !== BPF_PSEUDO_CALL) callIndex.set(i, callIndex.size);
  });
  const stackOff = o.ctxStackOff ?? -8;

  const entry = new Map<number, RegType[]>([[0, entryState(o)]]);
  const work = [0];
  while (work.length) {
    const id = work.shift()!;
    const b = cfg.blocks[id]!;
    const r = [...entry.get(id)!];
    const read = (i: number, n: number, what: string) => {
      if (r[n] === 'uninit') warn(i, `reads ${reg(n)}${what}, which is not set on every path to here`);
      else if (r[n] === 'clobbered')
        warn(i, `reads ${reg(n)}${what} after a call clobbered it (r1-r5 do not survive calls)`);
      // Said once: what follows from it is not warned again.
      if (unset(r[n]!)) r[n] = 'unknown';
    };
    const deref = (i: number, n: number) => {
      read(i, n, '');
      if (r[n] === 'scalar') warn(i, `dereferences ${reg(n)}, which holds a number, not a pointer`);
    };
    let fallsOff = true;
    for (let i = b.start; i <= b.end; i++) {
      const x = insns[i]!;
      const cls = BPF_CLASS(x.code);
      const op = BPF_OP(x.code);
      if (isLdImm64(x)) {
        r[x.dst] = 'scalar';
        i++;
        continue;
      }
      if (cls === BPF_ALU || cls === BPF_ALU64) {
        if (BPF_SRC(x.code) === BPF_X) read(i, x.src, '');
        const srcT: RegType = BPF_SRC(x.code) === BPF_X ? r[x.src]! : 'scalar';
        if (op === BPF_MOV) {
          r[x.dst] = cls === BPF_ALU64 && x.off === 0 ? srcT : 'scalar';
          continue;
        }
        read(i, x.dst, '');
        const dstT = r[x.dst]!;
        const pointer = dstT === 'ctx' || dstT === 'ptr' || dstT === 'fp';
        // Pointer ± number stays a pointer; what an unknown value becomes is unknown.
        if (cls === BPF_ALU64 && pointer && (op === BPF_ADD || op === BPF_SUB) && srcT === 'scalar')
          r[x.dst] = 'ptr';
        else r[x.dst] = dstT === 'unknown' || srcT === 'unknown' ? 'unknown' : 'scalar';
        continue;
      }
      if (cls === BPF_LDX) {
        deref(i, x.src);
        const fromCtxSlot = r[x.src] === 'fp' && x.off === stackOff && BPF_SIZE(x.code) === BPF_DW;
        // An 8-byte load may be a pointer (ctx->args[0]); a narrower one is a number.
        r[x.dst] = fromCtxSlot ? 'ctx' : BPF_SIZE(x.code) === BPF_DW ? 'unknown' : 'scalar';
        continue;
      }
      if (cls === BPF_ST || cls === BPF_STX) {
        deref(i, x.dst);
        if (cls === BPF_STX) read(i, x.src, '');
        if (cls === BPF_STX && BPF_MODE(x.code) === BPF_ATOMIC) r[0] = 'unknown';
        continue;
      }
      if (cls === BPF_LD) continue;
      if (cls === BPF_JMP || cls === BPF_JMP32) {
        if (op === BPF_EXIT) {
          read(i, 0, ' as the return value');
          fallsOff = false;
          continue;
        }
        if (op === BPF_CALL) {
          const args = o.callArgs?.(callIndex.get(i) ?? -1);
          for (let a = 1; a <= (args ?? 0); a++) read(i, a, ` (argument ${a} of the call)`);
          for (let a = 1; a <= 5; a++) r[a] = 'clobbered';
          r[0] = 'unknown';
          continue;
        }
        if (op === BPF_JA) {
          fallsOff = false;
          continue;
        }
        read(i, x.dst, '');
        if (BPF_SRC(x.code) === BPF_X) read(i, x.src, '');
      }
    }
    const out = cfg.edges.filter((e) => e.from === id && e.kind !== 'call');
    if (
      fallsOff &&
      b.end === insns.length - 1 &&
      o.which === 'prologue' &&
      r[1] !== 'ctx' &&
      r[1] !== 'unknown'
    )
      warn(
        b.end,
        `the program starts after the prologue with r1 = ctx, but the prologue leaves r1 ${unset(r[1]!) ? 'unset' : `as a ${r[1]}`}`,
      );
    for (const e of out) {
      const prev = entry.get(e.to);
      const next = prev ? prev.map((t, k) => join(t, r[k]!)) : [...r];
      if (!prev || next.some((t, k) => t !== prev[k])) {
        entry.set(e.to, next);
        if (!work.includes(e.to)) work.push(e.to);
      }
    }
  }
  return [...warnings.values()].sort((a, b) => a.insn - b.insn);
}
