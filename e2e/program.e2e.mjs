// Program view: a corpus program as listing + CFG, hover linking, pasted hex, themes.
import { readFileSync } from 'node:fs';
import { countCfg } from './lib/cfg.mjs';
import { logInsnLines } from './lib/corpus.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** A rejected case with branches whose whole verifier log is kept (it prints each insn). */
function branchyRejected(corpus) {
  const c = corpus.find(
    (x) =>
      x.kernel.verdict === 'reject' &&
      !x.kernel.log_truncated &&
      x.insns.length / 16 >= 15 &&
      (x.kernel.log.match(/goto pc/g) ?? []).length >= 3,
  );
  assert(c, 'no branchy rejected case in the corpus');
  return c;
}

async function openCase(page, url, id) {
  await page.goto(`${url}#program/${id}`);
  await page.waitForSelector('[data-testid=cfg] g.cfg-node', { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=program-meta] strong')?.textContent);
}

export const tests = {
  async 'shows a corpus program as listing and CFG'({ page, url, corpus }) {
    const c = branchyRejected(corpus);
    const want = countCfg(c.insns);
    await openCase(page, url, c.id);
    assert((await page.textContent('[data-testid=program-meta] strong')) === c.id, 'meta names the case');
    const blocks = await page.locator('[data-testid=cfg] g.cfg-node').count();
    const edges = await page.locator('[data-testid=cfg] path.cfg-edge').count();
    assert(blocks === want.blocks, `${c.id}: graph has ${blocks} blocks, the bytes give ${want.blocks}`);
    assert(edges === want.edges, `${c.id}: graph has ${edges} edges, the bytes give ${want.edges}`);
    // Every edge has a drawn path.
    const empty = await page.locator('[data-testid=cfg] path.cfg-edge[d=""]').count();
    assert(empty === 0, `${empty} edges without a route`);

    // The listing shows each instruction the way the kernel's verifier log printed it.
    const rows = await page.$$eval('[data-testid=listing] li', (lis) =>
      lis.map((li) => [Number(li.dataset.idx), li.querySelector('.text')?.textContent ?? '']),
    );
    const listing = new Map(rows);
    const fromLog = logInsnLines(c.kernel.log);
    let compared = 0;
    for (const [idx, text] of fromLog) {
      // ld_imm64 of maps prints the map's kernel address, which the listing cannot know.
      if (text.startsWith('(18)')) continue;
      assert(
        listing.get(idx) === text,
        `${c.id} insn ${idx}: listing '${listing.get(idx)}', kernel log '${text}'`,
      );
      compared++;
    }
    assert(compared >= 10, `only ${compared} log lines compared`);
  },

  async 'links listing and graph by hover'({ page, url, corpus }) {
    const c = branchyRejected(corpus);
    await openCase(page, url, c.id);
    const row = page.locator('[data-testid=listing] li').nth(5);
    const block = await row.getAttribute('data-block');
    await row.hover();
    await page.waitForSelector(`[data-testid=cfg] g.cfg-node.hot[data-block="${block}"]`, { timeout: 5000 });
    assert((await page.locator('[data-testid=cfg] g.cfg-node.hot').count()) === 1, 'one node lit');
    // And back: hovering a graph node lights its rows.
    await page.mouse.move(0, 0);
    const node = page.locator('[data-testid=cfg] g.cfg-node').last();
    const id = await node.getAttribute('data-block');
    await node.hover();
    const lit = await page.locator('[data-testid=listing] li.hot-block').count();
    const expected = await page.locator(`[data-testid=listing] li[data-block="${id}"]`).count();
    assert(lit === expected && lit > 0, `node B${id} lit ${lit} rows, it holds ${expected}`);
  },

  async 'walks the listing with the keyboard and keeps the block in view'({ page, url, corpus }) {
    // The longest program: its graph is taller than the pane.
    const c = [...corpus].sort((a, b) => b.insns.length - a.insns.length)[0];
    await openCase(page, url, c.id);
    await page.click('[data-testid=listing] li >> nth=0');
    await page.keyboard.press('End');
    const last = await page.$eval('[data-testid=listing] li.sel', (li) => Number(li.dataset.idx));
    const rows = await page.$$eval('[data-testid=listing] li', (lis) =>
      lis.map((li) => Number(li.dataset.idx)),
    );
    assert(last === rows[rows.length - 1], `End selects the last insn (${last})`);
    await page.keyboard.press('ArrowUp');
    const sel = rows[rows.length - 2];
    await page.waitForSelector(`[data-testid=listing] li.sel[data-idx="${sel}"]`);
    // The graph pans so that the selected instruction is visible.
    await page.waitForFunction(
      (i) => {
        const t = document.querySelector(`[data-testid=cfg] text.ins.sel[data-idx="${i}"]`);
        const svg = document.querySelector('[data-testid=cfg]');
        if (!t || !svg) return false;
        const a = t.getBoundingClientRect();
        const b = svg.getBoundingClientRect();
        return a.top >= b.top && a.bottom <= b.bottom;
      },
      sel,
      { timeout: 5000 },
    );
  },

  async 'shows pasted hex and reports bad hex in one line'({ page, url }) {
    await page.goto(`${url}#program`);
    // r0 = 0; if r1 > 3 goto +1; r0 = 1; exit
    await page.fill(
      '[data-testid=hex-input]',
      'b7000000 00000000 25010100 03000000 b7000000 01000000 95000000 00000000',
    );
    await page.click('[data-testid=hex-show]');
    await page.waitForSelector('[data-testid=cfg] g.cfg-node');
    const texts = await page.$$eval('[data-testid=listing] li .text', (els) => els.map((e) => e.textContent));
    assert(
      JSON.stringify(texts) ===
        JSON.stringify(['(b7) r0 = 0', '(25) if r1 > 0x3 goto pc+1', '(b7) r0 = 1', '(95) exit']),
      `listing: ${JSON.stringify(texts)}`,
    );
    assert((await page.locator('[data-testid=cfg] g.cfg-node').count()) === 3, 'three blocks');
    await page.fill('[data-testid=hex-input]', 'b70000');
    await page.click('[data-testid=hex-show]');
    const err = await page.textContent('[data-testid=program-error]');
    assert(/multiple of 8/.test(err ?? ''), `error shown: ${err}`);
  },

  async 'switches to the dark theme and keeps it'({ page, url, corpus, shot }) {
    // The tcp-cc struct_ops program with the most jumps.
    const jumps = (x) => countCfg(x.insns).edges;
    const c = corpus
      .filter((x) => x.origin === 'clang' && x.prog_type === 'struct_ops')
      .sort((a, b) => jumps(b) - jumps(a))[0];
    await openCase(page, url, c.id);
    await page.click('[data-testid=theme-toggle]');
    assert((await page.getAttribute('html', 'data-theme')) === 'dark', 'dark after toggle');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(21, 24, 29)', `dark background, got ${bg}`);
    await shot('dark');
    await page.reload();
    assert((await page.getAttribute('html', 'data-theme')) === 'dark', 'remembered after reload');
    await page.click('[data-testid=theme-toggle]');
  },

  async 'exports the graph as a standalone SVG'({ page, url, corpus }) {
    const c = branchyRejected(corpus);
    await openCase(page, url, c.id);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-svg]'),
    ]);
    assert(download.suggestedFilename() === `${c.id}-cfg.svg`, `file name ${download.suggestedFilename()}`);
    const text = readFileSync(await download.path(), 'utf8');
    assert(text.startsWith('<svg') && text.includes('xmlns="http://www.w3.org/2000/svg"'), 'an SVG document');
    const nodes = (text.match(/class="cfg-node/g) ?? []).length;
    assert(nodes === countCfg(c.insns).blocks, `${nodes} blocks in the file`);
    assert(/fill="rgb\(/.test(text), 'colours inlined');
  },

  async 'navigates the corpus list with the keyboard'({ page, url }) {
    await page.goto(`${url}#program`);
    await page.waitForSelector('[data-testid=sample-list] button');
    await page.keyboard.press('/');
    await page.keyboard.type('struct_ops');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=sample-list] .desc')].every(
        (d) => d.textContent.includes('struct_ops') || d.textContent.length,
      ),
    );
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=cfg] g.cfg-node');
    const hash = await page.evaluate(() => location.hash);
    assert(/^#program\/[a-z]+-\d+$/.test(hash), `hash names the case: ${hash}`);
  },
};
