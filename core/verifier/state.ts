// struct bpf_func_state / bpf_verifier_state: registers, stack slots, frames, references.
import { copyReg, notInitReg, type RegState } from './reg';

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
export const SLOT_CHARS = ['?', 'r', 'm', '0'];
export const BPF_REG_SIZE = 8;

export interface StackSlot {
  spilled: RegState;
  /** slotType[j] describes the byte at (slot base + 7 - j), as in the kernel. */
  slotType: number[];
}

export interface FuncState {
  regs: RegState[];
  stack: StackSlot[];
  frameno: number;
  callsite: number;
  subprogno: number;
  /** A bpf_loop callback's frame: its exit goes back to the helper call (in_callback_fn). */
  inCallbackFn?: boolean;
  /** Callbacks scheduled from this frame's current helper call (callback_depth). */
  callbackDepth?: number;
}

/**
 * The path history of one walk (the kernel's jmp_history, here one entry per processed insn):
 * entries in typed arrays, a state's `hist` is the index of its newest entry (-1 = none). A
 * million-insn walk keeps 12 bytes an entry instead of an object each. Entries are never freed
 * during a walk; processed insns bound their number.
 */
export class InsnHistory {
  len = 0;
  /** Insn index of each entry. */
  idx = new Int32Array(1024);
  /** The entry before it on its path, or -1. */
  prev = new Int32Array(1024);
  /** Stack slot (spi) the insn spilled to / filled from, for precision backtracking; -1 = none. */
  spi = new Int32Array(1024);
  /** Checkpoint taken just before the entry's insn was executed on its path. */
  readonly checkpoint = new Map<number, VerifierState>();
  /** 1 where checkpoint has the entry: is_state_visited counts back to it at every prune point. */
  hasCheckpoint = new Uint8Array(1024);

  push(idx: number, prev: number): number {
    if (this.len === this.idx.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.idx = grow(this.idx);
      this.prev = grow(this.prev);
      this.spi = grow(this.spi);
      const flags = new Uint8Array(this.hasCheckpoint.length * 2);
      flags.set(this.hasCheckpoint);
      this.hasCheckpoint = flags;
    }
    const h = this.len++;
    this.idx[h] = idx;
    this.prev[h] = prev;
    this.spi[h] = -1;
    return h;
  }

  /**
   * Scalars sharing an id when a conditional jump at the entry refined them (the kernel's
   * linked_regs history): precision on one of them carries to all (the backtracker, staying in
   * one frame, uses that frame's).
   */
  readonly linked = new Map<number, { frame: number; reg: number; spi: number }[]>();

  setCheckpoint(h: number, st: VerifierState): void {
    this.checkpoint.set(h, st);
    this.hasCheckpoint[h] = 1;
  }
}

export interface VerifierState {
  frames: FuncState[];
  curframe: number;
  refs: { id: number; insnIdx: number }[];
  /** Nearest ancestor checkpoint. */
  parent: VerifierState | null;
  branches: number;
  insnIdx: number;
  /** Newest entry of this path in the walk's InsnHistory, or -1. */
  hist: number;
  /** Checkpoint bookkeeping. */
  hitCnt: number;
  missCnt: number;
  /** An evicted checkpoint still referenced as a parent (the kernel's free_list). */
  inFreeList?: boolean;
  /** Callback bodies this path has entered (callback_unroll_depth): unrolled visits are no loop. */
  callbackUnrollDepth?: number;
  /** may_goto fall-throughs taken on this path (may_goto_depth). */
  mayGotoDepth?: number;
  /** Inside a bpf_rcu_read_lock-ed region (active_rcu_lock). */
  activeRcuLock?: boolean;
}

export function newFuncState(frameno: number, callsite: number, subprogno: number): FuncState {
  const regs: RegState[] = [];
  for (let i = 0; i < 11; i++) {
    const r = notInitReg();
    r.frameno = frameno;
    regs.push(r);
  }
  return { regs, stack: [], frameno, callsite, subprogno };
}

export const copyFunc = (f: FuncState): FuncState => copyFuncWith(f, copyReg);

// The optional fields are set after the literal, not spread into it: a spread makes every
// copy (one per branch and checkpoint) take the generic property-copy path.
const copyFuncWith = (f: FuncState, copyRegister: (r: RegState) => RegState): FuncState => {
  const c: FuncState = {
    regs: f.regs.map(copyRegister),
    stack: f.stack.map((s) => ({ spilled: copyReg(s.spilled), slotType: s.slotType.slice() })),
    frameno: f.frameno,
    callsite: f.callsite,
    subprogno: f.subprogno,
  };
  if (f.inCallbackFn) c.inCallbackFn = true;
  if (f.callbackDepth) c.callbackDepth = f.callbackDepth;
  return c;
};

export function copyState(s: VerifierState): VerifierState {
  return copyStateWith(s, copyReg);
}

function copyStateWith(s: VerifierState, copyRegister: (r: RegState) => RegState): VerifierState {
  const c: VerifierState = {
    frames: s.frames.map((f) => copyFuncWith(f, copyRegister)),
    curframe: s.curframe,
    refs: s.refs.map((r) => ({ ...r })),
    parent: s.parent,
    branches: s.branches,
    insnIdx: s.insnIdx,
    hist: s.hist,
    hitCnt: 0,
    missCnt: 0,
  };
  if (s.callbackUnrollDepth) c.callbackUnrollDepth = s.callbackUnrollDepth;
  if (s.mayGotoDepth) c.mayGotoDepth = s.mayGotoDepth;
  if (s.activeRcuLock) c.activeRcuLock = true;
  return c;
}

// A checkpoint is only compared against and has its scalars marked precise; no path runs
// from it. Its registers still NOT_INIT (8 of 11 in a typical frame) can then be one frozen
// object per frame number instead of a copy each: a long walk keeps tens of thousands.
const pristineNotInit: RegState[] = [];
function sharedNotInit(r: RegState): RegState {
  let n = pristineNotInit[r.frameno];
  if (!n) {
    n = notInitReg();
    n.frameno = r.frameno;
    Object.freeze(n.flags);
    pristineNotInit[r.frameno] = Object.freeze(n);
  }
  return r === n || regFieldsEqual(r, n) ? n : copyReg(r);
}

const regFieldsEqual = (a: RegState, b: RegState): boolean =>
  a.type === b.type &&
  a.maybeNull === b.maybeNull &&
  a.flags.length === b.flags.length &&
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
  a.memSize === b.memSize &&
  a.frameno === b.frameno &&
  a.precise === b.precise &&
  a.subregDef === b.subregDef;

const checkpointReg = (r: RegState): RegState => (r.type === 'NOT_INIT' ? sharedNotInit(r) : copyReg(r));

/** The copy is_state_visited keeps as a checkpoint (copyState with shared pristine NOT_INIT registers). */
export const copyCheckpoint = (s: VerifierState): VerifierState => copyStateWith(s, checkpointReg);

/** Grows the frame's stack so that slot spi exists (grow_stack_state). */
export function growStack(f: FuncState, spi: number): void {
  while (f.stack.length <= spi) {
    const spilled = notInitReg();
    spilled.frameno = f.frameno;
    f.stack.push({ spilled, slotType: new Array(BPF_REG_SIZE).fill(STACK_INVALID) });
  }
}

export const curFunc = (s: VerifierState): FuncState => s.frames[s.curframe]!;
