// Renders a ModelComparison as a text table or Markdown (the README's qdisc table).
import type { BlockComparison, ModelComparison, VariantResult } from './compare';
import { formatKernelTextBytes } from './kernel-text';

const num = (v: number | null): string => (v === null ? '—' : String(v));

/** Rows (metric, one value per design) for one member. */
export function comparisonRows(b: BlockComparison): { metric: string; values: string[] }[] {
  const v = b.variants;
  const row = (metric: string, f: (x: VariantResult) => string) => ({ metric, values: v.map(f) });
  const ok = (x: VariantResult, f: (x: VariantResult) => string) => (x.status === 'ok' ? f(x) : '—');
  return [
    row('profile', (x) => x.profile),
    row('status', (x) =>
      x.status === 'ok' ? 'ok' : x.status === 'not-declared' ? 'not declared' : 'NOT EXPRESSIBLE',
    ),
    row('expressible under', (x) =>
      x.status === 'not-declared'
        ? '—'
        : Object.entries(x.byProfile)
            .filter(([, r]) => r === 'ok')
            .map(([p]) => p)
            .join(', ') || 'no profile',
    ),
    row('generated insns (hook output)', (x) =>
      x.status === 'not-declared' ? '—' : String(x.generatedInsns),
    ),
    row('insns added to the program', (x) => num(x.insnsAdded)),
    row('xlated insns', (x) => num(x.xlatedInsns)),
    row('x86-64 JIT bytes (program)', (x) => num(x.jitBytes)),
    row('x86-64 JIT bytes (generated code)', (x) => num(x.jitBytesGenerated)),
    row('BTF bytes required', (x) => (x.status === 'not-declared' ? '—' : String(x.btf.requiredBytes))),
    row('BTF bytes emitted anyway (pahole)', (x) =>
      x.status === 'not-declared' ? '—' : String(x.btf.incidentalBytes),
    ),
    row('BTF id set / list entries', (x) =>
      x.status === 'not-declared' ? '—' : `${x.btf.idSetEntries} / ${x.btf.idListEntries}`,
    ),
    // Beyond the called functions' bodies; kallsyms extents incl. alignment and 16-byte __pfx_.
    row('kernel text (bytes, x86-64 6.18)', (x) =>
      x.status === 'not-declared' ? '—' : formatKernelTextBytes(x.kernelTextBytes),
    ),
    row('kfunc descriptors (generated / total)', (x) =>
      ok(x, (y) => `${y.verifier.kfuncDescriptorsForGenerated} / ${num(y.verifier.kfuncDescriptors)}`),
    ),
    row('btf_distill_func_proto runs', (x) => ok(x, (y) => num(y.verifier.distillRuns))),
    // do_check runs before the pro/epilogue are patched in, so generated code adds no work.
    row('verifier work: processed insns', (x) => ok(x, (y) => num(y.verifier.processedInsns))),
    row('program → module refs', (x) => ok(x, (y) => y.references.programToModule.join(', ') || 'none')),
    row('struct_ops map → module ref', (x) => x.references.mapToModule ?? 'none (built-in)'),
    row('far calls: archs that cannot call', (x) =>
      x.status === 'not-declared'
        ? '—'
        : Object.entries(x.farCall)
            .filter(([, f]) => f.callable !== 'always' && f.callable !== 'n/a')
            .map(([a, f]) => `${a} (${f.callable})`)
            .join(', ') || 'none',
    ),
    row('far-call archs: kfunc imm', (x) =>
      x.design !== 'kfunc' || x.status === 'not-declared'
        ? '—'
        : Object.entries(x.farCall)
            .filter(([, f]) => f.kfuncImm === 'btf-id')
            .map(([a]) => a)
            .join(', ') + ' keep BTF id',
    ),
    row('distill / helper ABI', (x) =>
      x.distill.length === 0
        ? '—'
        : x.distill
            .map(
              (d) =>
                `${d.distillOk ? 'ok' : `broken: ${d.distillReason}`} / ${d.helperAbiOk ? 'ok' : 'broken'}`,
            )
            .join('; '),
    ),
    row('why not', (x) => x.reason ?? ''),
  ];
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatComparisonTable(c: ModelComparison): string {
  const out: string[] = [
    `${c.title} — profile ${c.profile}${c.module ? `, module ${c.module}` : ', built-in'}`,
  ];
  for (const b of c.members) {
    out.push('');
    out.push(
      `${b.member} (${b.blocks.join(' + ')}; program ${b.program}, ${b.programInsns} insns; kernel uses: ${b.kernelDesign ?? 'no calls'})`,
    );
    const head = ['', ...b.variants.map((v) => v.design)];
    const rows = comparisonRows(b).filter((r) => r.metric !== 'why not' || r.values.some(Boolean));
    out.push(pad([head, ...rows.map((r) => [r.metric, ...r.values])]));
  }
  return `${out.join('\n')}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function formatComparisonMarkdown(c: ModelComparison): string {
  const out: string[] = [`### ${c.title} — profile \`${c.profile}\``];
  for (const b of c.members) {
    out.push('');
    out.push(
      `**${b.member}** (${b.blocks.join(' + ')}; program \`${b.program}\`, ${b.programInsns} insns; kernel uses: ${b.kernelDesign ?? 'no calls'})`,
    );
    out.push('');
    out.push(`| | ${b.variants.map((v) => v.design).join(' | ')} |`);
    out.push(`|---|${b.variants.map(() => '---').join('|')}|`);
    for (const r of comparisonRows(b)) {
      if (r.metric === 'why not' && !r.values.some(Boolean)) continue;
      out.push(`| ${r.metric} | ${r.values.map(mdCell).join(' | ')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
