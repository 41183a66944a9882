// Design comparison for generated pro/epilogue calls (thread.md §5): for every member
// with a prologue or epilogue, run the modeled pipeline once per call design — kfunc
// (BPF_PSEUDO_KFUNC_CALL), BPF_CALL_N wrapper (BPF_EMIT_CALL), helper id — under a kernel
// profile, and measure what each costs. Everything here is measured by running the
// pipeline pieces (assembler, BTF writer, verifier fixups, x86-64 JIT, far-call analysis);
// a design the profile cannot express is reported with the error the pipeline raised.
import type { Btf } from '../btf/btf';
import { btfDistillFuncProto } from '../btf/func-model';
import type { Insn } from '../isa/insn';
import { BPF_CALL, BPF_JMP, BPF_PSEUDO_KFUNC_CALL } from '../isa/opcodes';
import { type CallTarget, type FarCallVerdict, farCallNeeds } from '../jit/farcall';
import { ARCHES, type ArchName, kernelProfile, REFERENCE_PROFILE } from '../kernel/profiles';
import { ModelBtfEmitter } from '../model/btf-emit';
import { assembleProgram } from '../model/build';
import type { CType } from '../model/cdecl';
import { resolveType } from '../model/cdecl';
import type { CheckResult } from '../model/check';
import { modelRegistry, type PipelineRun, runModelPipeline } from '../model/pipeline';
import { type FuncType, type ResolvedMember, wrapperFor } from '../model/resolve';
import { CALL_DESIGNS, type CallDesign, PROFILE_NAMES, type ProfileName } from '../model/schema';
import type { ProgBtf } from '../verifier/btf-func';
import {
  finalizedCallItem,
  type KernelTextBytes,
  type KernelTextItem,
  kernelTextTotal,
  kfuncRouteItems,
  wrapperItem,
} from './kernel-text';
import { type ProfileAbsence, subsystemAbsence } from './profile-availability';
import { comparisonTakeaway } from './takeaway';
import { type DesignTotals, designTotals } from './totals';

/** MAX_BPF_FUNC_ARGS (btf_distill_func_proto) and MAX_BPF_FUNC_REG_ARGS (BPF calling convention). */
const MAX_BPF_FUNC_ARGS = 12;
const MAX_BPF_FUNC_REG_ARGS = 5;

export interface DistillCheck {
  name: string;
  /** btf_distill_func_proto accepts the prototype (kfunc design: a func model is built). */
  distillOk: boolean;
  distillReason?: string;
  /** Fits the helper ABI a BPF_CALL_N wrapper needs (≤5 args, each castable to u64). */
  helperAbiOk: boolean;
  helperAbiReason?: string;
  retSize: number;
  argSizes: number[];
}

