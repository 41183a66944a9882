// The review report of a model as Markdown: the same data the report route shows
// (summary, comparison, review notes, subsystem graph, member programs), short
// Markdown tables, the graph as a link to an SVG file beside it; and as plain text.

import type { CompareResult, ModelSummary, SubsystemGraph } from '../../../main/api/types';
import { designCodeMarkdown, designCodeText, type MemberCode } from './design-code';
import { provenanceLines } from './provenance';
import { MAIL_WIDTH, wrapWords } from './wrap';

export interface ReportData {
  name: string;
  summary: ModelSummary;
  compare: CompareResult | null;
  compareError: string | null;
  graph: SubsystemGraph;
  /** Each member's code per design (as the report page loaded it), shown after the comparison. */
  code?: MemberCode[];
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

type Capabilities = ModelSummary['capabilities'][number];

const generated = (c: Capabilities): string =>
  [c.prologue ? 'prologue' : '', c.epilogue ? 'epilogue' : ''].filter(Boolean).join(', ');

const kfuncNames = (c: Capabilities): string =>
  c.kfuncs.map((k) => `${k.name}${k.sleepableOnly ? ' (sleepable only)' : ''}`).join(', ') || 'none';

/** The capability sheet as Markdown: a table of counts (≤ 100 columns), the names per member below it. */
function capabilitiesMarkdown(caps: Capabilities[]): string[] {
  const table = mdTable(
    ['member', 'attach', 'sleepable', 'returns', 'kfuncs', 'helpers', 'writes', 'generated'],
    caps.map((c) => [
      `\`${c.member}\``,
      c.supported ? 'yes' : 'no',
      c.sleepable,
      `\`${c.returns}\``,
      String(c.kfuncs.length),
      String(c.helpers.length),
      String(c.writable.length),
      generated(c),
    ]),
  );
  const lists = caps.map((c) => {
    const args = c.args
      .map((a) =>
        [a.type.endsWith('*') ? `${a.type}${a.name}` : `${a.type} ${a.name}`, ...a.annotations].join(' '),
      )
      .join(', ');
    return [
      wrapWords(`- \`${c.member}(${args})\``, '    '),
      wrapWords(`  - kfuncs: ${kfuncNames(c)}`, '    '),
      wrapWords(`  - writes: ${c.writable.join(', ') || 'none'}`, '    '),
    ].join('\n');
  });
  const helpers = caps[0]?.helpers ?? [];
  return [
    table,
    lists.join('\n'),
    wrapWords(`Helpers (get_func_proto, every member): ${helpers.join(', ') || 'none'}`),
  ];
}

/** The comparison's provenance (its design profiles), else the graph's (the model's profile). */
const prov = (d: ReportData) => d.compare?.provenance ?? d.graph.provenance ?? null;

const reviewLine = (n: ModelSummary['review'][number]): string =>
  `[${n.status}] ${n.on}${n.by ? ` (${n.by})` : ''}: ${n.note}`;

/**
 * The report as Markdown that also reads as plain text in a mail: short tables only
 * (prototypes in code blocks, the comparison from the CLI's own ≤ 100-column Markdown),
 * the graph as a separate SVG file linked by `href`.
 */
export function reportMarkdown(d: ReportData, graph: { href: string }): string {
  const s = d.summary;
  const parts: string[] = [];
  parts.push(`# ${s.title}`);
  parts.push(
    [
      `- model \`${d.name}\`, subsystem \`${s.subsystem}\`, \`struct ${s.structOps}\``,
      `- kernel ${s.kernel}, profile ${s.profile}, ${s.module ? `module \`${s.module}\`` : 'built into vmlinux'}, BTF +${s.btfBytes} bytes`,
      ...(prov(d) ? provenanceLines(prov(d)!).map((l) => `- ${l}`) : []),
    ].join('\n'),
  );
  parts.push('## Members');
  parts.push(
    mdTable(
      ['member', 'prologue', 'epilogue'],
      s.members.map((m) => [`\`${m.name}\``, gen(m.prologue), gen(m.epilogue)]),
    ),
  );
  const protos = s.members.filter((m) => m.proto).map((m) => wrapWords(`${m.proto};`, '    '));
  if (protos.length) parts.push(`\`\`\`c\n${protos.join('\n')}\n\`\`\``);
  if (s.kfuncs.length) {
    parts.push('## Kfuncs');
    parts.push(
      `\`\`\`c\n${s.kfuncs
        .map((k) => {
          const note = `/* ${[k.set, ...k.flags, ...(k.hidden ? ['hidden'] : [])].join(' ')} */`;
          // The note on a line of its own when the two would pass 100 columns.
          return `${wrapWords(`${k.proto};`, '    ')}${k.proto.length + 2 + note.length > MAIL_WIDTH ? '\n    ' : ' '}${note}`;
        })
        .join('\n')}\n\`\`\``,
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
  if (s.capabilities.length) {
    parts.push('## Capabilities');
    parts.push(...capabilitiesMarkdown(s.capabilities));
  }
  parts.push('## Call designs for generated code');
  if (d.compareError) parts.push(`_Comparison unavailable: ${d.compareError}_`);
  else if (d.compare) parts.push(d.compare.markdown.trimEnd());
  if (d.compare && d.code?.length) parts.push(designCodeMarkdown(d.code).trimEnd());
  parts.push('## Review notes');
  parts.push(s.review.length ? s.review.map((n) => `- ${reviewLine(n)}`).join('\n') : '_No review notes._');
  parts.push('## Subsystem graph');
  parts.push(`![subsystem graph of ${d.name}](${graph.href})`);
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
    else if (p.error) parts.push(wrapWords(`_No patched listing: ${p.error}_`, ''));
  }
  return `${parts.join('\n\n')}\n`;
}

