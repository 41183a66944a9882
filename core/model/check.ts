// `kmodel model check` as a library: validate, resolve types, assemble every generated
// block (under every design it can be expressed with) and every program, then hand each
// program to the verifier when one is supplied. Pure: file reading is the caller's job.
import type { Btf } from '../btf/btf';
import { findMember } from '../btf/layout';
import type { BtfRegistry } from '../btf/registry';
import type { Insn } from '../isa/insn';
import { type AddressSpace, x86_64AddressSpace } from '../kernel/address-space';
import {
  assembleGenerated,
  assembleProgram,
  buildModelBtf,
  type ModelBuild,
  placeModelSymbols,
} from './build';
import { checkGeneratedCode } from './generated-check';
import { checkInstances, type InstanceCheck, type MemberSize } from './instances';
import { formatDiagnostic, loadModel, type ModelDiagnostic, type ModelSource } from './load';
import { type ObjectProgramBtf, objectRefExpander } from './object-refs';
import { InsnTextError, slotsOf, type TextLine } from './program';
import {
  designsCommon,
  INSN_BUF_SIZE,
  type ResolvedModel,
  type ResolvedProgram,
  resolveModel,
  wrapperFor,
} from './resolve';
import { checkReviewNotes } from './review';
import type { Model, ProfileName } from './schema';

/** What a verifier run reports back for one member program. */
export interface VerifyOutcome {
  ok: boolean;
  /** How far the program went: 'bpf_check' = do_check + fixups; 'fixups' = pro/epilogue patching, fixups, JIT. */
  stage: 'bpf_check' | 'fixups';
  jitBytes?: number;
  /** The verifier's last error line when !ok. */
  error?: string;
  /** Index of the insn the verifier refused (!ok), to point at its line. */
  insn?: number;
  /** Xlated dump lines, `N: insn`, after fixups (when ok). */
  xlated?: string[];
  processedInsns?: number;
  /** Return value from running it, when the verifier side can execute. */
  retval?: number;
}

export interface VerifyRequest {
  model: ResolvedModel;
  build: ModelBuild;
  as: AddressSpace;
  program: ResolvedProgram;
  insns: Insn[];
  profile: ProfileName;
}

export type VerifyFn = (req: VerifyRequest) => VerifyOutcome | undefined;

export interface CheckOptions {
  btf?: BtfRegistry;
  /** Profile to verify under (default: the model's). */
  profile?: ProfileName;
  /** Runs a program through the verifier; undefined result = verifier unavailable. */
  verify?: VerifyFn;
  /**
   * Reads a BPF object a model names (`programs: [{ object, program }]`, `instances:
   * [{ object, map }]`) by the path as written; without it such entries are errors.
   */
  readObject?: (path: string) => Uint8Array;
}

export interface ProgramCheck {
  name: string;
  member: string;
  insns: number;
  verified: 'ok' | 'rejected' | 'skipped';
  stage?: 'bpf_check' | 'fixups';
  xlatedInsns?: number;
  jitBytes?: number;
  error?: string;
  processedInsns?: number;
  xlatedMatches?: boolean;
  retvalMatches?: boolean;
  /** The program is pinned as rejected (`expect: { verdict: reject }`) and was, as pinned. */
  rejectedAsPinned?: boolean;
}

export interface CheckResult {
  file: string;
  model?: Model;
  resolved?: ResolvedModel;
  build?: ModelBuild;
  as?: AddressSpace;
  diagnostics: ModelDiagnostic[];
  programs: ProgramCheck[];
  /** The model's struct_ops instances as map update and registration judge them. */
  instances: InstanceCheck[];
  /** Generated blocks assembled: member/which/design → insn count. */
  generated: { member: string; which: 'prologue' | 'epilogue'; design: string; insns: number }[];
}

export const errorCount = (r: CheckResult): number =>
  r.diagnostics.filter((d) => d.severity === 'error').length;

function vmlinuxBtf(reg: BtfRegistry | undefined): Btf | undefined {
  try {
    return reg?.vmlinux.btf;
  } catch {
    return undefined;
  }
}

