// The comparison's answer in sentences, computed from the measured totals (never written
// per model): where the designs differ and by how much, what is the same, what a profile
// cannot express and the kernel's error, and the facts without bytes (module references,
// far-call architectures, who keeps what).
import type { CallDesign } from '../model/schema';
import type { ModelComparison } from './compare';
import type { DesignTotals } from './totals';

const DESIGN_NAME: Record<CallDesign, string> = {
  kfunc: 'kfunc',
  wrapper: 'BPF_CALL_N wrapper',
  helper: 'helper',
};

const list = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A measured number; an unmeasured part (inline code) shows as "+ ?". */
const textBytes = (t: DesignTotals['perSubsystem']['kernelText']): string =>
  t.items.length === 0 ? '0' : `${t.total ?? '?'}${t.unmeasured && t.total !== null ? ' + ?' : ''}`;

interface Metric {
  what: string;
  unit: string;
  value: (t: DesignTotals) => number | null;
}

const METRICS: Metric[] = [
  { what: 'BTF required', unit: 'bytes', value: (t) => t.perSubsystem.btfRequiredBytes },
  { what: 'BTF pahole emits anyway', unit: 'bytes', value: (t) => t.perSubsystem.btfIncidentalBytes },
  { what: 'BTF id set / list entries', unit: '', value: (t) => t.perSubsystem.idSetEntries },
  { what: 'kernel text per subsystem', unit: 'bytes', value: (t) => t.perSubsystem.kernelText.total },
  { what: 'kernel text once per kernel', unit: 'bytes', value: (t) => t.perKernel.kernelText.total },
  { what: 'kfunc descriptors', unit: '', value: (t) => t.perMember.kfuncDescriptors },
  { what: 'btf_distill_func_proto runs', unit: '', value: (t) => t.perMember.distillRuns },
  { what: 'generated instructions', unit: '', value: (t) => t.perMember.generatedInsns },
  { what: 'instructions added to the programs', unit: '', value: (t) => t.perMember.insnsAdded },
  { what: 'x86-64 JIT bytes of generated code', unit: 'bytes', value: (t) => t.perMember.jitBytesGenerated },
  { what: 'verifier processed insns', unit: '', value: (t) => t.perMember.processedInsns },
];

