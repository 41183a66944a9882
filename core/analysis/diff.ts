// Two models (a proposal and its revision), or one model under two profiles: what was
// added, removed or changed (members, generated blocks, kfuncs, kfunc sets, wrappers,
// programs), and what that does to the measured costs per member and in total.
import type { CheckResult } from '../model/check';
import type { ModelComparison, VariantResult } from './compare';
import type { DesignTotals } from './totals';

export const DIFF_KINDS = [
  'model',
  'member',
  'generated',
  'kfunc',
  'kfunc set',
  'wrapper',
  'program',
] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];

export interface ItemChange {
  kind: DiffKind;
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** What changed, "field: old → new" joined by "; " (changed items only). */
  detail?: string;
}

export interface CostDelta {
  /** A member name, or 'total' for the subsystem totals. */
  member: string;
  /** Designs with this same change, joined by ', ' (identical rows fold into one). */
  design: string;
  metric: string;
  a: number | string | null;
  b: number | string | null;
  /** b − a when both are numbers. */
  delta: number | null;
}

export interface ModelDiff {
  a: { file: string; title: string; profile: string };
  b: { file: string; title: string; profile: string };
  changes: ItemChange[];
  /** Only the metrics that differ. */
  costs: CostDelta[];
}

type Fields = Record<string, string>;

const norm = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
const lines = (s: string | undefined): string[] =>
  (s ?? '')
    .split('\n')
    .map((l) => l.replace(/;.*$/, '').trim())
    .filter(Boolean);

/** The fields of every item of a kind, by name. */
function items(r: CheckResult): Map<DiffKind, Map<string, Fields>> {
  const m = r.resolved!;
  const spec = m.model;
  const out = new Map<DiffKind, Map<string, Fields>>(DIFF_KINDS.map((k) => [k, new Map()]));
  out.get('model')!.set(spec.subsystem, {
    struct_ops: spec.struct_ops.name,
    kernel: spec.kernel,
    owner: m.module ? `module ${m.module}` : 'vmlinux',
    call_design: Object.entries(spec.call_design ?? {})
      .map(([p, d]) => `${p}: ${d}`)
      .join(', '),
    verifier_ops: spec.struct_ops.verifier_ops.join(' '),
  });
  for (const mem of spec.struct_ops.members) {
    out.get('member')!.set(mem.name, {
      decl: norm(mem.decl),
      kind: mem.kind ?? 'op',
      sleepable: String(mem.sleepable ?? false),
    });
    for (const which of ['prologue', 'epilogue'] as const) {
      const g = mem[which];
      if (g)
        out
          .get('generated')!
          .set(`${mem.name}.${which}`, { insns: lines(g.insns).join('\n'), design: g.design ?? '' });
    }
  }
  for (const k of m.kfuncs.values())
    out.get('kfunc')!.set(k.name, {
      decl: norm(k.spec.decl),
      flags: k.flags.join(' '),
      hidden: String(k.hidden),
      set: k.set,
      owner: k.module ?? 'vmlinux',
    });
  for (const s of spec.kfunc_sets)
    out.get('kfunc set')!.set(s.name, {
      hooks: s.hook.join(' '),
      filter: s.filter ?? '',
      kfuncs: [...m.kfuncs.values()]
        .filter((k) => k.set === s.name)
        .map((k) => k.name)
        .join(' '),
    });
  for (const w of m.wrappers.values())
    out.get('wrapper')!.set(w.name, { wraps: w.wraps, args: String(w.args), owner: w.module ?? 'vmlinux' });
  for (const p of spec.programs)
    out.get('program')!.set(p.name, { member: p.member, insns: lines(p.insns).join('\n') });
  return out;
}

function describe(field: string, a: string, b: string): string {
  if (field === 'insns') {
    const la = a ? a.split('\n') : [];
    const lb = b ? b.split('\n') : [];
    const gone = la.filter((l) => !lb.includes(l));
    const added = lb.filter((l) => !la.includes(l));
    const parts = [`${la.length} → ${lb.length} insns`];
    if (added.length) parts.push(`+ ${added.join(' | ')}`);
    if (gone.length) parts.push(`− ${gone.join(' | ')}`);
    return `insns: ${parts.join(', ')}`;
  }
  return `${field}: ${a || '(none)'} → ${b || '(none)'}`;
}

/** Added, removed and changed items between two checked models. */
export function diffItems(a: CheckResult, b: CheckResult): ItemChange[] {
  const ia = items(a);
  const ib = items(b);
  const out: ItemChange[] = [];
  for (const kind of DIFF_KINDS) {
    const ma = ia.get(kind)!;
    const mb = ib.get(kind)!;
    // The model's own row is matched even when the subsystem id differs.
    const pairs: [string, Fields | undefined, Fields | undefined][] =
      kind === 'model'
        ? [
            [
              `${[...ma.keys()][0]}${[...ma.keys()][0] === [...mb.keys()][0] ? '' : ` → ${[...mb.keys()][0]}`}`,
              [...ma.values()][0],
              [...mb.values()][0],
            ],
          ]
        : [...new Set([...ma.keys(), ...mb.keys()])].map((n) => [n, ma.get(n), mb.get(n)]);
    for (const [name, fa, fb] of pairs) {
      if (!fa) out.push({ kind, name, change: 'added' });
      else if (!fb) out.push({ kind, name, change: 'removed' });
      else {
        const d = Object.keys({ ...fa, ...fb })
          .filter((f) => (fa[f] ?? '') !== (fb[f] ?? ''))
          .map((f) => describe(f, fa[f] ?? '', fb[f] ?? ''));
        if (d.length) out.push({ kind, name, change: 'changed', detail: d.join('; ') });
      }
    }
  }
  return out;
}

