// Headless export of a model's review report and subsystem graph (`kmodel export`).
// Draws with the app itself, not a second drawing path: the API's HTTP host runs
// in-process, headless Chromium opens the renderer's #report/<model> route, and the
// files come from that page — SVG from the DOM (window.kmodelExport, the app's own
// serializer), PNG as a screenshot of the graph element, PDF via page.pdf(),
// Markdown from the report's data with the SVG written beside it.

import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inProcessBackend } from '../api/backend';
import { startServer } from '../api/http';
import { CHROMIUM_ARGS, chromiumPath } from './chromium';

export type ExportFormat = 'svg' | 'png' | 'md' | 'pdf';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['svg', 'png', 'md', 'pdf'];

export interface ExportOptions {
  /** kmodel's package root (models/, out/renderer-web, reference data). */
  root: string;
  /** A model name in models/ (e.g. qdisc). */
  model: string;
  formats: readonly ExportFormat[];
  outDir: string;
  /** Chromium binary (default: $KMODEL_CHROMIUM or /usr/bin/chromium). */
  chromium?: string;
  progress?: (msg: string) => void;
  /** Milliseconds to wait for the report to draw (default 180 s). */
  timeoutMs?: number;
}

export interface ExportedFile {
  format: ExportFormat;
  path: string;
  bytes: number;
  /** PDF pages. */
  pages?: number;
  /** PNG pixel size. */
  width?: number;
  height?: number;
}

/** What the report route exposes once drawn (renderer/src/lib/subsystem-report.ts ReportExport). */
interface PageExport {
  graphSvg(): string;
  markdown(opts?: { svgHref?: string }): string;
}

/** A failure the user can fix; the message is one line. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Page objects in a PDF (`/Type /Page`, not `/Pages`). */
export function pdfPageCount(pdf: Uint8Array): number {
  const text = Buffer.from(pdf).toString('latin1');
  return (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

/** Width and height from a PNG's IHDR chunk; undefined when it is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) return undefined;
  if (Buffer.from(png.subarray(12, 16)).toString('latin1') !== 'IHDR') return undefined;
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

function checkOutDir(dir: string): void {
  try {
    // Component by component: recursive mkdir can spin on pseudo file systems (/proc).
    const missing: string[] = [];
    let d = resolve(dir);
    while (!existsSync(d)) {
      missing.unshift(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
    for (const m of missing) mkdirSync(m);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new ExportError(
      `cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export async function exportModel(opts: ExportOptions): Promise<ExportedFile[]> {
  const say = opts.progress ?? (() => {});
  const chromium = opts.chromium ?? chromiumPath();
  if (!existsSync(chromium))
    throw new ExportError(`no Chromium at ${chromium} (install chromium or set KMODEL_CHROMIUM)`);
  const staticDir = join(opts.root, 'out/renderer-web');
  if (!existsSync(join(staticDir, 'index.html')))
    throw new ExportError('the web renderer is not built (out/renderer-web); run `npm run build:renderer`');
  checkOutDir(opts.outDir);

  const backend = inProcessBackend(opts.root);
  // One model's check only (listing would check them all).
  const opened = await backend.call('openModel', { name: opts.model });
  if (!opened.ok) {
    await backend.close();
    throw new ExportError(
      /no model/.test(opened.error.message)
        ? `unknown model '${opts.model}' (not in ${join(opts.root, 'models')})`
        : opened.error.message,
    );
  }
  const errors = (opened.result as { info: { errors: number } }).info.errors;
  if (errors) throw new ExportError(`model '${opts.model}' has ${errors} errors; run kmodel model check`);

  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new ExportError('playwright-core is not installed (npm install)');
  }

  const server = await startServer({ staticDir, backend });
  const profile = mkdtempSync(join(tmpdir(), 'kmodel-export-'));
  const files: ExportedFile[] = [];
  say(`export: app at ${server.url}`);
  let context: Awaited<ReturnType<typeof pw.chromium.launchPersistentContext>> | undefined;
  try {
    try {
      context = await pw.chromium.launchPersistentContext(profile, {
        executablePath: chromium,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1400, height: 900 },
        deviceScaleFactor: 2,
        colorScheme: 'light',
      });
    } catch (e) {
      throw new ExportError(`Chromium did not start: ${(e as Error).message.split('\n')[0]}`);
    }
    const page = await context.newPage();
    const origin = new URL(server.url).origin;
    // Nothing leaves the machine.
    await page.route('**/*', (r) => {
      const u = r.request().url();
      return u.startsWith(origin) || u.startsWith('data:') ? r.continue() : r.abort();
    });
    say(`export: drawing the ${opts.model} report in Chromium`);
    await page.goto(`${server.url}#report/${encodeURIComponent(opts.model)}`);
    try {
      await page.waitForSelector('[data-testid=report][data-ready=true]', {
        timeout: opts.timeoutMs ?? 180_000,
      });
      await page.waitForFunction(() => !!(globalThis as { kmodelExport?: unknown }).kmodelExport, undefined, {
        timeout: 10_000,
      });
    } catch {
      const err = await page
        .locator('[data-testid=report] .error')
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null);
      throw new ExportError(`the report did not finish drawing${err ? `: ${err}` : ''}`);
    }
    const base = join(opts.outDir, opts.model);
    const write = (
      format: ExportFormat,
      path: string,
      data: string | Uint8Array,
      extra: Partial<ExportedFile> = {},
    ) => {
      writeFileSync(path, data);
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      files.push({ format, path, bytes, ...extra });
      say(`export: wrote ${path} (${bytes} bytes)`);
    };
    // Print layout: the report flows as one page (no scroll pane), as in the PDF.
    await page.emulateMedia({ media: 'print' });
    const svgPath = `${base}-graph.svg`;
    if (opts.formats.includes('svg') || opts.formats.includes('md')) {
      const svg = await page.evaluate(() =>
        (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.graphSvg(),
      );
      write('svg', svgPath, svg);
    }
    if (opts.formats.includes('png')) {
      const el = page.locator('[data-testid=report] svg[data-testid=subsystem-graph]');
      const png = await el.screenshot({ type: 'png' });
      write('png', `${base}-graph.png`, png, pngSize(png) ?? {});
    }
    if (opts.formats.includes('md')) {
      const href = `${opts.model}-graph.svg`;
      const md = await page.evaluate(
        (h) => (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.markdown({ svgHref: h }),
        href,
      );
      write('md', `${base}-report.md`, md);
    }
    if (opts.formats.includes('pdf')) {
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
      });
      write('pdf', `${base}-report.pdf`, pdf, { pages: pdfPageCount(pdf) });
    }
  } finally {
    await context?.close().catch(() => {});
    await server.close();
    await backend.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return files;
}
