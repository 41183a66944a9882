// Precision backtracking: mark_chain_precision walks the jump history backwards
// (backtrack_insn) and propagate_precision carries marks onto a state that pruned.
import type { Insn } from '../isa/insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_X,
} from '../isa/opcodes';
import type { Verifier } from './do-check';
import { STACK_SPILL, type VerifierState } from './state';

export function markChainPrecision(v: Verifier, regno: number): void {
  const reg = v.regs()[regno]!;
  if (reg.type !== 'SCALAR_VALUE') return;
  // Precision goes to the parent checkpoints; the current state's copy stays as it is.
  const regsSet = new Set<number>([regno]);
  backtrack(v, v.cur.hist, regsSet, new Set(), true);
}

export function propagatePrecision(v: Verifier, old: VerifierState, cur: VerifierState): void {
  const regsSet = new Set<number>();
  const slots = new Set<number>();
  const fo = old.frames[old.curframe]!;
  const fc = cur.frames[cur.curframe]!;
  for (let i = 0; i < 11; i++) {
    const r = fo.regs[i]!;
    if (r.type === 'SCALAR_VALUE' && r.precise && fc.regs[i]!.type === 'SCALAR_VALUE') {
      regsSet.add(i);
    }
  }
  for (let spi = 0; spi < fo.stack.length; spi++) {
    const s = fo.stack[spi]!;
    if (s.slotType[7] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE' && s.spilled.precise) {
      const c = fc.stack[spi];
      if (c && c.slotType[7] === STACK_SPILL && c.spilled.type === 'SCALAR_VALUE') {
        slots.add(spi);
      }
    }
  }
  if (v.log.level >= 2 && (regsSet.size || slots.size)) {
    const names = [...[...regsSet].map((r) => `r${r}`), ...[...slots].map((spi) => `fp${-(spi + 1) * 8}`)];
    v.verbose(`frame ${old.curframe}: propagating ${names.join(',')}\n`);
  }
  if (regsSet.size || slots.size) backtrack(v, cur.hist, regsSet, slots, true);
}

/** Walks the path history backwards (backtrack_insn), marking checkpoints precise. */
export function backtrack(
  v: Verifier,
  start: number,
  regsSet: Set<number>,
  slots: Set<number>,
  skipFirst: boolean,
): void {
  const insns = v.env.insns;
  let skip = skipFirst;
  const hist = v.hist;
  // Level 2 prints the walk as the kernel's __mark_chain_precision does, state by state.
  const log2 = v.log.level >= 2 && start >= 0;
  const frame = v.cur.curframe;
  if (log2) printSegment(v, frame, hist.idx[start]!, firstIdxOf(v, start), -1);
  for (let h = start; h >= 0; h = hist.prev[h]!) {
    if (skip) {
      skip = false;
    } else {
      if (log2) {
        v.verbose(
          `mark_precise: frame${frame}: regs=${fmtRegMask(regsSet)} stack=${fmtStackMask(slots)} before ${hist.idx[h]}: ${v.fmtInsn(hist.idx[h]!)}\n`,
        );
      }
      const linked = hist.linked.size ? hist.linked.get(h) : undefined;
      if (linked) syncLinked(linked, frame, regsSet, slots);
      if (!backtrackInsn(insns[hist.idx[h]!]!, hist.spi[h]!, regsSet, slots)) return;
      if (linked) syncLinked(linked, frame, regsSet, slots);
    }
    if (!regsSet.size && !slots.size) return;
    const ck = hist.hasCheckpoint[h] ? hist.checkpoint.get(h) : undefined;
    if (ck) {
      const f = ck.frames[ck.curframe]!;
      for (const r of [...regsSet]) {
        const reg = f.regs[r]!;
        if (reg.type !== 'SCALAR_VALUE' || reg.precise) regsSet.delete(r);
        else reg.precise = true;
      }
      for (const spi of [...slots]) {
        const s = f.stack[spi];
        if (!s || s.slotType[7] !== STACK_SPILL || s.spilled.type !== 'SCALAR_VALUE' || s.spilled.precise)
          slots.delete(spi);
        else s.spilled.precise = true;
      }
      if (log2) {
        for (let fr = frame; fr >= 0; fr--) {
          const own = fr === frame;
          v.verbose(
            `mark_precise: frame${fr}: parent state regs=${own ? fmtRegMask(regsSet) : ''} stack=${own ? fmtStackMask(slots) : ''}: ${v.frameStateString(ck, fr)}`,
          );
        }
      }
      if (!regsSet.size && !slots.size) return;
      const p = hist.prev[h]!;
      if (log2)
        printSegment(v, frame, p >= 0 ? hist.idx[p]! : -1, p >= 0 ? firstIdxOf(v, p) : -1, hist.idx[h]!);
    }
  }
}

