// The observer that keeps every state do_check saw: one visit per insn per path, with the
// state before and after, the regs and slots the insn read and wrote, and prunes.

import { BPF_CLASS, BPF_ST, BPF_STX } from '../../isa/opcodes';
import { helperProtoById } from '../../kernel/helpers';
import type { Verifier } from '../do-check';
import { insnUseDef } from '../load-checks';
import type { VerifierState } from '../state';
import type { VerifierObserver } from './observer';
import { type StateView, stateView } from './state-view';

export interface InsnVisit {
  /** Index in walk order. */
  visit: number;
  insn: number;
  /** Explored path: 0 is the first; each state popped from the branch stack starts a new one. */
  path: number;
  /** The previous visit on this path (continuing across the branch that forked it), or null. */
  prevVisit: number | null;
  /** Current frame (0 = main program). */
  frame: number;
  before: StateView;
  /** The state the insn left; null when the path stopped here (pruned or rejected). */
  after: StateView | null;
  reads: { regs: number[]; slots: number[] };
  writes: { regs: number[]; slots: number[] };
  /** This path was pruned here: the explored state it was found equivalent to. */
  pruned: { equivalent: StateView } | null;
  /** The insn rejected the program (the log's reason line). */
  rejected: string | null;
  /** The stack slot (spi in its frame) the insn spilled to or filled from, as backtracking uses it. */
  stackSpi: number | null;
}

export interface RecorderLimits {
  /** Visits kept; past it the walk goes on unrecorded (huge walks would not fit in memory). */
  maxVisits: number;
}

const bits = (mask: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r < 11; r++) if (mask & (1 << r)) out.push(r);
  return out;
};

export class StateRecorder implements VerifierObserver {
  readonly visits: InsnVisit[] = [];
  truncated = false;
  /** Visit of each insn-history entry (Verifier.hist index). */
  private readonly visitOf = new Map<number, number>();
  private lastState: VerifierState | null = null;
  private path = -1;
  private open: InsnVisit | null = null;

  // About 4 kB a visit: 50k visits keep the recorder near 200 MB (measured on hand-0096: 20k visits, 79 MB).
  constructor(private readonly limits: RecorderLimits = { maxVisits: 50_000 }) {}

  private start(v: Verifier, idx: number): InsnVisit | null {
    if (this.visits.length >= this.limits.maxVisits) {
      this.truncated = true;
      return null;
    }
    if (v.cur !== this.lastState) {
      this.path++;
      this.lastState = v.cur;
    }
    const h = v.cur.hist;
    const prevH = h >= 0 ? v.hist.prev[h]! : -1;
    const prev = prevH >= 0 ? this.visitOf.get(prevH) : undefined;
    const visit: InsnVisit = {
      visit: this.visits.length,
      insn: idx,
      path: this.path,
      prevVisit: prev ?? null,
      frame: v.cur.curframe,
      before: stateView(v.cur, v.printCtx),
      after: null,
      reads: { regs: [], slots: [] },
      writes: { regs: [], slots: [] },
      pruned: null,
      rejected: null,
      stackSpi: null,
    };
    if (h >= 0) this.visitOf.set(h, visit.visit);
    this.visits.push(visit);
    return visit;
  }

  beforeInsn(v: Verifier, idx: number): void {
    this.open = this.start(v, idx);
    if (!this.open) return;
    const ud = insnUseDef(v.env.insns, idx, helperArgCount, () => 5);
    this.open.reads.regs = bits(ud.use);
    this.open.writes.regs = bits(ud.def);
  }

  afterInsn(v: Verifier, idx: number): void {
    const visit = this.open;
    this.open = null;
    if (!visit || visit.insn !== idx) return;
    visit.after = stateView(v.cur, v.printCtx);
    const h = v.cur.hist;
    const spi = h >= 0 && v.hist.idx[h] === idx ? v.hist.spi[h]! : -1;
    visit.stackSpi = spi >= 0 ? spi : null;
    // The slots the insn touched are the ones do_check marked for the log.
    const slots = [...v.scratch.slots].sort((a, b) => a - b);
    const cls = BPF_CLASS(v.env.insns[idx]!.code);
    if (cls === BPF_ST || cls === BPF_STX) visit.writes.slots = slots;
    else visit.reads.slots = slots;
  }

  pruned(v: Verifier, idx: number, equivalent: VerifierState): void {
    const visit = this.start(v, idx);
    if (visit) visit.pruned = { equivalent: stateView(equivalent, v.printCtx) };
  }

  /** Marks the visit that was being checked when the walk stopped with `reason`. */
  rejectedAt(reason: string): void {
    if (this.open) this.open.rejected = reason;
  }
}

// A kfunc's argument count needs its BTF proto; five (all argument registers) is its upper bound.
const helperArgCount = (id: number): number => helperProtoById(id)?.args.length ?? 5;
