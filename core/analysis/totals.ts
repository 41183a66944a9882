// Subsystem totals of one call design: what the whole subsystem pays, with each cost
// charged at its real scope. Generated code is patched into every member's program
// (summed over members); the kernel functions it calls exist once per subsystem however
// many members call them (qdisc reset and destroy share one epilogue function); verifier
// support such as add_kfunc_in_insns exists once per kernel for every subsystem.
import type { ArchName } from '../kernel/profiles';
import type { CallDesign, ProfileName } from '../model/schema';
import type { BlockComparison, VariantResult } from './compare';
import { type KernelTextBytes, type KernelTextItem, kernelTextTotal } from './kernel-text';

export interface DesignTotals {
  design: CallDesign;
  /** The profile(s) the members' variants ran under (one, except with mixed member profiles). */
  profile: ProfileName;
  /** 'ok' only when every member's variant is; otherwise the first member's problem. */
  status: VariantResult['status'];
  reason?: string;
  members: string[];
  /** Kernel functions the generated code calls (wrapper names for the wrapper design), each once. */
  functions: string[];
  /** Paid in every member's loaded program: sums over members (null unless every variant ran). */
  perMember: {
    generatedInsns: number | null;
    insnsAdded: number | null;
    jitBytesGenerated: number | null;
    kfuncDescriptors: number | null;
    distillRuns: number | null;
    processedInsns: number | null;
  };
  /** Paid once by the subsystem: per called function, each counted once. */
  perSubsystem: {
    btfRequiredBytes: number | null;
    btfIncidentalBytes: number | null;
    idSetEntries: number | null;
    idListEntries: number | null;
    kernelText: KernelTextBytes;
  };
  /** Paid once per kernel, shared by every subsystem using the design (e.g. add_kfunc_in_insns). */
  perKernel: { kernelText: KernelTextBytes };
  programToModule: string[];
  mapToModule: string | null;
  /** Architectures that cannot (or only sometimes can) reach a target with this design. */
  farCallProblems: { arch: ArchName; callable: string }[];
  /** Architectures with far kfunc calls: the kfunc imm stays a BTF id for the JIT. */
  kfuncImmBtfId: ArchName[];
}

/** BTF byte costs of a set of functions, measured once for the union (core/analysis/compare.ts). */
export interface BtfCosts {
  required(names: readonly string[]): number;
  incidental(names: readonly string[]): number;
}

const sumOk = (vs: readonly VariantResult[], f: (v: VariantResult) => number | null): number | null => {
  let s = 0;
  for (const v of vs) {
    const x = v.status === 'ok' ? f(v) : null;
    if (x === null) return null;
    s += x;
  }
  return s;
};

/** Kernel text items counted once: per-kernel items by what they are, per-target items by symbol. */
function uniqueItems(vs: readonly VariantResult[], scope: KernelTextItem['scope']): KernelTextItem[] {
  const seen = new Map<string, KernelTextItem>();
  for (const v of vs)
    for (const i of v.kernelTextBytes.items)
      if (i.scope === scope) seen.set(i.symbol ?? i.what, seen.get(i.symbol ?? i.what) ?? i);
  return [...seen.values()];
}

export function designTotals(
  members: readonly BlockComparison[],
  design: CallDesign,
  btf: BtfCosts,
): DesignTotals {
  const vs = members.map((m) => m.variants.find((v) => v.design === design)!);
  const bad =
    vs.find((v) => v.status === 'absent') ??
    vs.find((v) => v.status === 'not-declared') ??
    vs.find((v) => v.status === 'not-expressible');
  const declared = !vs.some((v) => v.status === 'not-declared' || v.status === 'absent');
  const functions = [...new Set(vs.flatMap((v) => v.calledFunctions))];
  const farCall = new Map<ArchName, string>();
  const btfId = new Set<ArchName>();
  for (const v of vs)
    for (const [arch, f] of Object.entries(v.farCall) as [ArchName, VariantResult['farCall'][ArchName]][]) {
      if (f.callable === 'never' || (f.callable === 'depends' && farCall.get(arch) !== 'never'))
        farCall.set(arch, f.callable);
      if (f.kfuncImm === 'btf-id') btfId.add(arch);
    }
  const out: DesignTotals = {
    design,
    profile: vs[0]?.profile ?? 'v6.18',
    status: bad?.status ?? 'ok',
    members: members.map((m) => m.member),
    functions,
    perMember: {
      generatedInsns: declared ? vs.reduce((s, v) => s + v.generatedInsns, 0) : null,
      insnsAdded: sumOk(vs, (v) => v.insnsAdded),
      jitBytesGenerated: sumOk(vs, (v) => v.jitBytesGenerated),
      kfuncDescriptors: sumOk(vs, (v) => v.verifier.kfuncDescriptors),
      distillRuns: sumOk(vs, (v) => v.verifier.distillRuns),
      processedInsns: sumOk(vs, (v) => v.verifier.processedInsns),
    },
    perSubsystem: {
      btfRequiredBytes: declared && design === 'kfunc' ? btf.required(functions) : declared ? 0 : null,
      btfIncidentalBytes: declared && design === 'wrapper' ? btf.incidental(functions) : declared ? 0 : null,
      idSetEntries: declared ? (design === 'kfunc' ? functions.length : 0) : null,
      idListEntries: declared ? (design === 'kfunc' ? functions.length : 0) : null,
      kernelText: kernelTextTotal(declared ? uniqueItems(vs, 'target') : []),
    },
    perKernel: { kernelText: kernelTextTotal(declared ? uniqueItems(vs, 'kernel') : []) },
    programToModule: [...new Set(vs.flatMap((v) => v.references.programToModule))],
    mapToModule: vs[0]?.references.mapToModule ?? null,
    farCallProblems: [...farCall].map(([arch, callable]) => ({ arch, callable })),
    kfuncImmBtfId: [...btfId],
  };
  if (bad?.reason) out.reason = bad.reason;
  return out;
}
