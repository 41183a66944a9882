// The Verifier view as a debugger: states at an insn of a rejected corpus case, the producer of
// the failing register, and a pasted kernel log read back into its stream and states.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'state pane: the failing register with the type the log names; click → its producer'({
    page,
    url,
    corpus,
    root,
  }) {
    // A map lookup used without its NULL check: R0 is map_value_or_null at the load.
    const c = corpus.find((x) => x.id === 'random-0032');
    await page.goto(`${url}#verifier/${c.id}`);
    await page.locator('[data-testid=dbg-pane]').waitFor({ timeout: 60_000 });
    // Select the insn the kernel rejected: the last insn line of its log.
    const failing = Number([...c.kernel.log.matchAll(/^(\d+): \(/gm)].pop()[1]);
    await page.locator(`[data-testid=dbg-insn][data-idx="${failing}"] button`).click();
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=dbg-pane] h4')?.textContent.startsWith(`${n}:`),
      failing,
    );
    const rejected = await page.textContent('[data-testid=dbg-rejected]');
    assert(rejected === "R0 invalid mem access 'map_value_or_null'", `rejection: ${rejected}`);
    const row = page.locator('[data-testid=dbg-reg][data-reg=R0]');
    const type = await row.locator('[data-testid=dbg-reg-type]').textContent();
    assert(type === 'map_value_or_null' && c.kernel.log.includes(`'${type}'`), `R0 is ${type} in the pane`);
    await row.click();
    const producer = page.locator('[data-testid=dbg-insn].producer');
    await producer.waitFor();
    const at = Number(await producer.getAttribute('data-idx'));
    const text = await producer.textContent();
    assert(at === failing - 1 && text.includes('call bpf_map_lookup_elem#1'), `producer ${at}: ${text}`);
    const shots = join(root, 'test-results/e2e');
    mkdirSync(shots, { recursive: true });
    await page.locator('[data-testid=dbg]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'verifier-debugger.png') });
    mkdirSync(join(root, 'docs/screenshots'), { recursive: true });
    copyFileSync(join(shots, 'verifier-debugger.png'), join(root, 'docs/screenshots/verifier-debugger.png'));

    // Keyboard: ↑ steps to the call, which shows the helper's prototype with argument names.
    await page.locator('body').press('ArrowUp');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=dbg-pane] h4')?.textContent.startsWith(`${n}:`),
      failing - 1,
    );
    const sig = await page.textContent('[data-testid=dbg-sig]');
    assert(
      sig.includes('bpf_map_lookup_elem') && sig.includes('R1=map') && sig.includes('R2=key'),
      `signature: ${sig}`,
    );
    const visit = await page.textContent('[data-testid=dbg-visit]');
    assert(visit.startsWith('visit 1 of 1 · path'), `visit line: ${visit}`);
  },

  async 'a pasted kernel log: stream and states render, and kmodel’s log beside it'({ page, url, corpus }) {
    const c = corpus.find((x) => x.id === 'hand-0039');
    await page.goto(`${url}#verifier/${c.id}`);
    await page.locator('[data-testid=dbg-pane]').waitFor({ timeout: 60_000 });
    await page.click('[data-testid=dbg-mode-log]');
    await page.fill('[data-testid=dbg-log-input]', c.kernel.log);
    await page.click('[data-testid=dbg-log-read]');
    const stream = page.locator('[data-testid=dbg-log-stream] li');
    await stream.first().waitFor();
    const n = await stream.count();
    assert(n === 7, `stream has ${n} insns`);
    await page.locator('[data-testid=dbg-log-stream] li[data-idx="5"] button').click();
    const state = await page.textContent('[data-testid=dbg-log-state]');
    assert(state.includes('R4') && state.includes('pkt(off=12,r=12)'), `state at 5: ${state}`);
    const cmp = await page.textContent('[data-testid=dbg-log-compare]');
    assert(
      cmp.includes('kmodel (level 1)') && cmp.includes('R2 offset is outside of the packet'),
      'both logs shown',
    );
  },

  async 'stats view: veristat rows, sortable, each case linking into the Verifier view'({ page, url }) {
    await page.goto(`${url}#stats`);
    // The first 50 cases show on opening; then a query picks ten.
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=stats-row]').length === 50,
      null,
      {
        timeout: 60_000,
      },
    );
    await page.fill('[data-testid=stats-query]', 'hand-001');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-row]').length < 50);
    const insns = async () =>
      page.$$eval('[data-testid=stats-row]', (rows) => rows.map((r) => Number(r.children[3].textContent)));
    await page.click('[data-testid=stats-sort-size]');
    await page.click('[data-testid=stats-sort-totalInsns]');
    const first = await insns();
    const desc = [...first].sort((a, b) => b - a);
    assert(JSON.stringify(first) === JSON.stringify(desc), `sorted by insns, most first: ${first}`);
    await page.click('[data-testid=stats-sort-totalInsns]');
    const second = await insns();
    assert(
      JSON.stringify(second) === JSON.stringify([...desc].reverse()),
      `a second click reverses it: ${second}`,
    );
    const link = page.locator('[data-testid=stats-link]').first();
    const id = await link.textContent();
    await link.click();
    await page.waitForFunction(
      (x) => document.querySelector('[data-testid=verify-meta] strong')?.textContent === x,
      id,
      { timeout: 30_000 },
    );
  },
};
