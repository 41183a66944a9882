// The review report of a model as Markdown: the same data the report route shows
// (summary, comparison tables, subsystem graph, member programs), tables as
// Markdown tables, the graph as inline SVG or a link to an SVG file beside it.

import type { CompareResult, ModelSummary, SubsystemGraph } from '../../../main/api/types';

export interface ReportData {
  name: string;
  summary: ModelSummary;
  compare: CompareResult | null;
  compareError: string | null;
  graph: SubsystemGraph;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function mdTable(head: string[], rows: string[][]): string {
  const out = [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) out.push(`| ${r.map(cell).join(' | ')} |`);
  return out.join('\n');
}

const gen = (g: ModelSummary['members'][number]['prologue']): string =>
  g
    ? `${g.insns} insns${g.design ? ` · ${g.design}` : ''}${g.calls.length ? ` · ${g.calls.join(', ')}` : ''}`
    : '';

/** The compare table rows shown in the report (the 'why not' row only when it says something). */
export const shownRows = (t: CompareResult['tables'][number]) =>
  t.rows.filter((r) => r.metric !== 'why not' || r.values.some(Boolean));

export function reportMarkdown(d: ReportData, graph: { svg: string } | { href: string }): string {
  const s = d.summary;
  const parts: string[] = [];
  parts.push(`# ${s.title}`);
  parts.push(
    `Model \`${d.name}\` · subsystem \`${s.subsystem}\` · \`struct ${s.structOps}\` · kernel ${s.kernel} · profile ${s.profile} · ${s.module ? `module \`${s.module}\`` : 'built into vmlinux'} · BTF +${s.btfBytes} bytes`,
  );
  parts.push('## Members');
  parts.push(
    mdTable(
      ['member', 'prototype', 'prologue', 'epilogue'],
      s.members.map((m) => [
        `\`${m.name}\``,
        m.proto ? `\`${m.proto}\`` : m.kind,
        gen(m.prologue),
        gen(m.epilogue),
      ]),
    ),
  );
  if (s.kfuncs.length) {
    parts.push('## Kfuncs');
    parts.push(
      mdTable(
        ['kfunc', 'flags', 'set', 'BTF id'],
        s.kfuncs.map((k) => [
          `\`${k.proto}\``,
          [...k.flags, ...(k.hidden ? ['hidden'] : [])].join(' '),
          k.set,
          k.btfId === null ? '' : String(k.btfId),
        ]),
      ),
    );
  }
  if (s.wrappers.length) {
    parts.push('## BPF_CALL_N wrappers');
    parts.push(
      mdTable(
        ['wrapper', 'wraps', 'args'],
        s.wrappers.map((w) => [`\`${w.name}\``, `\`${w.wraps}\``, String(w.args)]),
      ),
    );
  }
  parts.push('## Call designs for generated code');
  if (d.compareError) parts.push(`_Comparison unavailable: ${d.compareError}_`);
  else if (!d.compare || d.compare.tables.length === 0)
    parts.push('_No member has a prologue or epilogue: nothing to compare._');
  else
    for (const t of d.compare.tables) {
      parts.push(`### \`${t.member}\` (kernel uses: ${t.kernelDesign ?? 'no calls'})`);
      parts.push(
        mdTable(
          ['', ...t.designs],
          shownRows(t).map((r) => [r.metric, ...r.values]),
        ),
      );
    }
  parts.push('## Subsystem graph');
  parts.push(
    'svg' in graph
      ? `<div>\n${graph.svg.replace(/^<\?xml[^>]*>\s*/, '')}\n</div>`
      : `![subsystem graph of ${d.name}](${graph.href})`,
  );
  parts.push('## Member programs');
  for (const p of d.graph.programs) {
    parts.push(`### \`${p.name}\` → \`${p.member}\`${p.design ? ` (${p.design})` : ''}`);
    parts.push('BPF:\n\n```\n' + p.bpf.join('\n') + '\n```');
    if (p.patched)
      parts.push(
        'Patched (modeled verifier, after pro/epilogue and fixups):\n\n```\n' +
          p.patched.join('\n') +
          '\n```',
      );
    else if (p.error) parts.push(`_Patched listing unavailable: ${p.error}_`);
  }
  return `${parts.join('\n\n')}\n`;
}

/** What the report route offers headless `kmodel export` (and tests) once it is drawn. */
export interface ReportExport {
  name: string;
  /** The subsystem graph as a standalone SVG document. */
  graphSvg(): string;
  graphSize(): { width: number; height: number };
  /** The report as Markdown; `svgHref` links the graph instead of inlining it. */
  markdown(opts?: { svgHref?: string }): string;
  /** PNG data URL of the graph, drawn from the SVG on a canvas. */
  graphPng(): Promise<string>;
}

declare global {
  interface Window {
    kmodelExport?: ReportExport;
  }
}
