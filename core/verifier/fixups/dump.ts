// The program as bpf_prog_info.xlated_prog_insns shows it to root
// (bpf_insn_prepare_dump, plus what jit_subprogs leaves in bpf-to-bpf calls), in the
// corpus's convention: map ld_imm64 carry the index into the maps list.
import type { Insn } from '../../isa/insn';
import {
  BPF_CALL,
  BPF_CLASS,
  BPF_JMP,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_PSEUDO_CALL,
  BPF_SIZE,
} from '../../isa/opcodes';
import { BPF_PROBE_MEM, BPF_PROBE_MEMSX } from './convert-ctx';
import { BPF_TAIL_CALL } from './misc';

/** BPF_FUNC_tail_call, which a dumped tail call shows in imm. */
const BPF_FUNC_TAIL_CALL = 12;

/**
 * xlated dump of a fixed-up program. `subprogStarts` (ascending, first 0) lets bpf-to-bpf
 * calls show the callee's subprogram index in imm and the relative offset in off.
 */
export function bpfInsnPrepareDump(insns: readonly Insn[], subprogStarts: readonly number[] = [0]): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i < insns.length; i++) {
    const insn = { ...insns[i]! };
    if (insn.code === (BPF_JMP | BPF_TAIL_CALL)) {
      insn.code = BPF_JMP | BPF_CALL;
      insn.imm = BPF_FUNC_TAIL_CALL;
    } else if (isProbeLoad(insn)) {
      insn.code = plainLoadCode(insn.code);
    } else if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL) {
      const target = i + insn.imm + 1;
      const sub = subprogStarts.indexOf(target);
      insn.off = insn.imm;
      insn.imm = sub;
    } else if (insn.code === 0x18 && insn.src === 4 && i + 1 < insns.length) {
      // jit_subprogs leaves a callback's ld_imm64 as imm = relative offset, next imm = subprog.
      const sub = subprogStarts.indexOf(i + insn.imm + 1);
      out.push(insn, { ...insns[i + 1]!, imm: sub });
      i++;
      continue;
    } else if (insn.code === 0x18 && i + 1 < insns.length) {
      // BPF_PSEUDO_MAP_IDX(_VALUE) → BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE.
      if (insn.src === 5) insn.src = 1;
      else if (insn.src === 6) insn.src = 2;
      out.push(insn, { ...insns[i + 1]! });
      i++;
      continue;
    }
    out.push(insn);
  }
  return out;
}

function isProbeLoad(insn: Insn): boolean {
  const mode = BPF_MODE(insn.code);
  return BPF_CLASS(insn.code) === BPF_LDX && (mode === BPF_PROBE_MEM || mode === BPF_PROBE_MEMSX);
}

function plainLoadCode(code: number): number {
  return BPF_LDX | (BPF_MODE(code) === BPF_PROBE_MEM ? BPF_MEM : BPF_MEMSX) | BPF_SIZE(code);
}

/**
 * The fixed-up program for a listing: BPF_PROBE_MEM(SX) loads shown as the plain loads
 * bpftool shows (the kernel's disassembler has no text for them), everything else as is,
 * so instruction indices and call offsets stay those of the JIT's input.
 */
export function xlatedForListing(insns: readonly Insn[]): Insn[] {
  return insns.map((insn) => (isProbeLoad(insn) ? { ...insn, code: plainLoadCode(insn.code) } : insn));
}
