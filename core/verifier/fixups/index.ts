// The post-do_check rewrites of bpf_check(), in the kernel's order: dead-code passes,
// convert_ctx_accesses (pro/epilogue + ctx rewrites), do_misc_fixups. Pure functions over
// explicit data; the input is never mutated.

import type { BtfRegistry } from '../../btf/registry';
import type { Insn } from '../../isa/insn';
import { type AddressSpace, x86_64AddressSpace } from '../../kernel/address-space';
import { type KernelProfile, REFERENCE_PROFILE } from '../../kernel/profiles';
import type { BpfVerifierOps, InsnAuxData } from '../ops';
import { kernelLayout } from '../progtypes/layout';
import { optimizeBpfLoop } from './bpf-loop';
import type { FixupContext, MapDesc, PokeDesc } from './context';
import { convertCtxAccesses } from './convert-ctx';
import { optHardWireDeadCodeBranches, optRemoveDeadCode, optRemoveNops, sanitizeDeadCode } from './dead-code';
import { isKfuncCall, type KfuncDesc, KfuncDescTab, type KfuncResolver } from './kfunc';
import { doMiscFixups, optSubregZextLo32RndHi32 } from './misc';
import { cloneState, type ProgState, type SubprogInfo } from './patch';

export interface FixupInput {
  insns: readonly Insn[];
  /** One entry per insn slot, from do_check. */
  aux: readonly InsnAuxData[];
  /** subprog_info without the sentinel; subprogs[0] is the main program. */
  subprogs: readonly SubprogInfo[];
  ops: BpfVerifierOps;
  progType: string;
  seenDirectWrite: boolean;
  maps: readonly MapDesc[];
  btf: BtfRegistry;
  profile?: KernelProfile;
  addressSpace?: AddressSpace;
  /** The descriptor table add_subprog_and_kfunc filled; built from `insns` when absent. */
  kfuncTab?: KfuncDescTab;
  /** How to name a kfunc call's callee when the table is built here (default: vmlinux BTF FUNC names). */
  kfuncResolver?: KfuncResolver;
  /** Privileged load (CAP_BPF): dead code is removed instead of sanitized. Default true. */
  bpfCapable?: boolean;
}

export interface FixupOutput {
  insns: Insn[];
  aux: InsnAuxData[];
  subprogs: SubprogInfo[];
  /** Main program's stack depth after the ctx save (prog->aux->stack_depth). */
  stackDepth: number;
  kfuncDescs: KfuncDesc[];
  pokeDescs: PokeDesc[];
  /** Insns inserted before the original first insn (ctx save + prologue). */
  prologueLen: number;
}

/**
 * kfunc (BTF id, off) → name through the registry: off 0 is vmlinux; off > 0 names the
 * module BTF object in `fdArrayObjIds[off]` (the program's fd_array, as BTF object ids).
 */
export function btfKfuncResolver(btf: BtfRegistry, fdArrayObjIds: readonly number[] = []): KfuncResolver {
  return (id, off) => {
    let b = btf.vmlinux.btf;
    if (off !== 0) {
      const obj = off > 0 ? btf.object(fdArrayObjIds[off] ?? -1) : undefined;
      if (!obj || obj.isKernel) return undefined;
      b = obj.btf;
    }
    if (!b.hasType(id) || b.kindNameOf(id) !== 'FUNC') return undefined;
    return b.nameOf(id);
  };
}

/** Runs the dead-code passes, convert_ctx_accesses and do_misc_fixups. Throws FixupError. */
export function runFixups(input: FixupInput): FixupOutput {
  const profile = input.profile ?? REFERENCE_PROFILE;
  const as = input.addressSpace ?? x86_64AddressSpace();
  const s: ProgState = cloneState({
    insns: [...input.insns],
    aux: input.aux.map((a) => a ?? { seen: false }),
    subprogs: [...input.subprogs],
  });
  while (s.aux.length < s.insns.length) s.aux.push({ seen: false });
  if (!s.subprogs.length) s.subprogs.push({ start: 0, stackDepth: 0 });
  let tab = input.kfuncTab;
  if (!tab) {
    tab = new KfuncDescTab(as, profile, input.kfuncResolver ?? btfKfuncResolver(input.btf));
    for (const i of s.insns) if (isKfuncCall(i)) tab.add(i.imm, i.off);
  }
  const ctx: FixupContext = {
    ops: input.ops,
    progType: input.progType,
    profile,
    as,
    maps: input.maps,
    kfuncTab: tab,
    seenDirectWrite: input.seenDirectWrite,
    layout: kernelLayout(input.btf),
    bpfCapable: input.bpfCapable ?? true,
    pokeDescs: [],
  };
  optimizeBpfLoop(s);
  if (ctx.bpfCapable) {
    optHardWireDeadCodeBranches(s);
    optRemoveDeadCode(s);
    optRemoveNops(s);
  } else sanitizeDeadCode(s);
  const conv = convertCtxAccesses(s, ctx);
  doMiscFixups(s, ctx);
  optSubregZextLo32RndHi32(s);
  return {
    insns: s.insns,
    aux: s.aux,
    subprogs: s.subprogs,
    stackDepth: s.subprogs[0]!.stackDepth,
    kfuncDescs: [...tab.descs],
    pokeDescs: ctx.pokeDescs,
    prologueLen: conv.prologueDelta,
  };
}

export type { FixupContext, MapDesc, PokeDesc } from './context';
export { BPF_PROBE_MEM, BPF_PROBE_MEMSX, convertCtxAccesses, INSN_BUF_SIZE } from './convert-ctx';
export { optHardWireDeadCodeBranches, optRemoveDeadCode, optRemoveNops, sanitizeDeadCode } from './dead-code';
export { bpfInsnPrepareDump, xlatedForListing } from './dump';
export { addKfuncInInsns, fixupKfuncCall, type KfuncDesc, KfuncDescTab, type KfuncResolver } from './kfunc';
export { BPF_ADDR_PERCPU, BPF_TAIL_CALL, doMiscFixups, optSubregZextLo32RndHi32 } from './misc';
export {
  adjustJmpOff,
  FixupError,
  type ProgState,
  patchInsnData,
  removeInsns,
  type SubprogInfo,
} from './patch';
