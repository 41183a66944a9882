// Export: the subsystem graph and the CFG to SVG and PNG from the app, the review
// report to Markdown, and `kmodel export` (headless Chromium) to svg/png/md/pdf.
// Each file is checked as what it claims to be, against names read from the YAML.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedFromYaml } from './graph.e2e.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** PNG signature and IHDR size, or null. */
function pngSize(buf) {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (buf.length < 24 || sig.some((b, i) => buf[i] !== b)) return null;
  if (buf.subarray(12, 16).toString('latin1') !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Parses SVG text in the page: root element name, parse errors, all text content. */
const parseSvg = (page, text) =>
  page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    return {
      root: doc.documentElement.nodeName,
      error: doc.getElementsByTagName('parsererror').length > 0,
      text: [...doc.querySelectorAll('text')].map((n) => n.textContent),
    };
  }, text);

/** Loads PNG bytes as an <img> in the page (a data: URL, as the CSP allows). */
const decodePng = (page, buf) =>
  page.evaluate(
    (b64) =>
      new Promise((res) => {
        const img = new Image();
        img.onload = () => res({ width: img.naturalWidth, height: img.naturalHeight });
        img.onerror = () => res(null);
        img.src = `data:image/png;base64,${b64}`;
      }),
    buf.toString('base64'),
  );

async function downloaded(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: d.suggestedFilename(), data: readFileSync(await d.path()) };
}

async function checkPng(page, buf, what) {
  const ihdr = pngSize(buf);
  assert(ihdr && ihdr.width > 0 && ihdr.height > 0, `${what}: PNG signature/IHDR`);
  const img = await decodePng(page, buf);
  assert(
    img && img.width === ihdr.width && img.height === ihdr.height,
    `${what}: PNG decodes as ${ihdr.width}x${ihdr.height}`,
  );
}

function runCli(root, args, env = {}) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(root, 'bin/kmodel.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => res({ code, out, err }));
  });
}

export const tests = {
  async 'subsystem graph exports SVG and PNG from the app'({ page, url, root }) {
    const want = expectedFromYaml(root, 'qdisc.yaml');
    await page.goto(`${url}#graph/qdisc`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    const svg = await downloaded(page, '[data-testid=export-svg]');
    assert(svg.name === 'qdisc-graph.svg', `svg file name ${svg.name}`);
    const parsed = await parseSvg(page, svg.data.toString('utf8'));
    assert(parsed.root === 'svg' && !parsed.error, `SVG parses with an <svg> root: ${parsed.root}`);
    for (const n of [...want.members, ...want.kfuncs, ...want.programs])
      assert(parsed.text.includes(n), `SVG names ${n}`);
    const png = await downloaded(page, '[data-testid=export-png]');
    assert(png.name === 'qdisc-graph.png', `png file name ${png.name}`);
    await checkPng(page, png.data, 'graph PNG');
  },

  async 'CFG exports PNG from the app'({ page, url, corpus }) {
    const c = corpus.find((x) => x.kernel.verdict === 'accept' && x.insns.length / 16 > 6);
    await page.goto(`${url}#program/${c.id}`);
    await page.waitForSelector('[data-testid=cfg] .cfg-node');
    const png = await downloaded(page, '[data-testid=export-png]');
    await checkPng(page, png.data, 'CFG PNG');
  },

  async 'review report: Markdown from the app; the print layout'({ page, url, root }) {
    const want = expectedFromYaml(root, 'qdisc.yaml');
    await page.goto(`${url}#report/qdisc`);
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 120_000 });
    const md = (await downloaded(page, '[data-testid=export-md]')).data.toString('utf8');
    assert(md.startsWith('# '), 'markdown title');
    for (const h of [
      '## Members',
      '## Call designs for generated code',
      '## Subsystem graph',
      '## Member programs',
    ])
      assert(md.includes(h), `markdown has ${h}`);
    assert(/\| --- \|/.test(md), 'markdown tables');
    for (const d of ['kfunc', 'wrapper', 'helper']) assert(md.includes(`| ${d}`), `comparison column ${d}`);
    assert(/<svg[\s>]/.test(md), 'graph inlined as SVG');
    for (const p of want.programs) assert(md.includes(`\`${p}\``), `program ${p} listed`);
    const progs = await page.locator('[data-testid=report-program]').count();
    assert(progs === want.programs.length, `${progs} program sections`);
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 1000, height: 1400 });
    await page.screenshot({ path: join(root, 'test-results/e2e/report-qdisc-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  },

  async 'kmodel export writes svg, png, md and pdf'({ page, root }) {
    const out = mkdtempSync(join(tmpdir(), 'kmodel-export-e2e-'));
    try {
      const want = expectedFromYaml(root, 'qdisc.yaml');
      const r = await runCli(root, [
        'export',
        'models/qdisc.yaml',
        '--format',
        'svg,png,md,pdf',
        '--out',
        out,
      ]);
      assert(r.code === 0, `export exit ${r.code}: ${r.err}`);
      assert(/wrote .*qdisc-report\.pdf/.test(r.err), `progress on stderr: ${r.err}`);
      const svg = readFileSync(join(out, 'qdisc-graph.svg'), 'utf8');
      const parsed = await parseSvg(page, svg);
      assert(parsed.root === 'svg' && !parsed.error, 'exported SVG parses');
      for (const n of want.members) assert(parsed.text.includes(n), `exported SVG names ${n}`);
      await checkPng(page, readFileSync(join(out, 'qdisc-graph.png')), 'exported PNG');
      const pdf = readFileSync(join(out, 'qdisc-report.pdf'));
      assert(pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'PDF header');
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
      assert(pages >= 1, `PDF pages: ${pages}`);
      assert(r.out.includes(`${pages} pages`), `stdout reports the page count: ${r.out}`);
      const md = readFileSync(join(out, 'qdisc-report.md'), 'utf8');
      assert(md.includes('](qdisc-graph.svg)'), 'markdown links the SVG beside it');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },

  async 'kmodel export: bad input is one line, exit 2'({ root }) {
    const out = mkdtempSync(join(tmpdir(), 'kmodel-export-e2e-'));
    writeFileSync(join(out, 'file'), 'not a folder\n');
    try {
      for (const [args, env, re] of [
        [['export', 'no_such_model', '--out', out], {}, /unknown model 'no_such_model'/],
        [['export', 'qdisc', '--out', '/proc/kmodel-nope'], {}, /cannot write to \/proc\/kmodel-nope/],
        [['export', 'qdisc', '--out', join(out, 'file', 'sub')], {}, /cannot write to .*file\/sub: ENOTDIR/],
        [['export', 'qdisc', '--out', out], { KMODEL_CHROMIUM: '/nonexistent/chromium' }, /no Chromium at/],
        [['export', 'qdisc', '--format', 'gif'], {}, /--format must be/],
      ]) {
        const bad = await runCli(root, args, env);
        const lines = bad.err.trim().split('\n');
        assert(bad.code === 2, `${args.join(' ')}: exit ${bad.code}`);
        assert(re.test(lines.at(-1)) && !bad.err.includes('    at '), `${args.join(' ')}: ${bad.err}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
};
