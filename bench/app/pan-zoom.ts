// Pan and zoom of a big subsystem graph: real wheel and drag input (CDP) on the
// view's SVG for a while, every requestAnimationFrame timestamp collected in the
// page, and the number of d3-zoom transforms applied (proof the input landed).
import type { Page } from 'playwright-core';

const START = `(() => {
  const st = { frames: [], running: true, transforms: 0 };
  window.__kmodelFrames = st;
  const vp = document.querySelector('[data-testid=subsystem-graph] g.viewport');
  new MutationObserver((m) => { st.transforms += m.length; }).observe(vp, { attributes: true, attributeFilter: ['transform'] });
  const tick = (t) => { st.frames.push(t); if (st.running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()`;

const STOP = `(() => { const st = window.__kmodelFrames; st.running = false; return { frames: st.frames, transforms: st.transforms }; })()`;

export interface FrameTrace {
  /** Frame-to-frame intervals, ms. */
  intervals: number[];
  transforms: number;
  nodes: number;
  seconds: number;
}

export async function tracePanZoom(page: Page, url: string, model: string, ms: number): Promise<FrameTrace> {
  await page.goto(`${url}#graph/${model}`);
  const svg = page.locator(`[data-testid=subsystem-graph][data-model=${model}][data-ready=true]`);
  await svg.waitFor({ timeout: 180_000 });
  const nodes = Number(await svg.getAttribute('data-nodes'));
  await page.waitForTimeout(500);
  const box = (await svg.boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.evaluate(START);
  const t0 = Date.now();
  let dir = 1;
  while (Date.now() - t0 < ms) {
    // Zoom in (or out) a few notches, then drag across and back.
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -120 * dir);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(cx + i * 15 * dir, cy + i * 8 * dir);
    for (let i = 11; i >= 0; i--) await page.mouse.move(cx + i * 15 * dir, cy + i * 8 * dir);
    await page.mouse.up();
    dir = -dir;
  }
  const seconds = (Date.now() - t0) / 1000;
  const { frames, transforms } = (await page.evaluate(STOP)) as { frames: number[]; transforms: number };
  const intervals = frames.slice(1).map((t, i) => t - frames[i]!);
  return { intervals, transforms, nodes, seconds };
}
