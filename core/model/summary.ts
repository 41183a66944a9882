// A plain-data summary of a checked model (for `kmodel model show --format json` and the app).
import { type MemberCapabilities, memberCapabilities } from './capabilities';
import { typeToString } from './cdecl';
import type { CheckResult } from './check';

export interface ModelSummary {
  subsystem: string;
  title: string;
  kernel: string;
  profile: string;
  module: string | null;
  structOps: string;
  structFrom: 'decl' | 'btf';
  verifierOps: string[];
  /** How each profile's kernel emits the calls of generated code (the model's call_design). */
  callDesign: Record<string, string>;
  members: {
    name: string;
    kind: string;
    proto: string | null;
    sleepable: boolean;
    prologue: { insns: number; design: string | null; calls: string[] } | null;
    epilogue: { insns: number; design: string | null; calls: string[] } | null;
  }[];
  /** The member capability sheet: what each op's programs may do under the model's rules. */
  capabilities: MemberCapabilities[];
  kfuncSets: { name: string; hooks: string[]; kfuncs: number; hidden: number }[];
  kfuncs: {
    name: string;
    proto: string;
    flags: string[];
    hidden: boolean;
    set: string;
    btfId: number | null;
  }[];
  wrappers: { name: string; wraps: string; args: number }[];
  programs: { name: string; member: string; insns: number; verified: string }[];
  /** Bytes (types + strings) the model adds on top of the reference vmlinux BTF. */
  btfBytes: number;
  sources: string[];
  /** The model's review notes (`review:`), in file order; `index` is the note's place in the list. */
  review: { index: number; on: string; note: string; by: string | null; status: 'open' | 'resolved' }[];
}

export function summarizeModel(r: CheckResult): ModelSummary {
  const m = r.resolved;
  if (!m) throw new Error(`${r.file}: model did not resolve`);
  const model = m.model;
  const gen = (g: (typeof m.members)[number]['prologue']) =>
    g ? { insns: g.count, design: g.design ?? null, calls: g.calls.map((c) => c.name) } : null;
  return {
    subsystem: model.subsystem,
    title: model.title,
    kernel: model.kernel,
    profile: model.profile,
    module: m.module ?? null,
    structOps: model.struct_ops.name,
    structFrom: m.structFrom,
    verifierOps: model.struct_ops.verifier_ops,
    callDesign: { ...(model.call_design ?? {}) },
    members: m.members.map((mem) => ({
      name: mem.name,
      kind: mem.kind,
      proto: mem.func ? typeToString(mem.func, `(*${mem.name})`) : null,
      sleepable: mem.sleepable,
      prologue: gen(mem.prologue),
      epilogue: gen(mem.epilogue),
    })),
    capabilities: memberCapabilities(m),
    kfuncSets: model.kfunc_sets.map((s) => ({
      name: s.name,
      hooks: s.hook,
      kfuncs: s.kfuncs.length,
      hidden: s.kfuncs.filter((k) => k.hidden).length,
    })),
    kfuncs: [...m.kfuncs.values()].map((k) => ({
      name: k.name,
      proto: typeToString(k.type, k.name),
      flags: k.flags,
      hidden: k.hidden,
      set: k.set,
      btfId: r.build?.kfuncIds.get(k.name) ?? null,
    })),
    wrappers: [...m.wrappers.values()].map((w) => ({ name: w.name, wraps: w.wraps, args: w.args })),
    programs: r.programs.map((p) => ({
      name: p.name,
      member: p.member,
      insns: p.insns,
      verified: p.verified,
    })),
    btfBytes: r.build?.emitter.bytes() ?? 0,
    sources: model.sources,
    review: model.review.map((n, index) => ({
      index,
      on: n.on,
      note: n.note,
      by: n.by ?? null,
      status: n.status,
    })),
  };
}
