// Live stack slots per instruction, as kernel/bpf/liveness.c (Linux 6.18) computes them for one function:
// reads and whole-slot writes seen while verifying accumulate per instruction, and a backward data-flow
// pass (run before each pop of the branch stack) turns them into the slots that may still be read.
import type { Insn } from '../isa/insn';
import { BPF_CALL, BPF_CLASS, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_OP } from '../isa/opcodes';

/** bpf_insn_successors: fall-through (unless exit/ja) and jump target (ja and conditional jumps). */
export function insnSuccessors(insns: readonly Insn[], idx: number): number[] {
  const insn = insns[idx]!;
  const cls = BPF_CLASS(insn.code);
  const size = insn.code === 0x18 ? 2 : 1;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [idx + size];
  const op = BPF_OP(insn.code);
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return [idx + 1];
  if (op === BPF_JA) return [idx + (cls === BPF_JMP32 ? insn.imm : insn.off) + 1];
  return [idx + 1, idx + insn.off + 1];
}

export class StackLiveness {
  private readonly insns: readonly Insn[];
  /** Slots possibly read by each insn (union over visits). */
  private readonly mayRead: bigint[];
  /** Slots written whole by each insn on every visit (intersection over visits). */
  private readonly mustWrite: bigint[];
  private readonly mustWriteSet: boolean[];
  /** Slots that may be read by the insn or any successor, as of the last update(). */
  private readonly liveBefore: bigint[];
  private writeIdx = -1;
  private writeAcc = 0n;
  private dirty = false;

  constructor(insns: readonly Insn[]) {
    this.insns = insns;
    const n = insns.length;
    this.mayRead = new Array<bigint>(n).fill(0n);
    this.mustWrite = new Array<bigint>(n).fill(0n);
    this.mustWriteSet = new Array<boolean>(n).fill(false);
    this.liveBefore = new Array<bigint>(n).fill(0n);
  }

  /** bpf_reset_stack_write_marks: start collecting the writes of insn `idx`. */
  resetWrites(idx: number): void {
    this.writeIdx = idx;
    this.writeAcc = 0n;
  }

  markWrite(spi: number): void {
    this.writeAcc |= 1n << BigInt(spi);
  }

  markRead(spi: number): void {
    const idx = this.writeIdx;
    if (idx < 0) return;
    const next = this.mayRead[idx]! | (1n << BigInt(spi));
    if (next !== this.mayRead[idx]) this.dirty = true;
    this.mayRead[idx] = next;
  }

  /** bpf_commit_stack_write_marks: intersect this visit's whole-slot writes with earlier visits'. */
  commitWrites(): void {
    const idx = this.writeIdx;
    if (idx < 0) return;
    let mask = this.writeAcc;
    if (this.mustWriteSet[idx]) mask &= this.mustWrite[idx]!;
    if (mask !== this.mustWrite[idx]) {
      this.mustWrite[idx] = mask;
      this.dirty = true;
    }
    this.mustWriteSet[idx] = true;
    this.writeIdx = -1;
  }

  /** bpf_update_live_stack: live_before = (union of successors' live_before - must_write) | may_read. */
  update(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.insns.length;
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        if (i > 0 && this.insns[i - 1]!.code === 0x18) continue; // second half of ld_imm64
        const succ = insnSuccessors(this.insns, i);
        if (!succ.length) continue;
        let after = 0n;
        for (const s of succ) after |= this.liveBefore[s] ?? 0n;
        const before = (after & ~this.mustWrite[i]!) | this.mayRead[i]!;
        if (before !== this.liveBefore[i]) {
          this.liveBefore[i] = before;
          changed = true;
        }
      }
    }
  }

  /** bpf_stack_slot_alive: may slot `spi` be read at or after insn `idx`? */
  alive(idx: number, spi: number): boolean {
    return ((this.liveBefore[idx]! >> BigInt(spi)) & 1n) === 1n;
  }
}
