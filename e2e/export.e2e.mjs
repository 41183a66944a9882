// Export: the subsystem graph and the CFG to SVG and PNG from the app, the review
// report to Markdown and PDF (the app's PDF button: `kmodel serve` draws it in headless
// Chromium), and `kmodel export` (headless Chromium) to svg/png/md/pdf.
// Each file is checked as what it claims to be, against names read from the YAML.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedFromYaml } from './graph.e2e.mjs';
import { pdfPages, pdfStrings, pdfTitle } from './lib/pdf-text.mjs';
import { pngText } from './lib/png-text.mjs';

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

/** Dark pixels (text) in the bottom `rows` pixel rows of a PNG, decoded by the browser. */
const darkPixelsAtFoot = (page, buf, rows) =>
  page.evaluate(
    ([b64, n]) =>
      new Promise((res) => {
        const img = new Image();
        img.onload = () => {
          const c = document.createElement('canvas');
          c.width = img.naturalWidth;
          c.height = img.naturalHeight;
          const ctx = c.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const d = ctx.getImageData(0, c.height - n, c.width, n).data;
          let dark = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 3 * 96) dark++;
          res(dark);
        };
        img.onerror = () => res(-1);
        img.src = `data:image/png;base64,${b64}`;
      }),
    [buf.toString('base64'), rows],
  );

/**
 * A model graph's PNG names what drew it: tEXt chunks under the PNG keywords (valid CRCs)
 * and the same facts drawn in a band under the graph (three lines at 2 px per unit).
 */
