// Dead-code passes run after do_check (kernel/bpf/verifier.c): privileged loads hard-wire
// branches whose one side was never explored, drop unexplored insns and then the
// resulting `goto +0` nops; unprivileged loads overwrite unexplored insns instead.
import { BPF_JMP_A } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import { BPF_CALL, BPF_CLASS, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_OP } from '../../isa/opcodes';
import { type ProgState, removeInsns } from './patch';

/** insn_is_cond_jump. */
export function insnIsCondJump(code: number): boolean {
  const op = BPF_OP(code);
  if (BPF_CLASS(code) === BPF_JMP32) return op !== BPF_JA;
  if (BPF_CLASS(code) !== BPF_JMP) return false;
  return op !== BPF_JA && op !== BPF_EXIT && op !== BPF_CALL;
}

/** opt_hard_wire_dead_code_branches. */
export function optHardWireDeadCodeBranches(s: ProgState): void {
  for (let i = 0; i < s.insns.length; i++) {
    const insn = s.insns[i]!;
    if (!insnIsCondJump(insn.code)) continue;
    let off: number;
    if (!s.aux[i + 1]?.seen) off = insn.off;
    else if (!s.aux[i + 1 + insn.off]?.seen) off = 0;
    else continue;
    s.insns[i] = BPF_JMP_A(off);
  }
}

/** opt_remove_dead_code. */
export function optRemoveDeadCode(s: ProgState): void {
  for (let i = 0; i < s.insns.length; i++) {
    let j = 0;
    while (i + j < s.insns.length && !s.aux[i + j]!.seen) j++;
    if (!j) continue;
    removeInsns(s, i, j);
  }
}

const isJa0 = (i: Insn): boolean => i.code === (BPF_JMP | BPF_JA) && !i.dst && !i.src && !i.off && !i.imm;
// may_goto +0 (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO = 0).
const isMayGoto0 = (i: Insn): boolean => i.code === (BPF_JMP | 0xe0) && !i.dst && !i.src && !i.off && !i.imm;

/** opt_remove_nops. */
export function optRemoveNops(s: ProgState): void {
  for (let i = 0; i < s.insns.length; i++) {
    const insn = s.insns[i]!;
    const mayGoto0 = isMayGoto0(insn);
    if (!mayGoto0 && !isJa0(insn)) continue;
    removeInsns(s, i, 1);
    // Step back to catch a `may_goto +1; may_goto +0` pair.
    i -= mayGoto0 && i > 0 ? 2 : 1;
  }
}

/** sanitize_dead_code (unprivileged loads): unexplored insns become `goto -1`. */
export function sanitizeDeadCode(s: ProgState): void {
  for (let i = 0; i < s.insns.length; i++) {
    if (s.aux[i]!.seen) continue;
    s.insns[i] = BPF_JMP_A(-1);
  }
}
