// Headless export of a model's review report and subsystem graph (`kmodel export`).
// Draws with the app itself, not a second drawing path: the API's HTTP host runs
// in-process, headless Chromium opens the renderer's #report/<model> route, and the
// files come from that page — SVG from the DOM (window.kmodelExport, the app's own
// serializer), PNG as the app's own PNG export (the SVG on a canvas, the provenance in a
// band below it and in tEXt chunks: the same code as the app's PNG button), PDF via
// page.pdf(), Markdown from the report's data with the SVG written beside it.

import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { inProcessBackend } from '../api/backend';
import { startServer } from '../api/http';
import { chromiumPath } from './chromium';
import { checkChromium, printReportPdf, withReportPage } from './report-page';
import { checkReportModel, ExportError, pdfPageCount } from './report-pdf';

export { ExportError, pdfPageCount };

export type ExportFormat = 'svg' | 'png' | 'md' | 'txt' | 'pdf';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['svg', 'png', 'md', 'txt', 'pdf'];

export interface ExportOptions {
  /** kmodel's package root (models/, out/renderer-web, reference data). */
  root: string;
  /**
   * A shipped model's name (qdisc), or the absolute path of a model file anywhere: the
   * API's model identifier. A path is added to the host's readable files, since the
   * report page asks the same host for it.
   */
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
  text(): string;
  graphPng(): Promise<string>;
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
  const chromium = checkChromium(opts.chromium ?? chromiumPath());
  const staticDir = join(opts.root, 'out/renderer-web');
  if (!existsSync(join(staticDir, 'index.html')))
    throw new ExportError(
      'the web renderer is not built (out/renderer-web); run `npm run build:renderer` (npm install runs it)',
    );
  checkOutDir(opts.outDir);

  const file = isAbsolute(opts.model) ? opts.model : undefined;
  // Output files are named after the model file: x.yaml → x-graph.svg, x-report.pdf …
  const stem = file ? basename(file).replace(/\.ya?ml$/i, '') : opts.model;
  const backend = inProcessBackend(opts.root, file ? [file] : []);
  try {
    await checkReportModel((p) => backend.call('openModel', p), opts.model);
  } catch (e) {
    await backend.close();
    if (e instanceof ExportError && e.code === 'not-found')
      throw new ExportError(file ? e.message : `${e.message} (not in ${join(opts.root, 'models')})`, e.code);
    throw e;
  }

  const server = await startServer({ staticDir, backend });
  const files: ExportedFile[] = [];
  say(`export: app at ${server.url}`);
  try {
    await withReportPage(
      { appUrl: server.url, model: opts.model, chromium, progress: say, timeoutMs: opts.timeoutMs },
      async (page) => {
        const base = join(opts.outDir, stem);
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
        const svgPath = `${base}-graph.svg`;
        if (opts.formats.includes('svg') || opts.formats.includes('md')) {
          // The page's SVG names what drew it (an XML comment).
          const svg = await page.evaluate(() =>
            (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.graphSvg(),
          );
          write('svg', svgPath, svg);
        }
        if (opts.formats.includes('png')) {
          // On screen: in print a wide graph is drawn as strips instead (labels ≥ 7 pt).
          await page.emulateMedia({ media: 'screen' });
          const url = await page.evaluate(() =>
            (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.graphPng(),
          );
          await page.emulateMedia({ media: 'print' });
          const png = new Uint8Array(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
          write('png', `${base}-graph.png`, png, pngSize(png) ?? {});
        }
        if (opts.formats.includes('md')) {
          const href = `${stem}-graph.svg`;
          const md = await page.evaluate(
            (h) =>
              (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.markdown({ svgHref: h }),
            href,
          );
          write('md', `${base}-report.md`, md);
        }
        if (opts.formats.includes('txt')) {
          const txt = await page.evaluate(() =>
            (globalThis as unknown as { kmodelExport: PageExport }).kmodelExport.text(),
          );
          write('txt', `${base}-report.txt`, txt);
        }
        if (opts.formats.includes('pdf')) {
          const pdf = await printReportPdf(page);
          write('pdf', `${base}-report.pdf`, pdf, { pages: pdfPageCount(pdf) });
        }
      },
    );
  } finally {
    await server.close();
    await backend.close();
  }
  return files;
}
