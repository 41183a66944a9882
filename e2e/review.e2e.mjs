// Review notes round trip: added and resolved in the graph's details panel → written into
// the model file (the rest of it unchanged) → badges on the graph → the report → Markdown.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const badge = (page, id) =>
  page.$$eval(`[data-node-id="${id}"] text.badge-text`, (ts) => ts.map((t) => t.textContent));

export const tests = {
  async 'a note added and resolved in the graph reaches the file, the report and its Markdown'({
    page,
    url,
    root,
    files,
  }) {
    const path = join(files, 'review-qdisc.yaml');
    copyFileSync(join(root, 'models/qdisc.yaml'), path);
    const original = readFileSync(path, 'utf8');
    const note = 'reset and destroy share one epilogue function: count its BTF once';

    await page.goto(`${url}#graph/${encodeURIComponent(path)}`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    await page.click('[data-node-id="member:reset"]');
    await page.fill('[aria-label="review note"]', note);
    await page.fill('[aria-label="review by"]', 'e2e');
    await page.click('[data-testid=review-form] button[type=submit]');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-node-id="member:reset"] text.badge-text')].some(
          (t) => t.textContent === 'review: 1 open',
        ),
      null,
      { timeout: 30_000 },
    );
    let text = readFileSync(path, 'utf8');
    assert(text.startsWith(original.trimEnd()), 'the rest of the file is unchanged');
    assert(
      text.includes(`note: "${note}"`) || text.includes(`note: ${note}`),
      `note in the file: ${text.slice(-200)}`,
    );
    assert(
      (await page.textContent('[data-testid=graph-review-notes]')).includes(note),
      'details panel lists it',
    );

    await page.click('[data-testid=review-toggle]');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-node-id="member:reset"] text.badge-text')].some(
          (t) => t.textContent === 'review: resolved',
        ),
      null,
      { timeout: 30_000 },
    );
    text = readFileSync(path, 'utf8');
    assert(/status: resolved/.test(text), 'resolved in the file');
    assert(
      !(await badge(page, 'member:destroy')).some((b) => b.startsWith('review')),
      'only the named node has a badge',
    );

    await page.goto(`${url}#report/${encodeURIComponent(path)}`);
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 120_000 });
    const listed = await page.textContent('[data-testid=report-review]');
    assert(
      listed.includes(note) && listed.includes('resolved') && listed.includes('e2e'),
      `report lists it: ${listed}`,
    );
    const md = await page.evaluate(() => window.kmodelExport.markdown());
    assert(md.includes(`- [resolved] reset (e2e): ${note}`), 'Markdown lists it');
    const txt = await page.evaluate(() => window.kmodelExport.text());
    assert(txt.includes(`[resolved] reset (e2e): ${note}`), 'text export lists it');
  },
};
