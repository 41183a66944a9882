// veristat for the model: one row of verifier statistics per program load, the table and CSV
// veristat prints, and its compare mode (A vs B with deltas, matched by file and program).
import type { LoadAttr, VerifyEnv } from '../verifier/index';
import { bpfProgLoad } from './prog-load';

export interface ProgStats {
  file: string;
  program: string;
  verdict: 'success' | 'failure';
  /** Verifier and JIT time in microseconds (wall clock of this run). */
  duration: number;
  totalInsns: number;
  /** null: the run that made the row did not count it (a model's program check). */
  totalStates: number | null;
  peakStates: number | null;
  maxStatesPerInsn: number | null;
  /** Per function, as veristat joins them ("16+8"); '' when not known. */
  stackDepth: string;
  /** Insns in the program as loaded. */
  size: number;
  xlatedSize: number;
  jitedSize: number;
  /** The reason line of a failure. */
  error: string;
}

/** Loads one program (verifier, then JIT when accepted) and measures it. */
export function progStats(file: string, program: string, attr: LoadAttr, env: VerifyEnv): ProgStats {
  const t0 = performance.now();
  const load = bpfProgLoad({ ...attr, logLevel: 1 }, env);
  const duration = Math.round((performance.now() - t0) * 1000);
  const vr = load.verifier;
  return {
    file,
    program,
    verdict: vr.verdict === 'accept' ? 'success' : 'failure',
    duration,
    totalInsns: vr.stats.insnProcessed,
    totalStates: vr.stats.totalStates,
    peakStates: vr.stats.peakStates,
    maxStatesPerInsn: vr.stats.maxStatesPerInsn,
    stackDepth: vr.subprogs.map((s) => s.stackDepth).join('+') || '0',
    size: attr.insns.length,
    xlatedSize: vr.xlated?.length ?? 0,
    jitedSize: load.jit?.result.size ?? 0,
    error: vr.verdict === 'accept' ? '' : (vr.error ?? ''),
  };
}

/** Columns in veristat's CSV names and table headers. */
export const STATS_COLUMNS: readonly { key: keyof ProgStats; csv: string; head: string }[] = [
  { key: 'file', csv: 'file_name', head: 'File' },
  { key: 'program', csv: 'prog_name', head: 'Program' },
  { key: 'verdict', csv: 'verdict', head: 'Verdict' },
  { key: 'duration', csv: 'duration', head: 'Duration (us)' },
  { key: 'totalInsns', csv: 'total_insns', head: 'Insns' },
  { key: 'totalStates', csv: 'total_states', head: 'States' },
  { key: 'peakStates', csv: 'peak_states', head: 'Peak states' },
  { key: 'maxStatesPerInsn', csv: 'max_states_per_insn', head: 'Max states per insn' },
  { key: 'stackDepth', csv: 'stack_depth', head: 'Stack depth' },
  { key: 'size', csv: 'size', head: 'Program size' },
  { key: 'xlatedSize', csv: 'xlated_size', head: 'Xlated size' },
  { key: 'jitedSize', csv: 'jited_size', head: 'Jited size' },
];

const NUMERIC = new Set<keyof ProgStats>([
  'duration',
  'totalInsns',
  'totalStates',
  'peakStates',
  'maxStatesPerInsn',
  'size',
  'xlatedSize',
  'jitedSize',
]);

const csvField = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function statsCsv(rows: readonly ProgStats[]): string {
  const head = STATS_COLUMNS.map((c) => c.csv).join(',');
  return `${[head, ...rows.map((r) => STATS_COLUMNS.map((c) => csvField(String(r[c.key] ?? ''))).join(','))].join('\n')}\n`;
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Rows of a CSV written by statsCsv (or veristat: unknown columns are ignored, missing ones 0/''). */
export function parseStatsCsv(text: string): ProgStats[] {
  const lines = text.split('\n').filter((l) => l.trim());
  if (!lines.length) return [];
  const head = splitCsvLine(lines[0]!);
  const col = new Map(head.map((h, i) => [h.trim(), i]));
  if (!col.has('file_name') || !col.has('prog_name'))
    throw new Error('not a stats CSV (no file_name,prog_name header)');
  return lines.slice(1).map((line) => {
    const f = splitCsvLine(line);
    const row: Record<string, string | number | null> = {};
    for (const c of STATS_COLUMNS) {
      const i = col.get(c.csv);
      const v = i === undefined ? '' : (f[i] ?? '');
      row[c.key] = NUMERIC.has(c.key) ? (v === '' ? null : Number(v)) : v;
    }
    row.error = '';
    return row as unknown as ProgStats;
  });
}

function table(head: string[], rows: string[][], numericFrom: number): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i >= numericFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  return `${[fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)].join('\n')}\n`;
}

export function statsTable(rows: readonly ProgStats[]): string {
  return table(
    STATS_COLUMNS.map((c) => c.head),
    rows.map((r) => STATS_COLUMNS.map((c) => String(r[c.key] ?? '-'))),
    3,
  );
}

export interface StatsDelta {
  file: string;
  program: string;
  /** Present in A / B. */
  a: ProgStats | null;
  b: ProgStats | null;
}

/** Rows of A and B matched by (file, program), in A's order then B's new ones. */
export function compareStats(a: readonly ProgStats[], b: readonly ProgStats[]): StatsDelta[] {
  const key = (r: ProgStats) => `${r.file}\u0000${r.program}`;
  const bm = new Map(b.map((r) => [key(r), r]));
  const out: StatsDelta[] = a.map((r) => ({
    file: r.file,
    program: r.program,
    a: r,
    b: bm.get(key(r)) ?? null,
  }));
  const am = new Set(a.map(key));
  for (const r of b) if (!am.has(key(r))) out.push({ file: r.file, program: r.program, a: null, b: r });
  return out;
}

/** veristat's DIFF cell: `+12 (+3.45%)`, `MATCH`/`MISMATCH` for the verdict. */
export function deltaCell(a: number | null | undefined, b: number | null | undefined): string {
  if (a === undefined || b === undefined || a === null || b === null) return 'N/A';
  const d = b - a;
  const pct = a === 0 ? (d === 0 ? '+0.00%' : '+inf%') : `${d >= 0 ? '+' : ''}${((d / a) * 100).toFixed(2)}%`;
  return `${d >= 0 ? '+' : ''}${d} (${pct})`;
}

const COMPARED: readonly (keyof ProgStats)[] = ['totalInsns', 'totalStates', 'peakStates', 'jitedSize'];

export function compareTable(deltas: readonly StatsDelta[]): string {
  const head = ['File', 'Program', 'Verdict (A)', 'Verdict (B)', 'Verdict (DIFF)'];
  for (const k of COMPARED) {
    const h = STATS_COLUMNS.find((c) => c.key === k)!.head;
    head.push(`${h} (A)`, `${h} (B)`, `${h} (DIFF)`);
  }
  const rows = deltas.map((d) => {
    const r = [
      d.file,
      d.program,
      d.a?.verdict ?? 'N/A',
      d.b?.verdict ?? 'N/A',
      d.a && d.b ? (d.a.verdict === d.b.verdict ? 'MATCH' : 'MISMATCH') : 'N/A',
    ];
    for (const k of COMPARED) {
      const av = d.a ? (d.a[k] as number | null) : null;
      const bv = d.b ? (d.b[k] as number | null) : null;
      r.push(String(av ?? 'N/A'), String(bv ?? 'N/A'), deltaCell(av, bv));
    }
    return r;
  });
  return table(head, rows, 2);
}