async function checkPngProvenance(page, buf, what, { profiles, model }) {
  const { text, crcOk } = pngText(buf);
  assert(crcOk, `${what}: chunk CRCs`);
  assert(/^kmodel \d/.test(text.Software ?? ''), `${what}: Software ${text.Software}`);
  assert(
    /^Linux \S+ \(x86_64\), reference BTF sha256 [0-9a-f]{64}$/.test(text.Source ?? ''),
    `${what}: Source ${text.Source}`,
  );
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(text['Creation Time'] ?? ''), `${what}: Creation Time`);
  const comment = text.Comment ?? '';
  assert(comment.includes(`profiles: ${profiles}`), `${what}: profiles in Comment: ${comment}`);
  assert(
    comment.includes(`model: ${model}`) && /model sha256: [0-9a-f]{64}/.test(comment),
    `${what}: model in Comment`,
  );
  const dark = await darkPixelsAtFoot(page, buf, 2 * (3 * 15 + 8));
  assert(dark > 500, `${what}: provenance drawn under the graph (${dark} dark pixels)`);
  return text;
}

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
    assert(
      /<!--\n {2}kmodel \d[\s\S]*profiles: v6\.18\n[\s\S]*model sha256: [0-9a-f]{64}\n-->/.test(
        svg.data.toString('utf8'),
      ),
      'the SVG says what drew it',
    );
    const png = await downloaded(page, '[data-testid=export-png]');
    assert(png.name === 'qdisc-graph.png', `png file name ${png.name}`);
    await checkPng(page, png.data, 'graph PNG');
    // The graph view draws the model under its own profile.
    const t = await checkPngProvenance(page, png.data, 'graph PNG', {
      profiles: 'v6.18',
      model: 'models/qdisc.yaml',
    });
    assert(t.Title === 'BPF qdisc (Qdisc_ops) - subsystem graph', `Title ${t.Title}`);
  },

  async 'CFG exports PNG from the app'({ page, url, corpus }) {
    const c = corpus.find((x) => x.kernel.verdict === 'accept' && x.insns.length / 16 > 6);
    await page.goto(`${url}#program/${c.id}`);
    await page.waitForSelector('[data-testid=cfg] .cfg-node');
    const png = await downloaded(page, '[data-testid=export-png]');
    await checkPng(page, png.data, 'CFG PNG');
    // No model behind a corpus program: kmodel, the reference kernel, when, and which case.
    const { text, crcOk } = pngText(png.data);
    assert(
      crcOk && /^kmodel \d/.test(text.Software ?? '') && /^Linux \S/.test(text.Source ?? ''),
      `CFG PNG text ${JSON.stringify(text)}`,
    );
    assert(
      text.Title?.startsWith(`corpus case ${c.id}`) && text['Creation Time'],
      `CFG PNG Title ${text.Title}`,
    );
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
    // Mailable: tables at most 100 columns, the graph linked (not inlined), provenance and notes.
    const wide = md.split('\n').filter((l) => l.startsWith('|') && l.length > 100);
    assert(wide.length === 0, `tables ≤ 100 columns: ${wide[0]}`);
    assert(!/<svg[\s>]/.test(md) && md.includes('](qdisc-graph.svg)'), 'graph linked, not inlined');
    for (const h of [
      '#### Takeaway',
      '## Review notes',
      '- kmodel ',
      '- reference BTF sha256: ',
      '- model sha256: ',
    ])
      assert(md.includes(h), `markdown has ${h}`);
    // Each design's code per member, as on the page; every line of the Markdown within 100 columns.
    const long = md.split('\n').filter((l) => l.length > 100);
    assert(long.length === 0, `lines ≤ 100 columns: ${long[0]}`);
    for (const m of ['init', 'reset', 'destroy'])
      assert(md.includes(`#### \`${m}\` (program \`fifo_${m}\`)`), `code of ${m}`);
    const caps =
      md.match(
        /^(patched program|x86-64 \(\d+ bytes\)), identical in kfunc \(profile v6\.18\) and wrapper \(profile bpf-next-2026\):$/gm,
      ) ?? [];
    assert(caps.length === 6, `both designs' listings per member: ${caps.length}`);
    assert(md.includes('*  3: (85) call bpf_qdisc_init_prologue#'), 'generated call marked');
    const txt = (await downloaded(page, '[data-testid=export-txt]')).data.toString('utf8');
    assert(txt.includes('Takeaway') && txt.includes('reference BTF sha256'), 'text export for a mail body');
    assert(
      txt.includes("Each design's code") && txt.includes('    *  3: (85) call bpf_qdisc_init_prologue#'),
      'code in the mail body',
    );
    // The report's graph PNG: the comparison's provenance (both designs' profiles).
    const png = await downloaded(page, '[data-testid=report-export-png]');
    await checkPngProvenance(page, png.data, 'report graph PNG', {
      profiles: 'v6.18, bpf-next-2026',
      model: 'models/qdisc.yaml',
    });
    const prov = await page.textContent('[data-testid=report-provenance]');
    assert(/kmodel \d/.test(prov) && /sha256 [0-9a-f]{64}/.test(prov), `report page provenance: ${prov}`);
    for (const p of want.programs) assert(md.includes(`\`${p}\``), `program ${p} listed`);
    const progs = await page.locator('[data-testid=report-program]').count();
    assert(progs === want.programs.length, `${progs} program sections`);
    await page.emulateMedia({ media: 'print' });
    // At the A4 text width (190 mm = 718 px) the graph prints in strips whose 10 px badge
    // text stays at 7 pt (9.33 px) or more.
    await page.setViewportSize({ width: 718, height: 1400 });
    const scales = await page.$$eval('[data-testid=graph-print-strips] svg.strip', (ss) =>
      ss.map((s) => s.getBoundingClientRect().width / s.viewBox.baseVal.width),
    );
    assert(scales.length >= 2 && scales.every((k) => 10 * k >= 9.33), `print strips' scales: ${scales}`);
    await page.setViewportSize({ width: 1000, height: 1400 });
    await page.screenshot({ path: join(root, 'test-results/e2e/report-qdisc-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  },

  async 'review report: the PDF button downloads a PDF drawn by the app'({ page, url, root }) {
    const want = expectedFromYaml(root, 'qdisc.yaml');
    await page.goto(`${url}#models/qdisc`);
    await page.click('[data-testid=model-report-link]');
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 60_000 });
    const button = page.locator('[data-testid=export-pdf]');
    const t0 = Date.now();
    const [d] = await Promise.all([
      page.waitForEvent('download', { timeout: 80_000 }),
      (async () => {
        await button.click();
        // Busy while the host draws it (seconds): disabled, marked, and a note.
        await page.waitForSelector('[data-testid=export-pdf][aria-busy=true]:disabled', { timeout: 5000 });
      })(),
    ]);
    const ms = Date.now() - t0;
    assert(d.suggestedFilename() === 'qdisc-report.pdf', `file name ${d.suggestedFilename()}`);
    const pdf = readFileSync(await d.path());
    assert(pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'PDF header');
    const pages = pdfPages(pdf);
    assert(pages >= 1, `PDF pages: ${pages}`);
    assert(pdfTitle(pdf) === 'kmodel: qdisc review report', `PDF /Title ${pdfTitle(pdf)}`);
    const text = [...pdfStrings(pdf)];
    const says = (w) => text.some((t) => t.includes(w));
    for (const w of ['qdisc', 'Members', 'Member programs', ...want.members, ...want.programs])
      assert(says(w), `PDF text has ${w}`);
    // Print layout: the app's header and the report's buttons stay out of the PDF.
    assert(!says('Markdown') && !says('interactive graph'), 'PDF has no buttons');
    const note = page.locator('[data-testid=export-pdf-status]');
    await note.waitFor();
    const shown = await note.textContent();
    assert(
      new RegExp(`^downloaded qdisc-report\\.pdf \\(${pages} pages?, [\\d.]+ s\\)$`).test(shown),
      `status: ${shown}`,
    );
    assert(await button.isEnabled(), 'button enabled again');
    process.stdout.write(`    PDF: ${pages} pages, ${pdf.length} bytes, ${ms} ms from click to download\n`);
  },

  async "File ▸ Export Report (PDF) from the graph view saves that model's report"({ page, url }) {
    // Electron's menu reaches the page through window.kmodelMenu (preload); here a
    // stand-in keeps the page's listener so the test can send the menu's command.
    await page.addInitScript(() => {
      window.kmodelMenu = {
        on: (l) => {
          window.__menu = l;
        },
        save: async () => ({ ok: false }),
      };
    });
    await page.goto(`${url}#graph/tcp_cc`);
    await page.waitForSelector('[data-testid=subsystem-graph][data-ready=true]', { timeout: 60_000 });
    const [d] = await Promise.all([
      page.waitForEvent('download', { timeout: 80_000 }),
      page.evaluate(() => window.__menu('export-report-pdf')),
    ]);
    assert(d.suggestedFilename() === 'tcp_cc-report.pdf', `file name ${d.suggestedFilename()}`);
    const pdf = readFileSync(await d.path());
    assert(pdfPages(pdf) >= 1 && pdfTitle(pdf) === 'kmodel: tcp_cc review report', `PDF ${pdfTitle(pdf)}`);
    assert(new URL(page.url()).hash === '#report/tcp_cc', `route ${page.url()}`);
    // Coming back to the report later does not save it again.
    await page.goto(`${url}#models/tcp_cc`);
    await page.goto(`${url}#report/tcp_cc`);
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 60_000 });
    await page.waitForTimeout(300);
    assert((await page.locator('[data-testid=export-pdf-status]').count()) === 0, 'no second PDF');
  },

  async 'review report PDF: errors are one clear line, the page keeps working'({ page, url, expectConsole }) {
    expectConsole(/status of (40[03459]|50[03])/);
    await page.goto(`${url}#report/qdisc`);
    await page.waitForSelector('[data-testid=report][data-ready=true]', { timeout: 60_000 });
    const ask = (path, init = { method: 'POST' }) =>
      page.evaluate(
        async ([p, i]) => {
          const r = await fetch(p, i);
          return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
        },
        [path, init],
      );
    const unknown = await ask('./export/no_such_model.pdf');
    assert(
      unknown.status === 404 && /json/.test(unknown.type),
      `unknown model: ${unknown.status} ${unknown.type}`,
    );
    assert(JSON.parse(unknown.body).error.message === "unknown model 'no_such_model'", unknown.body);
    const bad = await ask('./export/..%2F..%2Fetc%2Fpasswd.pdf');
    assert(bad.status === 400 && /bad model name/.test(JSON.parse(bad.body).error.message), bad.body);
    const get = await ask('./export/qdisc.pdf', { method: 'GET' });
    assert(get.status === 405, `GET: ${get.status}`);

    // The button shows a host's failure as one line and is usable again.
    await page.route('**/export/qdisc.pdf', (r) =>
      r.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({ ok: false, error: { code: 'internal', message: 'Chromium crashed' } }),
      }),
    );
    await page.click('[data-testid=export-pdf]');
    const note = page.locator('[data-testid=export-pdf-status].error');
    await note.waitFor();
    assert((await note.textContent()) === 'PDF export failed: Chromium crashed', await note.textContent());
    assert(await page.locator('[data-testid=export-pdf]').isEnabled(), 'button enabled after a failure');

    // No browser on the host (503): the print dialog, with a note saying why.
    await page.unroute('**/export/qdisc.pdf');
    await page.route('**/export/qdisc.pdf', (r) =>
      r.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ ok: false, error: { code: 'internal', message: 'no Chromium at /x' } }),
      }),
    );
    await page.evaluate(() => {
      window.print = () => {
        window.__printed = (window.__printed ?? 0) + 1;
      };
    });
    await page.click('[data-testid=export-pdf]');
    await page.waitForFunction(() => window.__printed === 1);
    const why = await page.locator('[data-testid=export-pdf-status]').textContent();
    assert(/no Chromium at \/x.*print dialog/.test(why), `fallback note: ${why}`);
    assert(
      (await page.locator('[data-testid=report][data-ready=true]').count()) === 1,
      'the report is still shown',
    );
  },

  async 'kmodel export writes svg, png, md and pdf'({ page, root }) {
    const out = mkdtempSync(join(tmpdir(), 'kmodel-export-e2e-'));
    try {
      const want = expectedFromYaml(root, 'qdisc.yaml');
      const r = await runCli(root, [
        'export',
        'models/qdisc.yaml',
        '--format',
        'svg,png,md,txt,pdf',
        '--out',
        out,
      ]);
      assert(r.code === 0, `export exit ${r.code}: ${r.err}`);
      assert(/wrote .*qdisc-report\.pdf/.test(r.err), `progress on stderr: ${r.err}`);
      const svg = readFileSync(join(out, 'qdisc-graph.svg'), 'utf8');
      const parsed = await parseSvg(page, svg);
      assert(parsed.root === 'svg' && !parsed.error, 'exported SVG parses');
      for (const n of want.members) assert(parsed.text.includes(n), `exported SVG names ${n}`);
      const png = readFileSync(join(out, 'qdisc-graph.png'));
      await checkPng(page, png, 'exported PNG');
      await checkPngProvenance(page, png, 'exported PNG', {
        profiles: 'v6.18, bpf-next-2026',
        model: 'models/qdisc.yaml',
      });
      const pdf = readFileSync(join(out, 'qdisc-report.pdf'));
      assert(pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'PDF header');
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
      assert(pages >= 1, `PDF pages: ${pages}`);
      assert(r.out.includes(`${pages} pages`), `stdout reports the page count: ${r.out}`);
      const md = readFileSync(join(out, 'qdisc-report.md'), 'utf8');
      assert(md.includes('](qdisc-graph.svg)'), 'markdown links the SVG beside it');
      assert(
        /<!--\n {2}kmodel \d[\s\S]*model sha256: [0-9a-f]{64}\n-->/.test(svg),
        'the SVG says what drew it',
      );
      const txt = readFileSync(join(out, 'qdisc-report.txt'), 'utf8');
      assert(
        txt.includes('Takeaway') && /reference BTF sha256: [0-9a-f]{64}/.test(txt),
        'text report for a mail',
      );
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