/** One paragraph per topic; each sentence built from ModelComparison data. */
export function comparisonTakeaway(c: ModelComparison): string[] {
  if (c.absent) return [`${c.title}: ${c.absent.reason}, so there is nothing to measure under it.`];
  if (c.members.length === 0) return [`${c.title}: no member has generated code; nothing to compare.`];
  const out: string[] = [];
  const ran = c.totals.filter((t) => t.status === 'ok');
  const functions = [...new Set(c.totals.flatMap((t) => (t.design === 'kfunc' ? t.functions : [])))];
  const scope =
    `${c.title}: ${plural(c.members.length, 'member')} with generated code (${list(c.members.map((m) => m.member))})` +
    (functions.length
      ? ` calling ${plural(functions.length, 'kernel function')} (${list(functions)}), each counted once.`
      : '.');
  out.push(
    `${scope} ${c.totals
      .filter((t) => t.status !== 'not-declared')
      .map((t) => `${DESIGN_NAME[t.design]} measured under profile ${t.profile}`)
      .join('; ')}; sizes from the reference kernel ${c.reference.release} (${c.reference.arch}).`,
  );

  if (ran.length >= 2) {
    const [a, b] = ran as [DesignTotals, DesignTotals];
    const differ: string[] = [];
    const same: string[] = [];
    for (const m of METRICS) {
      const va = m.value(a);
      const vb = m.value(b);
      if (va === null || vb === null) continue;
      const u = m.unit ? ` ${m.unit}` : '';
      if (va === vb) same.push(`${m.what} (${va}${u})`);
      else
        differ.push(
          `${m.what}: ${DESIGN_NAME[a.design]} ${va}, ${DESIGN_NAME[b.design]} ${vb}${u} (${vb - va > 0 ? '+' : ''}${vb - va})`,
        );
    }
    if (differ.length) out.push(`They differ in ${differ.join('; ')}.`);
    if (same.length) out.push(`The same in both: ${same.join(', ')}.`);
    const kt = (t: DesignTotals) =>
      `${DESIGN_NAME[t.design]} ${textBytes(t.perSubsystem.kernelText)} per subsystem + ${textBytes(t.perKernel.kernelText)} once per kernel`;
    out.push(
      `Kernel text beyond the called bodies: ${ran.map(kt).join('; ')} ("?" = inline code without a symbol to measure; per-kernel code is shared by every subsystem using the design).`,
    );
  } else if (ran.length === 1) {
    out.push(`Only the ${DESIGN_NAME[ran[0]!.design]} design runs here; the others cannot be compared.`);
  }

  for (const t of c.totals) {
    if (t.status === 'not-declared')
      out.push(`${DESIGN_NAME[t.design]}: not declared by the model: ${t.reason}.`);
    else if (t.status === 'absent') out.push(`${DESIGN_NAME[t.design]}: ${t.reason}.`);
  }
  // What each profile cannot express, with the kernel's error (from the first member's runs).
  for (const t of c.totals) {
    if (t.status === 'not-declared' || t.status === 'absent') continue;
    const v = c.members[0]!.variants.find((x) => x.design === t.design)!;
    const no = Object.entries(v.byProfile).filter(([, r]) => r !== 'ok');
    const yes = Object.entries(v.byProfile)
      .filter(([, r]) => r === 'ok')
      .map(([p]) => p);
    if (!no.length) continue;
    out.push(
      `${DESIGN_NAME[t.design]} is expressible under ${yes.length ? list(yes) : 'no profile'}; ${no
        .map(([p, r]) => `under ${p}: ${r}`)
        .join('; ')}.`,
    );
  }

  const facts: string[] = [];
  for (const t of c.module ? ran : []) {
    facts.push(
      t.programToModule.length
        ? `with ${DESIGN_NAME[t.design]}s each program holds a reference on ${list(t.programToModule)} (kfunc_btf_tab)`
        : `with ${DESIGN_NAME[t.design]}s programs hold no module reference`,
    );
  }
  const mapRef = c.module
    ? `the struct_ops map holds ${c.module} either way`
    : 'everything is built into vmlinux, so no module reference is involved';
  facts.push(mapRef);
  for (const t of ran) {
    if (t.kfuncImmBtfId.length && t.design === 'kfunc')
      facts.push(
        `on ${list(t.kfuncImmBtfId)} (far kfunc calls) the kfunc call keeps its BTF id and the JIT loads a 64-bit address`,
      );
    const archs = (c: string) => t.farCallProblems.filter((p) => p.callable === c).map((p) => p.arch);
    if (archs('never').length)
      facts.push(
        `${DESIGN_NAME[t.design]} calls cannot reach their targets on ${list(archs('never'))} (far calls)`,
      );
    if (archs('depends').length)
      facts.push(`${DESIGN_NAME[t.design]} calls may not reach them on ${list(archs('depends'))}`);
  }
  if (facts.length) out.push(`${facts.join('; ')}.`.replace(/^./, (ch) => ch.toUpperCase()));

  const keeps: string[] = [];
  const owner = c.module ? `module ${c.module}` : `the subsystem (${c.facts.sources[0] ?? 'its source'})`;
  if (c.facts.kfuncSets.length)
    keeps.push(
      `for kfuncs ${owner} keeps ${list(
        c.facts.kfuncSets.map(
          (s) => `${list(s.functions)} in kfunc set ${s.name}${s.filter ? ` hidden by ${s.filter}` : ''}`,
        ),
      )} plus a BTF_ID_LIST for the generator, and the verifier keeps add_kfunc_in_insns`,
    );
  if (c.facts.wrappers.length)
    keeps.push(
      `for wrappers ${owner} keeps ${plural(c.facts.wrappers.length, 'BPF_CALL_N function')} (${list(
        c.facts.wrappers.map((w) => w.name),
      )}), and the verifier keeps the finalized_call marking`,
    );
  if (keeps.length) out.push(`Maintenance: ${keeps.join('; ')}.`);
  return out;
}
