// Headless Chromium on the app's #report/<model> route of a running HTTP host: the one
// place kmodel drives a browser for exports. `kmodel export` (export.ts) reads SVG, PNG,
// Markdown and PDF from the page; `kmodel serve` (api/http.ts) answers
// POST /export/<model>.pdf with renderReportPdf.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium';
import {
  ExportError,
  PDF_PAGE,
  type ReportState,
  reportRoute,
  reportStateScript,
  waitForReport,
} from './report-pdf';

export interface ReportPageOptions {
  /** The app host's URL (http://127.0.0.1:PORT/). */
  appUrl: string;
  model: string;
  /** Chromium binary (default: $KMODEL_CHROMIUM or /usr/bin/chromium). */
  chromium?: string;
  /** Milliseconds to wait for the report to draw (default 180 s). */
  timeoutMs?: number;
  progress?: (msg: string) => void;
}

/** Throws ExportError('unavailable') when there is no browser to draw with. */
export function checkChromium(chromium = chromiumPath()): string {
  if (!existsSync(chromium))
    throw new ExportError(
      `no Chromium at ${chromium} (install chromium or set KMODEL_CHROMIUM)`,
      'unavailable',
    );
  return chromium;
}

/** Opens the drawn report in a fresh headless Chromium, runs `fn` on it, closes everything. */
export async function withReportPage<T>(opts: ReportPageOptions, fn: (page: Page) => Promise<T>): Promise<T> {
  const chromium = checkChromium(opts.chromium);
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new ExportError('playwright-core is not installed (npm install)', 'unavailable');
  }
  const profile = mkdtempSync(join(tmpdir(), 'kmodel-export-'));
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
      throw new ExportError(`Chromium did not start: ${(e as Error).message.split('\n')[0]}`, 'unavailable');
    }
    const page = await context.newPage();
    const origin = new URL(opts.appUrl).origin;
    // Nothing leaves the machine.
    await page.route('**/*', (r) => {
      const u = r.request().url();
      return u.startsWith(origin) || u.startsWith('data:') ? r.continue() : r.abort();
    });
    opts.progress?.(`export: drawing the ${opts.model} report in Chromium`);
    await page.goto(new URL(reportRoute(opts.model), opts.appUrl).href);
    await waitForReport(
      () => page.evaluate(reportStateScript(opts.model)) as Promise<ReportState>,
      opts.model,
      { timeoutMs: opts.timeoutMs ?? 180_000 },
    );
    // Print layout: the report flows as one page (no scroll pane), as in the PDF.
    await page.emulateMedia({ media: 'print' });
    return await fn(page);
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The drawn report as an A4 PDF. */
export async function printReportPdf(page: Page): Promise<Uint8Array> {
  return page.pdf({ ...PDF_PAGE, margin: { ...PDF_PAGE.margin } });
}

/** The model's report, drawn by the app at `appUrl`, as PDF bytes. */
export const renderReportPdf = (opts: ReportPageOptions): Promise<Uint8Array> =>
  withReportPage(opts, printReportPdf);
