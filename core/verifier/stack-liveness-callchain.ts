// kernel/bpf/liveness.c for programs with bpf-to-bpf calls, kept for what log level 2 prints: one
// function instance per call chain, with read/write marks per frame the instance touched; an
// update runs the instance's data flow and hands what its entry reads and writes to the caller's
// instance at the call site. Pruning in such programs does not consult it.
import type { Insn } from '../isa/insn';
import { insnSuccessors } from './stack-liveness';
import type { VerifierState } from './state';

interface FrameMasks {
  mayRead: bigint[];
  mustWrite: bigint[];
  mustWriteAcc: bigint[];
  liveBefore: bigint[];
}

interface Instance {
  /** callsites[0..curframe-1], then the function's first insn (the kernel's callchain). */
  callsites: number[];
  start: number;
  cnt: number;
  frames: (FrameMasks | undefined)[];
  mustWriteSet: boolean[];
  updated: boolean;
  mustWriteDropped: boolean;
}

const ALL = (1n << 64n) - 1n;

export class CallchainStackLiveness {
  private readonly instances = new Map<string, Instance>();
  private cur: Instance | null = null;
  private writeIdx = -1;
  private writeAcc: bigint[] = [];

  constructor(
    private readonly insns: readonly Insn[],
    /** Subprogram starts, ascending, and each one's postorder (computePostorder). */
    private readonly starts: readonly number[],
    private readonly postorder: readonly (readonly number[])[],
    private readonly pruneP: readonly boolean[],
    private readonly write: (s: string) => void,
  ) {}

  private subprogOf(idx: number): number {
    let k = 0;
    while (k + 1 < this.starts.length && this.starts[k + 1]! <= idx) k++;
    return k;
  }

  /** lookup_instance(st, frameno): call sites down to the frame, then its function's start. */
  private lookup(st: VerifierState, frameno: number): Instance {
    const callsites: number[] = [];
    for (let i = 0; i < frameno; i++) callsites.push(st.frames[i + 1]!.callsite);
    const at = frameno === st.curframe ? st.insnIdx : st.frames[frameno + 1]!.callsite;
    callsites.push(this.starts[this.subprogOf(at)]!);
    return this.byCallsites(callsites);
  }

  private byCallsites(callsites: number[]): Instance {
    const key = callsites.join(',');
    let inst = this.instances.get(key);
    if (!inst) {
      const start = callsites[callsites.length - 1]!;
      const end = this.starts[this.subprogOf(start) + 1] ?? this.insns.length;
      inst = {
        callsites,
        start,
        cnt: end - start,
        frames: [],
        mustWriteSet: new Array<boolean>(end - start).fill(false),
        updated: false,
        mustWriteDropped: false,
      };
      this.instances.set(key, inst);
    }
    return inst;
  }

  private masks(inst: Instance, frame: number): FrameMasks {
    let m = inst.frames[frame];
    if (!m) {
      const z = (): bigint[] => new Array<bigint>(inst.cnt).fill(0n);
      m = { mayRead: z(), mustWrite: z(), mustWriteAcc: z(), liveBefore: z() };
      inst.frames[frame] = m;
    }
    return m;
  }

  resetWrites(st: VerifierState, idx: number): void {
    this.cur = this.lookup(st, st.curframe);
    this.writeIdx = idx;
    this.writeAcc = new Array<bigint>(st.curframe + 1).fill(0n);
  }

  /** bpf_reset_live_stack_callchain */
  resetCallchain(): void {
    this.cur = null;
  }

  markWrite(frame: number, spi: number): void {
    if (frame < this.writeAcc.length) this.writeAcc[frame]! |= 1n << BigInt(spi);
  }

  markRead(st: VerifierState, frame: number, idx: number, spi: number): void {
    this.markReadIn(this.cur ?? this.lookup(st, st.curframe), frame, idx, 1n << BigInt(spi));
  }

  private markReadIn(inst: Instance, frame: number, idx: number, mask: bigint): void {
    const m = this.masks(inst, frame);
    const i = idx - inst.start;
    const next = m.mayRead[i]! | mask;
    if (next !== m.mayRead[i] && (next | m.liveBefore[i]!) !== m.liveBefore[i]) inst.updated = true;
    m.mayRead[i] = next;
  }

  commitWrites(): void {
    if (this.cur && this.writeIdx >= 0) this.commitIn(this.cur, this.writeIdx, this.writeAcc);
    this.writeIdx = -1;
  }