export interface VariantResult {
  design: CallDesign;
  /** Kernel profile this variant ran under. */
  profile: ProfileName;
  /**
   * 'ok' — pipeline ran; 'not-declared' — the model lacks the kfunc/wrapper/helper;
   * 'not-expressible' — the profile rejects it; 'absent' — the profile's kernel predates the subsystem.
   */
  status: 'ok' | 'not-declared' | 'not-expressible' | 'absent';
  reason?: string;
  /** Kernel functions the generated code calls under this design (wrapper symbols for 'wrapper'). */
  calledFunctions: string[];
  calls: { name: string; target: string; owner: string; insn: string }[];
  /** Insns the hooks return (prologue without the copy of insn 0). */
  generatedInsns: number;
  /** Xlated length minus the program's own length (generated code + ctx save + copies). */
  insnsAdded: number | null;
  xlatedInsns: number | null;
  /** x86-64 JIT: whole image, and the bytes of the generated insns only. */
  jitBytes: number | null;
  jitBytesGenerated: number | null;
  /** The x86-64 machine code of the generated insns, hex, one entry per BPF insn (call rel32 differ only in target). */
  jitGeneratedInsnBytes: number[] | null;
  /** Indices in the xlated program of the generated insns (what a listing highlights). */
  generatedIdx: number[];
  btf: {
    /** Bytes (types + strings) BTF must carry for this design to work (FUNC + FUNC_PROTO + new types). */
    requiredBytes: number;
    /** Bytes pahole emits anyway for the call targets (a BPF_CALL_N wrapper appears as FUNC of 5 u64). */
    incidentalBytes: number;
    /** BTF_ID_FLAGS entries in a kfunc set (8 bytes each in .BTF_ids). */
    idSetEntries: number;
    /** BTF_ID_LIST slots the generator reads the ids from (4 bytes each). */
    idListEntries: number;
  };
  /** Kernel code the design needs beyond the called function's body. */
  kernelText: string[];
  /** The same in bytes, from /proc/kallsyms extents of the reference x86-64 6.18 kernel (or estimates). */
  kernelTextBytes: KernelTextBytes;
  verifier: {
    /** add_kfunc_call descriptors in prog->aux->kfunc_tab after fixups (whole program). */
    kfuncDescriptors: number | null;
    /** Of those, created for the generated code. */
    kfuncDescriptorsForGenerated: number;
    /** btf_distill_func_proto runs (one per descriptor). */
    distillRuns: number | null;
    /** do_check's processed insns (bpfCheck) for the program under this design. */
    processedInsns: number | null;
  };
  references: {
    /** Modules the program pins through kfunc_btf_tab (btf_try_get_module). */
    programToModule: string[];
    /** Module the struct_ops map pins (bpf_struct_ops owner), design-independent. */
    mapToModule: string | null;
  };
  /** Far-call analysis per architecture for the generated calls. */
  farCall: Record<
    ArchName,
    { callable: string; summary: string[]; kfuncImm?: 'btf-id' | 'imm-displacement' }
  >;
  distill: DistillCheck[];
  /** The same design run under every kernel profile: 'ok' or the error that profile raises. */
  byProfile: Record<ProfileName, string>;
}

export interface BlockComparison {
  member: string;
  blocks: ('prologue' | 'epilogue')[];
  /** The design the model says the kernel at this profile uses. */
  kernelDesign: CallDesign | null;
  program: string;
  programInsns: number;
  variants: VariantResult[];
}

export interface ModelComparison {
  subsystem: string;
  title: string;
  /** 'auto': each design under the profile whose kernel uses it (call_design), else the model's. */
  profile: ProfileName | 'auto';
  /** The profile each design ran under. */
  designProfiles: Record<CallDesign, ProfileName>;
  /** First mainline release with the subsystem (the model's `kernel:`). */
  firstRelease: string;
  /** Set when the (fixed) profile's kernel predates the subsystem: no numbers are measured. */
  absent?: ProfileAbsence;
  /** The reference kernel every byte count is measured against (BTF, kallsyms extents). */
  reference: { release: string; arch: ArchName; btfSha256: string | null };
  module: string | null;
  members: BlockComparison[];
  /** Whole-subsystem costs per design, each kernel function counted once. */
  totals: DesignTotals[];
  /** The answer in sentences, computed from the numbers (core/analysis/takeaway.ts). */
  takeaway: string[];
  /** Facts without bytes the takeaway states: who owns the called functions and how they are declared. */
  facts: {
    sources: string[];
    kfuncSets: { name: string; filter?: string; functions: string[]; module?: string }[];
    wrappers: { name: string; wraps: string; module?: string }[];
  };
}

export interface CompareOptions {
  /** One profile for every design, or 'auto' (each design where the kernel uses it). */
  profile?: ProfileName | 'auto';
  member?: string;
  arches?: ArchName[];
  /** sha256 of the reference BTF blob (computed by the caller: core has no hash). */
  referenceBtfSha256?: string;
}

const ALL_ARCHES = Object.keys(ARCHES) as ArchName[];

/** Byte size of a C type as a call argument (btf_distill_func_proto's view). */
function sizeOfArg(t: CType): { size: number; ok: boolean; why?: string } {
  const r = resolveType(t);
  switch (r.kind) {
    case 'void':
      return { size: 0, ok: true };
    case 'int':
      return { size: r.size, ok: true };
    case 'enum':
      return { size: 4, ok: true };
    case 'ptr':
      return { size: 8, ok: true };
    case 'struct':
    case 'union':
      return { size: 0, ok: false, why: `${r.kind} ${r.name} by value` };
    default:
      return { size: 0, ok: false, why: `${r.kind} type` };
  }
}

