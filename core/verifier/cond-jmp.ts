// check_cond_jmp_op: is_branch_taken, the bounds refinement of both branches (reg_set_min_max),
// null marking and packet-range discovery on comparisons.
import type { Insn } from '../isa/insn';
import { BPF_CLASS, BPF_JA, BPF_JCOND, BPF_JMP32, BPF_K, BPF_OP, BPF_SRC, BPF_X } from '../isa/opcodes';
import type { Verifier } from './do-check';
import { MAX_PACKET_OFF } from './mem-access';
import type { InsnAuxData } from './ops';
import { markChainPrecision } from './precision';
import {
  adjustScalarMinMaxVals,
  BPF_ADD_CONST,
  BPF_ADD_CONST32,
  copyReg,
  markReg32Unbounded,
  markRegUnknown,
  type RegState,
  regBoundsSync,
  S64_MAX,
  S64_MIN,
  scalarKnown,
  zext32To64,
} from './reg';
import { STACK_SPILL, type VerifierState } from './state';
import { regsExact } from './state-pruning';
import { type Tnum, tnumAdd, tnumAnd, tnumConst, tnumIntersect, tnumOr, tnumSubreg, U32, U64 } from './tnum';
import { EINVAL } from './verifier-error';

const AT_PKT_END = -1;

const BEYOND_PKT_END = -2;

