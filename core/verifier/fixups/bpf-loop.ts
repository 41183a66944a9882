// optimize_bpf_loop / inline_bpf_loop: a bpf_loop call whose flags were always 0 and whose
// callback was always the same function becomes the loop itself, calling the callback as a
// bpf-to-bpf call; r6-r8 are saved in 24 bytes added below the function's stack.
import type { Insn } from '../../isa/insn';
import { BPF_PSEUDO_CALL } from '../../isa/opcodes';
import { type ProgState, patchInsnData } from './patch';

const BPF_FUNC_LOOP = 181;
const BPF_MAX_LOOPS = 1 << 23;
const E2BIG = 7;

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

/** The loop in place of the call (r1 nr_loops, r3 ctx; r0 = iterations done, or -E2BIG). */
function inlineBpfLoop(stackBase: number): Insn[] {
  const r6 = stackBase;
  const r7 = stackBase + 8;
  const r8 = stackBase + 16;
  return [
    insn(0xb5, 1, 0, 2, BPF_MAX_LOOPS), // if r1 <= BPF_MAX_LOOPS goto +2
    insn(0xb4, 0, 0, 0, -E2BIG), // w0 = -E2BIG
    insn(0x05, 0, 0, 16, 0), // goto end (past the patch)
    insn(0x7b, 10, 6, r6, 0),
    insn(0x7b, 10, 7, r7, 0),
    insn(0x7b, 10, 8, r8, 0),
    insn(0xbf, 6, 1, 0, 0), // r6 = nr_loops
    insn(0xb4, 7, 0, 0, 0), // w7 = 0 (index)
    insn(0xbf, 8, 3, 0, 0), // r8 = ctx
    insn(0x3d, 7, 6, 5, 0), // if r7 >= r6 goto done
    insn(0xbf, 1, 7, 0, 0),
    insn(0xbf, 2, 8, 0, 0),
    insn(0x85, 0, BPF_PSEUDO_CALL, 0, 0), // call callback (imm set by the caller)
    insn(0x07, 7, 0, 0, 1), // r7 += 1
    insn(0x15, 0, 0, -6, 0), // if r0 == 0 goto loop
    insn(0xbf, 0, 7, 0, 0), // r0 = r7
    insn(0x79, 6, 10, r6, 0),
    insn(0x79, 7, 10, r7, 0),
    insn(0x79, 8, 10, r8, 0),
  ];
}

export function optimizeBpfLoop(s: ProgState): void {
  let cur = 0;
  let depth = s.subprogs[0]!.stackDepth;
  let roundup = Math.ceil(depth / 8) * 8 - depth;
  let extra = 0;
  for (let i = 0; i < s.insns.length; i++) {
    const x = s.insns[i]!;
    const st = s.aux[i]?.loopInline;
    if (x.code === 0x85 && x.src === 0 && x.imm === BPF_FUNC_LOOP && st?.fit) {
      extra = 3 * 8 + roundup;
      const patch = inlineBpfLoop(-(depth + extra));
      patchInsnData(s, i, patch);
      const call = i + 12;
      const cbStart = s.subprogs[st.subprogno]!.start;
      s.insns[call] = { ...s.insns[call]!, imm: cbStart - call - 1 };
      i += patch.length - 1;
    }
    const next = s.subprogs[cur + 1];
    if (next && next.start === i + 1) {
      s.subprogs[cur] = { ...s.subprogs[cur]!, stackDepth: s.subprogs[cur]!.stackDepth + extra };
      cur++;
      depth = s.subprogs[cur]!.stackDepth;
      roundup = Math.ceil(depth / 8) * 8 - depth;
      extra = 0;
    }
  }
  if (extra) {
    const last = s.subprogs[cur]!;
    s.subprogs[cur] = { ...last, stackDepth: last.stackDepth + extra };
  }
}
