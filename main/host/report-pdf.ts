// The review report as PDF, the parts every host shares: which model names may be
// asked for, the file name, the page setup, when the report route has finished
// drawing, and Electron's save flow (dialog → printToPDF → file) written against
// injected functions so it runs in tests without Electron. Headless Chromium's
// side (`kmodel export`, `kmodel serve`'s /export/<model>.pdf) is report-page.ts.

import type { ApiEnvelope, OpenModelResult } from '../api/types';

/** Why an export failed; `code` picks the HTTP status in `kmodel serve`. */
export type ExportErrorCode = 'bad-request' | 'not-found' | 'unavailable' | 'busy' | 'failed';

/** A failure the user can fix; the message is one line. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly code: ExportErrorCode = 'failed',
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/**
 * Before a browser starts: the model exists and checks clean (one model's check only;
 * listing would check them all). Throws ExportError not-found / bad-request.
 */
export async function checkReportModel(
  openModel: (p: { name: string }) => Promise<ApiEnvelope>,
  model: string,
): Promise<void> {
  const opened = await openModel({ name: model });
  if (!opened.ok)
    throw new ExportError(
      opened.error.code === 'not-found' ? `unknown model '${model}'` : opened.error.message,
      opened.error.code === 'not-found' ? 'not-found' : 'bad-request',
    );
  const errors = (opened.result as OpenModelResult).info.errors;
  if (errors)
    throw new ExportError(`model '${model}' has ${errors} errors; run kmodel model check`, 'bad-request');
}

/** A model name as models/ holds it (file name without .yaml): no paths, no dot-files. */
export function isModelName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name) && !name.includes('..');
}

/**
 * What a report may be asked for: a shipped model's name, or the absolute path of a
 * .yaml model file (the API's FileAccess decides whether the host may read it).
 */
export function isModelRef(ref: unknown): ref is string {
  if (isModelName(ref)) return true;
  return (
    typeof ref === 'string' &&
    ref.length <= 4096 &&
    !ref.includes('\0') &&
    /^(?:\/|[A-Za-z]:[\\/])/.test(ref) &&
    /\.ya?ml$/i.test(ref)
  );
}

/** The file name part of a model identifier, without .yaml (`/tmp/x.yaml` → `x`). */
export const modelLabel = (ref: string): string => (ref.split(/[\\/]/).pop() ?? ref).replace(/\.ya?ml$/i, '');

export const reportRoute = (model: string): string => `#report/${encodeURIComponent(model)}`;

// Safe in a Content-Disposition header and on any file system.
export const reportPdfFileName = (model: string): string =>
  `${modelLabel(model).replace(/[^\w.-]/g, '_')}-report.pdf`;

/** A4 with the app's colours, in Playwright's page.pdf() terms. */
export const PDF_PAGE = {
  format: 'A4',
  printBackground: true,
  margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
} as const;

const MM_PER_INCH = 25.4;
const inches = (css: string): number => {
  const m = /^(\d+(?:\.\d+)?)mm$/.exec(css);
  if (!m) throw new Error(`margin '${css}' is not in mm`);
  return Number(m[1]) / MM_PER_INCH;
};

/** The same page in Electron's webContents.printToPDF() terms (margins in inches). */
export function electronPdfOptions(): {
  pageSize: 'A4';
  printBackground: boolean;
  margins: { top: number; bottom: number; left: number; right: number };
} {
  const m = PDF_PAGE.margin;
  return {
    pageSize: PDF_PAGE.format,
    printBackground: PDF_PAGE.printBackground,
    margins: { top: inches(m.top), bottom: inches(m.bottom), left: inches(m.left), right: inches(m.right) },
  };
}

