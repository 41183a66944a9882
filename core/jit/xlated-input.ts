// Rebuilds what the JIT needs beyond the instructions — function boundaries, each function's stack
// depth, tail-call reachability, which tail calls have a constant key — from an xlated program
// alone, the way the verifier arrives at them:
//  * stack depth: the lowest fp-relative byte any access (or any fp-derived pointer handed to a call)
//    touches, per function (update_stack_depth);
//  * tail_call_reachable: a function that tail-calls, and every function whose calls can reach one;
//  * direct tail calls: r3 a single known constant below the prog array's max_entries (record_func_key).
// Used by `kmodel jit --xlated` and the corpus fidelity test; a verifier run supplies them directly.

import type { Insn } from '../isa/insn';
import {
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
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_REG_10,
  BPF_SIZE,
  BPF_ST,
  BPF_STX,
} from '../isa/opcodes';

export interface XlatedFunc {
  start: number;
  end: number;
  stackDepth: number;
  tailCallReachable: boolean;
}

export interface XlatedAnalysis {
  funcs: XlatedFunc[];
  /** Insn indices of tail calls the verifier would make direct. */
  directTailCalls: Set<number>;
}

/** fp: pointers into function `frame`'s stack at the given offsets; const: known values. */
type Val = { kind: 'fp'; frame: number; offs: number[] } | { kind: 'const'; vals: bigint[] } | null;
interface State {
  regs: Val[];
  /** fp offset → pointer spilled there (8-byte slots only). */
  slots: Map<number, Val>;
}

const MAX_VALS = 16;
const isTailCallInsn = (i: Insn) =>
  (i.code === (BPF_JMP | BPF_CALL) && i.src === 0 && i.imm === 12) || i.code === (BPF_JMP | 0xf0);

function joinVal(a: Val, b: Val): Val {
  if (a === null || b === null) return null;
  if (a.kind === 'fp' && b.kind === 'fp') {
    if (a.frame !== b.frame) return null;
    const offs = [...new Set([...a.offs, ...b.offs])];
    return offs.length > MAX_VALS ? null : { kind: 'fp', frame: a.frame, offs };
  }
  if (a.kind === 'const' && b.kind === 'const') {
    const vals = [...new Set([...a.vals, ...b.vals])];
    return vals.length > MAX_VALS ? null : { kind: 'const', vals };
  }
  return null;
}

const sameVal = (a: Val, b: Val): boolean =>
  JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
  JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

function join(a: State, b: State): State {
  const regs = a.regs.map((v, r) => joinVal(v, b.regs[r]!));
  const slots = new Map<number, Val>();
  for (const [k, v] of a.slots) if (b.slots.has(k)) slots.set(k, joinVal(v, b.slots.get(k)!));
  return { regs, slots };
}

function sameState(a: State, b: State): boolean {
  if (!a.regs.every((v, r) => sameVal(v, b.regs[r]!))) return false;
  if (a.slots.size !== b.slots.size) return false;
  for (const [k, v] of a.slots) if (!b.slots.has(k) || !sameVal(v, b.slots.get(k)!)) return false;
  return true;
}

/** A constant-folded ALU result (the verifier tracks these exactly), or null when not modeled. */
function constAlu(op: number, is64: boolean, a: bigint, b: bigint, off: number): Val {
  const bits = is64 ? 64 : 32;
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  const sh = Number(ub & BigInt(bits - 1));
  let r: bigint;
  switch (op) {
    case 0x00:
      r = ua + ub;
      break;
    case 0x10:
      r = ua - ub;
      break;
    case 0x20:
      r = ua * ub;
      break;
    case 0x40:
      r = ua | ub;
      break;
    case 0x50:
      r = ua & ub;
      break;
    case 0x60:
      r = ua << BigInt(sh);
      break;
    case 0x70:
      r = ua >> BigInt(sh);
      break;
    case 0x80:
      r = -ua;
      break;
    case 0xa0:
      r = ua ^ ub;
      break;
    case 0xc0:
      r = BigInt.asIntN(bits, ua) >> BigInt(sh);
      break;
    case 0x30:
      if (ub === 0n || off !== 0) return null;
      r = ua / ub;
      break;
    case 0x90:
      if (ub === 0n || off !== 0) return null;
      r = ua % ub;
      break;
    default:
      return null;
  }
  return { kind: 'const', vals: [BigInt.asUintN(bits, r)] };
}

/** Function starts: 0 and every bpf-to-bpf call / callback target (dump form: off holds the relative offset). */
export function funcStarts(insns: readonly Insn[]): number[] {
  const starts = new Set([0]);
  insns.forEach((ins, i) => {
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) starts.add(i + ins.off + 1);
    if (ins.code === 0x18 && ins.src === BPF_PSEUDO_FUNC) starts.add(i + ins.imm + 1);
  });
  return [...starts].filter((s) => s >= 0 && s < insns.length).sort((a, b) => a - b);
}

