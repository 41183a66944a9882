// convert_ctx_accesses (kernel/bpf/verifier.c): splice in the program type's epilogue
// and prologue (pipeline.md §4), then rewrite every ctx load/store through the ops'
// convert_ctx_access and turn loads through BTF pointers into BPF_PROBE_MEM loads.
import { BPF_JMP32_A, BPF_STX_MEM } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import {
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_EXIT,
  BPF_JMP,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_REG_1,
  BPF_REG_10,
  BPF_SIZE,
  BPF_ST,
  BPF_STX,
} from '../../isa/opcodes';
import type { BpfAccessType } from '../ops';
import { CtxConvertError, convertWithNarrowing } from '../progtypes/narrow';
import { sockConvertCtxAccess } from '../progtypes/sock';
import type { FixupContext } from './context';
import { addKfuncInInsns } from './kfunc';
import { adjustJmpOff, FixupError, originsFor, type ProgState, patchInsnData, subprogStart } from './patch';

/** INSN_BUF_SIZE. */
export const INSN_BUF_SIZE = 16;
/**
 * The PTR_TO_BTF_ID flag sets whose loads become BPF_PROBE_MEM: none (the legacy pointer of
 * a walk), untrusted, and untrusted allocated objects.
 */
function probeMemFlags(flags: readonly string[] = []): boolean {
  const other = flags.filter((f) => f !== 'untrusted');
  return other.length === 0 || (other.length === 1 && other[0] === 'alloc' && flags.includes('untrusted'));
}

/** BPF_PROBE_MEM / BPF_PROBE_MEMSX load modes (kernel-internal). */
export const BPF_PROBE_MEM = 0x20;
export const BPF_PROBE_MEMSX = 0x40;

const isHelperCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL) && i.src === 0;

/** mark_helper_calls_finalized (bpf-next 2026): generated helper calls keep their imm. */
function markHelperCallsFinalized(s: ProgState, off: number, cnt: number): void {
  for (let i = off; i < off + cnt; i++) if (isHelperCall(s.insns[i]!)) s.aux[i]!.finalizedCall = true;
}

function accessType(insn: Insn): BpfAccessType | undefined {
  const cls = BPF_CLASS(insn.code);
  const mode = BPF_MODE(insn.code);
  if (cls === BPF_LDX && (mode === BPF_MEM || (mode === BPF_MEMSX && BPF_SIZE(insn.code) !== BPF_DW)))
    return 'read';
  if ((cls === BPF_STX || cls === BPF_ST) && mode === BPF_MEM) return 'write';
  return undefined;
}

export interface ConvertCtxResult {
  /** Insns added in front of the original first insn (ctx save + prologue). */
  prologueDelta: number;
  epilogueIdx: number;
}

export function convertCtxAccesses(s: ProgState, ctx: FixupContext): ConvertCtxResult {
  const { ops, profile } = ctx;
  const insnCnt = s.insns.length;
  let delta = 0;
  let epilogue: Insn[] = [];
  if (ops.genEpilogue && s.subprogs.length) {
    epilogue = ops.genEpilogue(-(s.subprogs[0]!.stackDepth + 8));
    if (epilogue.length >= INSN_BUF_SIZE) throw new FixupError('verifier bug: epilogue is too long', 14);
    if (epilogue.length) {
      // Save the ctx pointer for the epilogue to reload.
      s.subprogs[0]!.stackDepth += 8;
      patchInsnData(
        s,
        0,
        [BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -s.subprogs[0]!.stackDepth), s.insns[0]!],
        ['ctx-save'],
      );
      delta += 1;
      if (profile.kfuncsInProEpilogue) addKfuncInInsns(ctx.kfuncTab, epilogue.slice(0, -1));
    }
  }
  if (ops.genPrologue || ctx.seenDirectWrite) {
    if (!ops.genPrologue) throw new FixupError('verifier bug: gen_prologue is null', 14);
    const pro = ops.genPrologue(ctx.seenDirectWrite, s.insns[0]!);
    if (pro.length >= INSN_BUF_SIZE) throw new FixupError('verifier bug: prologue is too long', 14);
    if (pro.length) {
      patchInsnData(s, 0, pro, originsFor('prologue', pro.length, true));
      delta += pro.length - 1;
      if (profile.kfuncsInProEpilogue) addKfuncInInsns(ctx.kfuncTab, pro.slice(0, -1));
      if (profile.finalizedCalls) markHelperCallsFinalized(s, 0, pro.length - 1);
    }
  }
  if (delta) adjustJmpOff(s.insns, 0, delta);
  const prologueDelta = delta;

  let epilogueIdx = 0;
  for (let i = 0; i < insnCnt; i++) {
    const idx = i + delta;
    const insn = s.insns[idx]!;
    const type = accessType(insn);
    let patch: Insn[];
    if (!type) {
      if (insn.code !== (BPF_JMP | BPF_EXIT) || !epilogue.length || idx >= subprogStart(s, 1)) continue;
      if (epilogueIdx) patch = [BPF_JMP32_A(epilogueIdx - idx - 1)];
      else {
        // epilogue_idx is never 0: the ctx save precedes it.
        patch = epilogue.map((x) => ({ ...x }));
        epilogueIdx = idx;
      }
      patchInsnData(s, idx, patch, originsFor(patch.length > 1 ? 'epilogue' : 'epilogue-jump', patch.length));
      if (profile.finalizedCalls && patch.length > 1) markHelperCallsFinalized(s, idx, patch.length);
      delta += patch.length - 1;
      continue;
    }
    const aux = s.aux[idx]!;
    switch (aux.ptrType) {
      case 'PTR_TO_CTX': {
        if (!ops.convertCtxAccess) continue;
        try {
          patch = ops.convertCtxAccess(type, insn, aux.ctxFieldSize ?? 0);
        } catch (e) {
          if (e instanceof CtxConvertError) throw new FixupError(e.message, 22, 'ctx-convert');
          throw e;
        }
        break;
      }
      case 'PTR_TO_SOCK_COMMON': {
        try {
          patch = convertWithNarrowing(type, insn, aux.ctxFieldSize ?? 0, (_t, si) =>
            sockConvertCtxAccess(ctx.layout, si),
          );
        } catch (e) {
          if (e instanceof CtxConvertError) throw new FixupError(e.message, 22, 'ctx-convert');
          throw e;
        }
        break;
      }
      case 'PTR_TO_BTF_ID':
        if (type === 'read') {
          // Trusted and RCU pointers point at live objects: a plain load, no exception entry.
          if (!probeMemFlags(aux.ptrFlags)) continue;
          const mode = BPF_MODE(insn.code) === BPF_MEM ? BPF_PROBE_MEM : BPF_PROBE_MEMSX;
          s.insns[idx] = { ...insn, code: BPF_LDX | mode | BPF_SIZE(insn.code) };
        } else if (ctx.progType !== 'struct_ops')
          throw new FixupError('Writes through BTF pointers are not allowed', 22);
        continue;
      default:
        continue;
    }
    if (!patch.length || patch.length >= INSN_BUF_SIZE)
      throw new FixupError('bpf verifier is misconfigured', 22);
    patchInsnData(s, idx, patch, originsFor('ctx-access', patch.length));
    delta += patch.length - 1;
  }
  return { prologueDelta, epilogueIdx };
}
