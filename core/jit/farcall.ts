// Far-call analysis: which calls of a program or a subsystem model cannot be encoded or reached
// directly on an architecture, and what the kernel does about it (pipeline.md §5.2–5.4).
//  * kfunc: with bpf_jit_supports_far_kfunc_call() the imm stays the BTF id and the JIT resolves
//    the 64-bit address; otherwise add_kfunc_call() stores BPF_CALL_IMM(addr) and rejects the
//    program with "address of kernel function %s is out of range" when it does not fit s32.
//  * helper / BPF_CALL_N wrapper (BPF_EMIT_CALL, do_misc_fixups): imm = fn − __bpf_call_base is
//    stored in the s32 imm without any range check — a target beyond ±2 GiB is silently truncated.
//  * then the JIT must reach the address from the program image (x86 rel32 / riscv auipc+jalr
//    fail beyond ±2 GiB; arm64 falls back to blr; s390/LoongArch/powerpc64 load the full address).

import type { ArchName } from '../kernel/profiles';
import { type ArchCallModel, CALL_MODELS, type Range } from './arch/call-models';

export type CallTargetKind = 'kfunc' | 'helper' | 'wrapper';
export type Owner = 'vmlinux' | 'module';
/** Holds for every placement the layout allows / for none / only for some load addresses. */
export type Fit = 'always' | 'never' | 'depends';

export interface CallTarget {
  name: string;
  owner: Owner;
  kind: CallTargetKind;
  /** Exact address when known; otherwise every address of the owner's region is considered. */
  addr?: bigint;
}

export interface FarCallVerdict {
  name: string;
  owner: Owner;
  kind: CallTargetKind;
  arch: ArchName;
  /** BPF_CALL_IMM(addr) = addr − __bpf_call_base fits the s32 imm. */
  immFits: Fit;
  verifier: {
    /** imm-displacement: BPF_CALL_IMM; btf-id: far kfunc, imm keeps the BTF id; reject; truncated (no check). */
    action: 'imm-displacement' | 'btf-id' | 'reject' | 'truncated';
    message?: string;
  };
  jit: { reach: Fit; insn: string; error?: string };
  /** Whether the call works end to end. */
  callable: Fit;
  summary: string;
}

const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;

/** Fit of every difference b − a with a ∈ A, b ∈ B against [lo, hi]. */
function fitOfDistance(a: Range, b: Range, lo: bigint, hi: bigint): Fit {
  const dMin = b[0] - (a[1] - 1n);
  const dMax = b[1] - 1n - a[0];
  if (dMin >= lo && dMax <= hi) return 'always';
  if (dMax < lo || dMin > hi) return 'never';
  return 'depends';
}

const and = (x: Fit, y: Fit): Fit =>
  x === 'never' || y === 'never' ? 'never' : x === 'always' && y === 'always' ? 'always' : 'depends';

function regionOf(t: CallTarget, m: ArchCallModel): Range {
  if (t.addr !== undefined) return [t.addr, t.addr + 1n];
  return t.owner === 'vmlinux' ? m.kernelText : m.modules;
}

export function farCallVerdict(
  t: CallTarget,
  arch: ArchName,
  model: ArchCallModel = CALL_MODELS[arch],
): FarCallVerdict {
  const where = regionOf(t, model);
  const immFits = fitOfDistance([model.callBase, model.callBase + 1n], where, S32_MIN, S32_MAX);
  const call = model.call;
  let jit: FarCallVerdict['jit'];
  if (call.kind === 'absolute') {
    jit = { reach: 'always', insn: call.insn };
  } else {
    const near = fitOfDistance(model.bpfImages, where, -call.reach, call.reach - 1n);
    if (call.onFar === 'absolute') {
      const insn =
        near === 'always' ? call.insn : near === 'never' ? call.farInsn : `${call.insn} or ${call.farInsn}`;
      jit = { reach: 'always', insn };
    } else {
      jit = { reach: near, insn: call.insn, ...(near === 'always' ? {} : { error: call.error }) };
    }
  }
  let verifier: FarCallVerdict['verifier'];
  let callable: Fit;
  if (t.kind === 'kfunc' && model.farKfuncCall) {
    verifier = { action: 'btf-id' };
    callable = jit.reach;
  } else if (t.kind === 'kfunc') {
    verifier =
      immFits === 'always'
        ? { action: 'imm-displacement' }
        : { action: 'reject', message: `address of kernel function ${t.name} is out of range` };
    callable = and(immFits, jit.reach);
  } else {
    verifier = immFits === 'always' ? { action: 'imm-displacement' } : { action: 'truncated' };
    callable = and(immFits, jit.reach);
  }
  const summary =
    callable === 'always'
      ? `${t.name}: direct (${verifier.action === 'btf-id' ? 'imm = BTF id, ' : ''}${jit.insn})`
      : verifier.action === 'reject'
        ? `${t.name}: ${immFits === 'never' ? 'rejected' : 'may be rejected'} by the verifier (${verifier.message})`
        : verifier.action === 'truncated'
          ? `${t.name}: imm cannot hold ${t.kind === 'wrapper' ? 'the wrapper' : 'the helper'}'s distance from __bpf_call_base${immFits === 'depends' ? ' for some load addresses' : ''}; the kernel does not check and calls a truncated address`
          : `${t.name}: the JIT ${jit.reach === 'never' ? 'cannot' : 'may not'} reach it (${jit.error})`;
  return { name: t.name, owner: t.owner, kind: t.kind, arch, immFits, verifier, jit, callable, summary };
}

/** One verdict per target, in order: the function the model/analysis layer calls. */
export function farCallNeeds(targets: readonly CallTarget[], arch: ArchName): FarCallVerdict[] {
  return targets.map((t) => farCallVerdict(t, arch));
}

/** Targets of a modeled kernel's symbols (core/kernel AddressSpace symbols: area vmlinux/module). */
export function callTargetsOf(
  symbols: readonly { name: string; addr: bigint; area: string }[],
  kindOf: (name: string) => CallTargetKind,
  exactAddresses = false,
): CallTarget[] {
  return symbols
    .filter((s) => s.area === 'vmlinux' || s.area === 'module')
    .map((s) => ({
      name: s.name,
      owner: s.area as Owner,
      kind: kindOf(s.name),
      ...(exactAddresses ? { addr: s.addr } : {}),
    }));
}

/**
 * The calls of one JITed x86-64 program as far-call targets at their exact addresses: `owner`
 * tells where each symbol lives (core/kernel AddressSpace: area of the symbol), `kindOf` which
 * calls are kfuncs. Internal targets (other functions, return/indirect thunks) are left out.
 */
export function programCallTargets(
  calls: readonly { symbol: string | undefined; target: bigint; what: string; insn: number }[],
  ownerOf: (symbol: string) => Owner | undefined,
  kindOf: (call: { what: string; insn: number }) => CallTargetKind = (c) =>
    c.what === 'kfunc' ? 'kfunc' : 'helper',
): CallTarget[] {
  const out: CallTarget[] = [];
  for (const c of calls) {
    if (c.what !== 'helper' && c.what !== 'kfunc') continue;
    const name = c.symbol ?? `0x${BigInt.asUintN(64, c.target).toString(16)}`;
    out.push({ name, owner: (c.symbol && ownerOf(c.symbol)) || 'vmlinux', kind: kindOf(c), addr: c.target });
  }
  return out;
}
