// The subsystem graph of a checked model: the struct_ops type, its members and the
// programs that implement them; kfunc sets and kfuncs; BPF_CALL_N wrappers and what
// they wrap; the calls generated pro/epilogues make (one edge per mechanism the model
// can express, the stated one marked active); and the references programs and the
// struct_ops map hold on modules. Clusters split vmlinux, each module, and BPF.

import type { Btf } from '../../core/btf/btf';
import { disasmProgram } from '../../core/isa/disasm';
import { helperId } from '../../core/isa/helper-names';
import { BPF_PSEUDO_KFUNC_CALL } from '../../core/isa/opcodes';
import { assembleProgram } from '../../core/model/build';
import type { CheckResult } from '../../core/model/check';
import { runModelPipeline } from '../../core/model/pipeline';
import { type ResolvedModel, wrapperFor } from '../../core/model/resolve';
import { xlatedForListing } from '../../core/verifier/fixups/dump';
import type {
  SubsystemCluster,
  SubsystemEdge,
  SubsystemGraph,
  SubsystemNode,
  SubsystemNodeLink,
  SubsystemProgram,
} from './types';

const clusterOf = (module: string | undefined): string => (module ? `module:${module}` : 'vmlinux');

export function buildSubsystemGraph(name: string, check: CheckResult, base?: Btf): SubsystemGraph {
  const m = check.resolved;
  if (!m) throw new Error(`${check.file}: model did not resolve`);
  const model = m.model;
  const nodes = new Map<string, SubsystemNode>();
  const edges: SubsystemEdge[] = [];
  const clusters = new Map<string, SubsystemCluster>();
  const edgeKeys = new Set<string>();

  const cluster = (id: string): string => {
    if (!clusters.has(id)) {
      const c: SubsystemCluster = id.startsWith('module:')
        ? { id, kind: 'module', label: `module ${id.slice(7)}` }
        : id === 'bpf'
          ? { id, kind: 'bpf', label: 'BPF programs' }
          : { id, kind: 'vmlinux', label: 'vmlinux (built in)' };
      clusters.set(id, c);
    }
    return id;
  };
  const node = (n: Omit<SubsystemNode, 'cluster'> & { cluster: string }): SubsystemNode => {
    const old = nodes.get(n.id);
    if (old) return old;
    cluster(n.cluster);
    nodes.set(n.id, n);
    return n;
  };
  const edge = (e: Omit<SubsystemEdge, 'id'>): void => {
    const key = `${e.kind}|${e.from}|${e.to}|${e.mechanism ?? ''}|${e.label ?? ''}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push({ id: `e${edges.length}`, ...e });
  };
  // The reference BTF the app's BTF browser shows: only its ids are linked; a type the
  // model adds (declared, or a kfunc the reference build lacks) is marked as the model's own.
  const refBtf = base ?? check.build?.emitter.base;
  const vmlinuxId = (name: string, kind: 'STRUCT' | 'FUNC'): number | undefined =>
    refBtf?.findByName(name, kind) ?? (kind === 'STRUCT' ? refBtf?.findByName(name, 'UNION') : undefined);

  const moduleNode = (mod: string): string =>
    node({
      id: `module:${mod}`,
      kind: 'module',
      label: mod,
      badges: ['struct module'],
      cluster: clusterOf(mod),
      details: [{ key: 'module', value: mod }],
    }).id;

  // struct_ops type and its members
  const soCluster = clusterOf(m.module);
  const so = node({
    id: `struct_ops:${model.struct_ops.name}`,
    kind: 'struct_ops',
    label: `struct ${model.struct_ops.name}`,
    badges: [m.structFrom === 'btf' ? 'BTF' : 'declared'],
    cluster: soCluster,
    details: [
      { key: 'subsystem', value: model.subsystem },
      { key: 'owner', value: m.module ? `module ${m.module}` : 'vmlinux' },
      { key: 'verifier_ops', value: model.struct_ops.verifier_ops.join(', ') },
      { key: 'members', value: String(m.members.length) },
      ...btfDetail(model.struct_ops.name, vmlinuxId(model.struct_ops.name, 'STRUCT')),
    ],
    links: typeLinks(`struct ${model.struct_ops.name}`, vmlinuxId(model.struct_ops.name, 'STRUCT')),
  });
  if (m.module) edge({ from: so.id, to: moduleNode(m.module), kind: 'module-ref', label: 'map pins owner' });

  for (const mem of m.members) {
    const badges: string[] = [];
    if (mem.kind !== 'op') badges.push(mem.kind);
    if (mem.sleepable) badges.push('sleepable');
    if (mem.prologue) badges.push('prologue');
    if (mem.epilogue) badges.push('epilogue');
    const details = [
      { key: 'kind', value: mem.kind },
      { key: 'index', value: String(mem.index) },
    ];
    for (const g of [mem.prologue, mem.epilogue]) {
      if (!g) continue;
      details.push({
        key: g.which,
        value: `${g.count} insns${g.design ? ` · ${g.design}` : ''}${g.calls.length ? ` · calls ${g.calls.map((c) => c.name).join(', ')}` : ''}`,
      });
    }
    const mn = node({
      id: `member:${mem.name}`,
      kind: 'member',
      label: mem.name,
      badges,
      cluster: soCluster,
      details,
    });
    edge({ from: so.id, to: mn.id, kind: 'has' });
  }

  // kfunc sets and kfuncs
  for (const set of model.kfunc_sets) {
    const first = [...m.kfuncs.values()].find((k) => k.set === set.name);
    const setCluster = clusterOf(
      first?.module ?? (set.owner && set.owner !== 'vmlinux' ? set.owner.module : m.module),
    );
    const sn = node({
      id: `kfunc_set:${set.name}`,
      kind: 'kfunc_set',
      label: set.name,
      badges: set.hook,
      cluster: setCluster,
      details: [
        { key: 'hooks', value: set.hook.join(', ') },
        { key: 'kfuncs', value: String(set.kfuncs.length) },
        ...(set.filter ? [{ key: 'filter', value: set.filter }] : []),
      ],
    });
    for (const k of m.kfuncs.values()) {
      if (k.set !== set.name) continue;
      const kn = node({
        id: `kfunc:${k.name}`,
        kind: 'kfunc',
        label: k.name,
        badges: [...k.flags, ...(k.hidden ? ['hidden'] : [])],
        cluster: clusterOf(k.module),
        details: [
          { key: 'prototype', value: k.spec.decl },
          { key: 'flags', value: k.flags.join(' ') || '(none)' },
          { key: 'set', value: k.set },
          { key: 'owner', value: k.module ? `module ${k.module}` : 'vmlinux' },
          ...kfuncBtfDetail(k.name, k.module, check.build?.kfuncIds.get(k.name), vmlinuxId(k.name, 'FUNC')),
          ...(k.hidden ? [{ key: 'hidden', value: 'only generated code may call it' }] : []),
        ],
        links: typeLinks(`prototype of ${k.name}`, k.module ? undefined : vmlinuxId(k.name, 'FUNC')),
      });
      edge({ from: sn.id, to: kn.id, kind: 'has' });
    }
  }

  // BPF_CALL_N wrappers and the functions they wrap
  for (const w of m.wrappers.values()) {
    const wn = node({
      id: `wrapper:${w.name}`,
      kind: 'wrapper',
      label: w.name,
      badges: [`BPF_CALL_${w.args}`],
      cluster: clusterOf(w.module),
      details: [
        { key: 'wraps', value: w.wraps },
        { key: 'args', value: String(w.args) },
        { key: 'owner', value: w.module ? `module ${w.module}` : 'vmlinux' },
      ],
    });
    const target = w.target
      ? `kfunc:${w.target.name}`
      : node({
          id: `kernel_func:${w.wraps}`,
          kind: 'kernel_func',
          label: w.wraps,
          badges: [],
          cluster: clusterOf(w.module),
          details: [{ key: 'function', value: w.wraps }],
        }).id;
    edge({ from: wn.id, to: target, kind: 'wraps' });
  }

  const helperNode = (name: string): string =>
    node({
      id: `helper:${name}`,
      kind: 'helper',
      label: name,
      badges: [`helper #${helperId(name)}`],
      cluster: 'vmlinux',
      details: [{ key: 'helper id', value: String(helperId(name)) }],
    }).id;

  // Calls generated pro/epilogues make: one edge per mechanism the model can express.
  for (const mem of m.members) {
    for (const g of [mem.prologue, mem.epilogue]) {
      if (!g) continue;
      for (const c of g.calls) {
        for (const d of c.designs) {
          let to: string | undefined;
          if (d === 'kfunc') to = `kfunc:${c.name}`;
          else if (d === 'wrapper') {
            const w = wrapperFor(m, c.name);
            if (w) to = `wrapper:${w.name}`;
          } else to = helperNode(c.name);
          if (!to || !nodes.has(to)) continue;
          edge({
            from: `member:${mem.name}`,
            to,
            kind: 'generated',
            mechanism: d,
            active: d === g.design,
            label: g.which,
          });
        }
      }
    }
  }

  // Programs: what they implement, call, and which modules they pin.
  const programs: SubsystemProgram[] = [];
  m.programs.forEach((p, i) => {
    const id = `program:${p.spec.name}`;
    const mem = p.member;
    const design = mem.prologue?.design ?? mem.epilogue?.design ?? null;
    const pc = check.programs.find((x) => x.name === p.spec.name);
    node({
      id,
      kind: 'program',
      label: p.spec.name,
      badges: [`${p.lines.length} insns`],
      cluster: cluster('bpf'),
      details: [
        { key: 'member', value: mem.name },
        { key: 'insns', value: String(pc?.insns ?? p.lines.length) },
        ...(p.spec.note ? [{ key: 'note', value: p.spec.note }] : []),
        ...(pc ? [{ key: 'verified', value: pc.verified }] : []),
      ],
      links: [
        { kind: 'verifier', label: 'verifier (BPF | patched)', program: p.spec.name },
        { kind: 'jit', label: 'JIT (patched | x86)', program: p.spec.name },
      ],
    });
    edge({ from: `member:${mem.name}`, to: id, kind: 'implements' });
    const pinned = new Set<string>();
    for (const l of p.lines) {
      if (!l.callName) continue;
      const k = m.kfuncs.get(l.callName);
      if (k) {
        edge({ from: id, to: `kfunc:${k.name}`, kind: 'calls', mechanism: 'kfunc' });
        if (k.module) pinned.add(k.module);
      } else if (helperId(l.callName) !== undefined) {
        edge({ from: id, to: helperNode(l.callName), kind: 'calls', mechanism: 'helper' });
      }
    }
    // Generated kfunc calls enter the program's kfunc_btf_tab too.
    if (design === 'kfunc') {
      for (const g of [mem.prologue, mem.epilogue]) {
        for (const c of g?.calls ?? []) {
          const mod = m.kfuncs.get(c.name)?.module;
          if (mod) pinned.add(mod);
        }
      }
    }
    for (const mod of pinned)
      edge({ from: id, to: moduleNode(mod), kind: 'module-ref', label: 'kfunc_btf_tab' });
    programs.push(programListing(check, m, i, design, base));
  });

  attachReviewNotes(nodes, model.review);

  return {
    name,
    title: model.title,
    subsystem: model.subsystem,
    structOps: model.struct_ops.name,
    module: m.module ?? null,
    profile: model.profile,
    clusters: [...clusters.values()],
    nodes: [...nodes.values()],
    edges,
    programs,
  };
}

