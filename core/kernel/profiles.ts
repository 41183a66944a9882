// Kernel profiles: which verifier behaviour for generated pro/epilogue code is in effect
// (pipeline.md §4, §4.1, §7.1; thread.md), plus per-architecture JIT facts.

import { REFERENCE_X86_CONFIG, type X86Config } from './x86-config';

export type KernelProfileName = 'v6.12' | 'v6.18' | 'bpf-next-2026';
export type ArchName = 'x86_64' | 'arm64' | 'riscv64' | 's390' | 'loongarch64' | 'powerpc64';

export interface ArchInfo {
  name: ArchName;
  /** bpf_jit_supports_far_kfunc_call(): kfunc call imm stays the BTF id, the JIT resolves the address. */
  supportsFarKfuncCall: boolean;
  /** bpf_jit_supports_percpu_insn(): lets the verifier inline bpf_get_smp_processor_id (x86-64 only path). */
  inlinesSmpProcessorId: boolean;
  /** bpf_jit_supports_subprog_tailcalls(). */
  supportsSubprogTailcalls: boolean;
}

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = {
  x86_64: {
    name: 'x86_64',
    supportsFarKfuncCall: false,
    inlinesSmpProcessorId: true,
    supportsSubprogTailcalls: true,
  },
  arm64: {
    name: 'arm64',
    supportsFarKfuncCall: false,
    inlinesSmpProcessorId: false,
    supportsSubprogTailcalls: true,
  },
  riscv64: {
    name: 'riscv64',
    supportsFarKfuncCall: false,
    inlinesSmpProcessorId: false,
    supportsSubprogTailcalls: true,
  },
  s390: {
    name: 's390',
    supportsFarKfuncCall: true,
    inlinesSmpProcessorId: false,
    supportsSubprogTailcalls: true,
  },
  loongarch64: {
    name: 'loongarch64',
    supportsFarKfuncCall: true,
    inlinesSmpProcessorId: false,
    supportsSubprogTailcalls: true,
  },
  powerpc64: {
    name: 'powerpc64',
    supportsFarKfuncCall: true,
    inlinesSmpProcessorId: false,
    supportsSubprogTailcalls: true,
  },
};

export interface KernelProfile {
  name: KernelProfileName;
  release: string;
  arch: ArchInfo;
  /** bpf_verifier_ops.gen_epilogue exists (v6.12+). */
  genEpilogue: boolean;
  /** add_kfunc_in_insns: kfunc calls in generated pro/epilogue get descriptors (v6.15 → Jan 2026). */
  kfuncsInProEpilogue: boolean;
  /** insn_aux_data.finalized_call: BPF_EMIT_CALL in pro/epilogue is left alone by do_misc_fixups (bpf-next 2026). */
  finalizedCalls: boolean;
  /** KF_TRUSTED_ARGS is the default for every kfunc (bpf-next 2026). */
  trustedArgsDefault: boolean;
  /** How the tc unclone prologue calls bpf_skb_pull_data: a helper id resolved later, or BPF_EMIT_CALL. */
  uncloneCall: 'helper-id' | 'emit-call';
  /** Build options and CPU mitigations the x86-64 JIT's code depends on. */
  x86: X86Config;
}

const BASE: Record<KernelProfileName, Omit<KernelProfile, 'arch' | 'x86'>> = {
  'v6.12': {
    name: 'v6.12',
    release: '6.12',
    genEpilogue: true,
    kfuncsInProEpilogue: false,
    finalizedCalls: false,
    trustedArgsDefault: false,
    uncloneCall: 'helper-id',
  },
  'v6.18': {
    name: 'v6.18',
    release: '6.18.44-fc-v669',
    genEpilogue: true,
    kfuncsInProEpilogue: true,
    finalizedCalls: false,
    trustedArgsDefault: false,
    uncloneCall: 'helper-id',
  },
  'bpf-next-2026': {
    name: 'bpf-next-2026',
    release: 'bpf-next (Jan 2026)',
    genEpilogue: true,
    kfuncsInProEpilogue: false,
    finalizedCalls: true,
    trustedArgsDefault: true,
    uncloneCall: 'emit-call',
  },
};

export const KERNEL_PROFILE_NAMES: readonly KernelProfileName[] = ['v6.12', 'v6.18', 'bpf-next-2026'];

export const isKernelProfileName = (s: string): s is KernelProfileName =>
  (KERNEL_PROFILE_NAMES as readonly string[]).includes(s);

/** The profile `name` on `arch` (default x86-64, the reference kernel's), x86 axes from the corpus kernel. */
export function kernelProfile(
  name: KernelProfileName = 'v6.18',
  arch: ArchName = 'x86_64',
  x86: X86Config = REFERENCE_X86_CONFIG,
): KernelProfile {
  const a = ARCHES[arch];
  if (!a) throw new Error(`unknown architecture ${arch}`);
  return { ...BASE[name], arch: a, x86: { ...x86 } };
}

/** The reference kernel of the corpus. */
export const REFERENCE_PROFILE: KernelProfile = kernelProfile('v6.18', 'x86_64');