const VARIANT_METRICS: [string, (v: VariantResult) => number | string | null][] = [
  ['status', (v) => v.status],
  [
    'generated insns',
    (v) => (v.status === 'not-declared' || v.status === 'absent' ? null : v.generatedInsns),
  ],
  ['insns added', (v) => v.insnsAdded],
  ['xlated insns', (v) => v.xlatedInsns],
  ['JIT bytes (program)', (v) => v.jitBytes],
  ['JIT bytes (generated code)', (v) => v.jitBytesGenerated],
  ['kfunc descriptors', (v) => v.verifier.kfuncDescriptors],
  ['btf_distill_func_proto runs', (v) => v.verifier.distillRuns],
  ['processed insns', (v) => v.verifier.processedInsns],
  ['program → module refs', (v) => v.references.programToModule.join(', ') || 'none'],
];

const TOTAL_METRICS: [string, (t: DesignTotals) => number | string | null][] = [
  ['status', (t) => t.status],
  ['functions called', (t) => t.functions.length],
  ['BTF bytes required', (t) => t.perSubsystem.btfRequiredBytes],
  ['BTF bytes emitted anyway', (t) => t.perSubsystem.btfIncidentalBytes],
  ['BTF id set entries', (t) => t.perSubsystem.idSetEntries],
  ['kernel text per subsystem', (t) => t.perSubsystem.kernelText.total],
  ['kernel text per kernel', (t) => t.perKernel.kernelText.total],
  ['insns added (all members)', (t) => t.perMember.insnsAdded],
  ['JIT bytes generated (all members)', (t) => t.perMember.jitBytesGenerated],
  ['kfunc descriptors (all members)', (t) => t.perMember.kfuncDescriptors],
  ['processed insns (all members)', (t) => t.perMember.processedInsns],
  ['program → module refs', (t) => t.programToModule.join(', ') || 'none'],
];

function delta(
  member: string,
  design: string,
  metric: string,
  a: CostDelta['a'],
  b: CostDelta['b'],
): CostDelta {
  return {
    member,
    design,
    metric,
    a,
    b,
    delta: typeof a === 'number' && typeof b === 'number' ? b - a : null,
  };
}

/** Rows equal but for the design fold into one naming every design. */
function foldDesigns(rows: CostDelta[]): CostDelta[] {
  const out: CostDelta[] = [];
  const byKey = new Map<string, CostDelta>();
  for (const r of rows) {
    const key = JSON.stringify([r.member, r.metric, r.a, r.b]);
    const hit = byKey.get(key);
    if (hit) hit.design = `${hit.design}, ${r.design}`;
    else {
      const copy = { ...r };
      byKey.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/**
 * Metric rows that differ between two sides. When the status changed (a design became
 * expressible, or a member appeared), only the status and the size on the side that has
 * numbers are worth a row: every other metric just goes from a number to '—'.
 */
function metricRows<T>(
  member: string,
  design: string,
  x: T | undefined,
  y: T | undefined,
  metrics: [string, (v: T) => CostDelta['a']][],
  size: readonly string[],
): CostDelta[] {
  const get = (v: T | undefined, f: (v: T) => CostDelta['a']) => (v === undefined ? null : f(v));
  const status = metrics.find(([m]) => m === 'status')![1];
  const statusChanged = get(x, status) !== get(y, status);
  const out: CostDelta[] = [];
  for (const [metric, f] of metrics) {
    if (statusChanged && metric !== 'status' && !size.includes(metric)) continue;
    const a = get(x, f);
    const b = get(y, f);
    if (a !== b) out.push(delta(member, design, metric, a, b));
  }
  return out;
}

/** The metrics that differ, per member (present in either) and per design, then the totals. */
export function diffCosts(a: ModelComparison, b: ModelComparison): CostDelta[] {
  const out: CostDelta[] = [];
  const names = [...new Set([...a.members.map((m) => m.member), ...b.members.map((m) => m.member)])];
  for (const name of names) {
    const ma = a.members.find((m) => m.member === name);
    const mb = b.members.find((m) => m.member === name);
    for (const design of (ma ?? mb)!.variants.map((v) => v.design)) {
      const va = ma?.variants.find((v) => v.design === design);
      const vb = mb?.variants.find((v) => v.design === design);
      out.push(...metricRows(name, design, va, vb, VARIANT_METRICS, ['JIT bytes (generated code)']));
    }
  }
  for (const ta of a.totals) {
    const tb = b.totals.find((t) => t.design === ta.design);
    out.push(
      ...metricRows('total', ta.design, ta, tb, TOTAL_METRICS, [
        'JIT bytes generated (all members)',
        'BTF bytes required',
        'BTF bytes emitted anyway',
        'kernel text per subsystem',
      ]),
    );
  }
  return foldDesigns(out);
}

export function diffModels(
  a: { check: CheckResult; comparison: ModelComparison },
  b: { check: CheckResult; comparison: ModelComparison },
): ModelDiff {
  const side = (s: typeof a) => ({
    file: s.check.file,
    title: s.comparison.title,
    profile: String(s.comparison.profile),
  });
  return {
    a: side(a),
    b: side(b),
    changes: diffItems(a.check, b.check),
    costs: diffCosts(a.comparison, b.comparison),
  };
}