/** Node kinds a review note's `on` may name (a name may be several: a program and its member). */
const REVIEWED_KINDS = ['member', 'kfunc', 'kfunc_set', 'wrapper', 'program'] as const;

/** Each note on the nodes it names, and a badge saying how many are still open. */
function attachReviewNotes(
  nodes: Map<string, SubsystemNode>,
  review: ResolvedModel['model']['review'],
): void {
  review.forEach((n, index) => {
    for (const kind of REVIEWED_KINDS) {
      const node = nodes.get(`${kind}:${n.on}`);
      if (!node) continue;
      node.review ??= [];
      node.review.push({ index, note: n.note, by: n.by ?? null, status: n.status });
    }
  });
  for (const node of nodes.values()) {
    if (!node.review) continue;
    const open = node.review.filter((r) => r.status === 'open').length;
    node.badges.push(open ? `review: ${open} open` : 'review: resolved');
  }
}

function btfDetail(name: string, id: number | undefined): { key: string; value: string }[] {
  return [
    {
      key: 'BTF',
      value:
        id !== undefined ? `vmlinux type id ${id}` : `the model's own (struct ${name} is not in vmlinux)`,
    },
  ];
}

/**
 * Where a kfunc's BTF FUNC lives: a vmlinux id is real in the reference BTF; a kfunc the
 * model adds sits in the model's own BTF (a module's split BTF, or the types a built-in
 * model adds), numbered after vmlinux's ids there, never an id of the reference BTF.
 */
