// Renders a ModelComparison as a text table, Markdown (the README's qdisc table) or plain
// text for a mail body. Subsystem totals and the takeaway come first; in every table the
// rows where the designs differ come first and the equal rows fold into one line.
import type { BlockComparison, ModelComparison, VariantResult } from './compare';
import type { KernelTextBytes } from './kernel-text';
import type { DesignTotals } from './totals';

export interface ComparisonRow {
  metric: string;
  values: string[];
  /** Equal in every design that is declared and exists under its profile (folded when shown). */
  same: boolean;
}

const num = (v: number | null): string => (v === null ? '—' : String(v));

/** Designs whose columns are compared: declared by the model, subsystem present under the profile. */
const compared = (statuses: readonly VariantResult['status'][]): boolean[] =>
  statuses.map((s) => s !== 'not-declared' && s !== 'absent');

/** Marks rows equal across the compared designs, then orders differing rows first (stable). */
export function orderRows(
  rows: { metric: string; values: string[] }[],
  statuses: readonly VariantResult['status'][],
): ComparisonRow[] {
  const cmp = compared(statuses);
  const n = cmp.filter(Boolean).length;
  const marked = rows.map((r) => {
    const vals = r.values.filter((_, i) => cmp[i]);
    return { ...r, same: n >= 2 && vals.every((v) => v === vals[0]) };
  });
  return [...marked.filter((r) => !r.same), ...marked.filter((r) => r.same)];
}

const STATUS: Record<VariantResult['status'], string> = {
  ok: 'ok',
  'not-declared': 'not declared',
  'not-expressible': 'NOT EXPRESSIBLE',
  absent: 'no such subsystem',
};

/** Short kernel-text cell: the measured total, "+ ?" for unmeasured inline code, "est." for estimates. */
export function kernelTextCell(k: KernelTextBytes): string {
  if (k.items.length === 0) return '0';
  const est = k.items.some((i) => i.source === 'estimate') ? ' est.' : '';
  return `${k.total ?? '?'}${k.unmeasured && k.total !== null ? ' + ?' : ''}${est}`;
}

/** Per-member rows: what each member's loaded program pays (function-level costs are in the totals). */
export function comparisonRows(b: BlockComparison): ComparisonRow[] {
  const v = b.variants;
  const row = (metric: string, f: (x: VariantResult) => string) => ({ metric, values: v.map(f) });
  const has = (x: VariantResult) => x.status !== 'not-declared' && x.status !== 'absent';
  const ok = (x: VariantResult, f: (x: VariantResult) => string) => (x.status === 'ok' ? f(x) : '—');
  const rows = [
    row('status', (x) => STATUS[x.status]),
    row('expressible under', (x) =>
      !has(x)
        ? '—'
        : Object.entries(x.byProfile)
            .filter(([, r]) => r === 'ok')
            .map(([p]) => p)
            .join(', ') || 'no profile',
    ),
    row('call insn', (x) =>
      ok(x, (y) =>
        [...new Set(y.calls.map((c) => (y.design === 'kfunc' ? `kfunc ${c.name}` : c.target)))].join(', '),
      ),
    ),
    row('generated insns (hook output)', (x) => (has(x) ? String(x.generatedInsns) : '—')),
    row('insns added to the program', (x) => num(x.insnsAdded)),
    row('xlated insns', (x) => num(x.xlatedInsns)),
    row('x86-64 JIT bytes (program)', (x) => num(x.jitBytes)),
    row('x86-64 JIT bytes (generated code)', (x) => num(x.jitBytesGenerated)),
    row('kfunc descriptors (generated / total)', (x) =>
      ok(x, (y) => `${y.verifier.kfuncDescriptorsForGenerated} / ${num(y.verifier.kfuncDescriptors)}`),
    ),
    row('btf_distill_func_proto runs', (x) => ok(x, (y) => num(y.verifier.distillRuns))),
    // do_check runs before the pro/epilogue are patched in, so generated code adds no work.
    row('verifier work: processed insns', (x) => ok(x, (y) => num(y.verifier.processedInsns))),
    row('program → module refs', (x) => ok(x, (y) => y.references.programToModule.join(', ') || 'none')),
    row('struct_ops map → module ref', (x) => x.references.mapToModule ?? 'none (built-in)'),
    row('far calls: archs that cannot call', (x) =>
      !has(x)
        ? '—'
        : Object.entries(x.farCall)
            .filter(([, f]) => f.callable !== 'always' && f.callable !== 'n/a')
            .map(([a, f]) => `${a} (${f.callable})`)
            .join(', ') || 'none',
    ),
    row('far-call archs keeping the kfunc BTF id', (x) =>
      x.design !== 'kfunc' || !has(x)
        ? '—'
        : Object.entries(x.farCall)
            .filter(([, f]) => f.kfuncImm === 'btf-id')
            .map(([a]) => a)
            .join(', ') || 'none',
    ),
    row('distill / helper ABI', (x) =>
      x.distill.length === 0
        ? '—'
        : x.distill
            .map((d) => `${d.distillOk ? 'ok' : 'broken'} / ${d.helperAbiOk ? 'ok' : 'broken'}`)
            .join('; '),
    ),
  ];
  return orderRows(
    rows,
    v.map((x) => x.status),
  );
}

