// "First graph after a model is opened": in a warmed page, leave the graph route,
// then set #graph/<model> and time until SubsystemGraph's 'kmodel:graph-drawn'
// mark (layout done, SVG in the DOM) and until the frame after it (painted).
import type { Page } from 'playwright-core';

// Page-side code is a string: tsx's helpers (__name) would not exist in the page.
const OPEN = `async ({ model, timeout }) => {
  performance.clearMarks('kmodel:graph-drawn');
  const t0 = performance.now();
  const drawn = new Promise((resolve, reject) => {
    const fail = (msg) => { obs.disconnect(); clearTimeout(timer); clearInterval(poll); reject(new Error(msg)); };
    const timer = setTimeout(() => fail('no kmodel:graph-drawn mark for ' + model), timeout);
    // The view shows API and layout failures as text: stop at once with it.
    const poll = setInterval(() => {
      const err = document.querySelector('.gv p.error, .sg p.error');
      if (err) fail(model + ': ' + err.textContent);
    }, 50);
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.detail === model) {
          obs.disconnect();
          clearTimeout(timer);
          clearInterval(poll);
          resolve(e.startTime);
        }
      }
    });
    obs.observe({ type: 'mark' });
  });
  location.hash = '#graph/' + model;
  const tDrawn = await drawn;
  // Two frames: the first rAF runs before the paint that shows the graph.
  const tPainted = await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const call = window.__kmodelBench.api.find((c) => c.method === 'subsystemGraph' && c.sent >= t0 && c.params.name === model);
  return { api: call ? call.answered - t0 : NaN, drawn: tDrawn - t0, painted: tPainted - t0 };
}`;

export interface GraphOpenTiming {
  /** open → subsystemGraph answered (needs ./instrument's instrumentApi). */
  api: number;
  /** open → 'kmodel:graph-drawn' (ELK layout done, SVG in the DOM). */
  drawn: number;
  /** open → the frame after the mark started (the graph painted). */
  painted: number;
}

async function leaveGraph(page: Page): Promise<void> {
  await page.evaluate(() => {
    location.hash = '#models';
  });
  await page.waitForSelector('[data-testid=subsystem-graph-view]', { state: 'detached' });
}

/** `runs` timed opens of `model` after one untimed warm-up open. */
export async function timeGraphOpens(page: Page, model: string, runs: number): Promise<GraphOpenTiming[]> {
  const out: GraphOpenTiming[] = [];
  for (let i = 0; i <= runs; i++) {
    await leaveGraph(page);
    // Let the models view settle so its own work is not counted.
    await page.waitForTimeout(300);
    const t = (await page.evaluate(
      `(${OPEN})(${JSON.stringify({ model, timeout: 60_000 })})`,
    )) as GraphOpenTiming;
    if (i > 0) out.push(t);
  }
  return out;
}
