// compute_scc: the strongly connected components of the program's control flow graph, numbered
// from 1 in the order they complete (a depth-first walk from insn 0 in index order). Only loops
// get a number: a component of several insns, or one insn that is its own successor (a call that
// runs a callback, bpf_loop / for_each, counts as a loop on itself).
import type { Insn } from '../isa/insn';
import { BPF_CLASS, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_OP } from '../isa/opcodes';

const BPF_CALL = 0x80;
const CALLBACK_HELPERS = new Set([181, 164, 180]); // bpf_loop, bpf_for_each_map_elem, bpf_find_vma

function successors(insns: readonly Insn[], i: number): number[] {
  const x = insns[i]!;
  const next = x.code === 0x18 ? i + 2 : i + 1;
  const cls = BPF_CLASS(x.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return next < insns.length ? [next] : [];
  const op = BPF_OP(x.code);
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return x.src === 0 && CALLBACK_HELPERS.has(x.imm) ? [i, next] : [next];
  const target = i + 1 + (op === BPF_JA && cls === BPF_JMP32 ? x.imm : x.off);
  return op === BPF_JA ? [target] : [next, target];
}

/** scc[i]: the loop component insn i is in (1, 2, …), 0 when it is in none. */
export function computeScc(insns: readonly Insn[]): number[] {
  const n = insns.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const scc = new Array<number>(n).fill(0);
  const stack: number[] = [];
  let counter = 0;
  let nextId = 1;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    // iterative Tarjan: frames of (insn, its successors, position)
    const work: { v: number; succ: number[]; k: number }[] = [];
    const enter = (v: number) => {
      index[v] = low[v] = counter++;
      stack.push(v);
      onStack[v] = true;
      work.push({ v, succ: successors(insns, v).filter((s) => s >= 0 && s < n), k: 0 });
    };
    enter(root);
    while (work.length) {
      const f = work[work.length - 1]!;
      if (f.k < f.succ.length) {
        const w = f.succ[f.k++]!;
        if (index[w] === -1) enter(w);
        else if (onStack[w]) low[f.v] = Math.min(low[f.v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const p = work[work.length - 1]!.v;
        low[p] = Math.min(low[p]!, low[f.v]!);
      }
      if (low[f.v] !== index[f.v]) continue;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = false;
        members.push(w);
      } while (w !== f.v);
      const loop = members.length > 1 || successors(insns, f.v).includes(f.v);
      if (loop) {
        for (const m of members) scc[m] = nextId;
        nextId++;
      }
    }
  }
  return scc;
}
