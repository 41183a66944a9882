// The perf-regression check: each run's figures are recorded in bench/last-run.json
// (committed), and the next run warns about any figure more than 20 % worse than there.
// Figures with a reference measured in the same run are compared by their ratio, which
// a busy machine moves less than the absolute figure.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { betterOf, fmt } from './reference';
import type { BenchRow } from './types';

export interface RecordedFigure {
  value: number;
  unit: string;
  /** value / the reference's value in the same run, when there was one. */
  ratio?: number;
  better?: 'higher' | 'lower';
}

export interface RecordedRun {
  /** When each area was last measured (ISO date), and with which Node. */
  areas: Record<string, { date: string; node: string }>;
  figures: Record<string, RecordedFigure>;
}

/** More than this much worse than the last run is a regression. */
export const REGRESSION = 0.2;

/** A row's name in the record: area, then its key or `what` without parenthesised details. */
export const figureKey = (r: BenchRow): string =>
  `${r.area}: ${
    r.key ??
    r.what
      .replace(/\s*\([^)]*\)/g, '')
      .replace(/\s+/g, ' ')
      .trim()
  }`;

export function figureOf(r: BenchRow): RecordedFigure {
  const better = r.better ?? betterOf(r.unit);
  return {
    value: round(r.value),
    unit: r.unit,
    ...(r.referenceValue ? { ratio: round(r.value / r.referenceValue) } : {}),
    ...(better ? { better } : {}),
  };
}

/** One line per figure more than REGRESSION worse than its recorded value (same unit, known direction). */
export function regressions(last: RecordedRun | undefined, rows: readonly BenchRow[]): string[] {
  if (!last) return [];
  const out: string[] = [];
  for (const r of rows) {
    const key = figureKey(r);
    const was = last.figures[key];
    const now = figureOf(r);
    if (!was || was.unit !== now.unit || !now.better || !Number.isFinite(now.value)) continue;
    const byRatio = was.ratio !== undefined && now.ratio !== undefined;
    const before = byRatio ? was.ratio! : was.value;
    const after = byRatio ? now.ratio! : now.value;
    if (!(before > 0)) continue;
    const worse =
      now.better === 'higher' ? after < before * (1 - REGRESSION) : after > before * (1 + REGRESSION);
    if (!worse) continue;
    const change = ((after - before) / before) * 100;
    const shown = (v: number) => (byRatio ? `${v.toFixed(2)}× its reference` : `${fmt(v)} ${now.unit}`);
    out.push(
      `${key}: ${shown(after)} vs ${shown(before)} last run, ${change > 0 ? '+' : ''}${change.toFixed(0)} %`,
    );
  }
  return out;
}

/** The record after this run: its areas replaced, the others kept. */
export function recordRun(
  last: RecordedRun | undefined,
  rows: readonly BenchRow[],
  date: string,
  node: string,
): RecordedRun {
  const areas = new Set(rows.map((r) => r.area));
  const figures: Record<string, RecordedFigure> = {};
  for (const [k, f] of Object.entries(last?.figures ?? {})) {
    if (!areas.has(k.slice(0, k.indexOf(':')))) figures[k] = f;
  }
  for (const r of rows) if (Number.isFinite(r.value)) figures[figureKey(r)] = figureOf(r);
  const areaDates = { ...(last?.areas ?? {}) };
  for (const a of areas) areaDates[a] = { date, node };
  const sorted = Object.fromEntries(Object.entries(figures).sort(([a], [b]) => a.localeCompare(b)));
  return { areas: Object.fromEntries(Object.entries(areaDates).sort()), figures: sorted };
}

/** Six significant digits: more than any figure here means, fewer diff lines in the record. */
const round = (v: number): number => Number(v.toPrecision(6));

export function readRecord(file: string): RecordedRun | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedRun;
}

export function writeRecord(file: string, run: RecordedRun): void {
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
}
