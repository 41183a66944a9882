// is_state_visited: the explored states per prune point and the equivalence check (regsafe,
// stacksafe) that lets a path stop early.
import type { Verifier } from './do-check';
import { propagatePrecision } from './precision';
import { BPF_ADD_CONST, notInitReg, type RegState } from './reg';
import {
  copyCheckpoint,
  type FuncState,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
  type VerifierState,
} from './state';
import { tnumIn } from './tnum';
import { EINVAL, VerifierError } from './verifier-error';

export function isStateVisited(v: Verifier, idx: number): boolean {
  const cur = v.cur;
  const forceNew = v.env.forceCkpt[idx] || histLen(v, cur) > 40;
  let addNewState = forceNew;
  if (v.jmpsProcessed - v.prevJmpsProcessed >= 2 && v.insnProcessed - v.prevInsnProcessed >= 8)
    addNewState = true;
  const list = v.explored.get(idx) ?? [];
  let statesCnt = 0;
  // Newest first: the kernel adds each checkpoint at the head of its list.
  for (let k = list.length - 1; k >= 0; k--) {
    const sl = list[k]!;
    statesCnt++;
    let miss = true;
    if (sl.branches > 0) {
      // A may_goto loop came back one may_goto deeper: pruned once its states converge.
      if (
        isMayGoto(v, idx) &&
        (sl.mayGotoDepth ?? 0) !== (cur.mayGotoDepth ?? 0) &&
        statesEqual(v, sl, cur, false, idx, true)
      )
        return pruneAtBackedge(v, sl, cur, idx);
      if (callsCallback(v, idx)) {
        // A callback came back to its call: pruned once its states converge (RANGE_WITHIN).
        if (statesEqual(v, sl, cur, false, idx, true)) return pruneAtBackedge(v, sl, cur, idx);
      } else if (
        statesMaybeLooping(sl, cur) &&
        statesEqual(v, sl, cur, true, idx) &&
        (sl.callbackUnrollDepth ?? 0) === (cur.callbackUnrollDepth ?? 0) &&
        (sl.mayGotoDepth ?? 0) === (cur.mayGotoDepth ?? 0)
      ) {
        v.verbose(`infinite loop detected at insn ${idx}\n`);
        v.verbose(`cur state:${v.stateString(cur)}`);
        v.verbose(`old state:${v.stateString(sl)}`);
        const line = `old state:${v.stateString(sl).trimEnd()}`;
        throw new VerifierError(EINVAL, line, true);
      }
      if (
        !v.env.forceCkpt[idx] &&
        v.jmpsProcessed - v.prevJmpsProcessed < 20 &&
        v.insnProcessed - v.prevInsnProcessed < 100
      )
        addNewState = false;
    } else if (statesEqual(v, sl, cur, false, idx)) {
      sl.hitCnt++;
      propagatePrecision(v, sl, cur);
      if (v.sccVisits?.hasBackedges(sl)) v.sccVisits.addBackedge(sl);
      v.env.observer?.pruned(v, idx, sl);
      miss = false;
      return true;
    }
    if (miss) {
      if (addNewState) sl.missCnt++;
      // Evict states that keep missing: they are unlikely to help pruning.
      const lim = v.env.forceCkpt[idx] && sl.branches > 0 ? 64 : 3;
      if (sl.missCnt > sl.hitCnt * lim + lim) {
        list.splice(k, 1);
        // Moved to the free list; freed (and no longer counted) once it has no live branch.
        sl.inFreeList = true;
        if (sl.branches === 0) v.curStates--;
      }
    }
  }
  if (statesCnt > v.maxStatesPerInsn) v.maxStatesPerInsn = statesCnt;
  if (!addNewState) return false;
  v.totalStates++;
  v.curStates++;
  if (v.curStates + v.numBackedges > v.peakStates) v.peakStates = v.curStates + v.numBackedges;
  v.prevJmpsProcessed = v.jmpsProcessed;
  v.prevInsnProcessed = v.insnProcessed;
  const ck = copyCheckpoint(cur);
  ck.branches = 1;
  ck.insnIdx = idx;
  list.push(ck);
  v.explored.set(idx, list);
  // The current state becomes the checkpoint's child; its scalars start imprecise again.
  v.sccVisits?.enter(ck);
  cur.parent = ck;
  if (cur.hist >= 0) v.hist.setCheckpoint(cur.hist, ck);
  for (const f of cur.frames) {
    for (const r of f.regs) if (r.type === 'SCALAR_VALUE') r.precise = false;
    for (const s of f.stack)
      if (s.slotType[7] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE') s.spilled.precise = false;
  }
  return false;
}

/** bpf_calls_callback: a helper call that runs a callback synchronously (bpf_loop, for_each_map_elem, find_vma). */
export const callsCallback = (v: Verifier, idx: number): boolean => {
  const x = v.env.insns[idx]!;
  return (
    x.code === 0x85 &&
    x.src === 0 &&
    (x.imm === BPF_FUNC_LOOP || x.imm === BPF_FUNC_FOR_EACH_MAP_ELEM || x.imm === BPF_FUNC_FIND_VMA)
  );
};
const BPF_FUNC_LOOP = 181;
/** may_goto: BPF_JMP | BPF_JCOND. */
const isMayGoto = (v: Verifier, idx: number): boolean => v.env.insns[idx]!.code === 0xe5;
const BPF_FUNC_FOR_EACH_MAP_ELEM = 164;
const BPF_FUNC_FIND_VMA = 180;

/**
 * A loop (may_goto one deeper) or a callback back at its call whose states converged: the
 * hit is an SCC backedge, so a copy of the state is kept and peak_states counts it.
 */
function pruneAtBackedge(v: Verifier, sl: VerifierState, cur: VerifierState, idx: number): true {
  sl.hitCnt++;
  v.numBackedges++;
  if (v.curStates + v.numBackedges > v.peakStates) v.peakStates = v.curStates + v.numBackedges;
  propagatePrecision(v, sl, cur);
  v.sccVisits?.addBackedge(sl);
  v.env.observer?.pruned(v, idx, sl);
  return true;
}

export function histLen(v: Verifier, st: VerifierState): number {
  const { prev, hasCheckpoint } = v.hist;
  let n = 0;
  for (let h = st.hist; h >= 0 && n <= 41 && !hasCheckpoint[h]; h = prev[h]!) n++;
  return n;
}

export function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.curframe !== cur.curframe) return false;
  const fo = old.frames[old.curframe]!;
  const fc = cur.frames[cur.curframe]!;
  for (let i = 0; i < 11; i++) {
    const a = fo.regs[i]!;
    const b = fc.regs[i]!;
    if (!regsExact(a, b)) return false;
  }
  return true;
}