/** The constraints btf_distill_func_proto and the BPF_CALL_N helper ABI put on a prototype. */
export function distillCheck(name: string, fn: FuncType): DistillCheck {
  const out: DistillCheck = { name, distillOk: true, helperAbiOk: true, retSize: 0, argSizes: [] };
  const bad = (why: string) => {
    if (out.distillOk) {
      out.distillOk = false;
      out.distillReason = why;
    }
  };
  const badAbi = (why: string) => {
    if (out.helperAbiOk) {
      out.helperAbiOk = false;
      out.helperAbiReason = why;
    }
  };
  if (fn.variadic) bad('variadic function');
  if (fn.params.length > MAX_BPF_FUNC_ARGS) bad(`${fn.params.length} args > MAX_BPF_FUNC_ARGS`);
  if (fn.params.length > MAX_BPF_FUNC_REG_ARGS) badAbi(`${fn.params.length} args > 5 registers`);
  const ret = sizeOfArg(fn.ret);
  out.retSize = ret.size;
  if (!ret.ok) {
    bad(`return type ${ret.why}`);
    badAbi(`return type ${ret.why}`);
  }
  for (const p of fn.params) {
    const a = sizeOfArg(p.type);
    out.argSizes.push(a.size);
    if (!a.ok) {
      // Structs by value up to 16 bytes are allowed by distill (BTF_FMODEL_STRUCT_ARG); the model
      // does not lay out by-value structs here, so they are reported as a constraint to check.
      bad(`argument ${p.name ?? '?'}: ${a.why}`);
      badAbi(`argument ${p.name ?? '?'}: ${a.why} (not castable to u64)`);
    }
  }
  return out;
}

/**
 * Replaces the C-level distill verdict with btf_distill_func_proto run on the kfunc's BTF
 * (core/btf/func-model.ts): the func model the JIT would get, or the kernel's log line.
 */
function kernelDistill(
  check: CheckResult,
  registry: ReturnType<typeof modelRegistry>,
  name: string,
  c: DistillCheck,
): DistillCheck {
  const id = check.build!.kfuncIds.get(name);
  if (id === undefined) return c;
  const obj = registry.objects().find((o) => id >= o.btf.startId && id < o.btf.typeCount);
  if (!obj) return c;
  const f = obj.btf.type(id);
  if (f.kind !== 'FUNC') return c;
  const r = btfDistillFuncProto(obj.btf, f.type, name);
  const out: DistillCheck = { ...c };
  delete out.distillReason;
  if (r.ok) {
    out.distillOk = true;
    out.retSize = r.model.retSize;
    out.argSizes = r.model.argSize.slice(0, r.model.nrArgs);
  } else {
    out.distillOk = false;
    out.distillReason = r.log.trim();
  }
  return out;
}

/** A program for the member: the model's sample program, or `r0 = 0; exit`. */
function programFor(check: CheckResult, member: string): { name: string; insns: Insn[]; progBtf?: ProgBtf } {
  const model = check.resolved!;
  const idx = model.programs.findIndex((p) => p.member.name === member);
  if (idx >= 0) {
    const progBtf = model.programs[idx]!.object?.progBtf;
    return {
      name: model.programs[idx]!.spec.name,
      insns: assembleProgram(model, { build: check.build!, as: check.as! }, idx),
      ...(progBtf ? { progBtf } : {}),
    };
  }
  return {
    name: '(r0 = 0; exit)',
    insns: [
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ],
  };
}

const callNamesOf = (m: ResolvedMember): string[] => [
  ...new Set([...(m.prologue?.calls ?? []), ...(m.epilogue?.calls ?? [])].map((c) => c.name)),
];

