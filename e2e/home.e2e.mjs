// Bring your own design (issue 11, "Done when"): a model written in the editor from the
// new-model wizard into the folder `kmodel serve` was given, saved, listed on the home
// page, then its graph, comparison, report and the report's PDF; and its member
// programs in the Verifier and JIT views, reached from the graph.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { pdfPages, pdfStrings } from './lib/pdf-text.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const SUBSYSTEM = 'e2e_sched';
const STRUCT = 'e2e_sched_ops';

/** What the graph must show, read from the saved YAML (not from the app). */
function expected(text) {
  const y = parse(text);
  const kfuncs = y.kfunc_sets.flatMap((s) => s.kfuncs.map((k) => /(\w+)\s*\(/.exec(k.decl)[1]));
  return {
    members: y.struct_ops.members.map((m) => m.name).sort(),
    kfuncs: kfuncs.sort(),
    wrappers: (y.wrappers ?? []).map((w) => w.name).sort(),
    programs: y.programs.map((p) => p.name).sort(),
  };
}

const labels = (page, kind) =>
  page.$$eval(`[data-testid=subsystem-graph] g.sg-node[data-kind=${kind}]`, (gs) =>
    gs.map((g) => g.getAttribute('data-label')).sort(),
  );
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The wizard writes the model and Save As puts it in the served folder; returns its path. */
async function writeModelFromWizard(page, url, files) {
  await page.goto(`${url}#home`);
  await page.click('[data-testid=home-new-model]');
  await page.waitForSelector('[data-testid=wizard]');
  await page.fill('[data-testid=wizard-subsystem]', SUBSYSTEM);
  await page.check('[data-testid=wizard-from-declared]');
  await page.fill('[data-testid=wizard-struct]', STRUCT);
  await page.click('[data-testid=wizard-create]');
  await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
  assert(
    (await page.textContent('[data-testid=editor-name]')) === `${SUBSYSTEM}.yaml`,
    'named after the subsystem',
  );
  // The live preview beside the text draws the skeleton's graph.
  await page.waitForSelector(
    '[data-testid=editor-preview] svg[data-testid=subsystem-graph][data-ready=true]',
    {
      timeout: 30_000,
    },
  );
  // Highlighted: keys and instruction keywords have their own colours.
  assert((await page.locator('[data-testid=editor-highlight] .t-key').count()) > 10, 'keys highlighted');
  assert(
    (await page.locator('[data-testid=editor-highlight] .t-keyword').count()) > 0,
    'insn keywords highlighted',
  );

  const path = join(files, `${SUBSYSTEM}.yaml`);
  await page.click('[data-testid=save]');
  await page.fill('[data-testid=saveas-path]', path);
  await page.click('[data-testid=saveas-ok]');
  await page.waitForFunction((p) => location.hash === `#edit/${encodeURIComponent(p)}`, path, {
    timeout: 20_000,
  });
  await page.waitForSelector('[data-testid=editor-open-as] [data-testid=editor-graph]');
  return path;
}

export const tests = {
  async 'a model from the wizard: saved, listed on the home page, graph, comparison, report, PDF'({
    page,
    url,
    files,
    root,
  }) {
    const path = await writeModelFromWizard(page, url, files);
    const want = expected(readFileSync(path, 'utf8'));
    assert(
      want.kfuncs.length && want.wrappers.length,
      `the skeleton has a kfunc and a wrapper: ${JSON.stringify(want)}`,
    );

    // Home: the navigation marks the current view; the model is listed with its summary line.
    await page.click('nav button[data-view=home]');
    const row = page.locator(`[data-testid=home-models] tr[data-name="${path}"]`);
    await row.waitFor({ timeout: 60_000 });
    assert((await row.getAttribute('data-origin')) === 'given', 'listed as a file of the served folder');
    assert(
      (await page.getAttribute('nav button[data-view=home]', 'aria-current')) === 'page',
      'the navigation marks Home',
    );
    for (const v of ['home', 'program', 'btf', 'verifier', 'jit', 'models', 'graph', 'report', 'edit'])
      assert((await page.locator(`nav button[data-view=${v}]`).count()) === 1, `navigation shows ${v}`);
    const line = await row.textContent();
    for (const w of [`struct ${STRUCT}`, '1 prologue', 'v6.18 kfunc', 'bpf-next-2026 wrapper'])
      assert(line.includes(w), `summary line has ${w}: ${line}`);
    assert(
      (await row.locator('[data-testid=home-members]').textContent()).trim() === String(want.members.length),
      'members count',
    );
    assert(
      (await page.locator('[data-testid=home-models] tr[data-origin=shipped]').count()) >= 6,
      'shipped too',
    );
    const shots = join(root, 'test-results/e2e');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'home.png') });

    // Graph: its members, kfuncs and wrappers, as the YAML declares them.
    await row.locator('[data-testid=home-graph]').click();
    await page.waitForSelector('svg[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    for (const [kind, names] of [
      ['member', want.members],
      ['kfunc', want.kfuncs],
      ['wrapper', want.wrappers],
      ['program', want.programs],
    ]) {
      const got = await labels(page, kind);
      assert(same(got, names), `${kind}: ${got} ≠ ${names}`);
    }
    assert(
      (await page.getAttribute('nav button[data-view=graph]', 'aria-current')) === 'page',
      'the navigation marks Graph',
    );

    // Comparison: both designs of the prologue's call, measured.
    await page.click('nav button[data-view=models]');
    await page.waitForSelector('[data-testid^=compare-] table.cmp', { timeout: 60_000 });
    const heads = await page.$$eval('[data-testid^=compare-] table.cmp thead th', (t) =>
      t.map((x) => x.textContent),
    );
    for (const d of ['kfunc', 'wrapper']) assert(heads.includes(d), `design column ${d}: ${heads}`);
    // Each member's programs, one click from their listings.
    assert(
      (await page.getAttribute('[data-testid=member-program-verifier]', 'href')).startsWith(
        '#verifier/model%2F',
      ),
      'program link to the Verifier',
    );

    // Report and its PDF, named after the file.
    await page.click('nav button[data-view=report]');
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 60_000 });
    const [d] = await Promise.all([
      page.waitForEvent('download', { timeout: 80_000 }),
      page.click('[data-testid=export-pdf]'),
    ]);
    assert(d.suggestedFilename() === `${SUBSYSTEM}-report.pdf`, `file name ${d.suggestedFilename()}`);
    const pdf = readFileSync(await d.path());
    assert(pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'PDF header');
    assert(pdfPages(pdf) >= 1, 'PDF pages');
    const text = [...pdfStrings(pdf)];
    for (const w of [STRUCT, ...want.members, ...want.programs])
      assert(
        text.some((t) => t.includes(w)),
        `PDF names ${w}`,
      );
  },

  async 'the wizard offers the struct_ops types of the BTF and takes one with its members'({
    page,
    url,
    shot,
  }) {
    await page.goto(`${url}#edit/new`);
    await page.waitForSelector('[data-testid=wizard]');
    await page.waitForFunction(
      () => document.querySelectorAll('#wizard-struct-names option[value=tcp_congestion_ops]').length === 1,
      null,
      { timeout: 30_000 },
    );
    await page.fill('[data-testid=wizard-subsystem]', 'my_cc');
    await page.fill('[data-testid=wizard-struct]', 'tcp_congestion_ops');
    await page.click('[data-testid=wizard-create]');
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
    const text = await page.$eval('[data-testid=editor-text]', (t) => t.value);
    assert(text.includes('btf: tcp_congestion_ops'), 'taken from the BTF');
    assert(
      text.includes('decl: "void (*cong_avoid)(struct sock *arg0, u32 arg1, u32 arg2)"'),
      'ops with prototypes',
    );
    await page.waitForSelector(
      '[data-testid=editor-preview] svg[data-testid=subsystem-graph][data-ready=true]',
      {
        timeout: 30_000,
      },
    );
    await shot('preview');
    // A name the BTF lacks is refused in one line.
    await page.goto(`${url}#home`);
    await page.goto(`${url}#edit/new`);
    await page.fill('[data-testid=wizard-subsystem]', 'x');
    await page.fill('[data-testid=wizard-struct]', 'no_such_ops');
    await page.click('[data-testid=wizard-create]');
    await page.waitForSelector('[data-testid=editor-error]');
    assert(
      /no_such_ops is not in the reference BTF/.test(await page.textContent('[data-testid=editor-error]')),
      'refused',
    );
  },

  async "a model's programs open in the Verifier and JIT views from the graph"({ page, url, files }) {
    const path = join(files, `${SUBSYSTEM}.yaml`);
    // The previous test wrote it; alone, write it here.
    try {
      readFileSync(path);
    } catch {
      await writeModelFromWizard(page, url, files);
    }
    const program = expected(readFileSync(path, 'utf8')).programs[0];
    await page.goto(`${url}#graph/${encodeURIComponent(path)}`);
    await page.waitForSelector('svg[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    await page.click(`g.sg-node[data-kind=program][data-label=${program}]`);
    await page.click('[data-testid=graph-node-links] a[data-link=verifier]');
    await page.waitForSelector('[data-testid=verify-model] [data-testid=verdict]', { timeout: 60_000 });
    assert(
      (await page.textContent('[data-testid=verify-model] [data-testid=verdict]')).startsWith('accept'),
      'accepted',
    );
    // Patched: the prologue's kfunc call is in the program the verifier produced.
    const patched = await page.$$eval('[data-testid=verify-model] ol.xl li', (l) =>
      l.map((x) => x.textContent),
    );
    assert(
      patched.some((t) => t.includes(`${SUBSYSTEM}_prologue`)),
      `prologue call patched in: ${patched}`,
    );
    // The program as written, beside the patched one.
    assert((await page.locator('[data-testid=verify-bpf] li').count()) === 2, 'BPF as written');
    // Design and kernel chosen: the wrapper, as bpf-next-2026 emits it, in the JIT view.
    await page.selectOption('[data-testid=model-program-design]', 'wrapper');
    await page.click('[data-testid=model-program-other]');
    await page.waitForSelector('[data-testid=jit-x86] li', { timeout: 60_000 });
    assert(
      /patched \(modeled verifier, wrapper\)/.test(await page.textContent('section')),
      'wrapper design shown',
    );
    assert((await page.locator('[data-testid=jit-x86] li').count()) > 5, 'x86 listing');
    assert(
      /bytes · \d+ passes · modeled kernel bpf-next-2026/.test(
        await page.textContent('[data-testid=jit-size]'),
      ),
      'size',
    );
  },
};
