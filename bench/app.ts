// The app in headless Chromium against `kmodel serve`'s server: time to the first
// graph after opening a model, BTF search per keystroke, and pan/zoom frame rate of
// a synthetic 500-node subsystem graph. Needs /usr/bin/chromium (or KMODEL_CHROMIUM)
// and the built renderer and CLI (npm run build:renderer, npm run build:cli).
// KMODEL_BENCH_APP=pan-zoom (comma-separated: btf, graph, pan-zoom) runs only those parts.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './app/browser';
import { instrumentKeys, openBtf, timeKeystrokes } from './app/btf-search';
import { timeGraphOpens } from './app/graph-open';
import { instrumentApi } from './app/instrument';
import { tracePanZoom } from './app/pan-zoom';
import { startBenchServer } from './app/server';
import { mean, median, quantile } from './app/stats';
import { syntheticModelYaml } from './app/synthetic-model';
import type { BenchRow, BenchSuite } from './types';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SYNTH = 'synth500';
const HEADLESS = 'headless Chromium, --disable-gpu (software raster: slower than a desktop)';
const WORD = 'tcp_congestion_ops';

const row = (what: string, value: number, unit: string, reference: string, ok?: boolean): BenchRow => ({
  area: 'app',
  what,
  value: Math.round(value * 10) / 10,
  unit,
  reference,
  ...(ok === undefined ? {} : { ok }),
});

/** Median and p95 rows of `xs`; `target` ≤ 16 ms is checked, other text is a note. */
function spread(what: string, xs: number[], target: string): BenchRow[] {
  const ok = (x: number) => (target.startsWith('≤ 16 ms') ? x <= 16 : undefined);
  const med = median(xs);
  const p95 = quantile(xs, 0.95);
  return [
    row(`${what}, median`, med, 'ms', target, ok(med)),
    row(`${what}, p95`, p95, 'ms', target, ok(p95)),
  ];
}

/**
 * BTF search. The name index loads once per page (cold: the server first parses
 * and indexes the BTF; warm: after a reload); every keystroke then searches it in the page.
 */
async function btfRows(page: Page, url: string): Promise<BenchRow[]> {
  const cold = await openBtf(page, url);
  const warm = await openBtf(page, url, true);
  await timeKeystrokes(page, WORD, 1); // warm-up
  const keys = await timeKeystrokes(page, WORD, 3);
  const n = `${keys.length} keys`;
  // Which prefixes are slow, for whoever tunes the search.
  const slow = [...keys].sort((a, b) => b.toList - a.toList).slice(0, 4);
  process.stderr.write(
    `bench: app: slowest BTF keystrokes: ${slow.map((k) => `'${k.query}' ${k.toList.toFixed(1)} ms (search ${k.search.toFixed(1)} ms, ${k.total} hits)`).join(', ')}\n`,
  );
  const mb = (cold.bytes / 1e6).toFixed(1);
  return [
    row(
      `BTF: name index request, cold (server parses + indexes BTF; ${cold.named} names, ${mb} MB JSON)`,
      cold.request,
      'ms',
      'one-off',
    ),
    row(
      'BTF: name index load in page, cold (request + body + JSON parse + search index)',
      cold.load,
      'ms',
      'one-off',
    ),
    row('BTF: page load → first rows listed, cold', cold.listed, 'ms', 'one-off'),
    row('BTF: name index request, warm (page reload)', warm.request, 'ms', 'one-off'),
    row('BTF:   of which body download, warm', warm.download, 'ms', 'breakdown'),
    row(
      'BTF: name index load in page, warm (request + body + JSON parse + search index)',
      warm.load,
      'ms',
      'one-off',
    ),
    ...spread(
      `BTF: keydown → list updated (${n})`,
      keys.map((k) => k.toList),
      '≤ 16 ms; searched in the page, same task as the key',
    ),
    ...spread(
      'BTF:   of which the search (BtfNameSearch, in page)',
      keys.map((k) => k.search),
      'breakdown',
    ),
    ...spread(
      'BTF: keydown → frame after the update (rows painted)',
      keys.map((k) => k.toPaint),
      'waits for the next 60 Hz frame: up to 16.7 ms more than the update',
    ),
    ...spread(
      'BTF: keydown → next frame start (letter shown)',
      keys.map((k) => k.toFrame).filter((x) => !Number.isNaN(x)),
      '2 rAFs: one 60 Hz frame is the floor',
    ),
  ];
}

