// A ModelDiff as aligned text or Markdown (≤ 100 columns, long cells as notes).
import type { CostDelta, ModelDiff } from './diff';
import { mdTableFit, wrapText } from './format';

const val = (v: CostDelta['a']): string => (v === null ? '—' : String(v));
const signed = (d: number | null): string => (d === null ? '' : d > 0 ? `+${d}` : String(d));

const heading = (d: ModelDiff): string =>
  `${d.a.file} (profile ${d.a.profile}) → ${d.b.file} (profile ${d.b.profile})`;

const costRow = (c: CostDelta): string[] => [
  c.member,
  c.design,
  c.metric,
  val(c.a),
  val(c.b),
  signed(c.delta),
];

function pad(rows: string[][]): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function formatDiffTable(d: ModelDiff): string {
  const out = [heading(d), ''];
  out.push(d.changes.length ? `Changes (${d.changes.length})` : 'Changes: none');
  for (const c of d.changes) {
    const head = `  ${c.change.padEnd(8)} ${c.kind.padEnd(10)} `;
    const body = wrapText(`${c.name}${c.detail ? `: ${c.detail}` : ''}`, 100 - head.length).split('\n');
    out.push(head + body[0], ...body.slice(1).map((l) => ' '.repeat(head.length) + l));
  }
  out.push('');
  if (d.costs.length) {
    out.push(`Cost deltas (${d.costs.length}; metrics that differ only)`);
    out.push(
      ...pad([['member', 'design', 'metric', 'A', 'B', 'Δ'], ...d.costs.map(costRow)]).map((l) => `  ${l}`),
    );
  } else out.push('Cost deltas: none');
  return `${out.join('\n')}\n`;
}

export function formatDiffMarkdown(d: ModelDiff): string {
  const out = [
    `### Model diff`,
    '',
    wrapText(`${d.a.file} (profile ${d.a.profile}) → ${d.b.file} (profile ${d.b.profile})`, 100),
    '',
  ];
  out.push(`#### Changes (${d.changes.length})`, '');
  if (d.changes.length)
    out.push(
      mdTableFit(
        ['change', 'kind', 'name', 'what'],
        d.changes.map((c) => [c.change, c.kind, `\`${c.name}\``, c.detail ?? '']),
      ),
      '',
    );
  else out.push('none', '');
  out.push(`#### Cost deltas (${d.costs.length})`, '');
  if (d.costs.length)
    out.push(mdTableFit(['member', 'design', 'metric', 'A', 'B', 'Δ'], d.costs.map(costRow)));
  else out.push('none');
  return `${out.join('\n')}\n`;
}