export interface AnalyzeOptions {
  /** max_entries of map index m (for the tail-call key check); unknown maps keep tail calls indirect. */
  maxEntries?: (mapIndex: number) => number | undefined;
  /**
   * Argument registers of the call at insn i that the callee treats as memory (only those make
   * check_helper_mem_access grow the stack); undefined = unknown callee, all of r1..r5 count.
   */
  memArgRegs?: (i: number, insn: Insn) => readonly number[] | undefined;
}

export function analyzeXlated(insns: readonly Insn[], opts: AnalyzeOptions = {}): XlatedAnalysis {
  const starts = funcStarts(insns);
  let directTailCalls = new Set<number>();
  let hasTailCall: boolean[] = [];
  let callees: Set<number>[] = [];
  let depths: number[] = starts.map(() => 0);
  // r1..r5 on entry to each function, joined over its call sites (pointers into a caller's stack
  // grow the caller's depth when the callee touches them).
  const entryArgs: Val[][] = starts.map(() => [null, null, null, null, null, null]);
  const seenEntry: boolean[] = starts.map((_, f) => f === 0);
  const funcIndexOf = (pos: number) => {
    let k = 0;
    while (k + 1 < starts.length && starts[k + 1]! <= pos) k++;
    return k;
  };

  const analyzeFunc = (start: number, f: number): boolean => {
    let entryChanged = false;
    const end = f + 1 < starts.length ? starts[f + 1]! : insns.length;
    callees[f] = new Set();
    hasTailCall[f] = false;
    const states = new Map<number, State>();
    const work: number[] = [start];
    const init: State = {
      regs: Array.from({ length: 11 }, (_, r) =>
        r === BPF_REG_10
          ? { kind: 'fp' as const, frame: f, offs: [0] }
          : r >= 1 && r <= 5
            ? entryArgs[f]![r]!
            : null,
      ),
      slots: new Map(),
    };
    states.set(start, init);
    const touch = (v: Val, off: number) => {
      if (v?.kind === 'fp') for (const o of v.offs) depths[v.frame] = Math.max(depths[v.frame]!, -(o + off));
    };
    const flow = (to: number, st: State) => {
      if (to < start || to >= end) return;
      const old = states.get(to);
      const next = old ? join(old, st) : st;
      if (!old || !sameState(old, next)) {
        states.set(to, next);
        work.push(to);
      }
    };
    let guard = 0;
    while (work.length && guard++ < 200000) {
      const pc = work.pop()!;
      const ins = insns[pc]!;
      const inState = states.get(pc)!;
      const st: State = { regs: inState.regs.slice(), slots: new Map(inState.slots) };
      const cls = BPF_CLASS(ins.code);
      const op = BPF_OP(ins.code);
      const d = ins.dst;
      const s = ins.src;
      let fallthrough = true;
      if (cls === BPF_ALU64 || cls === 0x04) {
        const isX = (ins.code & 0x08) !== 0;
        const cur = st.regs[d] ?? null;
        if (cls === BPF_ALU64 && op === 0xb0 && isX && ins.off === 0) st.regs[d] = st.regs[s] ?? null;
        else if (op === 0xb0 && !isX)
          st.regs[d] = { kind: 'const', vals: [cls === BPF_ALU64 ? BigInt(ins.imm) : BigInt(ins.imm >>> 0)] };
        else if (cls === BPF_ALU64 && !isX && (op === 0x00 || op === 0x10) && cur?.kind === 'fp') {
          const delta = op === 0x00 ? ins.imm : -ins.imm;
          st.regs[d] = { kind: 'fp', frame: cur.frame, offs: cur.offs.map((o) => o + delta) };
        } else if (d <= 10) {
          const b = isX ? (st.regs[s] ?? null) : { kind: 'const' as const, vals: [BigInt(ins.imm)] };
          st.regs[d] =
            cur?.kind === 'const' && b?.kind === 'const' && cur.vals.length === 1 && b.vals.length === 1
              ? constAlu(op, cls === BPF_ALU64, cur.vals[0]!, b.vals[0]!, ins.off)
              : null;
        }
      } else if (cls === BPF_LD) {
        if (ins.code === 0x18) {
          const lo = BigInt(ins.imm >>> 0);
          const hi = BigInt((insns[pc + 1]?.imm ?? 0) >>> 0);
          st.regs[d] =
            ins.src === 0
              ? { kind: 'const', vals: [(hi << 32n) | lo] }
              : ins.src === 1
                ? { kind: 'const', vals: [-1n - lo] }
                : null;
          flow(pc + 2, st);
          fallthrough = false;
        } else {
          for (let r = 0; r <= 5; r++) st.regs[r] = null; // ld_abs / ld_ind clobber like a call
        }
      } else if (cls === BPF_LDX) {
        touch(st.regs[s] ?? null, ins.off);
        let v: Val = null;
        const p = st.regs[s];
        if (p?.kind === 'fp' && p.frame === f && p.offs.length === 1 && BPF_SIZE(ins.code) === BPF_DW)
          v = st.slots.get(p.offs[0]! + ins.off) ?? null;
        st.regs[d] = v;
      } else if (cls === BPF_ST || cls === BPF_STX) {
        const p = st.regs[d] ?? null;
        touch(p, ins.off);
        if (p?.kind === 'fp' && p.frame === f) {
          for (const o of p.offs) {
            const at = o + ins.off;
            if (
              cls === BPF_STX &&
              BPF_MODE(ins.code) !== BPF_ATOMIC &&
              BPF_SIZE(ins.code) === BPF_DW &&
              p.offs.length === 1
            ) {
              st.slots.set(at, st.regs[s] ?? null);
            } else {
              st.slots.delete(at);
            }
          }
        }
        if (cls === BPF_STX && BPF_MODE(ins.code) === BPF_ATOMIC) {
          if (ins.imm === 0xf1) st.regs[0] = null;
          else if (ins.imm & 1 || ins.imm === 0x100) st.regs[s] = null;
        }
      } else if (cls === BPF_JMP || cls === BPF_JMP32) {
        if (op === BPF_EXIT && cls === BPF_JMP) {
          fallthrough = false;
        } else if (op === BPF_CALL && cls === BPF_JMP) {
          // Without BTF func info the verifier does not check bpf-to-bpf arguments as memory.
          if (ins.src !== BPF_PSEUDO_CALL) {
            for (const r of opts.memArgRegs?.(pc, ins) ?? [1, 2, 3, 4, 5]) touch(st.regs[r] ?? null, 0);
          }
          if (isTailCallInsn(ins)) {
            hasTailCall[f] = true;
            const key = st.regs[3];
            const map = st.regs[2];
            if (
              key?.kind === 'const' &&
              key.vals.length === 1 &&
              map?.kind === 'const' &&
              map.vals.length === 1
            ) {
              const mapIndex = Number(-1n - map.vals[0]!);
              const max = opts.maxEntries?.(mapIndex);
              if (max !== undefined && key.vals[0]! >= 0n && key.vals[0]! < BigInt(max))
                directTailCalls.add(pc);
            }
          }
          if (ins.src === BPF_PSEUDO_CALL) {
            const callee = funcIndexOf(pc + ins.off + 1);
            callees[f]!.add(callee);
            for (let r = 1; r <= 5; r++) {
              const old = entryArgs[callee]![r]!;
              const next = seenEntry[callee] ? joinVal(old, st.regs[r] ?? null) : (st.regs[r] ?? null);
              if (!seenEntry[callee] || !sameVal(old, next)) {
                entryArgs[callee]![r] = next;
                entryChanged = true;
              }
            }
            seenEntry[callee] = true;
          }
          for (let r = 0; r <= 5; r++) st.regs[r] = null;
        } else if (op === BPF_JA) {
          flow(pc + 1 + (cls === BPF_JMP ? ins.off : ins.imm), st);
          fallthrough = false;
        } else {
          flow(pc + 1 + ins.off, st);
        }
      }
      if (fallthrough) flow(pc + 1, st);
    }
    return entryChanged;
  };

  // Re-run until the callees' entry arguments settle (a few rounds at most for real programs).
  for (let round = 0; round < 8; round++) {
    directTailCalls = new Set();
    hasTailCall = [];
    callees = [];
    depths = starts.map(() => 0);
    let changed = false;
    for (const [f, start] of starts.entries()) if (analyzeFunc(start, f)) changed = true;
    if (!changed) break;
  }

  // A function reaches a tail call if it has one or calls (transitively) one that does.
  const reach = hasTailCall.slice();
  for (let changed = true; changed; ) {
    changed = false;
    for (let f = 0; f < starts.length; f++) {
      if (!reach[f] && [...callees[f]!].some((c) => reach[c])) {
        reach[f] = true;
        changed = true;
      }
    }
  }
  const funcs = starts.map((start, f) => ({
    start,
    end: f + 1 < starts.length ? starts[f + 1]! : insns.length,
    stackDepth: depths[f]!,
    tailCallReachable: reach[f]!,
  }));
  return { funcs, directTailCalls };
}
