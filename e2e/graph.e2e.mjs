// Subsystem graph view: every shipped model's graph shows the members, kfuncs and
// wrappers its YAML declares (read here independently), select shows details,
// search highlights, and the view follows the theme.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** What the graph must show, straight from the YAML. */
export function expectedFromYaml(root, file) {
  const y = parse(readFileSync(join(root, 'models', file), 'utf8'));
  const kfuncs = new Set();
  for (const s of y.kfunc_sets ?? []) for (const k of s.kfuncs) kfuncs.add(/(\w+)\s*\(/.exec(k.decl)[1]);
  return {
    name: file.replace(/\.yaml$/, ''),
    members: y.struct_ops.members.map((m) => m.name).sort(),
    kfuncs: [...kfuncs].sort(),
    wrappers: (y.wrappers ?? []).map((w) => w.name).sort(),
    programs: (y.programs ?? []).map((p) => p.name).sort(),
    module: y.owner === 'vmlinux' ? null : y.owner.module,
  };
}

export const modelFiles = (root) =>
  readdirSync(join(root, 'models'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

const labels = (page, kind) =>
  page.$$eval(`[data-testid=subsystem-graph] g.sg-node[data-kind=${kind}]`, (gs) =>
    gs.map((g) => g.getAttribute('data-label')).sort(),
  );

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export const tests = {
  async 'every shipped model opens and its graph shows its members, kfuncs and wrappers'({
    page,
    url,
    root,
  }) {
    for (const f of modelFiles(root)) {
      const want = expectedFromYaml(root, f);
      await page.goto(`${url}#graph/${want.name}`);
      await page.waitForSelector(`[data-testid=subsystem-graph][data-model=${want.name}][data-ready=true]`, {
        timeout: 60_000,
      });
      for (const [kind, list] of [
        ['member', want.members],
        ['kfunc', want.kfuncs],
        ['wrapper', want.wrappers],
        ['program', want.programs],
      ]) {
        const got = await labels(page, kind);
        assert(same(got, list), `${want.name}: ${kind} nodes ${got} != ${list}`);
      }
      const clusters = await page.$$eval('[data-testid=subsystem-graph] [data-cluster]', (gs) =>
        gs.map((g) => g.getAttribute('data-cluster')),
      );
      assert(
        clusters.includes(want.module ? `module:${want.module}` : 'vmlinux'),
        `${want.name}: cluster for ${want.module ?? 'vmlinux'} in ${clusters}`,
      );
      // every node lies inside the drawing (layout produced real coordinates)
      const bad = await page.$$eval(
        '[data-testid=subsystem-graph] g.sg-node',
        (gs) =>
          gs.filter((g) => !/translate\([\d.]+,[\d.]+\)/.test(g.getAttribute('transform') ?? '')).length,
      );
      assert(bad === 0, `${want.name}: ${bad} nodes without a position`);
      await page.screenshot({ path: join(root, `test-results/e2e/graph-${want.name}.png`) });
    }
  },

  async 'select shows details; search highlights; legend lists mechanisms'({ page, url, root, shot }) {
    const want = expectedFromYaml(root, 'qdisc.yaml');
    await page.goto(`${url}#graph/qdisc`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    await page.click('g.sg-node[data-node-id="member:init"]');
    const details = await page.textContent('[data-testid=graph-details]');
    assert(details.includes('init') && details.includes('prologue'), `details of init: ${details}`);
    // init's prologue calls bpf_qdisc_init_prologue: by kfunc (stated) and by wrapper (alternative)
    assert(details.includes('bpf_qdisc_init_prologue'), 'details list the generated call target');
    const kf = want.kfuncs.find((k) => k === 'bpf_qdisc_skb_drop');
    await page.click(`g.sg-node[data-node-id="kfunc:${kf}"]`);
    const kd = await page.textContent('[data-testid=graph-details]');
    assert(kd.includes('KF_RELEASE'), `kfunc details show its flags: ${kd}`);
    await page.fill('[data-testid=graph-search]', 'KF_RELEASE');
    const matched = await page.$$eval('g.sg-node.match', (gs) =>
      gs.map((g) => g.getAttribute('data-label')).sort(),
    );
    const y = parse(readFileSync(join(root, 'models/qdisc.yaml'), 'utf8'));
    const release = y.kfunc_sets
      .flatMap((s) => s.kfuncs)
      .filter((k) => (k.flags ?? []).includes('KF_RELEASE'))
      .map((k) => /(\w+)\s*\(/.exec(k.decl)[1])
      .sort();
    assert(same(matched, release), `search KF_RELEASE matched ${matched}, want ${release}`);
    const legend = await page.textContent('[data-testid=graph-legend]');
    for (const w of ['kfunc call', 'wrapper call', 'helper call', 'module reference'])
      assert(legend.includes(w), `legend has ${w}`);
    await page.fill('[data-testid=graph-search]', '');
    await shot('light');
    await page.click('[data-testid=theme-toggle]');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    const fill = await page.$eval(
      '[data-testid=subsystem-graph] .cluster-box',
      (r) => getComputedStyle(r).fill,
    );
    assert(/rgb\(2\d, 3\d, 3\d\)/.test(fill), `dark cluster fill: ${fill}`);
    await shot('dark');
    await page.click('[data-testid=theme-toggle]');
  },

  async 'models view links to the graph'({ page, url }) {
    await page.goto(`${url}#models/qdisc`);
    await page.click('[data-testid=model-graph-link]');
    await page.waitForSelector('[data-testid=subsystem-graph][data-model=qdisc][data-ready=true]', {
      timeout: 60_000,
    });
    assert((await page.evaluate(() => location.hash)) === '#graph/qdisc', 'hash names the graph');
  },
};