export function statesEqual(
  v: Verifier,
  old: VerifierState,
  cur: VerifierState,
  exact: boolean,
  idx: number,
  /** RANGE_WITHIN: imprecise scalars are compared by range too. */
  rangeMode = false,
): boolean {
  if (old.curframe !== cur.curframe) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (!old.activeRcuLock !== !cur.activeRcuLock) return false;
  for (let i = 0; i <= old.curframe; i++) {
    const fo = old.frames[i]!;
    const fc = cur.frames[i]!;
    if (fo.callsite !== fc.callsite) return false;
    const live = i === old.curframe ? v.env.liveIn[idx]! : 0x3c0;
    for (let r = 0; r < 11; r++) {
      if (!exact && r !== 10 && !(live & (1 << r))) continue;
      if (!regsafe(fo.regs[r]!, fc.regs[r]!, exact, rangeMode)) return false;
    }
    if (!stacksafe(v, fo, fc, exact, idx, rangeMode)) return false;
  }
  return true;
}

export function markStackRead(v: Verifier, spi: number, frame = v.cur.curframe): void {
  v.stackRead.add(spi);
  v.stackLive?.markRead(spi);
  v.stackLiveCc?.markRead(v.cur, frame, v.insnIdx, spi);
}

export function stackSlotAlive(v: Verifier, spi: number, idx: number): boolean {
  return v.stackLive ? v.stackLive.alive(idx, spi) : v.stackRead.has(spi);
}

