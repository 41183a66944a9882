// Basic blocks and edges of a program, for display and for analyses that walk
// control flow. Leaders are insn 0, subprogram starts (targets of bpf-to-bpf
// calls and of ld_imm64 BPF_PSEUDO_FUNC), jump targets, and the insn after any
// jump or exit. Calls do not end a block (the callee returns to the next insn),
// as in bpftool's `visual` dump; a bpf-to-bpf call adds a `call` edge instead.

import type { Insn } from './insn';
import { isLdImm64 } from './insn';
import {
  BPF_CALL,
  BPF_CLASS,
  BPF_EXIT,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
} from './opcodes';

export type CfgEdgeKind = 'fallthrough' | 'taken' | 'call';

export interface BasicBlock {
  id: number;
  /** First slot index. */
  start: number;
  /** Last slot index (inclusive; the second slot of a trailing ld_imm64). */
  end: number;
  /** Index into `Cfg.subprogs` of the subprogram holding the block. */
  subprog: number;
}

export interface CfgEdge {
  from: number; // block id
  to: number; // block id
  kind: CfgEdgeKind;
  /** Slot index of the jump or call that makes the edge (the last insn of `from` for fallthrough). */
  insn: number;
}

export interface Cfg {
  blocks: BasicBlock[];
  edges: CfgEdge[];
  /** Slot index where each subprogram starts, ascending; subprogs[0] is 0. */
  subprogs: number[];
  /** Jumps or calls whose target lies outside the program (the verifier rejects them). */
  badTargets: { insn: number; target: number }[];
}

type Flow =
  | { kind: 'none' }
  | { kind: 'exit' }
  | { kind: 'goto'; target: number }
  | { kind: 'cond'; target: number }
  | { kind: 'call'; target: number };

/** What insn i does to control flow. */
function flowOf(insns: readonly Insn[], i: number): Flow {
  const x = insns[i]!;
  const cls = BPF_CLASS(x.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return { kind: 'none' };
  const op = BPF_OP(x.code);
  if (op === BPF_EXIT) return { kind: 'exit' };
  if (op === BPF_CALL) {
    return x.src === BPF_PSEUDO_CALL ? { kind: 'call', target: i + x.imm + 1 } : { kind: 'none' };
  }
  if (op === BPF_JA) {
    // gotol (JMP32|JA) carries its offset in imm.
    return { kind: 'goto', target: i + (cls === BPF_JMP32 ? x.imm : x.off) + 1 };
  }
  // Conditional jumps, and may_goto (BPF_JCOND), fall through or go to off.
  return { kind: 'cond', target: i + x.off + 1 };
}

/** Slot indices that start an instruction (the second half of an ld_imm64 does not). */
export function insnStarts(insns: readonly Insn[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < insns.length; i += isLdImm64(insns[i]!) ? 2 : 1) out.push(i);
  return out;
}

export function buildCfg(insns: readonly Insn[]): Cfg {
  const n = insns.length;
  const starts = insnStarts(insns);
  const isStart = new Uint8Array(n + 1);
  for (const i of starts) isStart[i] = 1;
  const inRange = (t: number) => t >= 0 && t < n && isStart[t] === 1;

  const leader = new Uint8Array(n + 1);
  const subprogSet = new Set<number>(n > 0 ? [0] : []);
  const badTargets: Cfg['badTargets'] = [];
  if (n > 0) leader[0] = 1;

  for (const i of starts) {
    const x = insns[i]!;
    if (isLdImm64(x)) {
      if (x.src === BPF_PSEUDO_FUNC) {
        const t = i + x.imm + 1;
        if (inRange(t)) {
          subprogSet.add(t);
          leader[t] = 1;
        } else badTargets.push({ insn: i, target: t });
      }
      continue;
    }
    const f = flowOf(insns, i);
    if (f.kind === 'none') continue;
    if (f.kind === 'call') {
      if (inRange(f.target)) {
        subprogSet.add(f.target);
        leader[f.target] = 1;
      } else badTargets.push({ insn: i, target: f.target });
      continue;
    }
    if (f.kind !== 'exit') {
      if (inRange(f.target)) leader[f.target] = 1;
      else badTargets.push({ insn: i, target: f.target });
    }
    if (i + 1 < n) leader[i + 1] = 1;
  }

  const subprogs = [...subprogSet].sort((a, b) => a - b);
  const blocks: BasicBlock[] = [];
  const blockAt = new Int32Array(n).fill(-1);
  let sp = 0;
  for (let k = 0; k < starts.length; k++) {
    const i = starts[k]!;
    while (sp + 1 < subprogs.length && subprogs[sp + 1]! <= i) sp++;
    if (leader[i] || blocks.length === 0) {
      blocks.push({ id: blocks.length, start: i, end: i, subprog: sp });
    }
    const b = blocks[blocks.length - 1]!;
    b.end = isLdImm64(insns[i]!) && i + 1 < n ? i + 1 : i;
    blockAt[i] = b.id;
  }

  const edges: CfgEdge[] = [];
  for (const b of blocks) {
    // Calls inside the block.
    for (let i = b.start; i <= b.end; i++) {
      if (!isStart[i] || isLdImm64(insns[i]!)) continue;
      const f = flowOf(insns, i);
      if (f.kind === 'call' && inRange(f.target)) {
        edges.push({ from: b.id, to: blockAt[f.target]!, kind: 'call', insn: i });
      }
    }
    const last = lastInsnOf(b, isStart);
    const f = isLdImm64(insns[last]!) ? ({ kind: 'none' } as Flow) : flowOf(insns, last);
    if (f.kind === 'goto' || f.kind === 'cond') {
      if (inRange(f.target)) edges.push({ from: b.id, to: blockAt[f.target]!, kind: 'taken', insn: last });
    }
    // Falling into the next block; control never flows across a subprogram start.
    if (f.kind !== 'goto' && f.kind !== 'exit') {
      const next = blocks[b.id + 1];
      if (next && next.subprog === b.subprog) {
        edges.push({ from: b.id, to: next.id, kind: 'fallthrough', insn: last });
      }
    }
  }
  return { blocks, edges, subprogs, badTargets };
}

function lastInsnOf(b: BasicBlock, isStart: Uint8Array): number {
  let i = b.end;
  while (i > b.start && !isStart[i]) i--;
  return i;
}
