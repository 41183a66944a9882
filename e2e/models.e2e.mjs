// Models view: the shipped subsystem models and the call-design comparison.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'lists the shipped models and compares call designs for qdisc'({ page, url, root }) {
    const files = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml'));
    await page.goto(`${url}#models`);
    await page.waitForSelector('[data-testid=model-list] button', { timeout: 60_000 });
    assert(
      (await page.locator('[data-testid=model-list] button').count()) === files.length,
      'every model listed',
    );
    await page.click('[data-testid=model-list] button[data-name=qdisc]');
    await page.waitForSelector('[data-testid=model-members] tbody tr');
    // The comparison runs the whole pipeline per design; give it time.
    await page.waitForSelector('[data-testid^=compare-] table.cmp', { timeout: 60_000 });
    const heads = await page.$$eval('[data-testid^=compare-] table.cmp thead th', (ths) =>
      ths.map((t) => t.textContent),
    );
    for (const d of ['kfunc', 'wrapper', 'helper']) assert(heads.includes(d), `design column ${d}: ${heads}`);
    assert((await page.locator('[data-testid=design-bars] rect').count()) > 0, 'bars drawn');
    // Kernel text in bytes: a table row and a bar group, the kfunc design's bar non-empty.
    const rows = await page.$$eval('[data-testid^=compare-] table.cmp td.metric', (c) =>
      c.map((t) => t.textContent),
    );
    assert(
      rows.some((r) => r?.startsWith('kernel text (bytes')),
      `kernel text row: ${rows}`,
    );
    const barLabels = await page.$$eval('[data-testid=design-bars] text.label', (ts) =>
      ts.map((t) => t.textContent),
    );
    assert(barLabels.includes('kernel text bytes (x86-64 6.18)'), `bar labels: ${barLabels}`);
    assert((await page.evaluate(() => location.hash)) === '#models/qdisc', 'hash names the model');
  },
};