/** bt_sync_linked_regs: one linked scalar needing precision makes them all need it. */
function syncLinked(
  all: { frame: number; reg: number; spi: number }[],
  frame: number,
  regs: Set<number>,
  slots: Set<number>,
): void {
  const linked = all.filter((e) => e.frame === frame);
  if (!linked.some((e) => (e.reg >= 0 ? regs.has(e.reg) : slots.has(e.spi)))) return;
  for (const e of linked) {
    if (e.reg >= 0) regs.add(e.reg);
    else slots.add(e.spi);
  }
}

function printSegment(v: Verifier, frame: number, last: number, first: number, subseq: number): void {
  v.verbose(`mark_precise: frame${frame}: last_idx ${last} first_idx ${first} subseq_idx ${subseq} \n`);
}

/** first_insn_idx of the state whose history holds entry h: where its checkpoint was taken. */
function firstIdxOf(v: Verifier, h: number): number {
  const { prev, hasCheckpoint, idx } = v.hist;
  let e = h;
  while (!hasCheckpoint[e] && prev[e]! >= 0) e = prev[e]!;
  return idx[e]!;
}

/** fmt_reg_mask: r1,r3 */
const fmtRegMask = (regs: Set<number>): string =>
  [...regs]
    .sort((a, b) => a - b)
    .map((r) => `r${r}`)
    .join(',');

/** bpf_fmt_stack_mask: -8,-16 (slot spi is fp-(spi+1)*8) */
const fmtStackMask = (slots: Set<number>): string =>
  [...slots]
    .sort((a, b) => a - b)
    .map((s) => `${-(s + 1) * 8}`)
    .join(',');

/** One step back over insn; `spi` is the stack slot it spilled to / filled from, or -1. */
export function backtrackInsn(insn: Insn, spi: number, regs: Set<number>, slots: Set<number>): boolean {
  const cls = BPF_CLASS(insn.code);
  const op = BPF_OP(insn.code);
  const d = insn.dst;
  const s = insn.src;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!regs.has(d)) return true;
    // BPF_END / BPF_NEG: the source field is no register; dst keeps needing precision.
    if (op === 0xd0 || op === 0x80) return true;
    if (op === BPF_MOV) {
      regs.delete(d);
      if (BPF_SRC(insn.code) === BPF_X && s !== 10) regs.add(s);
    } else if (BPF_SRC(insn.code) === BPF_X && s !== 10) {
      regs.add(s);
    }
  } else if (cls === BPF_LDX) {
    if (!regs.has(d)) return true;
    regs.delete(d);
    if (spi >= 0) slots.add(spi);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    if (BPF_MODE(insn.code) === BPF_ATOMIC) {
      // A fetching atomic loads the old value (into r0 for cmpxchg, else into src) like LDX.
      if (insn.imm & BPF_FETCH) {
        const loadReg = insn.imm === BPF_CMPXCHG ? 0 : s;
        if (!regs.has(loadReg)) return true;
        regs.delete(loadReg);
        if (spi >= 0) slots.add(spi);
        return true;
      }
      if (spi >= 0 && slots.has(spi)) return false;
      return true;
    }
    if (spi < 0 || !slots.has(spi)) return true;
    slots.delete(spi);
    if (cls === BPF_STX) regs.add(s);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (op === BPF_CALL) {
      if (insn.src === BPF_PSEUDO_CALL) return false;
      regs.delete(0);
      for (let r = 1; r <= 5; r++) regs.delete(r);
    } else if (op === BPF_EXIT) {
      return false;
    } else if (op !== BPF_JA && BPF_SRC(insn.code) === BPF_X) {
      if (regs.has(d) || regs.has(s)) {
        regs.add(d);
        regs.add(s);
      }
    }
  } else if (cls === BPF_LD) {
    if (!regs.has(d)) return true;
    regs.delete(d);
    if (BPF_MODE(insn.code) === BPF_ABS || BPF_MODE(insn.code) === BPF_IND) return false;
  }
  return true;
}