/** Page objects in a PDF (`/Type /Page`, not `/Pages`). */
export function pdfPageCount(pdf: Uint8Array): number {
  const text = Buffer.from(pdf).toString('latin1');
  return (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

export const isPdf = (data: Uint8Array): boolean =>
  data.length > 5 && Buffer.from(data.subarray(0, 5)).toString('latin1') === '%PDF-';

/** Where the report route is, as seen from inside the page. */
export type ReportState =
  | { state: 'ready' }
  | { state: 'loading' }
  | { state: 'error'; message: string }
  /** The page shows no report, or another model's. */
  | { state: 'absent' };

/**
 * A script (an expression) that evaluates to the page's ReportState for `model`:
 * ready once the report says data-ready=true and has published window.kmodelExport;
 * an error once it shows one it cannot recover from (data-testid=report-error).
 * A string, so Playwright (page.evaluate) and Electron (executeJavaScript) run the
 * same text whatever the bundlers do to functions.
 */
export function reportStateScript(model: string): string {
  return `(() => {
  const el = document.querySelector('[data-testid=report]');
  if (!el || el.getAttribute('data-model') !== ${JSON.stringify(model)}) return { state: 'absent' };
  if (el.getAttribute('data-ready') === 'true' && window.kmodelExport) return { state: 'ready' };
  const err = el.querySelector('[data-testid=report-error]');
  const message = err && err.textContent ? err.textContent.trim() : '';
  return message ? { state: 'error', message } : { state: 'loading' };
})()`;
}

export interface WaitOptions {
  /** Give up after this long (default 120 s: the comparison runs the pipeline per design). */
  timeoutMs?: number;
  /** Poll interval (default 200 ms). */
  intervalMs?: number;
  /** A page that shows no report after this long is the wrong page (default 10 s). */
  absentMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls `probe` until the report is ready; throws ExportError on a report error or timeout. */
export async function waitForReport(
  probe: () => Promise<ReportState>,
  model: string,
  opts: WaitOptions = {},
): Promise<void> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  const timeout = opts.timeoutMs ?? 120_000;
  const absentMs = opts.absentMs ?? 10_000;
  for (;;) {
    const s = await probe();
    if (s.state === 'ready') return;
    const waited = now() - start;
    if (s.state === 'error')
      throw new ExportError(`the ${model} report did not finish drawing: ${s.message}`, 'failed');
    if (s.state === 'absent' && waited >= absentMs)
      throw new ExportError(`the page shows no report of '${model}'`, 'bad-request');
    if (waited >= timeout)
      throw new ExportError(`the ${model} report did not finish drawing in ${Math.round(timeout / 1000)} s`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/** What Electron's preload hands back to the renderer. */
export type SavePdfResult =
  | { ok: true; path: string; bytes: number; pages: number }
  | { ok: false; canceled: true }
  | { ok: false; canceled?: false; error: string };

/** Electron's side of "save the report as PDF", injected so tests need no Electron. */
export interface SavePdfHost {
  /** Evaluates a script in the report's page (webContents.executeJavaScript). */
  evaluate(script: string): Promise<unknown>;
  /** Save dialog; null when cancelled. */
  askPath(defaultName: string): Promise<string | null>;
  /** webContents.printToPDF(electronPdfOptions()). */
  print(options: ReturnType<typeof electronPdfOptions>): Promise<Uint8Array>;
  write(path: string, data: Uint8Array): void;
  wait?: WaitOptions;
}

/**
 * Prints the window's own report route: the button lives on that route, the report is
 * drawn already, and print media gives the same layout as `kmodel export`. Checks the
 * page really shows `model` before asking where to save.
 */
export async function saveReportPdf(model: unknown, host: SavePdfHost): Promise<SavePdfResult> {
  if (!isModelRef(model)) return { ok: false, error: `bad model name ${JSON.stringify(model)}` };
  try {
    await waitForReport(
      async () => (await host.evaluate(reportStateScript(model))) as ReportState,
      model,
      host.wait,
    );
    const path = await host.askPath(reportPdfFileName(model));
    if (!path) return { ok: false, canceled: true };
    const pdf = await host.print(electronPdfOptions());
    if (!isPdf(pdf)) return { ok: false, error: 'printToPDF returned no PDF' };
    host.write(path, pdf);
    return { ok: true, path, bytes: pdf.length, pages: pdfPageCount(pdf) };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0]! };
  }
}