export function stacksafe(
  v: Verifier,
  old: FuncState,
  cur: FuncState,
  exact: boolean,
  idx: number,
  rangeMode = false,
): boolean {
  for (let spi = 0; spi < old.stack.length; spi++) {
    const os = old.stack[spi]!;
    const cs = cur.stack[spi];
    if (!exact && !stackSlotAlive(v, spi, idx)) continue;
    for (let j = 0; j < 8; j++) {
      const ot = os.slotType[j]!;
      if (exact) {
        const ct = cs ? cs.slotType[j]! : STACK_INVALID;
        if (ot !== ct) return false;
        continue;
      }
      if (ot === STACK_INVALID) continue;
      if (ot === STACK_MISC) continue; // allow_uninit_stack
      if (!cs) return false;
      const oScalar = scalarForStack(os);
      const cScalar = scalarForStack(cs);
      if (oScalar && cScalar) {
        if (!regsafe(oScalar, cScalar, exact, rangeMode)) return false;
        break;
      }
      const ct = cs.slotType[j]!;
      if (ot === STACK_MISC && ct === STACK_ZERO) continue;
      if (ot !== ct) return false;
      if (j !== 7) continue;
      if (ot === STACK_SPILL && !regsafe(os.spilled, cs.spilled, exact, rangeMode)) return false;
    }
    if (exact && os.slotType[7] === STACK_SPILL && cs && !regsExact(os.spilled, cs.spilled)) return false;
  }
  return true;
}

function scalarForStack(s: { spilled: RegState; slotType: number[] }): RegState | undefined {
  if (s.slotType[0] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE') return s.spilled;
  if (s.slotType.every((t) => t === STACK_MISC || t === STACK_INVALID)) return unboundReg;
  return undefined;
}

const unboundReg: RegState = (() => {
  const r = notInitReg();
  r.type = 'SCALAR_VALUE';
  return r;
})();

export function regsExact(a: RegState, b: RegState): boolean {
  return (
    a.type === b.type &&
    a.maybeNull === b.maybeNull &&
    a.off === b.off &&
    a.varOff.value === b.varOff.value &&
    a.varOff.mask === b.varOff.mask &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max &&
    a.id === b.id &&
    a.refObjId === b.refObjId &&
    a.range === b.range &&
    a.mapIndex === b.mapIndex &&
    a.btfId === b.btfId &&
    a.frameno === b.frameno
  );
}

function rangeWithin(old: RegState, cur: RegState): boolean {
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max
  );
}

function regsafe(old: RegState, cur: RegState, exact: boolean, rangeMode = false): boolean {
  if (exact) return regsExact(old, cur);
  if (old.type === 'NOT_INIT') return true;
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.flags.join() !== cur.flags.join())
    return false;
  switch (old.type) {
    case 'SCALAR_VALUE':
      if (!old.precise && !rangeMode) return true;
      if ((old.id & BPF_ADD_CONST) !== (cur.id & BPF_ADD_CONST)) return false;
      if (old.id & BPF_ADD_CONST && old.off !== cur.off) return false;
      return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    case 'PTR_TO_MAP_VALUE':
    case 'PTR_TO_MAP_KEY':
    case 'PTR_TO_MEM':
      return (
        old.off === cur.off &&
        old.mapIndex === cur.mapIndex &&
        old.memSize === cur.memSize &&
        rangeWithin(old, cur) &&
        tnumIn(old.varOff, cur.varOff)
      );
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
      if (cur.range < old.range) return false;
      if (old.off !== cur.off) return false;
      return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    case 'PTR_TO_STACK':
      return regsExact({ ...old, id: 0 }, { ...cur, id: 0 }) && old.frameno === cur.frameno;
    default:
      return regsExact({ ...old, id: 0, precise: false }, { ...cur, id: 0, precise: false });
  }
}
