// A verifier state as plain data (JSON-safe: 64-bit numbers as decimal strings), the shape the
// state pane, `kmodel verify --state-at` and the tests read.
import { type PrintCtx, printRegState, regTypeStr } from '../log';
import type { RegState } from '../reg';
import {
  BPF_REG_SIZE,
  type FuncState,
  SLOT_CHARS,
  STACK_INVALID,
  STACK_SPILL,
  type VerifierState,
} from '../state';

export interface RegView {
  regno: number;
  /** The register as the level-2 log prints it (`scalar(smin=…)`, `ctx()`, `fp-8`, `P5`). */
  text: string;
  /** The kernel's type name (`scalar`, `ptr_or_null_task_struct`, `map_value`, …). */
  type: string;
  id: number;
  refObjId: number;
  off: number;
  /** tnum var_off as hex value/mask. */
  varOff: { value: string; mask: string };
  smin: string;
  smax: string;
  umin: string;
  umax: string;
  s32min: string;
  s32max: string;
  u32min: string;
  u32max: string;
  precise: boolean;
  frameno: number;
}

export interface SlotView {
  /** Slot index (fp-8 is 0). */
  spi: number;
  /** Its offset from the frame pointer, as the log names it (fp-8 → -8). */
  off: number;
  /** Byte types as the log prints them (`m`, `0`, `r`, `?`), lowest address last. */
  slotTypes: string;
  /** The spilled register, if the slot holds one. */
  spilled: RegView | null;
  /** The slot as the log prints it after `fp-8=`. */
  text: string;
}

export interface FrameView {
  frameno: number;
  callsite: number;
  regs: RegView[];
  stack: SlotView[];
}

export interface StateView {
  curframe: number;
  frames: FrameView[];
  refs: number[];
}

const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;

export function regView(r: RegState, regno: number, frameno: number, p: PrintCtx): RegView {
  return {
    regno,
    text: printRegState(r, frameno, p),
    type: regTypeStr(r, p),
    id: r.id,
    refObjId: r.refObjId,
    off: r.off,
    varOff: { value: hex(r.varOff.value), mask: hex(r.varOff.mask) },
    smin: `${r.smin}`,
    smax: `${r.smax}`,
    umin: `${r.umin}`,
    umax: `${r.umax}`,
    s32min: `${r.s32min}`,
    s32max: `${r.s32max}`,
    u32min: `${r.u32min}`,
    u32max: `${r.u32max}`,
    precise: r.precise,
    frameno: r.frameno,
  };
}

function slotView(f: FuncState, spi: number, p: PrintCtx): SlotView | null {
  const st = f.stack[spi]!;
  if (st.slotType.every((t) => t === STACK_INVALID)) return null;
  const spill = st.slotType[7] === STACK_SPILL;
  let types = '';
  for (let j = 0; j < BPF_REG_SIZE; j++) {
    if (spill && st.slotType[j] === STACK_SPILL) break;
    types += SLOT_CHARS[st.slotType[j]!];
  }
  const spilled = spill ? regView(st.spilled, -1, f.frameno, p) : null;
  return {
    spi,
    off: (-spi - 1) * BPF_REG_SIZE,
    slotTypes: types,
    spilled,
    text: types + (spilled ? spilled.text : ''),
  };
}

export function frameView(f: FuncState, p: PrintCtx): FrameView {
  const regs: RegView[] = [];
  for (let i = 0; i < f.regs.length; i++) {
    const r = f.regs[i]!;
    if (r.type !== 'NOT_INIT') regs.push(regView(r, i, f.frameno, p));
  }
  const stack: SlotView[] = [];
  for (let spi = 0; spi < f.stack.length; spi++) {
    const s = slotView(f, spi, p);
    if (s) stack.push(s);
  }
  return { frameno: f.frameno, callsite: f.callsite, regs, stack };
}

export function stateView(s: VerifierState, p: PrintCtx): StateView {
  return {
    curframe: s.curframe,
    frames: s.frames.map((f) => frameView(f, p)),
    refs: s.refs.map((r) => r.id),
  };
}
