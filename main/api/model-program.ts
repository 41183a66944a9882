// A model's member program in the Verifier and JIT views: the program as the model
// writes it, run through the modeled kernel (core/model/pipeline.ts: bpf_check with the
// model's struct_ops hooks and kfuncs, the fixups that patch in the pro/epilogue under
// the chosen call design and kernel profile, then the x86-64 JIT).

import type { Btf } from '../../core/btf/btf';
import { insnStarts } from '../../core/isa/cfg';
import { type DisasmResolver, formatInsn } from '../../core/isa/disasm';
import { insnsToHex } from '../../core/isa/encoding';
import type { Insn } from '../../core/isa/insn';
import { BPF_PSEUDO_KFUNC_CALL } from '../../core/isa/opcodes';
import { assembleProgram } from '../../core/model/build';
import type { CheckResult } from '../../core/model/check';
import { type PipelineRun, runModelPipeline } from '../../core/model/pipeline';
import type { CallDesign, ProfileName } from '../../core/model/schema';
import { logWithLineInfo } from '../../core/object/log-linfo';
import type { LineInfo } from '../../core/object/types';
import { xlatedForListing } from '../../core/verifier/fixups/dump';
import { x86ViewLines } from './jit-view';
import { sourceLines } from './object-view';
import { ApiError } from './schema';
import { typedFields } from './typed-fields';
import type { JitView, ModelProgramInfo, ModelProgramParams, PlainLine, VerifyView } from './types';

interface MemberRun {
  info: ModelProgramInfo;
  /** Typed loads and stores: the struct field each reaches, by program insn index. */
  fields: { idx: number; field: string }[];
  insns: Insn[];
  run: PipelineRun;
  /** Names calls the way the verifier log does: kfuncs by name, helpers and wrappers by symbol. */
  bpfResolver: DisasmResolver;
  patchedResolver: DisasmResolver;
  /** A program taken from a BPF object: its C lines (line_info), by loaded insn index. */
  lineInfo?: LineInfo[];
}

/** Runs one program of a checked model; `model` is the identifier shown back. */
export function runMemberProgram(
  model: string,
  check: CheckResult,
  base: Btf,
  p: ModelProgramParams,
): MemberRun {
  const m = check.resolved;
  if (!m || !check.build || !check.as)
    throw new ApiError('bad-request', `model '${model}' has errors; fix them before running its programs`);
  const index = m.programs.findIndex((x) => x.spec.name === p.program);
  if (index < 0)
    throw new ApiError(
      'not-found',
      `model '${model}' has no program '${p.program}' (it has ${m.programs.map((x) => x.spec.name).join(', ') || 'none'})`,
    );
  const prog = m.programs[index]!;
  const cd = m.model.call_design ?? {};
  // A design without a profile runs where a kernel uses it (as the comparison's 'auto').
  const profile: ProfileName =
    p.profile ??
    (p.design ? (Object.keys(cd) as ProfileName[]).find((x) => cd[x] === p.design) : undefined) ??
    m.model.profile;
  const member = prog.member;
  // The design that profile's kernel uses, unless one is asked for.
  const design: CallDesign | undefined =
    p.design ?? cd[profile] ?? member.prologue?.design ?? member.epilogue?.design;
  const insns = assembleProgram(m, { build: check.build, as: check.as }, index);
  let run: PipelineRun;
  try {
    // Level 2: the register states, read back for the field names of typed accesses.
    run = runModelPipeline({
      check,
      base,
      member: member.name,
      insns,
      design,
      profile,
      doCheck: true,
      logLevel: 2,
      // A program from an object loads with the object's BTF and func_info, as libbpf loads it.
      ...(prog.object?.progBtf ? { progBtf: prog.object.progBtf } : {}),
    });
  } catch (e) {
    // A design the model cannot express (a call with no helper id, no wrapper…): shown as the reason.
    run = { design, profile, arch: 'x86_64', ok: false, calls: [], error: (e as Error).message };
  }
  const as = check.as;
  const names = new Map(prog.lines.flatMap((l, k) => (l.callName ? [[k, l.callName] as const] : [])));
  const fields = run.log
    ? [...typedFields(insns, run.log, base)].map(([idx, field]) => ({ idx, field }))
    : [];
  return {
    fields,
    info: {
      model,
      program: prog.spec.name,
      member: member.name,
      design: design ?? null,
      profile,
      generated: [...(member.prologue ? ['prologue'] : []), ...(member.epilogue ? ['epilogue'] : [])],
      programs: m.programs.map((x) => ({ name: x.spec.name, member: x.member.name })),
    },
    insns,
    run,
    ...(prog.object ? { lineInfo: prog.object.lineInfo } : {}),
    bpfResolver: { callName: (_insn, i) => names.get(i) },
    // After fixup_kfunc_call a call's imm is an offset from __bpf_call_base.
    patchedResolver: {
      callName: (insn) =>
        insn.src === 0 || insn.src === BPF_PSEUDO_KFUNC_CALL ? as.symbolForImm(insn.imm)?.name : undefined,
    },
  };
}

function listing(insns: readonly Insn[], resolver: DisasmResolver): PlainLine[] {
  return insnStarts(insns).map((i) => ({ idx: i, text: formatInsn(insns, i, resolver) }));
}

export function memberVerifyView(r: MemberRun): VerifyView {
  const { run } = r;
  const xlated = run.ok && run.fixups ? xlatedForListing(run.fixups.insns) : null;
  return {
    id: null,
    program: r.info,
    ...(r.fields.length ? { fields: r.fields } : {}),
    bpf: listing(r.insns, r.bpfResolver),
    model: {
      verdict: run.ok ? 'accept' : 'reject',
      // The pipeline keeps do_check's reason, not its errno, unless the reason names it (0: none shown).
      errno: run.ok ? 0 : Number(/errno (-?\d+)/.exec(run.error ?? '')?.[1] ?? 0),
      error: run.ok ? null : (run.error ?? 'rejected'),
      // An object's program: its C lines in the log, as the kernel prints them with line_info.
      log: r.lineInfo ? logWithLineInfo(run.log ?? '', r.lineInfo) : (run.log ?? ''),
      processedInsns: run.processedInsns ?? null,
      xlated: xlated ? listing(xlated, r.patchedResolver) : null,
      xlatedHex: xlated ? insnsToHex(xlated) : null,
    },
  };
}

export function memberJitView(r: MemberRun, syntax: 'intel' | 'gas' = 'intel'): JitView {
  const { run } = r;
  const bpf = listing(r.insns, r.bpfResolver);
  const source = r.lineInfo ? { source: sourceLines(r.lineInfo) } : {};
  if (!run.ok || !run.fixups || !run.jit)
    return {
      id: r.info.program,
      program: r.info,
      bpf,
      ...source,
      xlated: run.fixups ? listing(xlatedForListing(run.fixups.insns), r.patchedResolver) : [],
      x86: [],
      jitted: false,
      reason: run.error ?? 'the modeled kernel did not JIT this program',
    };
  return {
    id: r.info.program,
    program: r.info,
    ...(r.fields.length ? { fields: r.fields } : {}),
    bpf,
    ...source,
    xlated: listing(xlatedForListing(run.fixups.insns), r.patchedResolver),
    x86: x86ViewLines(run.jit, run.fixups.insns.length, syntax),
    jitted: true,
    size: run.jit.size,
    passes: run.jit.passes,
  };
}
