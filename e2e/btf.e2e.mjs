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

/** bpftool's named types of `kind` whose name holds `part` (any case). */
function bpftoolCount(root, kind, part) {
  bpftoolStruct(root, 'tcp_congestion_ops'); // loads the dump
  const p = part.toLowerCase();
  return dumpLines.filter((l) => {
    const m = /^\[\d+\] (\w+) '([^']*)'/.exec(l);
    return m && m[1] === kind && m[2] !== '(anon)' && m[2].toLowerCase().includes(p);
  }).length;
}

/** Waits until the list shows the hits for `q` (the list names its query). */
async function listed(page, q) {
  await page.waitForFunction(
    (q) => {
      const list = document.querySelector('[data-testid=btf-list]');
      return list?.dataset.query === q && (list.dataset.total === '0' || list.querySelector('.row .name'));
    },
    q,
    { timeout: 30_000 },
  );
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

  async 'searches in the page: one name index fetch, arrows and Enter pick, kind filter narrows'({
    page,
    url,
    root,
  }) {
    const calls = [];
    page.on('request', (r) => {
      const m = /\/api\/(\w+)/.exec(r.url());
      if (m) calls.push(m[1]);
    });
    await page.goto(`${url}#btf`);
    await listed(page, '');
    assert(calls.filter((c) => c === 'btfNames').length === 1, 'the name index is fetched once');
    calls.length = 0;
    const box = page.locator('[data-testid=btf-search]');
    await box.focus();
    for (const ch of 'tcp_sock') await page.keyboard.press(ch);
    await listed(page, 'tcp_sock');
    assert(calls.length === 0, `typing asked the server nothing: ${calls.join()}`);
    assert(
      (await page.textContent('[data-testid=btf-list] .row[data-index="0"] .name')) === 'tcp_sock',
      'exact name first',
    );
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const row2 = page.locator('[data-testid=btf-list] .row[data-index="2"]');
    assert(await row2.evaluate((el) => el.classList.contains('cursor')), 'cursor on the third row');
    const id = await row2.getAttribute('data-id');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => location.hash === `#btf/${id}`, id);
    await page.selectOption('[data-testid=btf-kind]', 'FUNC');
    await listed(page, 'tcp_sock');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=btf-list] .row .kind')].every(
        (k) => k.textContent === 'func',
      ),
    );
    const total = Number(await page.getAttribute('[data-testid=btf-list]', 'data-total'));
    const want = bpftoolCount(root, 'FUNC', 'tcp_sock');
    assert(total === want, `${total} funcs listed, bpftool has ${want} holding tcp_sock`);
    assert(
      (await page.textContent('[data-testid=btf-count]')).trim() === `${want} types`,
      'the count line says how many',
    );
  },
};