/** Whole-subsystem rows, grouped by who pays: each member's program, the subsystem once, the kernel once. */
export function totalsRows(totals: readonly DesignTotals[]): ComparisonRow[] {
  const row = (metric: string, f: (t: DesignTotals) => string) => ({ metric, values: totals.map(f) });
  const declared = (t: DesignTotals) => t.status !== 'not-declared' && t.status !== 'absent';
  const rows = [
    row('status', (t) => STATUS[t.status]),
    row('profile', (t) => t.profile),
    row('functions called (each once)', (t) => (declared(t) ? String(t.functions.length) : '—')),
    row('per subsystem: BTF bytes required', (t) => num(t.perSubsystem.btfRequiredBytes)),
    row('per subsystem: BTF bytes emitted anyway', (t) => num(t.perSubsystem.btfIncidentalBytes)),
    row('per subsystem: BTF id set / list entries', (t) =>
      declared(t) ? `${t.perSubsystem.idSetEntries} / ${t.perSubsystem.idListEntries}` : '—',
    ),
    row('per subsystem: kernel text bytes', (t) =>
      declared(t) ? kernelTextCell(t.perSubsystem.kernelText) : '—',
    ),
    row('per kernel: kernel text bytes', (t) => (declared(t) ? kernelTextCell(t.perKernel.kernelText) : '—')),
    row('all members: generated insns', (t) => num(t.perMember.generatedInsns)),
    row('all members: insns added', (t) => num(t.perMember.insnsAdded)),
    row('all members: JIT bytes (generated code)', (t) => num(t.perMember.jitBytesGenerated)),
    row('all members: kfunc descriptors', (t) => num(t.perMember.kfuncDescriptors)),
    row('all members: btf_distill_func_proto runs', (t) => num(t.perMember.distillRuns)),
    row('all members: processed insns', (t) => num(t.perMember.processedInsns)),
    row('program → module refs', (t) => (t.status === 'ok' ? t.programToModule.join(', ') || 'none' : '—')),
    row('far calls: archs that cannot call', (t) =>
      declared(t) ? t.farCallProblems.map((p) => `${p.arch} (${p.callable})`).join(', ') || 'none' : '—',
    ),
  ];
  return orderRows(
    rows,
    totals.map((t) => t.status),
  );
}

/** "same in kfunc and wrapper: metric value, …" for the folded rows; undefined when none. */
export function sameLine(
  rows: readonly ComparisonRow[],
  designs: readonly string[],
  statuses: readonly VariantResult['status'][],
): string | undefined {
  const same = rows.filter((r) => r.same);
  if (!same.length) return undefined;
  const cmp = compared(statuses);
  const idx = cmp.findIndex(Boolean);
  const names = designs.filter((_, i) => cmp[i]);
  return `same in ${names.join(' and ')}: ${same.map((r) => `${r.metric} ${r.values[idx]}`).join(' · ')}`;
}

/** Lines saying why a design has no numbers (not declared, not expressible, no subsystem). */
export function whyNotLines(
  designs: readonly { design: string; status: VariantResult['status']; reason?: string }[],
): string[] {
  return designs
    .filter((d) => d.status !== 'ok')
    .map((d) => `${d.design}: ${STATUS[d.status]} — ${d.reason ?? ''}`);
}

/** Each kernel-text item the totals count, with where its size comes from. */
export function kernelTextLines(totals: readonly DesignTotals[]): string[] {
  const out: string[] = [];
  for (const t of totals) {
    const items = [
      ...t.perSubsystem.kernelText.items.map((i) => ({ i, scope: 'per subsystem' })),
      ...t.perKernel.kernelText.items.map((i) => ({ i, scope: 'per kernel' })),
    ];
    for (const { i, scope } of items)
      out.push(`${t.design}: ${i.bytes ?? '?'} bytes ${scope} — ${i.what} (${i.source})`);
  }
  return out;
}

/** Header lines: what answers each design and what it was measured against. */
export function comparisonHeadLines(c: ModelComparison): string[] {
  const out = [
    `${c.title} — ${c.module ? `module ${c.module}` : 'built into vmlinux'}; subsystem first in ${c.firstRelease}`,
    `reference kernel: Linux ${c.reference.release} ${c.reference.arch}`,
    ...(c.reference.btfSha256 ? [`reference BTF sha256: ${c.reference.btfSha256}`] : []),
    `profiles: ${Object.entries(c.designProfiles)
      .map(([d, p]) => `${d} under ${p}`)
      .join(
        ', ',
      )}${c.profile === 'auto' ? ' (each where a kernel uses it, else the first that can express it)' : ''}`,
  ];
  if (c.absent) out.push(`profile ${c.absent.profile}: ${c.absent.reason}`);
  return out;
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

/** Wraps prose at `width` columns (mail bodies, text tables). */
export function wrapText(text: string, width = 100, indent = ''): string {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else line = line.trim() ? `${line} ${word}` : indent + word;
  }
  if (line.trim()) out.push(line);
  return out.join('\n');
}

