// BTF incremental search, per keystroke: a real key press (CDP input) into the
// search box, timed in the page from the keydown event to the list showing that
// query's hits. The list searches the name index in the renderer and names the
// query it shows in data-query ([data-testid=btf-list]); a MutationObserver
// installed with the page (only data-query changes: the other benches' DOM work
// does not wake it) notes each change, so no wait can miss a fast update. The list
// also notes its own search time (data-search-ms) and the one-off index load
// (api.btfNames → index built, data-load-ms).
import type { Page } from 'playwright-core';

// A string: tsx's helpers (__name) do not exist in the page.
const OBSERVE = `(() => {
  const st = window.__kmodelBench;
  st.keys = [];
  st.lists = [];
  st.waiters = [];
  document.addEventListener('keydown', (e) => {
    if (!e.target.matches || !e.target.matches('[data-testid=btf-search]')) return;
    const k = { ts: e.timeStamp, frame: 0 };
    st.keys.push(k);
    requestAnimationFrame(() => requestAnimationFrame((t) => { k.frame = t; }));
  }, true);
  new MutationObserver((records) => {
    const at = performance.now();
    const list = records[records.length - 1].target;
    if (!list.hasAttribute('data-query')) return;
    const e = { q: list.getAttribute('data-query'), at, key: st.keys[st.keys.length - 1] || null,
      total: Number(list.getAttribute('data-total')), rows: !!list.querySelector('button.row .name'),
      searchMs: Number(list.getAttribute('data-search-ms')), loadMs: Number(list.getAttribute('data-load-ms')),
      painted: 0 };
    st.lists.push(e);
    // The frame after the update begins (its rAF callbacks run before its paint).
    requestAnimationFrame(() => {
      e.painted = performance.now();
      for (const w of st.waiters.splice(0)) w();
    });
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-query'] });
})()`;

// Resolves with the list update showing `q` noted at or after `since`, once its next frame began.
const WAIT_LIST = `({ q, since, timeout }) => new Promise((resolve, reject) => {
  const st = window.__kmodelBench;
  const timer = setTimeout(() => reject(new Error('list not updated for ' + JSON.stringify(q))), timeout);
  const check = () => {
    const e = st.lists.find((x) => x.q === q && x.at >= since && x.painted);
    if (!e) return st.waiters.push(check);
    clearTimeout(timer);
    resolve(e);
  };
  check();
})`;

/** Call after instrumentApi, before the page loads. */
export async function instrumentKeys(page: Page): Promise<void> {
  await page.addInitScript(OBSERVE);
}

interface Listed {
  q: string;
  at: number;
  key: { ts: number; frame: number } | null;
  painted: number;
  total: number;
  rows: boolean;
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
  // A fresh page: its first list of '' is the one after the index loaded.
  const r = (await page.evaluate(`(${WAIT_LIST})({ q: '', since: 0, timeout: 120000 })`)) as Listed;
  const res = (await page.evaluate(`(() => {
    const e = performance.getEntriesByType('resource').filter((x) => /\\/api\\/btfNames$/.test(x.name)).pop();
    return e && { start: e.startTime, headers: e.responseStart, end: e.responseEnd, bytes: e.decodedBodySize };
  })()`)) as { start: number; headers: number; end: number; bytes: number } | undefined;
  if (!res) throw new Error('no btfNames request seen');
  return {
    listed: r.at,
    request: res.headers - res.start,
    download: res.end - res.headers,
    load: r.loadMs,
    bytes: res.bytes,
    named: r.total,
  };
}

const now = async (page: Page) => (await page.evaluate('performance.now()')) as number;

async function clearBox(page: Page): Promise<void> {
  const box = page.locator('[data-testid=btf-search]');
  if ((await box.inputValue()) === '') return;
  const since = await now(page);
  await box.fill('');
  await page.evaluate(`(${WAIT_LIST})({ q: '', since: ${since}, timeout: 60000 })`);
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
      const q = word.slice(0, i);
      const since = await now(page);
      await page.keyboard.press(word[i - 1]!);
      const t = (await page.evaluate(
        `(${WAIT_LIST})(${JSON.stringify({ q, since, timeout: 60000 })})`,
      )) as Listed;
      if (!t.key || t.key.ts < since)
        throw new Error(`no keydown noted before the list of ${JSON.stringify(q)}`);
      if (t.total > 0 && !t.rows) throw new Error(`the list named ${JSON.stringify(q)} before its rows`);
      // The letter's frame (2 rAFs after keydown) may come after the list's.
      const frame =
        t.key.frame || ((await page.evaluate('window.__kmodelBench.keys.at(-1).frame')) as number);
      out.push({
        query: q,
        toList: t.at - t.key.ts,
        search: t.searchMs,
        toPaint: t.painted - t.key.ts,
        toFrame: frame ? frame - t.key.ts : Number.NaN,
        total: t.total,
      });
    }
  }
  return out;
}
