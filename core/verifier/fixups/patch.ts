// Program patching as kernel/bpf/core.c and verifier.c do it: bpf_patch_insn_data
// (bpf_patch_insn_single + adjust_insn_aux_data + adjust_subprog_starts),
// verifier_remove_insns (bpf_remove_insns + aux/subprog fix-ups) and adjust_jmp_off.
// Branch offsets are moved with bpf_adj_branches' exact rules.
import type { Insn } from '../../isa/insn';
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
} from '../../isa/opcodes';
import type { FixupOrigin, InsnAuxData } from '../ops';

export interface SubprogInfo {
  start: number;
  stackDepth: number;
}

/** The mutable program a pass works on (env->prog, env->insn_aux_data, env->subprog_info). */
export interface ProgState {
  insns: Insn[];
  aux: InsnAuxData[];
  /** Without the kernel's sentinel entry; its start is always insns.length. */
  subprogs: SubprogInfo[];
}

export class FixupError extends Error {
  constructor(
    message: string,
    readonly errno: number = 22,
    readonly kind: string = 'fixup',
  ) {
    super(message);
  }
}

const S16_MIN = -32768;
const S16_MAX = 32767;

const isJa32 = (i: Insn): boolean => i.code === (BPF_JMP32 | BPF_JA);
const isPseudoFunc = (i: Insn): boolean => i.code === 0x18 && i.src === BPF_PSEUDO_FUNC;

/** subprog_info[i].start with the sentinel. */
export const subprogStart = (s: ProgState, i: number): number =>
  i < s.subprogs.length ? s.subprogs[i]!.start : s.insns.length;

/** One branch/call's offset moved across a patch of [pos, endOld) → [pos, endNew) (bpf_adj_delta_to_*). */
function adjDelta(
  insn: Insn,
  useImm: boolean,
  pos: number,
  endOld: number,
  endNew: number,
  curr: number,
): Insn {
  const delta = endNew - endOld;
  let off = useImm ? insn.imm : insn.off;
  if (curr < pos && curr + off + 1 >= endOld) off += delta;
  else if (curr >= endNew && curr + off + 1 < endNew) off -= delta;
  if (!useImm && (off < S16_MIN || off > S16_MAX))
    throw new FixupError('jump offset out of range', 34, 'erange');
  return useImm ? { ...insn, imm: off } : { ...insn, off };
}

/** bpf_adj_branches on the already patched image. */
function adjBranches(insns: Insn[], pos: number, endOld: number, endNew: number): void {
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (isPseudoFunc(insn)) {
      insns[i] = adjDelta(insn, true, pos, endOld, endNew, i);
      continue;
    }
    const cls = BPF_CLASS(insn.code);
    if ((cls !== BPF_JMP && cls !== BPF_JMP32) || BPF_OP(insn.code) === BPF_EXIT) continue;
    if (BPF_OP(insn.code) === BPF_CALL) {
      if (insn.src !== BPF_PSEUDO_CALL) continue;
      insns[i] = adjDelta(insn, true, pos, endOld, endNew, i);
    } else {
      insns[i] = adjDelta(insn, isJa32(insn), pos, endOld, endNew, i);
    }
  }
}

/**
 * bpf_patch_insn_data: replaces insn `off` by `patch`. The old insn's aux moves to the
 * last patched slot; the new slots before it get fresh aux that only inherits `seen`.
 */
export function patchInsnData(
  s: ProgState,
  off: number,
  patch: readonly Insn[],
  origins?: readonly (FixupOrigin | undefined)[],
): void {
  const cnt = patch.length;
  const tag = () => {
    origins?.forEach((o, k) => {
      if (o) s.aux[off + k] = { ...s.aux[off + k]!, origin: o };
    });
  };
  if (cnt === 1) {
    s.insns[off] = patch[0]!;
    tag();
    return;
  }
  if (cnt === 0) throw new FixupError('empty patch', 22);
  s.insns.splice(off, 1, ...patch);
  adjBranches(s.insns, off, off + 1, off + cnt);
  const old = s.aux[off] ?? { seen: false };
  const fresh: InsnAuxData[] = [];
  for (let i = 0; i < cnt - 1; i++) fresh.push({ seen: old.seen });
  s.aux.splice(off, 0, ...fresh);
  // adjust_subprog_starts
  for (const sp of s.subprogs) if (sp.start > off) sp.start += cnt - 1;
  tag();
}

/** Origins for a patch whose every slot is generated except, optionally, the last. */
export const originsFor = (
  o: FixupOrigin,
  cnt: number,
  lastIsOriginal = false,
): (FixupOrigin | undefined)[] =>
  Array.from({ length: cnt }, (_, k) => (lastIsOriginal && k === cnt - 1 ? undefined : o));

/** verifier_remove_insns: deletes insns [off, off+cnt) and fixes branches, aux and subprogs. */
export function removeInsns(s: ProgState, off: number, cnt: number): void {
  if (cnt <= 0) return;
  s.insns.splice(off, cnt);
  adjBranches(s.insns, off, off + cnt, off);
  s.aux.splice(off, cnt);
  adjustSubprogStartsAfterRemove(s, off, cnt);
}

/** adjust_subprog_starts_after_remove: subprogs wholly inside the range disappear, later ones move back. */
function adjustSubprogStartsAfterRemove(s: ProgState, off: number, cnt: number): void {
  // Work on the kernel's array: the subprogs plus the sentinel (start = old length).
  const info = [...s.subprogs.map((p) => ({ ...p })), { start: s.insns.length + cnt, stackDepth: 0 }];
  let subprogCnt = s.subprogs.length;
  let i = 0;
  for (; i < subprogCnt; i++) if (info[i]!.start >= off) break;
  let j = i;
  for (; j < subprogCnt; j++) if (info[j]!.start >= off + cnt) break;
  if (info[j]!.start !== off + cnt) j--;
  if (j > i) {
    info.splice(i, j - i);
    subprogCnt -= j - i;
  } else if (info[i]!.start === off) i++;
  for (; i <= subprogCnt; i++) info[i]!.start -= cnt;
  s.subprogs.splice(0, s.subprogs.length, ...info.slice(0, subprogCnt));
}

/** adjust_jmp_off: jumps outside [tgt, tgt+delta) that target `tgt` are moved by `delta`. */
export function adjustJmpOff(insns: Insn[], tgtIdx: number, delta: number): void {
  for (let i = 0; i < insns.length; i++) {
    if (tgtIdx <= i && i < tgtIdx + delta) continue;
    const insn = insns[i]!;
    const cls = BPF_CLASS(insn.code);
    const op = BPF_OP(insn.code);
    if ((cls !== BPF_JMP && cls !== BPF_JMP32) || op === BPF_CALL || op === BPF_EXIT) continue;
    if (isJa32(insn)) {
      if (i + 1 + insn.imm !== tgtIdx) continue;
      insns[i] = { ...insn, imm: insn.imm + delta };
    } else {
      if (i + 1 + insn.off !== tgtIdx) continue;
      const off = insn.off + delta;
      if (off > S16_MAX) throw new FixupError('jump offset out of range', 34, 'erange');
      insns[i] = { ...insn, off };
    }
  }
}

/** A deep-enough copy so passes can mutate freely. */
export function cloneState(s: ProgState): ProgState {
  return {
    insns: s.insns.map((i) => ({ ...i })),
    aux: s.aux.map((a) => ({ ...a })),
    subprogs: s.subprogs.map((p) => ({ ...p })),
  };
}
