#!/usr/bin/env node
// End-to-end tests of the app in Chromium against `kmodel serve`.
// Builds nothing (npm test builds first). Runs every e2e/*.e2e.mjs module: each
// exports `tests`, an object of named async functions taking a context
// ({ page, url, shot, corpus, root, files, expectConsole }); `files` is a scratch
// folder `kmodel serve` was given (model files there may be opened and saved). Screenshots go to test-results/e2e/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { loadCorpus } from './lib/corpus.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(root, 'test-results/e2e');
const CHROMIUM = process.env.KMODEL_CHROMIUM ?? '/usr/bin/chromium';
// The flags kmodel's own headless Chromium uses (main/host/chromium.ts reads the same file).
const CHROMIUM_ARGS = JSON.parse(readFileSync(join(root, 'main/host/chromium-args.json'), 'utf8'));
const TEST_TIMEOUT = 90_000;
const only = process.argv.slice(2);

function die(msg) {
  process.stderr.write(`e2e: ${msg}\n`);
  process.exit(1);
}

for (const [file, how] of [
  ['out/cli/kmodel.mjs', 'npm run build:cli'],
  ['out/renderer-web/index.html', 'npm run build:renderer'],
]) {
  if (!existsSync(join(root, file))) die(`${file} is missing; run \`${how}\` (npm test does)`);
}
if (!existsSync(CHROMIUM)) die(`${CHROMIUM} is missing (apt-get install chromium, or set KMODEL_CHROMIUM)`);

/** Starts `kmodel serve --port 0` and resolves with its URL once it prints it. */
function startServer(filesDir) {
  const child = spawn(process.execPath, [join(root, 'bin/kmodel.mjs'), 'serve', '--port', '0', filesDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`kmodel serve printed no URL in 30 s: ${out}${err}`)),
      30_000,
    );
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ child, url: m[0] });
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`kmodel serve exited with ${code}: ${err.trim()}`));
    });
  });
}

const withTimeout = (p, ms, what) =>
  Promise.race([
    p,
    new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)),
  ]);

const files = readdirSync(join(root, 'e2e'))
  .filter((f) => f.endsWith('.e2e.mjs'))
  .sort();

// Fresh screenshots each run (a stale "-failed" picture would mislead).
if (!only.length) rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
// A scratch folder the server may open and save model files in (the editor tests).
const scratch = mkdtempSync(join(tmpdir(), 'kmodel-e2e-files-'));
const { child, url } = await startServer(scratch);
const profile = mkdtempSync(join(tmpdir(), 'kmodel-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1400, height: 860 },
  acceptDownloads: true,
  colorScheme: 'light',
});
// Nothing leaves the machine: any request off the app's origin fails the test that made it.
const origin = new URL(url).origin;

const corpus = loadCorpus(join(root, 'test/fixtures/corpus/cases.jsonl'));
let passed = 0;
let failed = 0;
const started = Date.now();
process.stdout.write(`e2e: kmodel serve at ${url}, chromium ${context.browser()?.version() ?? ''}\n`);

try {
  for (const f of files) {
    const mod = await import(pathToFileURL(join(root, 'e2e', f)).href);
    for (const [name, fn] of Object.entries(mod.tests ?? {})) {
      const full = `${f.replace(/\.e2e\.mjs$/, '')}: ${name}`;
      if (only.length && !only.some((o) => full.includes(o))) continue;
      const page = await context.newPage();
      const problems = [];
      // A test may announce console errors it provokes on purpose.
      const expected = [];
      const expectConsole = (re) => expected.push(re);
      page.on('console', (m) => {
        // A refused API call (HTTP 4xx) is shown by the view itself; tests check that text.
        const refused = /status of 4\d\d/.test(m.text()) && m.location().url.includes('/api/');
        if (m.type() === 'error' && !refused && !expected.some((re) => re.test(m.text())))
          problems.push(`console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        const u = r.url();
        if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'))
          problems.push(`request off origin: ${u}`);
      });
      const slug = full
        .replace(/[^a-z0-9]+/gi, '-')
        .replace(/^-|-$/g, '')
        .toLowerCase();
      const shot = (label = '') =>
        page.screenshot({ path: join(shots, `${slug}${label ? `-${label}` : ''}.png`) });
      const t0 = Date.now();
      try {
        await withTimeout(
          fn({ page, url, shot, corpus, root, files: scratch, expectConsole }),
          TEST_TIMEOUT,
          full,
        );
        await shot();
        if (problems.length) throw new Error(problems.join('\n    '));
        passed++;
        process.stdout.write(`  ✓ ${full} (${Date.now() - t0} ms)\n`);
      } catch (e) {
        failed++;
        await shot('failed').catch(() => {});
        process.stdout.write(
          `  ✗ ${full}\n    ${String(e?.message ?? e)
            .split('\n')
            .join('\n    ')}\n`,
        );
      } finally {
        await page.close();
      }
    }
  }
} finally {
  await context.close();
  child.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}

process.stdout.write(
  `e2e: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s); screenshots in test-results/e2e/\n`,
);
process.exit(failed || passed === 0 ? 1 : 0);