/** The report as a plain-text mail body: summary, comparison (prose at 72 columns), review notes. */
export function reportText(d: ReportData): string {
  const s = d.summary;
  const parts: string[] = [
    `${s.title}\n${'='.repeat(Math.min(72, s.title.length))}`,
    `model ${d.name}: subsystem ${s.subsystem}, struct ${s.structOps}, kernel ${s.kernel}, ${s.module ? `module ${s.module}` : 'built into vmlinux'}`,
  ];
  if (s.capabilities.length)
    parts.push(
      `Capabilities\n${s.capabilities
        .map(
          (c) =>
            `  ${c.member}: attach ${c.supported ? 'yes' : 'no'}, sleepable ${c.sleepable}, ` +
            `${c.kfuncs.length} kfuncs, writes ${c.writable.length} fields${generated(c) ? `, ${generated(c)}` : ''}`,
        )
        .join('\n')}`,
    );
  if (d.compareError) parts.push(`Comparison unavailable: ${d.compareError}`);
  else if (d.compare) parts.push(d.compare.text.trimEnd());
  if (d.compare && d.code?.length) parts.push(designCodeText(d.code).trimEnd());
  parts.push(
    `Review notes\n${s.review.length ? s.review.map((n) => `  ${reviewLine(n)}`).join('\n') : '  none'}`,
  );
  const p = prov(d);
  if (p) parts.push(`-- \n${provenanceLines(p).join('\n')}`);
  // A mail client would break a longer line anywhere: wrap prose at word boundaries instead.
  const lines = parts.join('\n\n').split('\n');
  return `${lines.map((l) => (l.length > MAIL_WIDTH ? wrapWords(l, `${/^\s*/.exec(l)![0]}  `) : l)).join('\n')}\n`;
}

/** What the report route offers headless `kmodel export` (and tests) once it is drawn. */
export interface ReportExport {
  name: string;
  /** The subsystem graph as a standalone SVG document, its provenance in a comment. */
  graphSvg(): string;
  graphSize(): { width: number; height: number };
  /** The report as Markdown; the graph is linked (`svgHref`, default `<model>-graph.svg`), never inlined. */
  markdown(opts?: { svgHref?: string }): string;
  /** The report as plain text for a mail body. */
  text(): string;
  /** kmodel version, reference kernel and BTF sha256, profiles, date, model sha256. */
  provenance(): string[];
  /** PNG data URL of the graph, drawn from the SVG on a canvas; the provenance below it and in tEXt chunks. */
  graphPng(): Promise<string>;
}

declare global {
  interface Window {
    kmodelExport?: ReportExport;
  }
}