export function checkCondJmpOp(v: Verifier, insn: Insn, idx: number): void {
  const op = BPF_OP(insn.code);
  const is32 = BPF_CLASS(insn.code) === BPF_JMP32;
  if (op === BPF_JCOND && !is32) {
    checkMayGoto(v, insn, idx);
    return;
  }
  if (op === BPF_JA || op > 0xd0) v.fail(EINVAL, `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
  v.checkRegArg(insn.dst, 'src');
  const regs = v.regs();
  const dst = regs[insn.dst]!;
  let src: RegState;
  if (BPF_SRC(insn.code) === BPF_X) {
    if (insn.imm !== 0) v.fail(EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
    v.checkRegArg(insn.src, 'src');
    src = regs[insn.src]!;
  } else {
    if (insn.src !== 0) v.fail(EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
    src = scalarKnown(BigInt(insn.imm));
  }
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) {
    if (dst.type === 'SCALAR_VALUE') markChainPrecision(v, insn.dst);
    if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE') markChainPrecision(v, insn.src);
    const aux = v.env.aux[idx]!;
    if (pred === 1) aux.alwaysTaken = aux.alwaysTaken !== false && !aux.neverTaken ? true : aux.alwaysTaken;
    markBranchSeen(v, idx, pred === 1);
    if (v.log.enabled) v.printInsnState();
    v.insnIdx += pred === 1 ? insn.off + 1 : 1;
    return;
  }
  markBranchSeen(v, idx, true);
  markBranchSeen(v, idx, false);
  // Before the branch is queued, so both paths share the history entry.
  const linked: LinkedReg[] = [];
  if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE' && src.id)
    collectLinkedRegs(v, src.id, linked);
  if (dst.type === 'SCALAR_VALUE' && dst.id) collectLinkedRegs(v, dst.id, linked);
  if (linked.length > 1 && v.cur.hist >= 0) v.hist.linked.set(v.cur.hist, linked);
  const other = v.pushStack(idx + insn.off + 1, idx);
  const oregs = other.frames[other.curframe]!.regs;
  const odst = oregs[insn.dst]!;
  if (BPF_SRC(insn.code) === BPF_X) {
    const osrc = oregs[insn.src]!;
    regSetMinMax(odst, osrc, dst, src, op, is32);
    if (src.type === 'SCALAR_VALUE' && src.id) {
      syncLinkedRegs(v.cur, src, linked);
      syncLinkedRegs(other, osrc, linked);
    }
  } else {
    const fake0 = copyReg(src);
    const fake1 = copyReg(src);
    regSetMinMax(odst, fake0, dst, fake1, op, is32);
  }
  if (dst.type === 'SCALAR_VALUE' && dst.id) {
    syncLinkedRegs(v.cur, dst, linked);
    syncLinkedRegs(other, odst, linked);
  }
  if (!is32 && BPF_SRC(insn.code) === BPF_X && (op === 0x10 || op === 0x50))
    markNotNullOnPtrEq(insn, op === 0x10 ? oregs : regs);
  if (
    !is32 &&
    BPF_SRC(insn.code) === BPF_K &&
    insn.imm === 0 &&
    (op === 0x10 || op === 0x50) &&
    dst.maybeNull
  ) {
    markPtrOrNullRegs(v.cur, insn.dst, op === 0x50);
    markPtrOrNullRegs(other, insn.dst, op === 0x10);
  } else {
    tryMatchPktPointers(insn, dst, BPF_SRC(insn.code) === BPF_X ? src : undefined, v.cur, other);
  }
  if (v.log.enabled) v.printInsnState();
  v.insnIdx++;
}

/**
 * may_goto: the current path takes the jump (the loop's way out); the fall-through is queued one
 * may_goto deeper, its imprecise scalars widened against the previous visit of this insn on the
 * path (find_prev_entry + widen_imprecise_scalars), so a counting loop converges.
 */
function checkMayGoto(v: Verifier, insn: Insn, idx: number): void {
  if (insn.src !== BPF_MAY_GOTO || insn.dst || insn.imm) v.fail(EINVAL, `invalid may_goto imm ${insn.imm}`);
  const prev = findPrevEntry(v, idx);
  const queued = v.pushStack(idx + 1, idx);
  queued.mayGotoDepth = (queued.mayGotoDepth ?? 0) + 1;
  if (prev) widenImpreciseScalars(prev, queued);
  // Nothing is scratched: the kernel prints no state after may_goto.
  v.insnIdx += insn.off + 1;
}

const BPF_MAY_GOTO = 0;

function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.curframe !== b.curframe) return false;
  for (let i = a.curframe; i >= 0; i--) if (a.frames[i]!.callsite !== b.frames[i]!.callsite) return false;
  return true;
}

/** The newest checkpoint at idx on the current path, older than the one this visit made. */
function findPrevEntry(v: Verifier, idx: number): VerifierState | undefined {
  const list = v.explored.get(idx) ?? [];
  const cur = v.cur;
  for (let k = list.length - 1; k >= 0; k--) {
    const st = list[k]!;
    if (st === cur.parent) continue;
    if (st.insnIdx === idx && st.branches > 0 && sameCallsites(st, cur)) return st;
  }
  return undefined;
}

function maybeWidenReg(old: RegState, cur: RegState): void {
  if (old.type !== 'SCALAR_VALUE' || cur.type !== 'SCALAR_VALUE') return;
  if (old.precise || cur.precise || regsExact(old, cur)) return;
  markRegUnknown(cur);
}

function widenImpreciseScalars(old: VerifierState, cur: VerifierState): void {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const fo = old.frames[fr]!;
    const fc = cur.frames[fr]!;
    for (let i = 0; i < 11; i++) maybeWidenReg(fo.regs[i]!, fc.regs[i]!);
    const n = Math.min(fo.stack.length, fc.stack.length);
    for (let i = 0; i < n; i++) {
      const so = fo.stack[i]!;
      const sc = fc.stack[i]!;
      if (so.slotType[7] !== STACK_SPILL || sc.slotType[7] !== STACK_SPILL) continue;
      maybeWidenReg(so.spilled, sc.spilled);
    }
  }
}

/**
 * A maybe-NULL pointer compared equal to a pointer known not to be NULL is not NULL in the
 * equal branch (JEQ: the taken one, JNE: the fall-through). PTR_TO_BTF_ID is left out: it can
 * be NULL without PTR_MAYBE_NULL. Only the compared register changes (mark_ptr_not_null_reg).
 */
function markNotNullOnPtrEq(insn: Insn, eqRegs: RegState[]): void {
  const d = eqRegs[insn.dst]!;
  const s = eqRegs[insn.src]!;
  if (!isPtr(d) || !isPtr(s) || d.maybeNull === s.maybeNull) return;
  if (d.type === 'PTR_TO_BTF_ID' || s.type === 'PTR_TO_BTF_ID') return;
  (d.maybeNull ? d : s).maybeNull = false;
}

export function markBranchSeen(v: Verifier, idx: number, taken: boolean): void {
  const aux = v.env.aux[idx] as InsnAuxData & { seenTaken?: boolean; seenFall?: boolean };
  if (taken) aux.seenTaken = true;
  else aux.seenFall = true;
  aux.alwaysTaken = !!aux.seenTaken && !aux.seenFall;
  aux.neverTaken = !!aux.seenFall && !aux.seenTaken;
}

// Opcode tables built once (an object literal a call was an allocation per conditional jump).
const opcodeTable = (pairs: Record<number, number>): Int32Array => {
  const t = new Int32Array(256).map((_, op) => op);
  for (const [k, v] of Object.entries(pairs)) t[Number(k)] = v;
  return t;
};
const FLIP_OPCODE = opcodeTable({
  32: 0xa0,
  160: 0x20,
  48: 0xb0,
  176: 0x30,
  96: 0xc0,
  192: 0x60,
  112: 0xd0,
  208: 0x70,
});
const flipOpcode = (op: number): number => (op >= 0 && op < 256 ? FLIP_OPCODE[op]! : op);

const REV_OPCODE = opcodeTable({
  16: 0x50,
  80: 0x10,
  32: 0xb0,
  176: 0x20,
  48: 0xa0,
  160: 0x30,
  96: 0xd0,
  208: 0x60,
  112: 0xc0,
  192: 0x70,
  64: 0x48,
  72: 0x40,
});
const revOpcode = (op: number): number => (op >= 0 && op < 256 ? REV_OPCODE[op]! : op);

const isPkt = (r: RegState): boolean =>
  r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END';

const isPtr = (r: RegState): boolean => r.type !== 'SCALAR_VALUE' && r.type !== 'NOT_INIT';

function regNotNull(r: RegState): boolean {
  if (r.maybeNull) return false;
  return (
    ['PTR_TO_SOCKET', 'PTR_TO_MAP_VALUE', 'PTR_TO_MAP_KEY', 'PTR_TO_SOCK_COMMON', 'PTR_TO_MEM'].includes(
      r.type,
    ) ||
    (r.type === 'PTR_TO_BTF_ID' && r.flags.includes('trusted'))
  );
}

const isRegConst = (r: RegState, is32: boolean): boolean =>
  r.type === 'SCALAR_VALUE' && (is32 ? (r.varOff.mask & U32) === 0n : r.varOff.mask === 0n);

const regConstValue = (r: RegState, is32: boolean): bigint => (is32 ? r.varOff.value & U32 : r.varOff.value);

export function isBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  if (isPkt(r1) && isPkt(r2) && !is32) {
    let pkt: RegState;
    let o = op;
    if (r2.type === 'PTR_TO_PACKET_END') pkt = r1;
    else if (r1.type === 'PTR_TO_PACKET_END') {
      pkt = r2;
      o = flipOpcode(op);
    } else return -1;
    if (pkt.range >= 0) return -1;
    switch (o) {
      case 0xb0:
      case 0x20:
        if (pkt.range === BEYOND_PKT_END) return o === 0x20 ? 1 : 0;
        break;
      case 0xa0:
      case 0x30:
        if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return o === 0x30 ? 1 : 0;
        break;
    }
    return -1;
  }
  if (isPtr(r1) || isPtr(r2)) {
    // 6.18 predicts a pointer's compare with 0 only in 64 bits: `if w0 == 0` on a non-null
    // pointer explores both branches (measured: selftest-rules null-check-jmp32).
    if (is32) return -1;
    let a = r1;
    let b = r2;
    let o = op;
    if (!isRegConst(b, is32)) {
      o = flipOpcode(op);
      [a, b] = [b, a];
    }
    if (!isRegConst(b, is32)) return -1;
    if (!regNotNull(a)) return -1;
    if (regConstValue(b, is32) !== 0n) return -1;
    if (o === 0x10) return 0;
    if (o === 0x50) return 1;
    return -1;
  }
  return isScalarBranchTaken(r1, r2, op, is32);
}

function isScalarBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  const t1 = is32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = is32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin;
  const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin;
  const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin;
  const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin;
  const smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case 0x10:
    case 0x50: {
      const eq = op === 0x10;
      if (t1.mask === 0n && t2.mask === 0n) return (t1.value === t2.value) === eq ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return eq ? 0 : 1;
      if (smin1 > smax2 || smax1 < smin2) return eq ? 0 : 1;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return eq ? 0 : 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return eq ? 0 : 1;
      }
      const tn = tnumXor2(t1, t2);
      if (tn) return eq ? 0 : 1;
      break;
    }
    case 0x40: {
      let a = t1;
      let b = t2;
      let rb = r2;
      let ra = r1;
      if (!isRegConst(rb, is32)) {
        [a, b] = [b, a];
        [ra, rb] = [rb, ra];
      }
      if (!isRegConst(rb, is32)) return -1;
      void ra;
      if (~a.mask & a.value & b.value) return 1;
      if (!((a.mask | a.value) & b.value)) return 0;
      break;
    }
    case 0x20:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      break;
    case 0x60:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      break;
    case 0xa0:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      break;
    case 0xc0:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      break;
    case 0x30:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      break;
    case 0x70:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      break;
    case 0xb0:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      break;
    case 0xd0:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      break;
  }
  return -1;
}

/** Known bits that differ: the values can never be equal (tnum-based JEQ/JNE). */
function tnumXor2(a: Tnum, b: Tnum): boolean {
  const known = ~(a.mask | b.mask) & U64;
  return ((a.value ^ b.value) & known) !== 0n;
}

const u = (x: bigint, w: 32 | 64) => BigInt.asUintN(w, x);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

function regsRefineCondOp(r1In: RegState, r2In: RegState, opIn: number, is32: boolean): void {
  let r1 = r1In;
  let r2 = r2In;
  let op = opIn;
  if (op === 0x30 || op === 0x20 || op === 0x70 || op === 0x60) {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case 0x10:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = withSubreg(r1.varOff, t);
        r2.varOff = withSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case 0x50: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (is32) {
        if (r1.u32min === u(val, 32)) r1.u32min++;
        if (r1.u32max === u(val, 32)) r1.u32max--;
        if (r1.s32min === BigInt.asIntN(32, val)) r1.s32min++;
        if (r1.s32max === BigInt.asIntN(32, val)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === BigInt.asIntN(64, val)) r1.smin++;
        if (r1.smax === BigInt.asIntN(64, val)) r1.smax--;
      }
      break;
    }
    case 0x40: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (is32) r1.varOff = withSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case 0x48: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      r1.smin = S64_MIN;
      r1.smax = S64_MAX;
      r1.umin = 0n;
      r1.umax = U64;
      markReg32Unbounded(r1);
      if (is32) r1.varOff = withSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & U32)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(~val & U64));
      break;
    }
    case 0xb0:
      if (is32) {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      } else {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      }
      break;
    case 0xa0:
      if (is32) {
        r1.u32max = min(r1.u32max, u(r2.u32max - 1n, 32));
        r2.u32min = max(u(r1.u32min + 1n, 32), r2.u32min);
      } else {
        r1.umax = min(r1.umax, u(r2.umax - 1n, 64));
        r2.umin = max(u(r1.umin + 1n, 64), r2.umin);
      }
      break;
    case 0xd0:
      if (is32) {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      } else {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      }
      break;
    case 0xc0:
      if (is32) {
        r1.s32max = min(r1.s32max, BigInt.asIntN(32, r2.s32max - 1n));
        r2.s32min = max(BigInt.asIntN(32, r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = min(r1.smax, BigInt.asIntN(64, r2.smax - 1n));
        r2.smin = max(BigInt.asIntN(64, r1.smin + 1n), r2.smin);
      }
      break;
  }
}

const withSubreg = (reg: Tnum, sub: Tnum): Tnum =>
  tnumOr({ value: reg.value & ~U32 & U64, mask: reg.mask & ~U32 & U64 }, tnumSubreg(sub));

export function regSetMinMax(
  t1: RegState,
  t2: RegState,
  f1: RegState,
  f2: RegState,
  op: number,
  is32: boolean,
): void {
  if (f1.type !== 'SCALAR_VALUE' || f2.type !== 'SCALAR_VALUE') return;
  regsRefineCondOp(t1, t2, op, is32);
  regBoundsSync(t1);
  regBoundsSync(t2);
  regsRefineCondOp(f1, f2, revOpcode(op), is32);
  regBoundsSync(f1);
  regBoundsSync(f2);
}

export function forEachReg(st: VerifierState, fn: (r: RegState, set: (n: RegState) => void) => void): void {
  for (const f of st.frames) {
    for (let i = 0; i < f.regs.length; i++) fn(f.regs[i]!, (n) => (f.regs[i] = n));
    for (const s of f.stack) if (s.slotType[7] === STACK_SPILL) fn(s.spilled, (n) => (s.spilled = n));
  }
}

/** A scalar a conditional jump refined together with others of its id (struct linked_reg). */
export interface LinkedReg {
  frame: number;
  /** Register number, or -1 for a spilled slot. */
  reg: number;
  spi: number;
}

const LINKED_REGS_MAX = 6;

/**
 * collect_linked_regs: the live registers and the spilled scalars of every frame sharing the id
 * (BPF_ADD_CONST aside); past LINKED_REGS_MAX the rest lose their id.
 */
function collectLinkedRegs(v: Verifier, rawId: number, out: LinkedReg[]): void {
  const id = rawId & ~BPF_ADD_CONST;
  const st = v.cur;
  const push = (r: RegState, e: LinkedReg): void => {
    if (r.type !== 'SCALAR_VALUE' || (r.id & ~BPF_ADD_CONST) !== id) return;
    if (out.length < LINKED_REGS_MAX) out.push(e);
    else r.id = 0;
  };
  for (let fr = st.curframe; fr >= 0; fr--) {
    const f = st.frames[fr]!;
    const live = v.env.liveIn[fr === st.curframe ? st.insnIdx : st.frames[fr + 1]!.callsite] ?? 0xffff;
    for (let r = 0; r < 10; r++) if (live & (1 << r)) push(f.regs[r]!, { frame: fr, reg: r, spi: -1 });
    for (let spi = 0; spi < f.stack.length; spi++) {
      const s = f.stack[spi]!;
      if (s.slotType[7] === STACK_SPILL) push(s.spilled, { frame: fr, reg: -1, spi });
    }
  }
}

/** sync_linked_regs: the collected registers of the id take the known register's range. */
function syncLinkedRegs(st: VerifierState, known: RegState, linked: readonly LinkedReg[]): void {
  const id = known.id & ~BPF_ADD_CONST;
  for (const e of linked) {
    const f = st.frames[e.frame];
    if (!f) continue;
    const slot = e.reg < 0 ? f.stack[e.spi] : undefined;
    if (e.reg < 0 && !slot) continue;
    const reg = e.reg >= 0 ? f.regs[e.reg]! : slot!.spilled;
    const set = (n: RegState): void => {
      if (e.reg >= 0) f.regs[e.reg] = n;
      else slot!.spilled = n;
    };
    if (reg === known || reg.type !== 'SCALAR_VALUE') continue;
    if ((reg.id & ~BPF_ADD_CONST) !== id) continue;
    if ((!(reg.id & BPF_ADD_CONST) && !(known.id & BPF_ADD_CONST)) || reg.off === known.off) {
      const n = copyReg(known);
      n.frameno = reg.frameno;
      n.id = reg.id;
      n.off = reg.off;
      set(n);
    } else {
      const n = copyReg(known);
      n.id = reg.id;
      n.off = reg.off;
      n.frameno = reg.frameno;
      const delta = scalarKnown(BigInt(reg.off - known.off));
      const savedVar = tnumAdd(n.varOff, delta.varOff);
      adjustScalarMinMaxVals(n, delta, 0x00, false);
      n.varOff = savedVar;
      if (known.id & BPF_ADD_CONST32) zext32To64(n);
      regBoundsSync(n);
      set(n);
    }
  }
}

function markPtrOrNullRegs(st: VerifierState, regno: number, isNull: boolean): void {
  const f = st.frames[st.curframe]!;
  const id = f.regs[regno]!.id;
  forEachReg(st, (reg) => {
    if (!reg.maybeNull || reg.id !== id) return;
    if (isNull) {
      reg.type = 'SCALAR_VALUE';
      reg.maybeNull = false;
      reg.id = 0;
      reg.refObjId = 0;
      reg.mapIndex = -1;
      reg.btfId = 0;
      reg.flags = [];
      return;
    }
    reg.maybeNull = false;
    reg.id = 0;
  });
  if (isNull) st.refs = st.refs.filter((r) => r.id !== id);
}

function findGoodPktPointers(st: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  let newRange = dst.off;
  if (rightOpen) newRange--;
  const type = dst.type;
  const id = dst.id;
  forEachReg(st, (reg) => {
    if (reg.type === type && reg.id === id) reg.range = Math.max(reg.range, newRange);
  });
}

function markPktEnd(st: VerifierState, regno: number, rangeOpen: boolean): void {
  const reg = st.frames[st.curframe]!.regs[regno]!;
  if (reg.type !== 'PTR_TO_PACKET') return;
  reg.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

function tryMatchPktPointers(
  insn: Insn,
  dstIn: RegState,
  srcIn: RegState | undefined,
  thisB: VerifierState,
  otherB: VerifierState,
): boolean {
  if (!srcIn || BPF_CLASS(insn.code) === BPF_JMP32) return false;
  const op = BPF_OP(insn.code);
  const thisRegs = thisB.frames[thisB.curframe]!.regs;
  const dst = thisRegs[insn.dst]!;
  const src = thisRegs[insn.src]!;
  void dstIn;
  const initPkt = (r: RegState) =>
    r.type === 'PTR_TO_PACKET' && r.off === 0 && r.varOff.mask === 0n && r.varOff.value === 0n;
  const fwd =
    (dst.type === 'PTR_TO_PACKET' && src.type === 'PTR_TO_PACKET_END') ||
    (dst.type === 'PTR_TO_PACKET_META' && initPkt(src));
  const rev =
    (dst.type === 'PTR_TO_PACKET_END' && src.type === 'PTR_TO_PACKET') ||
    (initPkt(dst) && src.type === 'PTR_TO_PACKET_META');
  const oDst = otherB.frames[otherB.curframe]!.regs[insn.dst]!;
  const oSrc = otherB.frames[otherB.curframe]!.regs[insn.src]!;
  switch (op) {
    case 0x20:
      if (fwd) {
        findGoodPktPointers(thisB, dst, false);
        markPktEnd(otherB, insn.dst, true);
      } else if (rev) {
        findGoodPktPointers(otherB, oSrc, true);
        markPktEnd(thisB, insn.src, false);
      } else return false;
      break;
    case 0xa0:
      if (fwd) {
        findGoodPktPointers(otherB, oDst, true);
        markPktEnd(thisB, insn.dst, false);
      } else if (rev) {
        findGoodPktPointers(thisB, src, false);
        markPktEnd(otherB, insn.src, true);
      } else return false;
      break;
    case 0x30:
      if (fwd) {
        findGoodPktPointers(thisB, dst, true);
        markPktEnd(otherB, insn.dst, false);
      } else if (rev) {
        findGoodPktPointers(otherB, oSrc, false);
        markPktEnd(thisB, insn.src, true);
      } else return false;
      break;
    case 0xb0:
      if (fwd) {
        findGoodPktPointers(otherB, oDst, false);
        markPktEnd(thisB, insn.dst, true);
      } else if (rev) {
        findGoodPktPointers(thisB, src, true);
        markPktEnd(otherB, insn.src, false);
      } else return false;
      break;
    default:
      return false;
  }
  return true;
}
