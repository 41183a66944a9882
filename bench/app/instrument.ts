// In-page instrumentation installed before the app loads (page.addInitScript):
// every API call over fetch is noted with its method, params and the times it was
// sent and answered (performance.now()), in window.__kmodelBench.api. The app's
// code is untouched; only window.fetch is wrapped.
import type { Page } from 'playwright-core';

// A string, not a function: tsx's helpers (__name) do not exist in the page.
const INSTRUMENT = `(() => {
  const st = { api: [] };
  window.__kmodelBench = st;
  const orig = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const m = /\\/api\\/(\\w+)/.exec(String(input));
    if (!m) return orig(input, init);
    let params = null;
    try { params = JSON.parse(init && init.body ? init.body : 'null'); } catch {}
    const rec = { method: m[1], params, sent: performance.now(), answered: 0 };
    st.api.push(rec);
    const res = await orig(input, init);
    rec.answered = performance.now();
    return res;
  };
})()`;

export interface ApiCallTiming {
  method: string;
  params: unknown;
  sent: number;
  answered: number;
}

export async function instrumentApi(page: Page): Promise<void> {
  await page.addInitScript(INSTRUMENT);
}

/** API calls of `method` sent at or after `since` (page time, ms). */
export async function apiCalls(page: Page, method: string, since: number): Promise<ApiCallTiming[]> {
  const all = (await page.evaluate('window.__kmodelBench.api')) as ApiCallTiming[];
  return all.filter((c) => c.method === method && c.sent >= since);
}