const memberHead = (b: BlockComparison) =>
  `${b.member} (${b.blocks.join(' + ')}; program ${b.program}, ${b.programInsns} insns; kernel uses: ${b.kernelDesign ?? 'no calls'})`;

/** The aligned-column text form (`kmodel compare`, and the mail body with `txt`). */
export function formatComparisonTable(c: ModelComparison, opts: { width?: number } = {}): string {
  const width = opts.width ?? 100;
  const out: string[] = [
    ...comparisonHeadLines(c),
    '',
    'Takeaway',
    ...c.takeaway.map((p) => wrapText(p, width, '  ')),
  ];
  if (c.absent || c.members.length === 0) return `${out.join('\n')}\n`;
  const designs = c.totals.map((t) => t.design);
  const section = (
    title: string,
    rows: ComparisonRow[],
    statuses: VariantResult['status'][],
    why: string[],
  ) => {
    out.push('', title);
    const shown = rows.filter((r) => !r.same);
    if (shown.length) out.push(pad([['', ...designs], ...shown.map((r) => [r.metric, ...r.values])]));
    const same = sameLine(rows, designs, statuses);
    if (same) out.push(wrapText(same, width));
    for (const w of why) out.push(wrapText(w, width));
  };
  section(
    `Totals (${c.members.map((m) => m.member).join(', ')}; each kernel function once)`,
    totalsRows(c.totals),
    c.totals.map((t) => t.status),
    [...whyNotLines(c.totals), ...kernelTextLines(c.totals)],
  );
  for (const b of c.members)
    section(
      memberHead(b),
      comparisonRows(b),
      b.variants.map((v) => v.status),
      whyNotLines(b.variants).filter((l) => !whyNotLines(c.totals).includes(l)),
    );
  return `${out.join('\n')}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * A Markdown table no wider than `width` columns: cells that would overflow move to numbered
 * notes below the table (so the Markdown still reads as plain text in a mail).
 */
export function mdTableFit(head: string[], rows: string[][], width = 100): string {
  const notes: string[] = [];
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  const body = rows.map((r) => {
    const cells = [...r];
    while (line(cells).length > width) {
      let longest = 1;
      for (let i = 1; i < cells.length; i++) if (cells[i]!.length > cells[longest]!.length) longest = i;
      if (cells[longest]!.length <= 4) break;
      notes.push(cells[longest]!);
      cells[longest] = `[${notes.length}]`;
    }
    return line(cells);
  });
  const out = [line(head), `|${head.map(() => '---').join('|')}|`, ...body];
  if (notes.length) out.push('', ...notes.map((n, i) => wrapText(`[${i + 1}] ${n}`, width)));
  return out.join('\n');
}

export function formatComparisonMarkdown(c: ModelComparison, opts: { heading?: string } = {}): string {
  const h = opts.heading ?? '###';
  const out: string[] = [
    `${h} ${c.title}`,
    '',
    ...comparisonHeadLines(c).map((l) => wrapText(`- ${l}`, 100)),
    '',
    `${h}# Takeaway`,
    '',
    ...c.takeaway.flatMap((p) => [wrapText(p, 100), '']),
  ];
  if (c.absent || c.members.length === 0) return `${out.join('\n').trimEnd()}\n`;
  const designs = c.totals.map((t) => t.design);
  const section = (
    title: string,
    rows: ComparisonRow[],
    statuses: VariantResult['status'][],
    why: string[],
  ) => {
    // A heading cannot wrap: past 100 columns its parenthesis moves to a line of its own.
    const cut = title.indexOf(' (');
    if (`${h}# ${title}`.length <= 100 || cut < 0 || !title.endsWith(')')) out.push(`${h}# ${title}`, '');
    else out.push(`${h}# ${title.slice(0, cut)}`, '', wrapText(`_${title.slice(cut + 2, -1)}_`, 100), '');
    const shown = rows.filter((r) => !r.same);
    if (shown.length)
      out.push(
        mdTableFit(
          ['', ...designs],
          shown.map((r) => [r.metric, ...r.values]),
        ),
        '',
      );
    const same = sameLine(rows, designs, statuses);
    if (same) out.push(wrapText(`_${same}_`, 100), '');
    for (const w of why) out.push(wrapText(`- ${w}`, 100, ''));
    if (why.length) out.push('');
  };
  section(
    `Totals (${c.members.map((m) => `\`${m.member}\``).join(', ')}; each kernel function once)`,
    totalsRows(c.totals),
    c.totals.map((t) => t.status),
    [...whyNotLines(c.totals), ...kernelTextLines(c.totals)],
  );
  for (const b of c.members)
    section(
      memberHead(b).replace(b.member, `\`${b.member}\``),
      comparisonRows(b),
      b.variants.map((v) => v.status),
      whyNotLines(b.variants).filter((l) => !whyNotLines(c.totals).includes(l)),
    );
  return `${out.join('\n').trimEnd()}\n`;
}
