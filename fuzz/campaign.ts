// One target's inputs [from, to) of a seeded run, in this thread: the piece the
// watchdogged worker (fuzz/worker.ts) and the short CI run (test/fuzz.test.ts) share.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputRng } from './mutate';
import { type FuzzTarget, fuzzInput } from './targets';

export interface Crash {
  index: number;
  kind: 'crash' | 'hang';
  message: string;
  input: Uint8Array;
}

export interface CampaignStats {
  target: string;
  inputs: number;
  crashes: number;
  hangs: number;
  /** How inputs ended: ok, rejected, accepted, … */
  outcomes: Record<string, number>;
}

export const newStats = (target: string): CampaignStats => ({
  target,
  inputs: 0,
  crashes: 0,
  hangs: 0,
  outcomes: {},
});

/** Where crashes and hangs are kept as regression inputs (replayed by test/fuzz.test.ts). */
export const REGRESSION_DIR = resolve(import.meta.dirname ?? __dirname, '../test/fixtures/fuzz');

/** Saves a crash or hang input under test/fixtures/fuzz/<target>/; returns its path. */
export function keepRegression(target: string, c: Crash): string {
  const dir = join(REGRESSION_DIR, target);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(c.input).digest('hex').slice(0, 16);
  const path = join(dir, `${c.kind}-${hash}.bin`);
  writeFileSync(path, c.input);
  return path;
}

export async function runInput(
  target: FuzzTarget,
  input: Uint8Array,
): Promise<{ outcome: string } | { error: string }> {
  try {
    return { outcome: await target.run(input) };
  } catch (e) {
    const err = e as Error;
    return { error: `${err?.name ?? 'throw'}: ${String(err?.message ?? e).split('\n')[0]}` };
  }
}

export async function runCampaign(
  target: FuzzTarget,
  seed: number,
  from: number,
  to: number,
  hooks: { onCrash?: (c: Crash) => void; onInput?: (index: number) => void; stats?: CampaignStats } = {},
): Promise<CampaignStats> {
  const stats = hooks.stats ?? newStats(target.name);
  const seeds = target.seeds();
  for (let i = from; i < to; i++) {
    hooks.onInput?.(i);
    const input = fuzzInput(target, seeds, inputRng(seed, i));
    const r = await runInput(target, input);
    stats.inputs++;
    if ('error' in r) {
      stats.crashes++;
      hooks.onCrash?.({ index: i, kind: 'crash', message: r.error, input });
    } else stats.outcomes[r.outcome] = (stats.outcomes[r.outcome] ?? 0) + 1;
  }
  return stats;
}