/** Whether the model declares what `design` needs for every call of the member's blocks. */
function declared(m: ResolvedMember, design: CallDesign): string | undefined {
  for (const c of [...(m.prologue?.calls ?? []), ...(m.epilogue?.calls ?? [])]) {
    if (!c.designs.includes(design)) {
      return design === 'kfunc'
        ? `${c.name} is not in a kfunc set of the model`
        : design === 'wrapper'
          ? `${c.name} has no BPF_CALL_N wrapper in the model`
          : `${c.name} is not a helper (no enum bpf_func_id value)`;
    }
  }
  return undefined;
}

// Each BtfBuilder on a base indexes the base's strings; members sharing call targets
// (qdisc reset/destroy) reuse one measurement.
const costCache = new WeakMap<CheckResult, Map<string, number>>();
function cached(check: CheckResult, key: string, f: () => number): number {
  let m = costCache.get(check);
  if (!m) {
    m = new Map();
    costCache.set(check, m);
  }
  let v = m.get(key);
  if (v === undefined) {
    v = f();
    m.set(key, v);
  }
  return v;
}

/** Bytes the model's BTF needs to add FUNC + FUNC_PROTO for `names` (on top of everything else). */
function btfCost(check: CheckResult, base: Btf, names: readonly string[]): number {
  return cached(check, `kfunc:${names.join(',')}`, () => btfCostUncached(check, base, names));
}

function btfCostUncached(check: CheckResult, base: Btf, names: readonly string[]): number {
  const model = check.resolved!;
  const e = new ModelBtfEmitter(base, model.decls, model.configMembers);
  const so = model.model.struct_ops.name;
  if (model.structFrom === 'decl') e.typeId({ kind: 'struct', name: so });
  const gen = new Set(names);
  for (const k of model.kfuncs.values()) {
    if (!gen.has(k.name) && !check.build!.inBaseBtf.has(k.name)) e.addFunc(k.name, k.type);
  }
  const before = e.bytes();
  for (const n of names) {
    if (check.build!.inBaseBtf.has(n)) continue;
    const k = model.kfuncs.get(n);
    if (k) e.addFunc(n, k.type);
  }
  return e.bytes() - before;
}

/** What pahole emits for BPF_CALL_N(name, …): FUNC with a FUNC_PROTO of five u64 (named args, then __ur_k). */
function wrapperBtfBytes(check: CheckResult, base: Btf, names: readonly string[]): number {
  return cached(check, `wrapper:${names.join(',')}`, () => wrapperBtfBytesUncached(check, base, names));
}

function wrapperBtfBytesUncached(check: CheckResult, base: Btf, names: readonly string[]): number {
  const model = check.resolved!;
  const e = new ModelBtfEmitter(base, model.decls, model.configMembers);
  const u64: CType = { kind: 'int', name: 'long long unsigned int', size: 8, signed: false };
  for (const n of names) {
    const w = wrapperFor(model, n);
    if (!w) continue;
    const argNames = w.target?.type.params.map((p) => p.name ?? '') ?? [];
    const params = Array.from({ length: 5 }, (_, k) => ({
      name: k < w.args ? (argNames[k] ?? `arg${k + 1}`) : `__ur_${k - w.args + 1}`,
      type: u64,
    }));
    e.addFunc(w.name, { kind: 'func', ret: u64, params, variadic: false });
  }
  return e.bytes();
}

const isKfuncCall = (i: Insn) => i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_KFUNC_CALL;

/** Indices in `xlated` of the generated insns (prologue body at 0; epilogue found by shape). */
function generatedIndices(run: PipelineRun, xlated: readonly Insn[]): number[] {
  const out: number[] = [];
  const pro = run.prologue ?? [];
  for (let i = 0; i < pro.length; i++) out.push(i);
  const epi = run.epilogue ?? [];
  if (epi.length) {
    const same = (a: Insn, b: Insn) =>
      a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off;
    for (let i = pro.length; i + epi.length <= xlated.length; i++) {
      if (epi.every((e, k) => same(e, xlated[i + k]!))) {
        for (let k = 0; k < epi.length; k++) out.push(i + k);
        break;
      }
    }
  }
  return out;
}