/** First graph after opening a model, in a warmed page. */
async function graphRows(page: Page, model: string): Promise<BenchRow[]> {
  const t = await timeGraphOpens(page, model, 5);
  const drawn = median(t.map((x) => x.drawn));
  const painted = median(t.map((x) => x.painted));
  const open = `graph: open #graph/${model} →`;
  return [
    row(`${open} subsystemGraph answered, median of 5`, median(t.map((x) => x.api)), 'ms', 'breakdown'),
    row(`${open} SVG drawn (ELK + DOM), median of 5`, drawn, 'ms', '≤ 300 ms', drawn <= 300),
    row(`${open} frame painted, median of 5`, painted, 'ms', '≤ 300 ms', painted <= 300),
  ];
}

/** Pan/zoom of the synthetic graph: mean fps and the 5th-percentile frame; the redraw frames. */
async function panZoomRows(page: Page, url: string): Promise<BenchRow[]> {
  // 4 s: two 120-frame cycles of wheel in, drag, wheel out, drag back.
  const trace = await tracePanZoom(page, url, SYNTH, 4000);
  const fps = 1000 / mean(trace.intervals);
  const p5 = 1000 / quantile(trace.intervals, 0.95);
  const what = `pan/zoom ${trace.nodes}-node graph (${trace.seconds.toFixed(1)} s, ${trace.inputs} wheel/drag events → ${trace.previews} previews, ${trace.commits} redraws)`;
  return [
    row(`${what}: mean`, fps, 'fps', `≥ 60 fps; ${HEADLESS}`, fps >= 59),
    row(`${what}: 5th-percentile frame`, p5, 'fps', `≥ 60 fps; ${HEADLESS}`, p5 >= 59),
    row(
      'pan/zoom: frame carrying a redraw (gesture settled), median',
      median(trace.redrawIntervals),
      'ms',
      'breakdown; the drawing itself re-rastered',
    ),
    row(
      'same page at rest (no input), mean',
      1000 / mean(trace.idleIntervals),
      'fps',
      'the headless frame clock',
    ),
  ];
}

export const run: BenchSuite = async () => {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `bench: app skipped: ${CHROMIUM} is missing (install chromium or set KMODEL_CHROMIUM)\n`,
    );
    return [];
  }
  // 200 members + 10 kfunc sets of 29 kfuncs + the struct_ops node ≈ 500 nodes.
  const synth = syntheticModelYaml(SYNTH, { members: 200, kfuncs: 290, perSet: 29 });
  const server = await startBenchServer(root, { [`${SYNTH}.yaml`]: synth });
  const browser = await launchChromium();
  // Browser timings move with the machine's load: say what it was.
  const rows: BenchRow[] = [
    row('machine load average (1 min) at start', loadavg()[0]!, 'runnable', `${cpus().length} CPUs`),
  ];
  // One part failing (a model that no longer resolves, say) leaves the others' rows.
  const only = (process.env.KMODEL_BENCH_APP ?? '').split(',').filter(Boolean);
  const part = async (name: string, f: () => Promise<BenchRow[]>) => {
    if (only.length && !only.some((o) => name.startsWith(o))) return;
    try {
      rows.push(...(await f()));
    } catch (e) {
      process.stderr.write(`bench: app: ${name} failed: ${(e as Error).message.split('\n')[0]}\n`);
    }
  };
  try {
    const page = await browser.context.newPage();
    await instrumentApi(page);
    await instrumentKeys(page);
    // BTF first: its opening search is the cold one.
    await part('btf search', () => btfRows(page, server.url));
    for (const model of ['qdisc', 'sched_ext']) await part(`graph ${model}`, () => graphRows(page, model));
    await part('pan-zoom', () => panZoomRows(page, server.url));
  } finally {
    await browser.close();
    await server.close();
  }
  return rows;
};
