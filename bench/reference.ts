// Reference figures measured in the same bench run: whole processes timed by CPU
// (bpftool, a kernel loader) and the ratio rows built from them.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchRow } from './types';

const root = resolve(import.meta.dirname ?? __dirname, '..');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Whether processes are timed by CPU (user + sys via /usr/bin/time) rather than wall time. */
export const processTimeUnit = TIME ? 'ms CPU' : 'ms';

/**
 * CPU time (user + sys, via /usr/bin/time) of a process with stdout to /dev/null, or its
 * wall time when /usr/bin/time is missing; undefined when it fails. CPU time stays
 * comparable on a loaded machine; wall time does not.
 */
export function timeProcess(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number | undefined {
  return measureProcess(cmd, args, { env })?.ms;
}

/**
 * timeProcess's time and the process's peak resident set in MiB (from /usr/bin/time's %M;
 * undefined without it); `okStatus` lists the exit codes that count as a run (default 0:
 * `kmodel verify` exits 1 on a rejected program).
 */
export function measureProcess(
  cmd: string,
  args: string[],
  { env, okStatus = [0] }: { env?: NodeJS.ProcessEnv; okStatus?: number[] } = {},
): { ms: number; peakMiB?: number } | undefined {
  const devnull = openSync('/dev/null', 'w');
  try {
    const t0 = performance.now();
    const options = {
      stdio: ['ignore', devnull, 'pipe'] as ('ignore' | number | 'pipe')[],
      cwd: root,
      env: env ?? process.env,
    };
    const r = TIME
      ? spawnSync(TIME, ['-f', '@@%U %S %M', cmd, ...args], options)
      : spawnSync(cmd, args, options);
    const dt = performance.now() - t0;
    if (r.status === null || !okStatus.includes(r.status)) return undefined;
    const m = TIME ? /@@([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr.toString()) : null;
    return m ? { ms: (Number(m[1]) + Number(m[2])) * 1000, peakMiB: Number(m[3]) / 1024 } : { ms: dt };
  } finally {
    closeSync(devnull);
  }
}

/** The first existing path of a tool, e.g. bpftool in /usr/sbin. */
export const findTool = (...paths: string[]): string | undefined => paths.find((p) => existsSync(p));

/**
 * Whether the kernel itself can be the reference: Linux, running as root (loading BPF
 * programs needs CAP_BPF / CAP_SYS_ADMIN). Where not, suites fall back to recorded figures.
 */
export const kernelReference = (): boolean => process.platform === 'linux' && process.getuid?.() === 0;

/**
 * A row compared with a reference measured in this run: `ratio` is value / reference in
 * the row's unit; the target is met when the ratio is on the better side of `target`.
 */
export function ratioRow(
  row: Omit<BenchRow, 'referenceValue' | 'ok'>,
  reference: { name: string; value: number | undefined; target: number; note?: string },
): BenchRow {
  const better = row.better ?? betterOf(row.unit);
  const cmp = better === 'higher' ? '≥' : '≤';
  const target = `${cmp} ${reference.target.toFixed(1)}×`;
  if (reference.value === undefined || !Number.isFinite(reference.value) || reference.value <= 0) {
    return { ...row, reference: `${reference.name}: not measured here (${target})` };
  }
  const ratio = row.value / reference.value;
  return {
    ...row,
    referenceValue: reference.value,
    reference: `${reference.name}: ${fmt(reference.value)} ${row.unit}${reference.note ? ` (${reference.note})` : ''}; target ${target}`,
    ok: better === 'higher' ? ratio >= reference.target : ratio <= reference.target,
  };
}

/** Which direction is better for a unit: rates higher, times and sizes lower; undefined when unclear. */
export function betterOf(unit: string): 'higher' | 'lower' | undefined {
  if (/\/s$|^fps$/.test(unit)) return 'higher';
  if (/^(ms|s|µs)( CPU)?$|^(MiB|MB|KiB|bytes)$/.test(unit)) return 'lower';
  return undefined;
}

export const fmt = (v: number): string =>
  Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(v < 10 ? 2 : 1);