function kfuncBtfDetail(
  name: string,
  module: string | undefined,
  modelId: number | undefined,
  vmlinux: number | undefined,
): { key: string; value: string }[] {
  if (!module && vmlinux !== undefined) return [{ key: 'BTF', value: `vmlinux FUNC id ${vmlinux}` }];
  const own = module ? `module ${module}'s split BTF` : "the model's own BTF (not in the reference vmlinux)";
  return [
    { key: 'BTF', value: `${own}${modelId !== undefined ? `, FUNC id ${modelId} there` : ''}: ${name}` },
  ];
}

function typeLinks(label: string, id: number | undefined): SubsystemNodeLink[] {
  return id !== undefined ? [{ kind: 'btf', label, btfId: id }] : [];
}

function programListing(
  check: CheckResult,
  m: ResolvedModel,
  index: number,
  design: string | null,
  base: Btf | undefined,
): SubsystemProgram {
  const p = m.programs[index]!;
  const out: SubsystemProgram = {
    name: p.spec.name,
    member: p.member.name,
    bpf: p.lines.map((l, k) => `${k}: ${l.text}`),
    patched: null,
    design,
  };
  if (!check.build || !check.as) {
    out.error = 'model has errors';
    return out;
  }
  try {
    const insns = assembleProgram(m, { build: check.build, as: check.as }, index);
    out.bpf = disasmProgram(insns).map((line, k) =>
      p.lines[k]?.callName ? line.replace(/call .*$/, `call ${p.lines[k]!.callName}`) : line,
    );
    // A program pinned as rejected has no xlated form: say what the kernel answers instead.
    if (p.spec.expect?.verdict === 'reject') {
      out.error = `rejected at load as pinned${p.spec.expect.error ? `: ${p.spec.expect.error}` : ''}`;
      return out;
    }
    const b = base ?? check.build.emitter.base;
    if (!b) {
      out.error = 'no reference BTF';
      return out;
    }
    const run = runModelPipeline({
      check,
      base: b,
      member: p.member.name,
      insns,
      design: (design ?? undefined) as Parameters<typeof runModelPipeline>[0]['design'],
      profile: m.model.profile,
    });
    // After fixup_kfunc_call a call's imm is an offset from __bpf_call_base: name it as the log would.
    const as = check.as;
    const resolver = {
      callName: (insn: { src: number; imm: number }) =>
        insn.src === 0 || insn.src === BPF_PSEUDO_KFUNC_CALL ? as.symbolForImm(insn.imm)?.name : undefined,
    };
    if (run.ok && run.fixups) out.patched = disasmProgram(xlatedForListing(run.fixups.insns), resolver);
    else out.error = run.error ?? 'pipeline failed';
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}
