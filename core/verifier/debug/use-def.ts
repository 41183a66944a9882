// Use-def along a recorded path: which insns produced the value a register or stack slot holds
// at a visit. It walks back with the precision backtracker's own step (backtrackInsn), so spills,
// fills, moves and ALU sources are followed the way mark_chain_precision follows them.
import { BPF_CLASS, BPF_ST, BPF_STX } from '../../isa/opcodes';
import { backtrackInsn } from '../precision';
import type { InsnVisit } from './state-recorder';
import type { VerifierDebugRun } from './states-at';

export type Operand = { reg: number } | { slot: number };

export interface UseDefStep {
  visit: number;
  insn: number;
  /** What this insn wrote that the chain follows: `R3`, `fp-8`. */
  wrote: string[];
  /** What its value came from, followed further back: `R1`, `fp-16`. */
  from: string[];
}

const slotName = (spi: number): string => `fp${(-spi - 1) * 8}`;
const names = (regs: Set<number>, slots: Set<number>): Set<string> =>
  new Set([...[...regs].map((r) => `R${r}`), ...[...slots].map(slotName)]);

/**
 * The chain of insns (nearest first) that made `operand` what it is when visit `at` runs.
 * Stops at the start of the path, at a call boundary, or when every followed value is a
 * constant or comes from a helper's return.
 */
export function useDef(run: VerifierDebugRun, at: number, operand: Operand): UseDefStep[] {
  const visits = run.visits;
  const start = visits[at];
  if (!start) return [];
  const regs = new Set<number>('reg' in operand ? [operand.reg] : []);
  const slots = new Set<number>('slot' in operand ? [operand.slot] : []);
  const steps: UseDefStep[] = [];
  for (let p: InsnVisit | undefined = visits[start.prevVisit ?? -1]; p; p = visits[p.prevVisit ?? -1]) {
    if (p.frame !== start.frame) break;
    const insn = run.insns[p.insn]!;
    const before = names(regs, slots);
    const cls = BPF_CLASS(insn.code);
    const wrote = [
      ...p.writes.regs.filter((r) => regs.has(r)).map((r) => `R${r}`),
      ...((cls === BPF_ST || cls === BPF_STX) && p.stackSpi !== null && slots.has(p.stackSpi)
        ? [slotName(p.stackSpi)]
        : []),
    ];
    const ok = backtrackInsn(insn, p.stackSpi ?? -1, regs, slots);
    if (wrote.length) {
      const after = names(regs, slots);
      const from = [...after].filter((n) => !before.has(n) || wrote.includes(n));
      steps.push({ visit: p.visit, insn: p.insn, wrote, from });
    }
    if (!ok || (!regs.size && !slots.size)) break;
  }
  return steps;
}

/** The register a rejection names (`R2 offset is outside…`), else the first one its insn reads. */
export function failingOperand(run: VerifierDebugRun): { visit: InsnVisit; reg: number } | null {
  const visit = run.visits.find((v) => v.rejected !== null);
  if (!visit) return null;
  const named = /\bR(\d+)\b/.exec(visit.rejected ?? '');
  const reg = named ? Number(named[1]) : visit.reads.regs[0];
  return reg === undefined ? null : { visit, reg };
}

/** For a rejection: the chain of insns that made the failing operand what it is. */
export function rejectionChain(
  run: VerifierDebugRun,
): { reg: number; insn: number; chain: UseDefStep[] } | null {
  const f = failingOperand(run);
  if (!f) return null;
  return { reg: f.reg, insn: f.visit.insn, chain: useDef(run, f.visit.visit, { reg: f.reg }) };
}
