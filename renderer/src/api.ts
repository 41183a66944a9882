// The renderer's one way to the core: Electron's preload (window.kmodel, IPC)
// when present, else `kmodel serve`'s HTTP API on the page's own origin.

import type {
  ApiEnvelope,
  ApiMethod,
  ApiParams,
  ApiResult,
  CallProgress,
  KmodelApi,
} from '../../main/api/types';
import { downloadBlob } from './lib/download';

declare global {
  interface Window {
    kmodel?: KmodelApi;
  }
}

declare global {
  interface Window {
    /**
     * Electron's preload: stops this window's long calls (verify, jit, …) in main's worker;
     * `onProgress` hears how far they are (one listener, null to stop listening).
     */
    kmodelCalls?: { cancel(): void; onProgress?(listener: ((p: CallProgress) => void) | null): void };
  }
}

/** The envelope of a streamed answer (`application/x-ndjson`): progress lines, then the envelope line. */
async function streamedEnvelope<T>(
  res: Response,
  onProgress: (p: CallProgress) => void,
): Promise<ApiEnvelope<T>> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += value;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as { progress?: CallProgress } & Partial<ApiEnvelope<T>>;
      buf = buf.slice(nl + 1);
      if (line.progress) onProgress(line.progress);
      else if ('ok' in line) return line as ApiEnvelope<T>;
      nl = buf.indexOf('\n');
    }
    if (done) throw new Error('the answer ended early');
  }
}

async function overHttp<M extends ApiMethod>(
  method: M,
  params: ApiParams<M>,
  signal?: AbortSignal,
  onProgress?: (p: CallProgress) => void,
): Promise<ApiResult<M>> {
  const res = await fetch(`./api/${method}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(onProgress ? { Accept: 'application/x-ndjson, application/json' } : {}),
    },
    body: JSON.stringify(params ?? {}),
    ...(signal ? { signal } : {}),
  });
  let env: ApiEnvelope<ApiResult<M>>;
  try {
    env =
      onProgress && res.headers.get('content-type')?.startsWith('application/x-ndjson')
        ? await streamedEnvelope<ApiResult<M>>(res, onProgress)
        : ((await res.json()) as ApiEnvelope<ApiResult<M>>);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new Error(`${method}: HTTP ${res.status}`);
  }
  if (!env.ok) throw new Error(env.error.message);
  return env.result;
}

export function call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
  const bridge = window.kmodel;
  if (bridge) return (bridge[method] as (p: ApiParams<M>) => Promise<ApiResult<M>>)(params);
  return overHttp(method, params);
}

/**
 * A call its caller may give up on: aborting `signal` stops the work on the host
 * (`kmodel serve` sees the request go away; Electron's main is told) and rejects.
 * `onProgress` hears how far it is while it runs (the verifier's processed insns).
 */
export function callCancellable<M extends ApiMethod>(
  method: M,
  params: ApiParams<M>,
  signal: AbortSignal,
  onProgress?: (p: CallProgress) => void,
): Promise<ApiResult<M>> {
  if (!window.kmodel) return overHttp(method, params, signal, onProgress);
  const onAbort = () => window.kmodelCalls?.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  if (onProgress) window.kmodelCalls?.onProgress?.(onProgress);
  return call(method, params).finally(() => {
    signal.removeEventListener('abort', onAbort);
    if (onProgress) window.kmodelCalls?.onProgress?.(null);
  });
}

/** Typed facade: api.disasm({ hex }) etc., over whichever transport exists. */
export const api = new Proxy({} as KmodelApi, {
  get: (_t, method: string) => (params: unknown) => call(method as ApiMethod, params as never),
});

export const transport = (): 'ipc' | 'http' => (window.kmodel ? 'ipc' : 'http');

/** Electron's preload bridge for the report PDF (main/host/report-pdf.ts SavePdfResult). */
interface ReportBridge {
  savePdf(
    model: string,
  ): Promise<
    | { ok: true; path: string; bytes: number; pages: number }
    | { ok: false; canceled: true }
    | { ok: false; canceled?: false; error: string }
  >;
}

declare global {
  interface Window {
    kmodelReport?: ReportBridge;
  }
}

/** How a report PDF export ended. */
export type ReportPdfOutcome =
  | { kind: 'saved'; path: string; bytes: number; pages: number }
  | { kind: 'downloaded'; name: string; bytes: number; pages: number | null }
  | { kind: 'canceled' }
  /** No host can make the PDF here: the caller falls back to the print dialog. */
  | { kind: 'print'; reason: string };

/**
 * The model's review report as a PDF file: Electron prints its own window
 * (printToPDF, native save dialog); `kmodel serve` draws it in headless Chromium
 * and the browser downloads it. Throws with the host's one-line message on failure.
 */
export async function reportPdf(model: string): Promise<ReportPdfOutcome> {
  if (window.kmodelReport) {
    const r = await window.kmodelReport.savePdf(model);
    if (r.ok) return { kind: 'saved', path: r.path, bytes: r.bytes, pages: r.pages };
    if (r.canceled) return { kind: 'canceled' };
    throw new Error(r.error);
  }
  if (window.kmodel) return { kind: 'print', reason: 'this app has no PDF export' };
  const res = await fetch(`./export/${encodeURIComponent(model)}.pdf`, { method: 'POST' });
  const type = res.headers.get('content-type') ?? '';
  if (res.ok && type.startsWith('application/pdf')) {
    const blob = await res.blob();
    const name =
      /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${model}-report.pdf`;
    downloadBlob(name, blob);
    const pages = Number(res.headers.get('x-kmodel-pdf-pages'));
    return {
      kind: 'downloaded',
      name,
      bytes: blob.size,
      pages: Number.isFinite(pages) && pages > 0 ? pages : null,
    };
  }
  if (!type.includes('json'))
    return { kind: 'print', reason: `this server has no PDF export (HTTP ${res.status})` };
  const env = (await res.json()) as ApiEnvelope;
  const message = env.ok ? `HTTP ${res.status}` : env.error.message;
  // 503: the server has no browser to draw with; the print dialog still works.
  if (res.status === 503) return { kind: 'print', reason: message };
  throw new Error(message);
}
