// The app in headless Chromium against `kmodel serve`'s server: time to the first
// graph after opening a model, BTF search per keystroke, and pan/zoom frame rate of
// a synthetic 500-node subsystem graph. Needs /usr/bin/chromium (or KMODEL_CHROMIUM)
// and the built renderer and CLI (npm run build:renderer, npm run build:cli).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launchChromium } from './app/browser';
import { instrumentBtf, openBtf, timeKeystrokes } from './app/btf-search';
import { timeGraphOpens } from './app/graph-open';
import { tracePanZoom } from './app/pan-zoom';
import { startBenchServer } from './app/server';
import { mean, median, quantile } from './app/stats';
import { syntheticModelYaml } from './app/synthetic-model';
import type { BenchRow, BenchSuite } from './types';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SYNTH = 'synth500';
const HEADLESS = 'headless Chromium, --disable-gpu (software raster: slower than a desktop)';

const row = (what: string, value: number, unit: string, reference: string, ok?: boolean): BenchRow => ({
  area: 'app',
  what,
  value: Math.round(value * 10) / 10,
  unit,
  reference,
  ...(ok === undefined ? {} : { ok }),
});

export const run: BenchSuite = async () => {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `bench: app skipped: ${CHROMIUM} is missing (install chromium or set KMODEL_CHROMIUM)\n`,
    );
    return [];
  }
  // 200 members + 10 kfunc sets of 29 + the struct_ops node ≈ 500 nodes.
  const synth = syntheticModelYaml(SYNTH, { members: 200, kfuncs: 290, perSet: 29 });
  const server = await startBenchServer(root, { [`${SYNTH}.yaml`]: synth });
  const browser = await launchChromium();
  const rows: BenchRow[] = [];
  try {
    const page = await browser.context.newPage();
    await instrumentBtf(page);

    // 2. BTF search. The first search builds the server's BTF index (parse of the
    // reference vmlinux BTF): page load → first rows, reported on its own.
    const cold = await openBtf(page, server.url);
    rows.push(row('BTF: first search, cold (server parses BTF): page load → rows', cold, 'ms', 'one-off'));
    const word = 'tcp_congestion_ops';
    await timeKeystrokes(page, word, 1); // warm-up
    const keys = await timeKeystrokes(page, word, 3);
    const toList = keys.map((k) => k.toList);
    const after = keys.map((k) => k.afterDebounce);
    const frame = keys.map((k) => k.toFrame).filter((x) => !Number.isNaN(x));
    const n = `${keys.length} keys of '${word}'`;
    rows.push(
      row(
        `BTF: keydown → list updated, median (${n})`,
        median(toList),
        'ms',
        '≤ 16 ms; includes BtfList 100 ms debounce',
        median(toList) <= 16,
      ),
      row(
        'BTF: keydown → list updated, p95',
        quantile(toList, 0.95),
        'ms',
        '≤ 16 ms; includes 100 ms debounce',
        quantile(toList, 0.95) <= 16,
      ),
      row(
        'BTF: search sent (debounce fired) → list updated, median',
        median(after),
        'ms',
        '≤ 16 ms',
        median(after) <= 16,
      ),
      row(
        'BTF: search sent → list updated, p95',
        quantile(after, 0.95),
        'ms',
        '≤ 16 ms',
        quantile(after, 0.95) <= 16,
      ),
      row(
        'BTF: keydown → next frame (letter shown), median',
        median(frame),
        'ms',
        '≤ 16 ms',
        median(frame) <= 16,
      ),
      row(
        'BTF: keydown → next frame, p95',
        quantile(frame, 0.95),
        'ms',
        '≤ 16 ms',
        quantile(frame, 0.95) <= 16,
      ),
    );

    // 1. First graph after opening a model, warmed page (graph route visited once).
    for (const model of ['qdisc', 'sched_ext']) {
      const t = await timeGraphOpens(page, model, 5);
      const drawn = median(t.map((x) => x.drawn));
      const painted = median(t.map((x) => x.painted));
      rows.push(
        row(`graph: open #graph/${model} → SVG drawn, median of 5`, drawn, 'ms', '≤ 300 ms', drawn <= 300),
        row(
          `graph: open #graph/${model} → frame painted, median of 5`,
          painted,
          'ms',
          '≤ 300 ms',
          painted <= 300,
        ),
      );
    }

    // 3. Pan/zoom of the synthetic graph: mean fps and the 5th-percentile frame.
    const trace = await tracePanZoom(page, server.url, SYNTH, 2000);
    const fps = 1000 / mean(trace.intervals);
    const p5 = 1000 / quantile(trace.intervals, 0.95);
    const what = `pan/zoom ${trace.nodes}-node graph, ${trace.seconds.toFixed(1)} s, ${trace.transforms} transforms`;
    rows.push(
      row(`${what}: mean`, fps, 'fps', `≥ 60 fps; ${HEADLESS}`, fps >= 59),
      row(`${what}: 5th-percentile frame`, p5, 'fps', `≥ 60 fps; ${HEADLESS}`, p5 >= 59),
    );
  } finally {
    await browser.close();
    await server.close();
  }
  return rows;
};
