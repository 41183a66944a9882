// Runs a model's member program through the modeled kernel pipeline after verification:
// the struct_ops verifier ops built from the model (gen_prologue / gen_epilogue under a
// chosen call design), the verifier's fixups (convert_ctx_accesses, do_misc_fixups,
// fixup_kfunc_call) and the x86-64 JIT. The verifier proper (do_check) is the verifier
// engineer's bpfCheck; this runner uses their fixup stage directly so the xlated program,
// the kfunc descriptors and the JIT image are the modeled kernel's, not re-implemented here.
import { type Btf, parseBtf } from '../btf/btf';
import { KF_FLAG_NAMES } from '../btf/kfuncs';
import { BtfRegistry } from '../btf/registry';
import type { Insn } from '../isa/insn';
import { BPF_CALL, BPF_DW, BPF_IMM, BPF_JMP, BPF_LD, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from '../isa/opcodes';
import { jitAddressSpaceOf } from '../jit/x86/address-space';
import { type JitResult, jitProgramFuncs } from '../jit/x86/jit';
import type { AddressSpace } from '../kernel/address-space';
import { type ArchName, type KernelProfile, kernelProfile } from '../kernel/profiles';
import { bpfProgLoad } from '../kernel/prog-load';
import { type FixupOutput, runFixups } from '../verifier/fixups/index';
import type { KfuncResolver } from '../verifier/fixups/kfunc';
import type { BtfFuncInfo, LoadAttr, LoadKfuncs, ProgBtf, VerifyEnv } from '../verifier/index';
import type { InsnAuxData } from '../verifier/ops';
import { type StructOpsModelHooks, verifierOpsFor } from '../verifier/progtypes/index';
import { structOpsFromRules } from '../verifier/progtypes/struct-ops-rules';
import { assembleGenerated, type EncodedCall, MODULE_BTF_FD_IDX, type ModelBuild } from './build';
import type { CheckResult } from './check';
import type { ResolvedModel } from './resolve';
import type { CallDesign, ProfileName } from './schema';
import { modelStructOpsRules } from './struct-ops-rules';

/** The BTF registry a model's programs load against: reference vmlinux + the model's own BTF. */
export function modelRegistry(model: ResolvedModel, build: ModelBuild, base: Btf): BtfRegistry {
  const reg = new BtfRegistry(base);
  if (build.emitter.builder.typeBytes > 0) {
    const own = parseBtf(build.emitter.builder.build(), {
      base,
      name: model.module ?? `${model.model.subsystem}-ext`,
    });
    // A module's split BTF; for built-in models the additions stand in for vmlinux types
    // the reference build lacks (it was configured without these subsystems).
    reg.addModule(model.module ?? `${model.model.subsystem}-ext`, own, model.module ? undefined : 1000);
  }
  return reg;
}

/** kfunc (BTF id, off) → name: off 0 is vmlinux (plus built-in additions), off 1 the model's module. */
export function modelKfuncResolver(model: ResolvedModel, build: ModelBuild, base: Btf): KfuncResolver {
  const byId = new Map<string, string>();
  for (const [name, id] of build.kfuncIds) {
    const k = model.kfuncs.get(name)!;
    byId.set(`${id}:${k.module ? MODULE_BTF_FD_IDX : 0}`, name);
  }
  return (id, off) => {
    const hit = byId.get(`${id}:${off}`);
    if (hit) return hit;
    if (off === 0 && base.hasType(id) && base.kindNameOf(id) === 'FUNC') return base.nameOf(id);
    return undefined;
  };
}

/** Where generated blocks go as the hooks return them (for listings and call counts). */
export interface GeneratedSink {
  prologue?: Insn[];
  epilogue?: Insn[];
  calls: EncodedCall[];
}

/** st_ops->verifier_ops gen_prologue / gen_epilogue for one member under one call design. */
export function modelStructOpsHooks(
  model: ResolvedModel,
  build: ModelBuild,
  as: AddressSpace,
  rm: ResolvedModel['members'][number],
  design: CallDesign | undefined,
  sink: GeneratedSink = { calls: [] },
): StructOpsModelHooks {
  const env = { build, as };
  const hooks: StructOpsModelHooks = {};
  if (rm.prologue) {
    const g = rm.prologue;
    hooks.genPrologue = () => {
      const r = assembleGenerated(model, env, g, design);
      sink.prologue = r.insns;
      sink.calls.push(...r.calls);
      return r.insns;
    };
  }
  if (rm.epilogue) {
    const g = rm.epilogue;
    hooks.genEpilogue = (_m, ctxStackOff) => {
      const r = assembleGenerated(model, env, g, design, ctxStackOff);
      sink.epilogue = r.insns;
      sink.calls.push(...r.calls);
      return r.insns;
    };
  }
  return hooks;
}

/** The BTF that resolves every type id a model's programs see: its split BTF, else vmlinux. */
export function modelTypesBtf(model: ResolvedModel, registry: BtfRegistry, base: Btf): Btf {
  return registry.objectByName(model.module ?? `${model.model.subsystem}-ext`)?.btf ?? base;
}

/**
 * The kfuncs a model's programs may call: the model's BTF resolves every id (split on
 * vmlinux); insn.off 0 names vmlinux (with a built-in model's additions), off 1 the module.
 * A program may call the model's kfuncs registered for STRUCT_OPS that no filter hides.
 */
export function modelLoadKfuncs(
  model: ResolvedModel,
  build: ModelBuild,
  registry: BtfRegistry,
  base: Btf,
): LoadKfuncs {
  const own = registry.objectByName(model.module ?? `${model.model.subsystem}-ext`)?.btf;
  const all = modelTypesBtf(model, registry, base);
  return {
    btf: all,
    btfFor: (off) => (off === 0 ? (model.module ? base : all) : off === MODULE_BTF_FD_IDX ? own : undefined),
    allowed: (name) => {
      const k = model.kfuncs.get(name);
      return !!k && !k.hidden && k.hooks.includes('STRUCT_OPS');
    },
    flags: (name) => {
      const k = model.kfuncs.get(name);
      let f = 0;
      for (const [n, bit] of KF_FLAG_NAMES) if (k?.flags.includes(n)) f |= bit;
      return f;
    },
    resolver: modelKfuncResolver(model, build, base),
  };
}

/** Function starts of a program: 0 plus every bpf-to-bpf call target and callback (ld_imm64 of a function). */
export function subprogStarts(insns: readonly Insn[]): number[] {
  const starts = new Set([0]);
  insns.forEach((i, k) => {
    if (i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL) starts.add(k + i.imm + 1);
    if (i.code === (BPF_LD | BPF_IMM | BPF_DW) && i.src === BPF_PSEUDO_FUNC) starts.add(k + i.imm + 1);
  });
  return [...starts].sort((a, b) => a - b);
}

/**
 * What BPF_PROG_LOAD gets for a program attached to a model's member: the struct_ops
 * attach with the model's gen_prologue / gen_epilogue under `design`, its kfuncs and ctx
 * access rules (writable fields), loaded against the model's BTF in its address space.
 */
export interface ModelAttach {
  attr: Omit<LoadAttr, 'insns'>;
  env: VerifyEnv & { btf: BtfRegistry; addressSpace: AddressSpace; profile: KernelProfile };
}

export function modelAttach(
  check: CheckResult,
  base: Btf,
  member: string,
  design: CallDesign | undefined,
  profileName: ProfileName,
  opts: {
    arch?: ArchName;
    registry?: BtfRegistry;
    as?: AddressSpace;
    sink?: GeneratedSink;
    /** BPF_F_SLEEPABLE (check_member may refuse it). */
    sleepable?: boolean;
  } = {},
): ModelAttach {
  const model = check.resolved!;
  const build = check.build!;
  const rm = model.members.find((m) => m.name === member);
  if (!rm) throw new Error(`no member ${member}`);
  const as = opts.as ?? check.as!.clone();
  const registry = opts.registry ?? modelRegistry(model, build, base);
  return {
    attr: {
      progType: 'struct_ops',
      attach: { struct: model.model.struct_ops.name, member },
      // The model's struct_ops: its rules (check_member, ctx access, writable fields, filters)
      // and its generated pro/epilogues.
      structOps: {
        ...structOpsFromRules(modelStructOpsRules(model.model), modelTypesBtf(model, registry, base)),
        ...modelStructOpsHooks(model, build, as, rm, design, opts.sink),
      },
      kfuncs: modelLoadKfuncs(model, build, registry, base),
      ...(opts.sleepable ? { sleepable: true } : {}),
    },
    env: { btf: registry, addressSpace: as, profile: kernelProfile(profileName, opts.arch ?? 'x86_64') },
  };
}

export interface PipelineRun {
  design: CallDesign | undefined;
  profile: ProfileName;
  arch: ArchName;
  ok: boolean;
  error?: string;
  /** Generated blocks as the hooks returned them (prologue without the insn 0 copy). */
  prologue?: Insn[];
  epilogue?: Insn[];
  calls: EncodedCall[];
  fixups?: FixupOutput;
  /** func_info of a load with program BTF, at each function's start after patching (adjust_btf_func). */
  funcInfo?: BtfFuncInfo[];
  /** do_check's processed insns (doCheck runs). */
  processedInsns?: number;
  /** The verifier log (doCheck runs). */
  log?: string;
  /** The insn do_check stopped at when it refused the program (doCheck runs). */
  errorInsn?: number;
  /** x86-64 JIT of the fixed-up program (only for arch x86_64). */
  jit?: JitResult;
}

export interface PipelineInput {
  check: CheckResult;
  base: Btf;
  member: string;
  /** The main program (before patching). */
  insns: readonly Insn[];
  design: CallDesign | undefined;
  profile: ProfileName;
  arch?: ArchName;
  /** Stack depth do_check would record for each function (default 0 each). */
  stackDepths?: readonly number[];
  registry?: BtfRegistry;
  as?: AddressSpace;
  /** Verify for real: bpfCheck (do_check, stack depths, fixups) instead of fixups alone. */
  doCheck?: boolean;
  /** Load the program with BPF_F_SLEEPABLE (doCheck runs). */
  sleepable?: boolean;
  /** The verifier log's level (doCheck runs; default 1): 2 prints the register states. */
  logLevel?: 1 | 2;
  /** Program BTF with func_info (a program taken from an object), as BPF_PROG_LOAD gets it (doCheck runs). */
  progBtf?: ProgBtf;
}

/** Runs fixups (and the x86-64 JIT) for one member program under one design and profile. */
export function runModelPipeline(input: PipelineInput): PipelineRun {
  const { check, base, member, design } = input;
  const arch = input.arch ?? 'x86_64';
  const model = check.resolved!;
  const build = check.build!;
  const as = input.as ?? check.as!.clone();
  const profile: KernelProfile = kernelProfile(input.profile, arch);
  const run: PipelineRun = { design, profile: input.profile, arch, ok: false, calls: [] };
  const rm = model.members.find((m) => m.name === member);
  if (!rm) throw new Error(`no member ${member}`);
  const registry = input.registry ?? modelRegistry(model, build, base);
  if (input.doCheck) {
    const a = modelAttach(check, base, member, design, input.profile, {
      arch,
      registry,
      as,
      sink: run,
      ...(input.sleepable ? { sleepable: true } : {}),
    });
    const load = bpfProgLoad(
      {
        insns: [...input.insns],
        ...a.attr,
        ...(input.logLevel ? { logLevel: input.logLevel } : {}),
        ...(input.progBtf ? { progBtf: input.progBtf } : {}),
      },
      a.env,
      { jit: arch === 'x86_64' },
    );
    const vr = load.verifier;
    run.processedInsns = vr.processedInsns ?? 0;
    run.log = vr.log;
    if (vr.verdict !== 'accept' || !vr.fixups) {
      run.error = vr.error ?? `rejected (errno ${vr.errno})`;
      const at = lastLoggedInsn(vr.log);
      if (at !== undefined && at < input.insns.length) run.errorInsn = at;
      return run;
    }
    run.fixups = vr.fixups;
    if (vr.funcInfo) run.funcInfo = vr.funcInfo;
    if (load.jitError !== undefined) run.error = load.jitError;
    else {
      if (load.jit) run.jit = load.jit.result;
      run.ok = true;
    }
    return run;
  }
  // The same struct_ops as a load gets (rules and generated code): fixups ask its
  // get_func_proto for the helpers the subsystem adds.
  const { attr } = modelAttach(check, base, member, design, input.profile, { arch, registry, as, sink: run });
  try {
    const ops = verifierOpsFor('struct_ops', {
      btf: registry,
      attach: attr.attach!,
      profile,
      addressSpace: as,
      structOps: attr.structOps!,
    });
    const starts = subprogStarts(input.insns);
    const aux: InsnAuxData[] = input.insns.map(() => ({ seen: true }));
    const fixups = runFixups({
      insns: input.insns,
      aux,
      subprogs: starts.map((start, k) => ({ start, stackDepth: input.stackDepths?.[k] ?? 0 })),
      ops,
      progType: 'struct_ops',
      seenDirectWrite: false,
      maps: [],
      btf: registry,
      profile,
      addressSpace: as,
      kfuncResolver: modelKfuncResolver(model, build, base),
    });
    run.fixups = fixups;
    if (arch === 'x86_64') {
      run.jit = jitFixups(fixups, as);
    }
    run.ok = true;
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
  }
  return run;
}

/** The last `N: (code) …` insn line of a verifier log: where the failing path stopped. */
export function lastLoggedInsn(log: string): number | undefined {
  let at: number | undefined;
  for (const m of log.matchAll(/^(\d+): \([0-9a-f]{2}\)/gm)) at = Number(m[1]);
  return at;
}

function jitFixups(fixups: FixupOutput, as: AddressSpace): JitResult {
  return jitProgramFuncs(
    {
      insns: fixups.insns,
      subprogs: fixups.subprogs.map((s) => ({ start: s.start, stackDepth: s.stackDepth })),
      pseudoCallImm: 'relative',
    },
    jitAddressSpaceOf(as),
  );
}
