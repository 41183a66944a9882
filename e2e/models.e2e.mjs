// Models view: the shipped subsystem models and the call-design comparison.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'diffs bpf_testmod against the v2 kfunc proposal and marks the graph'({ page, url }) {
    await page.goto(`${url}#models/bpf_testmod`);
    await page.waitForSelector('[data-testid=diff-from]', { timeout: 60_000 });
    await page.selectOption('[data-testid=diff-from]', 'bpf_testmod_v2_kfunc');
    await page.waitForSelector('[data-testid=diff-changes]', { timeout: 60_000 });
    const rows = await page.$$eval('[data-testid=diff-changes] tbody tr', (trs) =>
      trs.map((tr) =>
        [...tr.cells]
          .slice(0, 3)
          .map((c) => c.textContent)
          .join(' '),
      ),
    );
    assert(rows.includes('removed kfunc bpf_kfunc_st_ops_inc100'), `changes: ${rows}`);
    assert(rows.includes('added program test_prologue'), `changes: ${rows}`);
    assert((await page.locator('[data-testid=diff-costs] tbody tr').count()) > 0, 'cost deltas');
    await page.waitForSelector(
      '[data-testid=model-diff] [data-node-id="program:test_prologue"][data-diff=added]',
    );
    const removed = await page.textContent('[data-testid=diff-removed]');
    assert(removed.includes('kfunc bpf_kfunc_st_ops_inc100'), `removed: ${removed}`);
  },

  async 'lists the shipped models and compares call designs for qdisc'({ page, url, root }) {
    const files = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml'));
    await page.goto(`${url}#models`);
    await page.waitForSelector('[data-testid=model-list] button', { timeout: 60_000 });
    // Every shipped model, by name (the files of the folder given to serve are listed too).
    const listed = await page.$$eval('[data-testid=model-list] button', (bs) =>
      bs.map((b) => b.dataset.name),
    );
    for (const f of files) assert(listed.includes(f.replace(/\.yaml$/, '')), `${f} listed: ${listed}`);
    await page.click('[data-testid=model-list] button[data-name=qdisc]');
    await page.waitForSelector('[data-testid=model-members] tbody tr');
    // The comparison runs the whole pipeline per design; give it time.
    await page.waitForSelector('[data-testid=compare-totals]', { timeout: 60_000 });
    const heads = await page.$$eval('[data-testid=compare-totals] thead th', (ths) =>
      ths.map((t) => t.textContent),
    );
    for (const d of ['kfunc', 'wrapper', 'helper']) assert(heads.includes(d), `design column ${d}: ${heads}`);
    // Totals: the kfunc route's add_kfunc_in_insns is once per kernel, not per member or subsystem.
    const cells = await page.$$eval('[data-testid=compare-totals] tbody tr', (trs) =>
      Object.fromEntries(
        trs.map((tr) => [tr.cells[0].textContent, [...tr.cells].slice(1).map((c) => c.textContent)]),
      ),
    );
    assert(
      cells['per kernel: kernel text bytes']?.[0] === '144 + ?',
      `per-kernel text: ${JSON.stringify(cells)}`,
    );
    assert(cells['per subsystem: kernel text bytes']?.[0] === '0', 'no kfunc text per subsystem');
    assert(cells['per subsystem: BTF bytes emitted anyway']?.[1] !== '0', 'the wrapper pays BTF anyway');
    // Equal rows fold into one line; member tables keep only rows that differ.
    const same = await page.textContent('[data-testid=compare-table-init-same]');
    assert(
      same.startsWith('same in kfunc and wrapper:') && same.includes('xlated insns 12'),
      `same line: ${same}`,
    );
    const memberRows = await page.$$eval('[data-testid=compare-table-init] td.metric', (c) =>
      c.map((t) => t.textContent),
    );
    assert(!memberRows.includes('xlated insns'), `equal rows folded: ${memberRows}`);
    const takeaway = await page.textContent('[data-testid=takeaway]');
    assert(/They differ in BTF required: kfunc \d+/.test(takeaway), `takeaway: ${takeaway}`);
    const profiles = await page.textContent('[data-testid=comparison-profiles]');
    assert(
      /kfunc answered by profile v6\.18/.test(profiles) && profiles.includes('reference BTF sha256'),
      profiles,
    );
    // Bars: — (not 0) for the helper design the model does not declare.
    assert((await page.locator('[data-testid=design-bars] rect').count()) > 0, 'bars drawn');
    const barText = await page.$$eval('[data-testid=design-bars] text.val', (ts) =>
      ts.map((t) => t.textContent),
    );
    assert(barText.includes('— helper') && !barText.includes('0 helper'), `bar values: ${barText}`);
    const barLabels = await page.$$eval('[data-testid=design-bars] text.label', (ts) =>
      ts.map((t) => t.textContent),
    );
    assert(barLabels.includes('BTF bytes emitted anyway (subsystem)'), `bar labels: ${barLabels}`);
    // Each design's patched program and x86 side by side, the generated calls marked.
    for (const d of ['kfunc', 'wrapper']) {
      const call = `[data-testid=design-code-init] section[data-design=${d}] pre .line.call`;
      await page.waitForSelector(call, { timeout: 60_000 });
      const texts = await page.$$eval(call, (ls) => ls.map((l) => l.textContent));
      assert(
        texts.some((t) => t.includes('call') && t.includes('bpf_qdisc_init_prologue')),
        `${d} call: ${texts}`,
      );
    }
    assert(
      (await page.locator('[data-testid=design-code-init] section[data-design=helper]').count()) === 0,
      'no code for the undeclared helper design',
    );
    // Under v6.12 the subsystem does not exist: said instead of numbers.
    await page.selectOption('select[aria-label="kernel profile"]', 'v6.12');
    await page.waitForSelector('[data-testid=comparison-absent]', { timeout: 60_000 });
    assert((await page.locator('[data-testid=compare-totals]').count()) === 0, 'no numbers under v6.12');
    assert((await page.evaluate(() => location.hash)) === '#models/qdisc', 'hash names the model');
  },
};
