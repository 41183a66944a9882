// Pan and zoom of a big subsystem graph. Input arrives once per frame, as a real
// mouse would: a requestAnimationFrame loop in the page dispatches wheel events
// (zoom in, then out) and mousedown/mousemove/mouseup drags on the view's SVG,
// which d3-zoom and the component handle as usual. (Playwright's CDP mouse is a
// round trip per event, ~25 events/s here: too slow to ask for a frame each.)
// Every frame's timestamp is kept, and what the input changed is counted (proof
// it landed): gesture previews (the CSS transform on the SVG layer, moved by the
// compositor) and commits (g.viewport's transform: the drawing itself redrawn).
import type { Page } from 'playwright-core';

// A string, not a function: tsx's helpers (__name) do not exist in the page.
const DRIVE = `({ ms, input }) => new Promise((resolve) => {
  const svg = document.querySelector('[data-testid=subsystem-graph]');
  const vp = svg.querySelector('g.viewport');
  const layer = svg.parentElement;
  const box = svg.getBoundingClientRect();
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  let previews = 0;
  let commits = 0;
  const redrawn = [];
  const obs = new MutationObserver((ms) => {
    for (const m of ms) {
      if (m.target === vp) {
        commits++;
        redrawn.push(frames.length - 1);
      }
      else if (layer.style.transform) previews++;
    }
  });
  obs.observe(vp, { attributes: true, attributeFilter: ['transform'] });
  obs.observe(layer, { attributes: true, attributeFilter: ['style'] });
  const mouse = (type, x, y) => svg.dispatchEvent(new MouseEvent(type, {
    bubbles: true, cancelable: true, view: window, clientX: x, clientY: y, button: 0, buttons: type === 'mouseup' ? 0 : 1 }));
  const frames = [];
  let t0 = 0;
  let i = 0;
  const step = (t) => {
    frames.push(t);
    if (!t0) t0 = t;
    if (t - t0 >= ms) {
      obs.disconnect();
      resolve({ frames, previews, commits, redrawn, seconds: (t - t0) / 1000 });
      return;
    }
    if (input) {
      // 120 frames a cycle: 30 zoom in, 30 drag, 30 zoom out, 30 drag back.
      const k = i % 120;
      const dir = k < 60 ? 1 : -1;
      const phase = k % 60;
      if (phase < 30) {
        svg.dispatchEvent(new WheelEvent('wheel', {
          bubbles: true, cancelable: true, view: window, clientX: cx, clientY: cy, deltaY: -40 * dir, deltaMode: 0 }));
      } else {
        const d = phase - 30;
        if (d === 0) mouse('mousedown', cx, cy);
        mouse('mousemove', cx + d * 12 * dir, cy + d * 6 * dir);
        if (d === 29) mouse('mouseup', cx + d * 12 * dir, cy + d * 6 * dir);
      }
      i++;
    }
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})`;

export interface FrameTrace {
  /** Frame-to-frame intervals while panning and zooming, ms. */
  intervals: number[];
  /** The same page left alone for a second: the headless frame clock at rest. */
  idleIntervals: number[];
  /** CSS-transform updates of the SVG layer (gesture previews). */
  previews: number;
  /** Transforms drawn into g.viewport (gesture settled). */
  commits: number;
  /** Per redraw: the longer of the two frames that may carry it, ms. */
  redrawIntervals: number[];
  /** Input events dispatched (one per frame). */
  inputs: number;
  nodes: number;
  seconds: number;
}

const intervalsOf = (frames: number[]): number[] => frames.slice(1).map((t, i) => t - frames[i]!);

interface Drive {
  frames: number[];
  previews: number;
  commits: number;
  /** Index of the last frame begun when each redraw happened (its paint is in that frame or the next). */
  redrawn: number[];
  seconds: number;
}

export async function tracePanZoom(page: Page, url: string, model: string, ms: number): Promise<FrameTrace> {
  await page.goto(`${url}#graph/${model}`);
  const svg = page.locator(`[data-testid=subsystem-graph][data-model=${model}][data-ready=true]`);
  await svg.waitFor({ timeout: 180_000 });
  const nodes = Number(await svg.getAttribute('data-nodes'));
  await page.waitForTimeout(500);
  const idle = (await page.evaluate(`(${DRIVE})({ ms: 1000, input: false })`)) as Drive;
  const r = (await page.evaluate(`(${DRIVE})(${JSON.stringify({ ms, input: true })})`)) as Drive;
  return {
    intervals: intervalsOf(r.frames),
    idleIntervals: intervalsOf(idle.frames),
    previews: r.previews,
    commits: r.commits,
    redrawIntervals: r.redrawn
      .map((j) => Math.max(r.frames[j + 1]! - r.frames[j]!, (r.frames[j + 2] ?? 0) - r.frames[j + 1]!))
      .filter((x) => !Number.isNaN(x)),
    inputs: r.frames.length - 1,
    nodes,
    seconds: r.seconds,
  };
}