function variantFor(
  check: CheckResult,
  base: Btf,
  m: ResolvedMember,
  prog: { insns: Insn[]; progBtf?: ProgBtf },
  design: CallDesign,
  profile: ProfileName,
  arches: readonly ArchName[],
  registry: ReturnType<typeof modelRegistry>,
): VariantResult {
  const model = check.resolved!;
  const names = callNamesOf(m);
  const emptyFar = Object.fromEntries(
    arches.map((a) => [a, { callable: 'n/a', summary: [] as string[] }]),
  ) as unknown as VariantResult['farCall'];
  const result: VariantResult = {
    design,
    profile,
    status: 'ok',
    calledFunctions: [],
    calls: [],
    generatedInsns: 0,
    insnsAdded: null,
    xlatedInsns: null,
    jitBytes: null,
    jitBytesGenerated: null,
    jitGeneratedInsnBytes: null,
    generatedIdx: [],
    btf: { requiredBytes: 0, incidentalBytes: 0, idSetEntries: 0, idListEntries: 0 },
    kernelText: [],
    kernelTextBytes: { total: null, unmeasured: 0, items: [] },
    verifier: {
      kfuncDescriptors: null,
      kfuncDescriptorsForGenerated: 0,
      distillRuns: null,
      processedInsns: null,
    },
    references: { programToModule: [], mapToModule: model.module ?? null },
    farCall: emptyFar,
    distill: [],
    byProfile: {} as Record<ProfileName, string>,
  };
  const absence = subsystemAbsence(model.model.kernel, profile);
  if (absence) {
    result.status = 'absent';
    result.reason = absence.reason;
    return result;
  }
  const missing = declared(m, design);
  if (missing) {
    result.status = 'not-declared';
    result.reason = missing;
    return result;
  }

  result.calledFunctions = names.map((n) => (design === 'wrapper' ? wrapperFor(model, n)!.name : n));
  // Static costs of the design.
  const textItems: KernelTextItem[] = [];
  const owners = names.map((n) => {
    const k = model.kfuncs.get(n);
    const w = wrapperFor(model, n);
    return design === 'kfunc' ? k?.module : design === 'wrapper' ? w?.module : undefined;
  });
  if (design === 'kfunc') {
    result.btf.requiredBytes = btfCost(check, base, names);
    result.btf.idSetEntries = names.length;
    result.btf.idListEntries = names.length;
    result.kernelText.push('verifier: add_kfunc_in_insns() registers descriptors for generated insns');
    // The kfunc is the body itself: the route's only extra text is the verifier's, once per kernel.
    textItems.push(...kfuncRouteItems());
    if (model.module)
      result.kernelText.push('verifier: module BTF slot + module reference for the generated kfunc ids');
    for (const n of names) result.kernelText.push(`kfunc ${n} (hidden from programs by a kfunc filter)`);
    result.distill = names.map((n) =>
      kernelDistill(check, registry, n, distillCheck(n, model.kfuncs.get(n)!.type)),
    );
  } else if (design === 'wrapper') {
    result.btf.incidentalBytes = wrapperBtfBytes(check, base, names);
    result.kernelText.push('verifier: finalized_call marking so do_misc_fixups keeps the BPF_EMIT_CALL imm');
    for (const n of names) {
      const w = wrapperFor(model, n)!;
      result.kernelText.push(`BPF_CALL_${w.args}(${w.name}) wrapper around ${w.wraps}`);
      textItems.push(wrapperItem(w));
      const k = model.kfuncs.get(w.wraps) ?? model.kfuncs.get(n);
      if (k) result.distill.push(distillCheck(n, k.type));
    }
    textItems.push(finalizedCallItem());
  } else {
    result.kernelText.push('none beyond the helper (get_func_proto must offer it)');
  }
  result.kernelTextBytes = kernelTextTotal(textItems);

  // Far calls: what each architecture does with these targets under this design.
  const targets: CallTarget[] = names.map((n, k) => ({
    name: design === 'wrapper' ? wrapperFor(model, n)!.name : n,
    owner: owners[k] ? 'module' : 'vmlinux',
    kind: design === 'kfunc' ? 'kfunc' : design === 'wrapper' ? 'wrapper' : 'helper',
  }));
  for (const a of arches) {
    const verdicts: FarCallVerdict[] = farCallNeeds(targets, a);
    const callable = verdicts.every((v) => v.callable === 'always')
      ? 'always'
      : verdicts.some((v) => v.callable === 'never')
        ? 'never'
        : verdicts.length
          ? 'depends'
          : 'n/a';
    const entry: VariantResult['farCall'][ArchName] = { callable, summary: verdicts.map((v) => v.summary) };
    if (design === 'kfunc' && verdicts.length) {
      entry.kfuncImm = verdicts.some((v) => v.verifier.action === 'btf-id') ? 'btf-id' : 'imm-displacement';
    }
    result.farCall[a] = entry;
  }

  // Run the pipeline: do_check → hooks → convert_ctx_accesses → do_misc_fixups → JIT.
  for (const p of PROFILE_NAMES) {
    const gone = subsystemAbsence(model.model.kernel, p);
    if (gone) {
      result.byProfile[p] = gone.reason;
      continue;
    }
    const r = runModelPipeline({
      check,
      base,
      member: m.name,
      insns: prog.insns,
      design,
      profile: p,
      registry,
      doCheck: true,
      ...(prog.progBtf ? { progBtf: prog.progBtf } : {}),
    });
    result.byProfile[p] = r.ok ? 'ok' : (r.error ?? 'failed');
  }
  const run = runModelPipeline({
    check,
    base,
    member: m.name,
    insns: prog.insns,
    design,
    profile,
    registry,
    doCheck: true,
    ...(prog.progBtf ? { progBtf: prog.progBtf } : {}),
  });
  if (run.processedInsns !== undefined) result.verifier.processedInsns = run.processedInsns;
  result.calls = run.calls.map((c) => ({
    name: c.name,
    target: c.symbol ?? c.name,
    owner:
      (design === 'kfunc'
        ? model.kfuncs.get(c.name)?.module
        : c.symbol
          ? wrapperFor(model, c.name)?.module
          : undefined) ?? 'vmlinux',
    insn:
      c.design === 'kfunc'
        ? `call kfunc (src 2, off ${c.insn.off}, imm ${c.insn.imm})`
        : `call (src 0, imm ${c.insn.imm})`,
  }));
  result.generatedInsns = (run.prologue?.length ?? 0) + (run.epilogue?.length ?? 0);
  if (!run.ok || !run.fixups) {
    result.status = 'not-expressible';
    result.reason = run.error ?? 'pipeline failed';
    return result;
  }
  const xl = run.fixups.insns;
  result.xlatedInsns = xl.length;
  result.insnsAdded = xl.length - prog.insns.length;
  const genIdx = generatedIndices(run, xl);
  result.generatedIdx = genIdx;
  const generated = [...(run.prologue ?? []), ...(run.epilogue ?? [])];
  const genKfuncs = new Set(generated.filter(isKfuncCall).map((c) => `${c.imm}:${c.off}`));
  result.verifier.kfuncDescriptors = run.fixups.kfuncDescs.length;
  result.verifier.kfuncDescriptorsForGenerated = genKfuncs.size;
  result.verifier.distillRuns = run.fixups.kfuncDescs.length;
  const modules = new Set<string>();
  for (const d of run.fixups.kfuncDescs) {
    if (d.offset > 0) {
      const k = model.kfuncs.get(d.name);
      if (k?.module) modules.add(k.module);
    }
  }
  result.references.programToModule = [...modules];
  if (run.jit) {
    result.jitBytes = run.jit.size;
    result.jitBytesGenerated = genIdx.reduce((s, i) => s + (run.jit!.perInsnBytes[i] ?? 0), 0);
    result.jitGeneratedInsnBytes = genIdx.map((i) => run.jit!.perInsnBytes[i] ?? 0);
  }
  return result;
}

