// BTF incremental search, per keystroke: a real key press (CDP input) into the
// search box, timed in the page from the keydown event to the list showing that
// query's hits (MutationObserver after the btfSearch response for the query).
// BtfList searches one animation frame after a keystroke, so the rows also give the part from
// the btfSearch request on (request sent → list updated) and keydown → next frame.
import type { Page } from 'playwright-core';

// Notes keydown times (and the frame after) for the search box; API calls are
// noted by ./instrument. A string: tsx's helpers (__name) do not exist in the page.
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

// Resolves when the list shows the hits for \`q\`: a btfSearch for q was answered
// and a later DOM change left a filled first row.
const WAIT_LIST = `({ q, since, timeout }) => new Promise((resolve, reject) => {
  const st = window.__kmodelBench;
  const list = document.querySelector('[data-testid=btf-list]');
  const timer = setTimeout(() => { obs.disconnect(); reject(new Error('list not updated for ' + q)); }, timeout);
  const done = () => {
    const f = st.api.find((r) => r.method === 'btfSearch' && r.params.query === q && r.sent >= since && r.answered);
    const row = list.querySelector('button.row .name');
    if (!f || !row) return false;
    const now = performance.now();
    obs.disconnect();
    clearTimeout(timer);
    resolve({ key: st.key, keyFrame: st.keyFrame, sent: f.sent, answered: f.answered, listed: now,
      total: Number(list.getAttribute('data-total')) });
    return true;
  };
  const obs = new MutationObserver(() => done());
  obs.observe(list, { subtree: true, childList: true, attributes: true, characterData: true });
  done();
})`;

/** Call after instrumentApi, before the page loads. */
export async function instrumentKeys(page: Page): Promise<void> {
  await page.addInitScript(KEYS);
}

export interface KeystrokeTiming {
  /** The search box's text after the key. */
  query: string;
  /** keydown → list updated, rAF included. */
  toList: number;
  /** btfSearch sent → list updated. */
  afterDebounce: number;
  /** btfSearch sent → answered: HTTP round trip and the server's search. */
  request: number;
  /** btfSearch answered → list updated: JSON parse and the list's render. */
  render: number;
  /** keydown → the frame after it (the typed letter on screen). */
  toFrame: number;
  total: number;
}

/**
 * Opens #btf and times the first (cold) search, whose request makes the server
 * parse and index the reference BTF: its round trip, and page start → rows listed.
 */
export async function openBtf(page: Page, url: string): Promise<{ request: number; listed: number }> {
  await page.goto(`${url}#btf`);
  const r = (await page.evaluate(`(${WAIT_LIST})({ q: '', since: 0, timeout: 120000 })`)) as {
    sent: number;
    answered: number;
    listed: number;
  };
  return { request: r.answered - r.sent, listed: r.listed };
}

async function clearBox(page: Page): Promise<void> {
  const box = page.locator('[data-testid=btf-search]');
  await box.fill('');
  await page
    .evaluate(`(${WAIT_LIST})({ q: '', since: performance.now() - 1, timeout: 60000 })`)
    .catch(() => {});
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
      const since = (await page.evaluate('performance.now()')) as number;
      const wait = page.evaluate(
        `(${WAIT_LIST})(${JSON.stringify({ q: word.slice(0, i), since, timeout: 60000 })})`,
      );
      await page.keyboard.press(word[i - 1]!);
      const t = (await wait) as {
        key: number;
        keyFrame: number;
        sent: number;
        answered: number;
        listed: number;
        total: number;
      };
      out.push({
        query: word.slice(0, i),
        toList: t.listed - t.key,
        afterDebounce: t.listed - t.sent,
        request: t.answered - t.sent,
        render: t.listed - t.answered,
        toFrame: t.keyFrame ? t.keyFrame - t.key : Number.NaN,
        total: t.total,
      });
    }
  }
  return out;
}