export function checkModel(file: string, text: string, opts: CheckOptions = {}): CheckResult {
  const target = vmlinuxBtf(opts.btf);
  const objectPrograms = new Map<string, ObjectProgramBtf>();
  const loaded = loadModel(file, text, {
    expand: objectRefExpander(opts.readObject, target, objectPrograms),
  });
  const result: CheckResult = {
    file,
    diagnostics: [...loaded.diagnostics],
    programs: [],
    instances: [],
    generated: [],
  };
  if (!loaded.model) return result;
  result.model = loaded.model;
  const source = loaded.source;
  const profile = opts.profile ?? loaded.model.profile;
  const { resolved, diagnostics } = resolveModel(loaded.model, source, {
    ...(opts.btf ? { btf: opts.btf } : {}),
    profile,
  });
  result.resolved = resolved;
  // Programs from objects load with the object's BTF and func_info, as libbpf loads them.
  for (const p of resolved.programs) {
    const o = objectPrograms.get(p.spec.name);
    if (o) p.object = o;
  }
  result.diagnostics.push(...diagnostics, ...checkReviewNotes(loaded.model, resolved.kfuncs.keys(), source));
  if (errorCount(result) > 0) return finish(result);

  let build: ModelBuild;
  try {
    build = buildModelBtf(resolved, vmlinuxBtf(opts.btf));
  } catch (e) {
    result.diagnostics.push(source.diag(['types'], `BTF: ${(e as Error).message}`));
    return finish(result);
  }
  const as = x86_64AddressSpace();
  placeModelSymbols(resolved, as);
  result.build = build;
  result.as = as;
  const env = { build, as };

  // Members whose generated code does not assemble: their programs are not loaded (the
  // verifier would meet the same text inside gen_prologue/gen_epilogue).
  const brokenMembers = new Set<string>();
  for (const m of resolved.members) {
    for (const g of [m.prologue, m.epilogue]) {
      if (!g) continue;
      const designs = g.calls.length === 0 ? [undefined] : designsCommon(g.calls);
      const failed: { design: string | undefined; error: unknown }[] = [];
      const warned = new Set<string>();
      for (const d of designs) {
        try {
          const { insns, calls } = assembleGenerated(resolved, env, g, d);
          for (const w of checkGeneratedCode(insns, {
            which: g.which,
            callArgs: (k) => callArgCount(resolved, calls[k]?.name),
          })) {
            const at = lineOfInsn(g.lines, w.insn);
            const diag = at
              ? source.diagIn([...g.path, 'insns'], at.line, at.col, w.message, 'warning')
              : source.diag([...g.path, 'insns'], w.message, 'warning');
            // Designs change only the call insns: one warning per line and message.
            const key = formatDiagnostic(diag);
            if (!warned.has(key)) result.diagnostics.push(diag);
            warned.add(key);
          }
          const count = insns.length + (g.which === 'prologue' ? 1 : 0);
          if (count >= INSN_BUF_SIZE) {
            result.diagnostics.push(
              source.diag([...g.path, 'insns'], `${count} insns overflow the 16-insn buffer`),
            );
          }
          result.generated.push({ member: m.name, which: g.which, design: d ?? 'none', insns: insns.length });
        } catch (e) {
          failed.push({ design: d, error: e });
          brokenMembers.add(m.name);
        }
      }
      // The same text error under every design is one error, not one per design.
      const plain = failed.map((f) => located(source, [...g.path, 'insns'], f.error));
      const same = plain.every((p) => formatDiagnostic(p) === formatDiagnostic(plain[0]!));
      if (failed.length === designs.length && same && plain.length) result.diagnostics.push(plain[0]!);
      else
        for (const f of failed)
          result.diagnostics.push(located(source, [...g.path, 'insns'], f.error, f.design));
    }
  }

  resolved.programs.forEach((p, i) => {
    let insns: Insn[];
    try {
      insns = assembleProgram(resolved, env, i);
    } catch (e) {
      result.diagnostics.push(located(source, [...p.path, 'insns'], e));
      return;
    }
    const pc: ProgramCheck = {
      name: p.spec.name,
      member: p.member.name,
      insns: insns.length,
      verified: 'skipped',
    };
    const out = brokenMembers.has(p.member.name)
      ? undefined
      : opts.verify?.({ model: resolved, build, as, program: p, insns, profile });
    if (out) {
      pc.verified = out.ok ? 'ok' : 'rejected';
      pc.stage = out.stage;
      if (out.xlated) pc.xlatedInsns = out.xlated.length;
      if (out.jitBytes !== undefined) pc.jitBytes = out.jitBytes;
      if (out.processedInsns !== undefined) pc.processedInsns = out.processedInsns;
      const exp = p.spec.expect;
      const pinned = pinnedOutcome(exp, out);
      if (pinned !== undefined) {
        pc.rejectedAsPinned = pinned === null;
        if (!out.ok) pc.error = out.error ?? 'rejected';
        if (pinned) result.diagnostics.push(source.diag([...p.path, 'expect', pinned.key], pinned.message));
      } else if (!out.ok) {
        pc.error = out.error ?? 'rejected';
        const msg = `${out.stage}: ${pc.error}`;
        const at = out.insn !== undefined ? lineOfInsn(p.lines, out.insn) : undefined;
        result.diagnostics.push(
          at
            ? source.diagIn([...p.path, 'insns'], at.line, at.col, msg)
            : source.diag([...p.path, 'insns'], msg),
        );
      }
      if (out.ok && exp?.xlated && out.xlated) {
        const mismatch = xlatedMismatch(exp.xlated, out.xlated);
        pc.xlatedMatches = mismatch === undefined;
        if (mismatch) result.diagnostics.push(source.diag([...p.path, 'expect', 'xlated'], mismatch));
      }
      if (out.ok && exp?.retval !== undefined && out.retval !== undefined) {
        pc.retvalMatches = exp.retval === out.retval;
        if (!pc.retvalMatches) {
          result.diagnostics.push(
            source.diag([...p.path, 'expect', 'retval'], `retval ${out.retval}, expected ${exp.retval}`),
          );
        }
      }
    }
    result.programs.push(pc);
  });
  const inst = checkInstances(loaded.model, source, result.programs, dataMemberSize(resolved, target));
  result.instances = inst.instances;
  result.diagnostics.push(...inst.diagnostics);
  return finish(result);
}

