// The member capability sheet (what each struct_ops member's programs may do) in the Models
// view, the graph's details panel and the review report, for qdisc: the kernel's
// bpf_qdisc_kfunc_filter lets enqueue call bpf_qdisc_skb_drop, and not init.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const DROP = 'bpf_qdisc_skb_drop';

/** The kfunc names a sheet (table row or list) shows for one member. */
const kfuncsOf = (page, scope) =>
  page.$$eval(`${scope} [data-kind=kfunc]`, (cs) => cs.map((c) => c.dataset.name));

export const tests = {
  async 'Models view: one row per member; enqueue may call bpf_qdisc_skb_drop, init not'({ page, url }) {
    await page.goto(`${url}#models/qdisc`);
    await page.waitForSelector('[data-testid=capability-sheet] tbody tr', { timeout: 60_000 });
    const rows = await page.$$eval('[data-testid=capability-sheet] tbody tr', (trs) =>
      trs.map((tr) => tr.dataset.member),
    );
    const members = await page.$$eval('[data-testid=model-members] tbody tr', (trs) =>
      trs.map((tr) => tr.cells[0].textContent.trim()),
    );
    // Every op has a row; data members (peek, priv_size, id) none.
    for (const m of ['enqueue', 'dequeue', 'init', 'reset', 'destroy'])
      assert(rows.includes(m), `row ${m}: ${rows}`);
    for (const m of rows) assert(members.includes(m), `${m} is a member: ${members}`);
    assert(!rows.includes('priv_size'), `no row for a data member: ${rows}`);
    const enqueue = await kfuncsOf(page, '[data-testid=capability-sheet] tr[data-member=enqueue]');
    const init = await kfuncsOf(page, '[data-testid=capability-sheet] tr[data-member=init]');
    assert(enqueue.includes(DROP), `enqueue kfuncs: ${enqueue}`);
    assert(!init.includes(DROP) && init.length > 0, `init kfuncs: ${init}`);
    const enqRow = await page.textContent('[data-testid=capability-sheet] tr[data-member=enqueue]');
    assert(
      enqRow.includes('__ref') && enqRow.includes('struct sk_buff *'),
      `enqueue's skb is __ref: ${enqRow}`,
    );
    const initRow = await page.textContent('[data-testid=capability-sheet] tr[data-member=init]');
    assert(initRow.includes('prologue'), `init has a generated prologue: ${initRow}`);
  },

  async 'graph details panel shows the clicked member capability sheet'({ page, url }) {
    await page.goto(`${url}#graph/qdisc`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    await page.click('g.sg-node[data-node-id="member:enqueue"]');
    const enq = '[data-testid=graph-details] [data-testid=capability-sheet][data-member=enqueue]';
    await page.waitForSelector(enq);
    assert((await kfuncsOf(page, enq)).includes(DROP), 'enqueue sheet lists the drop kfunc');
    await page.click('g.sg-node[data-node-id="member:init"]');
    const init = '[data-testid=graph-details] [data-testid=capability-sheet][data-member=init]';
    await page.waitForSelector(init);
    assert(
      (await page.locator('[data-testid=graph-details] [data-testid=capability-sheet]').count()) === 1,
      'one sheet',
    );
    assert(!(await kfuncsOf(page, init)).includes(DROP), 'init sheet has no drop kfunc');
    // A kfunc node has no sheet.
    await page.click(`g.sg-node[data-node-id="kfunc:${DROP}"]`);
    assert(
      (await page.locator('[data-testid=graph-details] [data-testid=capability-sheet]').count()) === 0,
      'no sheet on a kfunc',
    );
  },

  async 'report lists the capability sheet, and its Markdown keeps tables within 100 columns'({ page, url }) {
    await page.goto(`${url}#report/qdisc`);
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 120_000 });
    const row = '[data-testid=report] [data-testid=capability-sheet] tr';
    assert((await kfuncsOf(page, `${row}[data-member=enqueue]`)).includes(DROP), 'report: enqueue may drop');
    assert(!(await kfuncsOf(page, `${row}[data-member=init]`)).includes(DROP), 'report: init may not');
    const md = await page.evaluate(() => window.kmodelExport.markdown());
    const sec = md.slice(md.indexOf('## Capabilities'), md.indexOf('## Call designs'));
    assert(sec.startsWith('## Capabilities'), 'markdown has a Capabilities section before the comparison');
    const wide = md.split('\n').filter((l) => l.startsWith('|') && l.length > 100);
    assert(wide.length === 0, `tables ≤ 100 columns: ${wide[0]}`);
    const kfuncLine = (m) => {
      const at = sec.indexOf(`- \`${m}(`);
      assert(at >= 0, `markdown lists ${m}: ${sec}`);
      return sec.slice(at).split('\n')[1];
    };
    assert(kfuncLine('enqueue').includes(DROP), `md enqueue: ${kfuncLine('enqueue')}`);
    assert(!kfuncLine('init').includes(DROP), `md init: ${kfuncLine('init')}`);
    const text = await page.evaluate(() => window.kmodelExport.text());
    assert(/\n {2}init: attach yes, sleepable allowed, \d+ kfuncs/.test(text), `text export: ${text}`);
  },
};
