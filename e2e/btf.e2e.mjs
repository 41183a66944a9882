// BTF browser: incremental search over the whole reference kernel BTF, type details.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

let dumpLines;
/** A struct as bpftool printed it from the same BTF (test/fixtures/btf). */
function bpftoolStruct(root, name) {
  dumpLines ??= gunzipSync(readFileSync(join(root, 'test/fixtures/btf/vmlinux.bpftool.txt.gz')))
    .toString()
    .split('\n');
  const at = dumpLines.findIndex((l) => l.includes(` STRUCT '${name}' `));
  const head = /^\[(\d+)\] STRUCT '\w+' size=(\d+) vlen=(\d+)/.exec(dumpLines[at]);
  const members = dumpLines.slice(at + 1, at + 1 + Number(head[3])).map((l) => {
    const m = /'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(l);
    return { name: m[1], bitOffset: Number(m[3]) };
  });
  return { id: Number(head[1]), size: Number(head[2]), members };
}

export const tests = {
  async 'finds tcp_congestion_ops and shows its members with offsets'({ page, url, root }) {
    const want = bpftoolStruct(root, 'tcp_congestion_ops');
    await page.goto(`${url}#btf`);
    await page.fill('[data-testid=btf-search]', 'tcp_congestion_ops');
    const first = page.locator('[data-testid=btf-list] .row').first();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=btf-list] .row .name')?.textContent === 'tcp_congestion_ops',
      null,
      { timeout: 30_000 },
    );
    assert((await first.getAttribute('data-id')) === String(want.id), 'first hit has the bpftool id');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=btf-members] tbody tr');
    assert((await page.textContent('[data-testid=btf-title]')) === 'tcp_congestion_ops', 'title');
    const rows = await page.$$eval('[data-testid=btf-members] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    );
    assert(
      rows.length === want.members.length,
      `${rows.length} members shown, bpftool has ${want.members.length}`,
    );
    want.members.forEach((m, i) => {
      const [off, name] = rows[i];
      assert(name === m.name, `member ${i}: ${name} vs ${m.name}`);
      assert(
        off === `0x${(m.bitOffset / 8).toString(16)}`,
        `${m.name} at ${off}, bpftool says bit ${m.bitOffset}`,
      );
    });
    assert((await page.evaluate(() => location.hash)) === `#btf/${want.id}`, 'hash names the type');
  },

  async 'lists every named type through a virtualized list'({ page, url }) {
    await page.goto(`${url}#btf`);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=btf-list]')?.dataset.total) > 10000,
      null,
      {
        timeout: 30_000,
      },
    );
    const total = Number(await page.getAttribute('[data-testid=btf-list]', 'data-total'));
    const inDom = await page.locator('[data-testid=btf-list] .row').count();
    assert(inDom < 120, `${inDom} rows in the DOM for ${total} types`);
    // Scroll to the end: the last page is fetched and drawn.
    await page.$eval('[data-testid=btf-list]', (el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForFunction(
      (n) => document.querySelector(`[data-testid=btf-list] .row[data-index="${n - 1}"] .name`),
      total,
      { timeout: 15_000 },
    );
  },

  async 'follows a member type to its definition'({ page, url, root }) {
    const want = bpftoolStruct(root, 'tcp_congestion_ops');
    await page.goto(`${url}#btf/${want.id}`);
    await page.waitForSelector('[data-testid=btf-members] tbody tr');
    // `owner` is a struct module *.
    const row = page.locator('[data-testid=btf-members] tbody tr', { hasText: 'owner' });
    await row.locator('button.link').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=btf-title]')?.textContent !== 'tcp_congestion_ops',
    );
    const title = await page.textContent('[data-testid=btf-title]');
    assert(title === '(anon)' || title === 'module', `followed to ${title}`);
    await page.goBack();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=btf-title]')?.textContent === 'tcp_congestion_ops',
    );
  },
};
