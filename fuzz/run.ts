// `npm run fuzz [-- --target btf|elf|insn|model|jsonl|api|verifier --count N --from I --seed S --until HH:MM]`,
// `npm run fuzz:ci` (--ci: seed 1, CI_COUNTS inputs per target):
// seeded mutational fuzzing, one worker thread per target under a watchdog.
// Crashes and hangs are kept under test/fixtures/fuzz/<target>/ (test/fuzz.test.ts
// replays them); the exit status is 1 when there was any.
import { Worker } from 'node:worker_threads';
import { type CampaignStats, type Crash, keepRegression, newStats } from './campaign';
import { inputRng } from './mutate';
import { type FuzzTarget, fuzzInput, TARGETS, targetByName } from './targets';
import type { FuzzWorkerData, FuzzWorkerMessage } from './worker';

/** Inputs per target of the CI run: a few thousand where one costs a millisecond or two, fewer where each runs the verifier. */
export const CI_COUNTS: Record<string, number> = {
  btf: 1500,
  elf: 2000,
  insn: 3000,
  jsonl: 3000,
  api: 500,
  model: 40,
  verifier: 60,
};

interface Args {
  targets: FuzzTarget[];
  count: number;
  /** First input index: inputs are a function of (seed, index), so one run can be split into ranges run apart. */
  from: number;
  seed: number;
  /** Wall-clock end (ms since epoch): each target stops there, its count reached or not. */
  until: number;
  /** Per-target counts (--ci) instead of `count`. */
  counts?: Record<string, number>;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { targets: [...TARGETS], count: 10_000, from: 0, seed: 1, until: Number.POSITIVE_INFINITY };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '--ci') {
      a.counts = CI_COUNTS;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--target') a.targets = v.split(',').map(targetByName);
    else if (k === '--count') a.count = Number(v);
    else if (k === '--from') a.from = Number(v);
    else if (k === '--seed') a.seed = Number(v);
    else if (k === '--until') {
      const [h, m] = v.split(':').map(Number);
      const d = new Date();
      d.setUTCHours(h!, m!, 0, 0);
      if (d.getTime() < Date.now()) d.setUTCDate(d.getUTCDate() + 1);
      a.until = d.getTime();
    } else throw new Error(`unknown option ${k}`);
  }
  if (!(a.count > 0) || !Number.isInteger(a.seed) || !(Number.isInteger(a.from) && a.from >= 0))
    throw new Error('--count must be > 0, --from ≥ 0 and --seed an integer');
  return a;
}

function add(into: CampaignStats, s: CampaignStats): void {
  into.inputs += s.inputs;
  into.crashes += s.crashes;
  for (const [k, n] of Object.entries(s.outcomes)) into.outcomes[k] = (into.outcomes[k] ?? 0) + n;
}

/** A worker running a TypeScript module: tsx's loader is registered in the worker first. */
function tsWorker(file: URL, workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const src = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(file.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), { workerData });
}

/** Runs inputs [from, to) in a worker; resolves with where it stopped (a hang stops it early). */
function runWorker(
  target: FuzzTarget,
  args: Args,
  from: number,
  to: number,
  total: CampaignStats,
  report: (c: Crash) => void,
): Promise<{ next: number; hung: boolean; timedOut: boolean }> {
  const current = new SharedArrayBuffer(4);
  const cur = new Int32Array(current);
  Atomics.store(cur, 0, from);
  const data: FuzzWorkerData = { target: target.name, seed: args.seed, from, to, current };
  const w = tsWorker(new URL('./worker.ts', import.meta.url), data);
  let last = newStats(target.name);
  let lastLine = Date.now();
  return new Promise((done, fail) => {
    let seen = from;
    let since = Date.now();
    const finish = (r: { next: number; hung: boolean; timedOut: boolean }, stats: CampaignStats) => {
      clearInterval(watch);
      add(total, stats);
      void w.terminate().then(() => done(r));
    };
    const watch = setInterval(() => {
      const now = Atomics.load(cur, 0);
      if (now !== seen) {
        seen = now;
        since = Date.now();
      }
      if (Date.now() > args.until) {
        // Inputs before the current one are done; count them from the index, not a stale progress message.
        finish({ next: to, hung: false, timedOut: true }, { ...last, inputs: now - from });
      } else if (Date.now() - since > target.hangMs) {
        const input = fuzzInput(target, target.seeds(), inputRng(args.seed, now));
        report({ index: now, kind: 'hang', message: `no answer in ${target.hangMs / 1000} s`, input });
        finish({ next: now + 1, hung: true, timedOut: false }, { ...last, inputs: now - from + 1 });
      }
    }, 250);
    w.on('message', (m: FuzzWorkerMessage) => {
      if (m.type === 'crash') report({ index: m.index, kind: 'crash', message: m.message, input: m.input });
      else if (m.type === 'progress') {
        last = m.stats;
        // A line a minute, so a long run's log says how far it got even if it is killed.
        if (Date.now() - lastLine > 60_000) {
          lastLine = Date.now();
          console.log(
            `fuzz ${target.name}: at input ${Atomics.load(cur, 0)}, ${total.inputs + m.stats.inputs} inputs so far (${new Date().toISOString().slice(11, 19)}) ${JSON.stringify(m.stats.outcomes)}`,
          );
        }
      } else finish({ next: to, hung: false, timedOut: false }, m.stats);
    });
    w.on('error', (e) => {
      clearInterval(watch);
      void w.terminate();
      fail(e);
    });
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let bad = 0;
  for (const target of args.targets) {
    const t0 = Date.now();
    const total = newStats(target.name);
    // The same bug found a thousand times is kept three times (its message with numbers blanked).
    const seen = new Map<string, number>();
    const report = (c: Crash) => {
      bad++;
      if (c.kind === 'hang') total.hangs++;
      const sig = `${c.kind}: ${c.message.replace(/\d+/g, 'N')}`;
      const n = (seen.get(sig) ?? 0) + 1;
      seen.set(sig, n);
      const kept = n <= 3 ? ` (kept as ${keepRegression(target.name, c)})` : '';
      console.log(`fuzz ${target.name}: ${c.kind} at input ${c.index}: ${c.message}${kept}`);
    };
    let from = args.from;
    let timedOut = false;
    const count = from + (args.counts?.[target.name] ?? args.count);
    while (from < count && !timedOut) {
      let r: Awaited<ReturnType<typeof runWorker>>;
      try {
        r = await runWorker(target, args, from, count, total, report);
      } catch (e) {
        // A worker that cannot even start (a source file caught half-written by an editor) gets one more try.
        console.log(`fuzz ${target.name}: worker failed (${(e as Error).message}); retrying once`);
        await new Promise((done) => setTimeout(done, 5000));
        r = await runWorker(target, args, from, count, total, report);
      }
      from = r.next;
      timedOut = r.timedOut;
    }
    const secs = (Date.now() - t0) / 1000;
    const outcomes = Object.entries(total.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      `fuzz ${target.name}: ${total.inputs} inputs (seed ${args.seed}${args.from ? `, from index ${args.from}` : ''}${timedOut ? ', stopped at --until' : ''}) in ${secs.toFixed(1)} s: ${total.crashes} crashes, ${total.hangs} hangs; ${outcomes}`,
    );
  }
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`fuzz: ${(e as Error).message}`);
    process.exit(2);
  },
);
