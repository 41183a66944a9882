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

  async 'wheel zoom and drag settle to the committed transform; clicks still select'({ page, url }) {
    await page.goto(`${url}#graph/qdisc`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-model=qdisc][data-ready=true]', {
      timeout: 60_000,
    });
    const id = 'member:init';
    // d3-zoom's transform (kept on the stage it listens on), the node's box on screen, and
    // what is drawn: the gesture's CSS transform (on the SVG's layer) and g.viewport's transform.
    const state = () =>
      page.evaluate((id) => {
        const svg = document.querySelector('[data-testid=subsystem-graph]');
        const stage = svg.closest('.stage');
        const t = stage.__zoom;
        const s = stage.getBoundingClientRect();
        const node = svg.querySelector(`g.sg-node[data-node-id="${id}"]`);
        const b = node.querySelector('rect.box').getBoundingClientRect();
        const [x, y] = /translate\(([-\d.]+),([-\d.]+)\)/
          .exec(node.getAttribute('transform'))
          .slice(1)
          .map(Number);
        return {
          t: { x: t.x, y: t.y, k: t.k },
          stage: { x: s.left + stage.clientLeft, y: s.top + stage.clientTop },
          box: { x: b.left, y: b.top, w: b.width },
          node: { x, y, w: Number(node.querySelector('rect.box').getAttribute('width')) },
          css: svg.parentElement.style.transform,
          drawn: svg.querySelector('g.viewport').getAttribute('transform'),
        };
      }, id);
    const near = (a, b, what) => assert(Math.abs(a - b) < 0.75, `${what}: ${a} != ${b}`);
    // The node is where transform t puts it: stage origin + t(node position).
    const placed = (st, t, what) => {
      near(st.box.x, st.stage.x + t.x + t.k * st.node.x, `${what}: node x`);
      near(st.box.y, st.stage.y + t.y + t.k * st.node.y, `${what}: node y`);
      near(st.box.w, t.k * st.node.w, `${what}: node width`);
    };
    const settled = async (what) => {
      await page.waitForFunction(
        () => !document.querySelector('[data-testid=subsystem-graph]').parentElement.style.transform,
      );
      const st = await state();
      placed(st, st.t, what);
      const k = Number(/scale\(([-\d.e]+)\)/.exec(st.drawn)?.[1]);
      near(k, st.t.k, `${what}: g.viewport draws the scale`);
      return st;
    };
    const s0 = await settled('after fit');
    // Wheel over the node's centre: d3-zoom's documented default, k·2^(-deltaY·0.002),
    // about the pointer.
    const p = { x: s0.box.x + s0.box.w / 2, y: s0.box.y + 8 };
    await page.mouse.move(p.x, p.y);
    await page.mouse.wheel(0, -150);
    const f = 2 ** 0.3;
    const px = p.x - s0.stage.x;
    const py = p.y - s0.stage.y;
    const t1 = { k: s0.t.k * f, x: px - (px - s0.t.x) * f, y: py - (py - s0.t.y) * f };
    const s1 = await settled('after wheel');
    for (const a of ['x', 'y', 'k']) near(s1.t[a], t1[a], `wheel: transform ${a}`);
    // Drag: the graph follows the mouse.
    await page.mouse.down();
    await page.mouse.move(p.x + 70, p.y + 40, { steps: 6 });
    await page.mouse.up();
    const s2 = await settled('after drag');
    const t2 = { k: t1.k, x: t1.x + 70, y: t1.y + 40 };
    for (const a of ['x', 'y', 'k']) near(s2.t[a], t2[a], `drag: transform ${a}`);
    // Mid-gesture (same task as the wheel event, so the settle timer cannot have run): the
    // preview shows the node exactly where the committed drawing will. (A zoom-in: it never
    // uncovers the stage, so it is previewed rather than redrawn at once.)
    const mid = await page.evaluate(
      ({ x, y }) => {
        const svg = document.querySelector('[data-testid=subsystem-graph]');
        svg.dispatchEvent(
          new WheelEvent('wheel', { bubbles: true, cancelable: true, clientX: x, clientY: y, deltaY: -100 }),
        );
        const b = svg.querySelector('g.sg-node[data-node-id="member:init"] rect.box').getBoundingClientRect();
        return { css: svg.parentElement.style.transform, x: b.left, y: b.top, w: b.width };
      },
      { x: p.x + 70, y: p.y + 40 },
    );
    assert(mid.css, 'a wheel event previews with a CSS transform');
    const s3 = await settled('after the previewed wheel');
    near(mid.x, s3.box.x, 'preview → committed: no jump in x');
    near(mid.y, s3.box.y, 'preview → committed: no jump in y');
    near(mid.w, s3.box.w, 'preview → committed: no jump in size');
    // A drag longer than the drawing's overhang (a quarter of the stage): redrawn mid-drag,
    // so at most a strip (a tenth of the stage) is left blank. One task (the settle timer
    // cannot run), after more than the component's 500 ms between mid-gesture redraws.
    const before = await state();
    await page.waitForTimeout(550);
    const uncovered = await page.evaluate(({ x, y }) => {
      const svg = document.querySelector('[data-testid=subsystem-graph]');
      const layer = svg.parentElement;
      const stage = layer.parentElement.getBoundingClientRect();
      const mouse = (type, dx, dy) =>
        svg.dispatchEvent(
          new MouseEvent(type, {
            bubbles: true,
            cancelable: true,
            view: window,
            clientX: x + dx,
            clientY: y + dy,
            buttons: type === 'mouseup' ? 0 : 1,
          }),
        );
      const bad = [];
      mouse('mousedown', 0, 0);
      for (let i = 1; i <= 12; i++) {
        mouse('mousemove', -40 * i, -10 * i);
        const l = layer.getBoundingClientRect();
        const sx = stage.width * 0.1 + 1;
        const sy = stage.height * 0.1 + 1;
        if (
          l.left > stage.left + sx ||
          l.top > stage.top + sy ||
          l.right < stage.right - sx ||
          l.bottom < stage.bottom - sy
        )
          bad.push(i);
      }
      mouse('mouseup', -480, -120);
      return bad;
    }, p);
    assert(!uncovered.length, `long drag: stage uncovered at steps ${uncovered}`);
    const long = await settled('after a long drag');
    near(long.t.x, before.t.x - 480, 'long drag: transform x');
    near(long.t.y, before.t.y - 120, 'long drag: transform y');
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 480, p.y + 120, { steps: 4 });
    await page.mouse.up();
    const back = await settled('dragged back');
    near(back.t.x, before.t.x, 'dragged back: transform x');
    near(back.t.y, before.t.y, 'dragged back: transform y');
    // Clicks hit the nodes where they are drawn, right after a gesture too.
    await page.mouse.wheel(0, 100);
    await page.click(`g.sg-node[data-node-id="${id}"]`);
    await page.waitForSelector(`g.sg-node.sel[data-node-id="${id}"]`);
    const details = await page.textContent('[data-testid=graph-details]');
    assert(details.includes('init') && details.includes('prologue'), `details of init: ${details}`);
    // Zoomed far out the labels go (the 'far' rule); zoomed in again they return.
    for (let i = 0; i < 8; i++) await page.keyboard.press('-');
    const far = await settled('zoomed out by keys');
    assert(far.t.k < 0.4, `8 × '-' zooms below 0.4: ${far.t.k}`);
    const hidden = await page.$eval('g.sg-node .label', (l) => getComputedStyle(l).display);
    assert(hidden === 'none', `labels hidden when far: ${hidden}`);
    await page.keyboard.press('f');
    await settled('fit again');
    const shown = await page.$eval('g.sg-node .label', (l) => getComputedStyle(l).display);
    assert(shown !== 'none', 'labels back after fit');
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
