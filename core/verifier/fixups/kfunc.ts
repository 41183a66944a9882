// The kfunc descriptor table (prog->aux->kfunc_tab): add_kfunc_call records each
// (BTF id, BTF fd offset) a program calls with its address and call imm; fixup_kfunc_call
// rewrites the call insn from it. Far-call architectures keep the BTF id in imm.
import type { Insn } from '../../isa/insn';
import { BPF_ALU64, BPF_CALL, BPF_JMP, BPF_MOV, BPF_PSEUDO_KFUNC_CALL, BPF_X } from '../../isa/opcodes';
import type { AddressSpace } from '../../kernel/address-space';
import type { KernelProfile } from '../../kernel/profiles';
import { FixupError } from './patch';

/** MAX_KFUNC_DESCS. */
export const MAX_KFUNC_DESCS = 256;

export interface KfuncDesc {
  funcId: number; // BTF id
  offset: number; // insn->off: 0 = vmlinux, else fd_array index of a module BTF
  name: string;
  addr: bigint;
  imm: number;
}

/** Resolves a kfunc call's (BTF id, off) to its function name; undefined when BTF has no such FUNC. */
export type KfuncResolver = (btfId: number, off: number) => string | undefined;

export class KfuncDescTab {
  readonly descs: KfuncDesc[] = [];

  constructor(
    private readonly as: AddressSpace,
    private readonly profile: KernelProfile,
    private readonly resolve: KfuncResolver,
  ) {}

  find(funcId: number, offset: number): KfuncDesc | undefined {
    return this.descs.find((d) => d.funcId === funcId && d.offset === offset);
  }

  /** add_kfunc_call: records the callee once; throws FixupError with the kernel's message. */
  add(funcId: number, offset: number): KfuncDesc | undefined {
    // An unresolved weak kfunc (imm 0, off 0) is tolerated until fixup.
    if (funcId === 0 && offset === 0) return undefined;
    if (offset < 0) throw new FixupError(`negative offset disallowed for kernel module function call`, 22);
    const have = this.find(funcId, offset);
    if (have) return have;
    if (this.descs.length >= MAX_KFUNC_DESCS)
      throw new FixupError('too many different kernel function calls', 7);
    const name = this.resolve(funcId, offset);
    if (!name) throw new FixupError(`kernel btf_id ${funcId} is not a function`, 22);
    const sym = this.as.lookup(name);
    if (!sym) throw new FixupError(`cannot find address for kernel function ${name}`, 22);
    let imm: number;
    if (this.profile.arch.supportsFarKfuncCall) imm = funcId;
    else {
      if (!this.as.reachableByCallImm(name))
        throw new FixupError(`address of kernel function ${name} is out of range`, 22);
      imm = this.as.callImm(name);
    }
    const d: KfuncDesc = { funcId, offset, name, addr: sym.addr, imm };
    this.descs.push(d);
    this.descs.sort((a, b) => a.funcId - b.funcId || a.offset - b.offset);
    return d;
  }

  /** sort_kfunc_descs_by_imm_off, run at the end of do_misc_fixups. */
  sortByImmOff(): void {
    this.descs.sort((a, b) => a.imm - b.imm || a.offset - b.offset);
  }
}

export const isKfuncCall = (i: Insn): boolean =>
  i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_KFUNC_CALL;

/** add_kfunc_in_insns: registers every kfunc call among `insns` (v6.15 → Jan 2026 pro/epilogue). */
export function addKfuncInInsns(tab: KfuncDescTab, insns: readonly Insn[]): void {
  for (const i of insns) if (isKfuncCall(i)) tab.add(i.imm, i.off);
}

/**
 * fixup_kfunc_call for a plain kfunc (the inlined special kfuncs — obj_new, obj_drop,
 * cast_to_kern_ctx … — are not modeled): returns the rewritten call.
 */
export function fixupKfuncCall(tab: KfuncDescTab, insn: Insn, profile: KernelProfile): Insn {
  if (!insn.imm) throw new FixupError('invalid kernel function call not eliminated in verifier pass', 22);
  const desc = tab.find(insn.imm, insn.off);
  if (!desc)
    throw new FixupError(
      `verifier internal error: kernel function descriptor not found for func_id ${insn.imm}`,
      14,
      'kfunc-desc-missing',
    );
  // Both casts only retype R1 for the verifier: the call becomes r0 = r1.
  if (desc.name === 'bpf_cast_to_kern_ctx' || desc.name === 'bpf_rdonly_cast')
    return { code: BPF_ALU64 | BPF_MOV | BPF_X, dst: 0, src: 1, off: 0, imm: 0 };
  if (profile.arch.supportsFarKfuncCall) return insn;
  return { ...insn, imm: desc.imm };
}
