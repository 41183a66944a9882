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

/** What level 2 prints of the update (liveness.c's log_mask_change); absent below level 2. */
export interface StackLivenessLog {
  write(s: string): void;
  /** Prune points: their masks print even when the insn neither reads nor writes the stack. */
  pruneP: readonly boolean[];
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
  /** Slots written by the insn and on every path after it (must_write_acc; kept at level 2 only). */
  private readonly mustWriteAcc: bigint[] | null;
  private mustWriteDropped = false;
  /** The update's visiting order: check_cfg's postorder. */
  private readonly order: readonly number[];
  private writeIdx = -1;
  private writeAcc = 0n;
  /** The kernel's instance->updated: a read or write the last update did not account for. */
  private dirty = false;

  constructor(
    insns: readonly Insn[],
    postorder?: readonly number[],
    private readonly log?: StackLivenessLog,
  ) {
    this.insns = insns;
    const n = insns.length;
    this.mayRead = new Array<bigint>(n).fill(0n);
    this.mustWrite = new Array<bigint>(n).fill(0n);
    this.mustWriteSet = new Array<boolean>(n).fill(false);
    this.liveBefore = new Array<bigint>(n).fill(0n);
    this.mustWriteAcc = log ? new Array<bigint>(n).fill(0n) : null;
    this.order =
      postorder ??
      Array.from({ length: n }, (_, i) => n - 1 - i).filter((i) => !(i > 0 && insns[i - 1]!.code === 0x18));
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
    // Only a slot not yet live there asks for an update (mark_stack_read).
    if (next !== this.mayRead[idx] && (next | this.liveBefore[idx]!) !== this.liveBefore[idx])
      this.dirty = true;
    this.mayRead[idx] = next;
  }

  /** bpf_commit_stack_write_marks: intersect this visit's whole-slot writes with earlier visits'. */
  commitWrites(): void {
    const idx = this.writeIdx;
    if (idx < 0) return;
    let mask = this.writeAcc;
    const old = this.mustWrite[idx]!;
    // Runs per processed insn: no bigint op when nothing is written or nothing changes.
    if (mask !== 0n && this.mustWriteSet[idx]) mask &= old;
    if (mask !== old) {
      this.mustWrite[idx] = mask;
      this.dirty = true;
      if (old & ~mask) this.mustWriteDropped = true;
    }
    this.mustWriteSet[idx] = true;
    this.writeIdx = -1;
  }

  /** bpf_update_live_stack: live_before = (union of successors' live_before - must_write) | may_read. */
  update(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const acc = this.mustWriteAcc;
    if (acc && this.mustWriteDropped) acc.fill(0n);
    this.mustWriteDropped = false;
    const log = this.log;
    let changed = true;
    let cnt = 0;
    while (changed) {
      changed = false;
      cnt++;
      for (const i of this.order) {
        const succ = insnSuccessors(this.insns, i);
        if (!succ.length) continue;
        let after = 0n;
        let accNew = ALL;
        for (const s of succ) {
          after |= this.liveBefore[s] ?? 0n;
          if (acc) accNew &= acc[s] ?? 0n;
        }
        const before = (after & ~this.mustWrite[i]!) | this.mayRead[i]!;
        if (acc) {
          accNew |= this.mustWrite[i]!;
          if (log && (this.mayRead[i] || this.mustWrite[i] || i === 0 || log.pruneP[i])) {
            logMaskChange(log, 'live', i, this.liveBefore[i]!, before);
            logMaskChange(log, 'written', i, acc[i]!, accNew);
          }
          if (accNew !== acc[i]) {
            acc[i] = accNew;
            changed = true;
          }
        }
        if (before !== this.liveBefore[i]) {
          this.liveBefore[i] = before;
          changed = true;
        }
      }
    }
    log?.write(`(0) live stack update done in ${cnt} iterations\n`);
  }

  /** bpf_stack_slot_alive: may slot `spi` be read at or after insn `idx`? */
  alive(idx: number, spi: number): boolean {
    return ((this.liveBefore[idx]! >> BigInt(spi)) & 1n) === 1n;
  }
}

const ALL = (1n << 64n) - 1n;

/** fp offsets of the slots in mask: -8,-16 */
const fmtStackMask = (mask: bigint): string => {
  const out: string[] = [];
  for (let i = 0; mask >> BigInt(i); i++) if ((mask >> BigInt(i)) & 1n) out.push(`${-(i + 1) * 8}`);
  return out.join(',');
};

/** log_mask_change: the slots an update added (+) and removed (-), for main's callchain (0). */
function logMaskChange(log: StackLivenessLog, what: string, idx: number, old: bigint, now: bigint): void {
  const changed = old ^ now;
  if (!changed) return;
  let line = `(0) frame 0 insn ${idx} `;
  const ones = now & changed;
  const zeros = ~now & changed & ALL;
  if (ones) line += `+${what} ${fmtStackMask(ones)} `;
  if (zeros) line += `-${what} ${fmtStackMask(zeros)}`;
  log.write(`${line}\n`);
}

/**
 * compute_postorder: per subprogram, a walk from its first insn that pushes every undiscovered
 * successor at once (so a jump target is finished before the fall-through); call edges are none.
 */
export function computePostorder(insns: readonly Insn[], starts: readonly number[]): number[][] {
  const state = new Uint8Array(insns.length);
  const out: number[][] = [];
  for (const start of starts) {
    const post: number[] = [];
    const stack = [start];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      state[top]! |= 1;
      if (state[top]! & 2) {
        post.push(top);
        stack.pop();
        continue;
      }
      for (const s of insnSuccessors(insns, top)) {
        if (s >= 0 && s < insns.length && !state[s]) {
          stack.push(s);
          state[s]! |= 1;
        }
      }
      state[top]! |= 2;
    }
    out.push(post);
  }
  return out;
}