/** A data member's size: from the reference BTF's struct, or a char array's length in `types`. */
function dataMemberSize(model: ResolvedModel, vmlinux: Btf | undefined): MemberSize {
  const name = model.model.struct_ops.name;
  if (model.structFrom === 'btf') {
    const id = vmlinux?.findByName(name, 'STRUCT');
    return (member) => {
      if (!vmlinux || id === undefined) return undefined;
      try {
        return findMember(vmlinux, id, member)?.size;
      } catch {
        return undefined;
      }
    };
  }
  const decl = model.decls.find((d) => d.kind === 'struct' && d.name === name);
  return (member) => {
    if (decl?.kind !== 'struct') return undefined;
    const f = decl.fields?.find((x) => x.name === member);
    return f?.type.kind === 'array' ? f.type.len : undefined;
  };
}

/**
 * A program pinned as rejected: null when the load was refused as pinned, else what differs
 * (undefined: the program expects an accept, checked as before).
 */
function pinnedOutcome(
  exp: ResolvedProgram['spec']['expect'],
  out: VerifyOutcome,
): { key: 'verdict' | 'error'; message: string } | null | undefined {
  if (exp?.verdict !== 'reject') return undefined;
  if (out.ok)
    return { key: 'verdict', message: `accepted, expected a rejection${exp.error ? `: ${exp.error}` : ''}` };
  const error = out.error ?? 'rejected';
  if (exp.error !== undefined && exp.error !== error)
    return { key: 'error', message: `rejected with '${error}', expected '${exp.error}'` };
  return null;
}

/** Arguments a generated call passes: the kfunc's prototype or the BPF_CALL_N wrapper's N. */
function callArgCount(model: ResolvedModel, name: string | undefined): number | undefined {
  if (!name) return undefined;
  return model.kfuncs.get(name)?.type.params.length ?? wrapperFor(model, name)?.args;
}

/** The text line that assembled to insn `idx` (ld_imm64 lines take two slots). */
function lineOfInsn(lines: readonly TextLine[], idx: number): TextLine | undefined {
  let k = 0;
  for (const l of lines) {
    const n = l.callName ? 1 : slotsOf(l.text);
    if (idx < k + n) return l;
    k += n;
  }
  return undefined;
}

function finish(r: CheckResult): CheckResult {
  r.diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  return r;
}

function located(
  source: ModelSource,
  path: (string | number)[],
  e: unknown,
  design?: string,
): ModelDiagnostic {
  const how = design ? ` (${design} design)` : '';
  if (e instanceof InsnTextError) return source.diagIn(path, e.line, e.col, `${e.reason}${how}`);
  return source.diag(path, `${e instanceof Error ? e.message : String(e)}${how}`);
}

/**
 * Compares an expected xlated listing (selftest `__xlated` style: each expected line is
 * a prefix of the actual line with the same index) with the actual dump.
 */
export function xlatedMismatch(expected: string, actual: readonly string[]): string | undefined {
  const norm = (s: string) => s.replace(/^(\d+):\s*(\([0-9a-f]{2}\)\s*)?/, '$1: ').trim();
  const got = actual.map(norm);
  for (const raw of expected.split('\n')) {
    const e = raw.trim();
    if (!e) continue;
    const m = /^(\d+):/.exec(e);
    if (!m) return `expected line '${e}' has no index`;
    const line = got.find((g) => g.startsWith(`${m[1]}:`));
    if (!line) return `xlated has no insn ${m[1]} (expected '${e}')`;
    if (!line.startsWith(norm(e))) return `xlated insn ${m[1]} is '${line}', expected '${e}'`;
  }
  return undefined;
}