/** Compares the call designs for every member with generated code. */
export function compareDesigns(check: CheckResult, base: Btf, opts: CompareOptions = {}): ModelComparison {
  const model = check.resolved;
  if (!model || !check.build) throw new Error(`${check.file}: the model has errors; run model check`);
  const profile = opts.profile ?? model.model.profile;
  const profileFor = (d: CallDesign): ProfileName => {
    if (profile !== 'auto') return profile;
    const cd = model.model.call_design ?? {};
    const hit = (Object.keys(cd) as ProfileName[]).find((p) => cd[p] === d);
    if (hit) return hit;
    // No kernel of the model uses it: the first kernel that can express it (kfuncs in
    // generated code: add_kfunc_in_insns; BPF_EMIT_CALL: finalized_call), so the design
    // is measured rather than reported as the model profile's error.
    const able = PROFILE_NAMES.find((p) => {
      const k = kernelProfile(p);
      const can = d === 'kfunc' ? k.kfuncsInProEpilogue : d === 'wrapper' ? k.finalizedCalls : false;
      return can && !subsystemAbsence(model.model.kernel, p);
    });
    return able ?? model.model.profile;
  };
  const arches = opts.arches ?? ALL_ARCHES;
  const registry = modelRegistry(model, check.build, base);
  const members = model.members.filter(
    (m) => (m.prologue || m.epilogue) && (!opts.member || m.name === opts.member),
  );
  if (opts.member && members.length === 0) {
    const exists = model.members.some((m) => m.name === opts.member);
    throw new Error(
      exists ? `member ${opts.member} has no prologue or epilogue` : `no member ${opts.member}`,
    );
  }
  const designProfiles = Object.fromEntries(CALL_DESIGNS.map((d) => [d, profileFor(d)])) as Record<
    CallDesign,
    ProfileName
  >;
  const calledNames = new Set(members.flatMap(callNamesOf));
  const out: ModelComparison = {
    subsystem: model.model.subsystem,
    title: model.model.title,
    profile,
    designProfiles,
    firstRelease: model.model.kernel,
    reference: {
      release: REFERENCE_PROFILE.release,
      arch: REFERENCE_PROFILE.arch.name,
      btfSha256: opts.referenceBtfSha256 ?? null,
    },
    module: model.module ?? null,
    members: [],
    totals: [],
    takeaway: [],
    facts: {
      sources: model.model.sources,
      kfuncSets: model.model.kfunc_sets.flatMap((set) => {
        const functions = [...model.kfuncs.values()]
          .filter((k) => k.set === set.name && calledNames.has(k.name))
          .map((k) => k.name);
        if (!functions.length) return [];
        const module = [...model.kfuncs.values()].find((k) => k.set === set.name)?.module;
        return [
          {
            name: set.name,
            functions,
            ...(set.filter ? { filter: set.filter } : {}),
            ...(module ? { module } : {}),
          },
        ];
      }),
      wrappers: [...calledNames].flatMap((n) => {
        const w = wrapperFor(model, n);
        return w ? [{ name: w.name, wraps: w.wraps, ...(w.module ? { module: w.module } : {}) }] : [];
      }),
    },
  };
  const fixedAbsence = profile === 'auto' ? undefined : subsystemAbsence(model.model.kernel, profile);
  if (fixedAbsence) out.absent = fixedAbsence;
  for (const m of members) {
    const prog = programFor(check, m.name);
    const stated =
      (profile === 'auto' ? undefined : model.model.call_design?.[profile]) ??
      m.prologue?.statedDesign ??
      m.epilogue?.statedDesign ??
      null;
    out.members.push({
      member: m.name,
      blocks: [m.prologue ? 'prologue' : null, m.epilogue ? 'epilogue' : null].filter(
        (b): b is 'prologue' | 'epilogue' => b !== null,
      ),
      kernelDesign: callNamesOf(m).length && !fixedAbsence ? stated : null,
      program: prog.name,
      programInsns: prog.insns.length,
      variants: CALL_DESIGNS.map((d) => variantFor(check, base, m, prog, d, profileFor(d), arches, registry)),
    });
  }
  const btf = {
    required: (names: readonly string[]) => btfCost(check, base, [...names].sort()),
    incidental: (names: readonly string[]) => wrapperBtfBytes(check, base, [...names].sort()),
  };
  out.totals = CALL_DESIGNS.map((d) => designTotals(out.members, d, btf));
  out.takeaway = comparisonTakeaway(out);
  return out;
}
