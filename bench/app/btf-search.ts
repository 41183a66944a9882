// BTF incremental search, per keystroke: a real key press (CDP input) into the
// search box, timed in the page from the keydown event to the list showing that
// query's hits (a MutationObserver sees [data-testid=btf-list] with data-query
// equal to the box's text and a filled first row). The list searches the name
// index in the renderer; it notes each search's own time in data-search-ms and
// the one-off index load (api.btfNames → index built) in data-load-ms.
import type { Page } from 'playwright-core';

// Notes keydown times (and the frame after) for the search box. A string: tsx's
// helpers (__name) do not exist in the page.
const KEYS = `(() => {
  const st = window.__kmodelBench;
  st.key = 0;
  st.keyFrame = 0;
  document.addEventListener('keydown', (e) => {
    if (!e.target.matches || !e.target.matches('[data-testid=btf-search]')) return;
    st.key = e.timeStamp;
    st.keyFrame = 0;
    requestAnimationFrame(() => requestAnimationFrame((t) => { st.keyFrame = t; }));
  }, true);
})()`;

// Resolves when the list shows the hits for \`q\` (its data-query, and a filled
// first row unless there are none), noting when the next frame's rendering begins
// (rAF callback time: the frame's own timestamp may predate the update).
const WAIT_LIST = `({ q, timeout }) => new Promise((resolve, reject) => {
  const st = window.__kmodelBench;
  let obs;
  const timer = setTimeout(() => { if (obs) obs.disconnect(); reject(new Error('list not updated for ' + JSON.stringify(q))); }, timeout);
  const done = () => {
    const list = document.querySelector('[data-testid=btf-list]');
    if (!list || list.getAttribute('data-query') !== q) return false;
    const total = Number(list.getAttribute('data-total'));
    if (total > 0 && !list.querySelector('button.row .name')) return false;
    const listed = performance.now();
    obs.disconnect();
    clearTimeout(timer);
    const r = { key: st.key, keyFrame: st.keyFrame, listed, total,
      searchMs: Number(list.getAttribute('data-search-ms')), loadMs: Number(list.getAttribute('data-load-ms')) };
    requestAnimationFrame(() => resolve({ ...r, painted: performance.now() }));
    return true;
  };
  obs = new MutationObserver(() => done());
  obs.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  done();
})`;

/** Call after instrumentApi, before the page loads. */
export async function instrumentKeys(page: Page): Promise<void> {
  await page.addInitScript(KEYS);
}

interface Listed {
  key: number;
  keyFrame: number;
  listed: number;
  painted: number;
  total: number;
  searchMs: number;
  loadMs: number;
}

export interface KeystrokeTiming {
  /** The search box's text after the key. */
  query: string;
  /** keydown → list updated (DOM holds the new rows). */
  toList: number;
  /** The list's own search (BtfNameSearch.search), in the page. */
  search: number;
  /** keydown → the frame after the update begins rendering (the new rows are painted in it). */
  toPaint: number;
  /** keydown → the frame after it (the typed letter on screen). */
  toFrame: number;
  total: number;
}

export interface NameIndexLoad {
  /** Page start → first rows listed. */
  listed: number;
  /** api.btfNames sent → response headers: the server's work and the round trip. */
  request: number;
  /** Response headers → last byte. */
  download: number;
  /** api.btfNames called → search index built: request, body, JSON parse, BtfNameSearch. */
  load: number;
  /** Response body bytes. */
  bytes: number;
  named: number;
}

/**
 * Opens #btf and times the name index's load: cold the first time (the server
 * parses and indexes the reference BTF), warm after a reload.
 */
export async function openBtf(page: Page, url: string, reload = false): Promise<NameIndexLoad> {
  if (reload) await page.reload();
  else await page.goto(`${url}#btf`);
  const r = (await page.evaluate(`(${WAIT_LIST})({ q: '', timeout: 120000 })`)) as Listed;
  const res = (await page.evaluate(`(() => {
    const e = performance.getEntriesByType('resource').filter((x) => /\\/api\\/btfNames$/.test(x.name)).pop();
    return e && { start: e.startTime, headers: e.responseStart, end: e.responseEnd, bytes: e.decodedBodySize };
  })()`)) as { start: number; headers: number; end: number; bytes: number } | undefined;
  if (!res) throw new Error('no btfNames request seen');
  return {
    listed: r.listed,
    request: res.headers - res.start,
    download: res.end - res.headers,
    load: r.loadMs,
    bytes: res.bytes,
    named: r.total,
  };
}

async function clearBox(page: Page): Promise<void> {
  await page.locator('[data-testid=btf-search]').fill('');
  await page.evaluate(`(${WAIT_LIST})({ q: '', timeout: 60000 })`);
}

/** Types `word` one key at a time, waiting for each query's list; `rounds` times. */
export async function timeKeystrokes(page: Page, word: string, rounds: number): Promise<KeystrokeTiming[]> {
  const out: KeystrokeTiming[] = [];
  const box = page.locator('[data-testid=btf-search]');
  for (let r = 0; r < rounds; r++) {
    await clearBox(page);
    await box.focus();
    await page.waitForTimeout(200);
    for (let i = 1; i <= word.length; i++) {
      const wait = page.evaluate(
        `(${WAIT_LIST})(${JSON.stringify({ q: word.slice(0, i), timeout: 60000 })})`,
      );
      await page.keyboard.press(word[i - 1]!);
      const t = (await wait) as Listed;
      out.push({
        query: word.slice(0, i),
        toList: t.listed - t.key,
        search: t.searchMs,
        toPaint: t.painted - t.key,
        toFrame: t.keyFrame ? t.keyFrame - t.key : Number.NaN,
        total: t.total,
      });
    }
  }
  return out;
}