  private commitIn(inst: Instance, idx: number, acc: bigint[]): void {
    const i = idx - inst.start;
    for (let fr = 0; fr < inst.callsites.length; fr++) {
      let mask = acc[fr] ?? 0n;
      if (mask === 0n && !inst.mustWriteSet[i]) continue;
      const m = this.masks(inst, fr);
      const old = m.mustWrite[i]!;
      if (inst.mustWriteSet[i]) mask &= old;
      if (old !== mask) {
        m.mustWrite[i] = mask;
        inst.updated = true;
      }
      if (old & ~mask) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[i] = true;
  }

  /** bpf_update_live_stack: after a pop, and when a subprogram exits. */
  update(st: VerifierState): void {
    this.cur = null;
    for (let fr = st.curframe; fr >= 0; fr--) {
      const inst = this.lookup(st, fr);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  private chain(inst: Instance): string {
    return `(${inst.callsites.join(',')})`;
  }

  private updateInstance(inst: Instance): void {
    const curframe = inst.callsites.length - 1;
    if (inst.mustWriteDropped) for (const m of inst.frames) m?.mustWriteAcc.fill(0n);
    const order = this.postorder[this.subprogOf(inst.start)]!;
    let cnt = 0;
    let changed = true;
    while (changed) {
      cnt++;
      changed = false;
      for (let fr = 0; fr <= curframe; fr++) {
        const m = inst.frames[fr];
        if (!m) continue;
        for (const idx of order) changed = this.updateInsn(inst, m, fr, idx) || changed;
      }
    }
    this.write(`${this.chain(inst)} live stack update done in ${cnt} iterations\n`);
    if (curframe > 0) this.propagateToOuter(inst);
  }

  private updateInsn(inst: Instance, m: FrameMasks, fr: number, idx: number): boolean {
    const succ = insnSuccessors(this.insns, idx);
    if (!succ.length) return false;
    const i = idx - inst.start;
    let after = 0n;
    let acc = ALL;
    for (const s of succ) {
      after |= m.liveBefore[s - inst.start] ?? 0n;
      acc &= m.mustWriteAcc[s - inst.start] ?? 0n;
    }
    acc |= m.mustWrite[i]!;
    const before = (after & ~m.mustWrite[i]!) | m.mayRead[i]!;
    const changed = before !== m.liveBefore[i] || acc !== m.mustWriteAcc[i];
    if (m.mayRead[i] || m.mustWrite[i] || idx === inst.start || this.pruneP[idx]) {
      this.logChange(inst, 'live', fr, idx, m.liveBefore[i]!, before);
      this.logChange(inst, 'written', fr, idx, m.mustWriteAcc[i]!, acc);
    }
    m.liveBefore[i] = before;
    m.mustWriteAcc[i] = acc;
    return changed;
  }

  private logChange(inst: Instance, what: string, fr: number, idx: number, old: bigint, now: bigint): void {
    const changed = old ^ now;
    if (!changed) return;
    let line = `${this.chain(inst)} frame ${fr} insn ${idx} `;
    const ones = now & changed;
    const zeros = ~now & changed & ALL;
    if (ones) line += `+${what} ${fmtStackMask(ones)} `;
    if (zeros) line += `-${what} ${fmtStackMask(zeros)}`;
    this.write(`${line}\n`);
  }

  /** propagate_to_outer_instance: the entry's reads and writes of outer frames, at the call site. */
  private propagateToOuter(inst: Instance): void {
    const curframe = inst.callsites.length - 1;
    const callsite = inst.callsites[curframe - 1]!;
    const outer = this.byCallsites([
      ...inst.callsites.slice(0, curframe - 1),
      this.starts[this.subprogOf(callsite)]!,
    ]);
    const acc = new Array<bigint>(curframe).fill(0n);
    for (let fr = 0; fr < curframe; fr++) {
      const m = inst.frames[fr];
      if (!m) continue;
      acc[fr] = m.mustWriteAcc[0]!;
      this.markReadIn(outer, fr, callsite, m.liveBefore[0]!);
    }
    this.commitIn(outer, callsite, acc);
  }
}

const fmtStackMask = (mask: bigint): string => {
  const out: string[] = [];
  for (let i = 0; mask >> BigInt(i); i++) if ((mask >> BigInt(i)) & 1n) out.push(`${-(i + 1) * 8}`);
  return out.join(',');
};
