// The browser host of the app (`kmodel serve`): the built renderer as static
// files plus the API as `POST /api/<method>` with a JSON body, answered by the
// same handlers as Electron's IPC. Electron-free, so the CLI can bundle it.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { contentSecurityPolicy } from '../host/csp';
import { apiRequestRefusal, isLoopbackAddress } from '../host/origin';
import { type ReportPageOptions, renderReportPdf } from '../host/report-page';
import {
  checkReportModel,
  ExportError,
  type ExportErrorCode,
  isModelRef,
  pdfPageCount,
  reportPdfFileName,
} from '../host/report-pdf';
import type { ApiBackend } from './backend';
import { parseJsonBody } from './json-body';
import type { ApiEnvelope, ApiErrorInfo, CallProgress } from './types';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** What one client may cost `kmodel serve` (long API calls: LONG_CALL_LIMITS in backend.ts). */
export const SERVE_LIMITS = {
  /** Request body; larger ones get 413. */
  bodyBytes: 4 << 20,
  /** Until a request's headers are in (slowloris). */
  headersTimeoutMs: 10_000,
  /** Until the whole request is in (a body sent a byte at a time). */
  requestTimeoutMs: 20_000,
};

export interface ServeOptions {
  /** Folder of the built renderer (index.html at its top). */
  staticDir: string;
  backend: ApiBackend;
  host?: string;
  port?: number;
  /**
   * Draws a model's report as PDF for POST /export/<model>.pdf (default: headless
   * Chromium on this server's own #report route; tests pass a stub; null: no route).
   */
  reportPdf?: ((opts: ReportPageOptions) => Promise<Uint8Array>) | null;
  /** Overrides the SERVE_LIMITS timeouts (tests use short ones). */
  timeouts?: Partial<Pick<typeof SERVE_LIMITS, 'headersTimeoutMs' | 'requestTimeoutMs'>>;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function securityHeaders(res: ServerResponse): void {
  // frame-ancestors only works as a header (a meta CSP ignores it): no other page may frame the editor.
  res.setHeader('Content-Security-Policy', `${contentSecurityPolicy()}; frame-ancestors 'none'`);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: ApiEnvelope): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const tooLarge = () => new BodyTooLarge(`request body over ${SERVE_LIMITS.bodyBytes} bytes`);
    if (Number(req.headers['content-length'] ?? 0) > SERVE_LIMITS.bodyBytes) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= SERVE_LIMITS.bodyBytes) return chunks.push(c);
      // Keep reading (and dropping) so the client sees the 413, not a reset.
      req.off('data', onData);
      req.resume();
      chunks.length = 0;
      reject(tooLarge());
    };
    req.on('data', onData);
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const STATUS_OF_ERROR: Record<ApiErrorInfo['code'], number> = {
  'bad-request': 400,
  'not-found': 404,
  'unknown-method': 404,
  internal: 500,
  timeout: 503,
  cancelled: 499,
};

async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, backend: ApiBackend) {
  const refusal = apiRequestRefusal(req.headers, isLoopbackAddress(req.socket.localAddress ?? ''));
  if (refusal) {
    sendJson(res, 403, { ok: false, error: { code: 'bad-request', message: refusal } });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: 'API calls are POST' } });
    return;
  }
  let params: unknown;
  try {
    params = parseJsonBody(await readBody(req));
  } catch (e) {
    if (e instanceof BodyTooLarge) res.setHeader('Connection', 'close');
    const status = e instanceof BodyTooLarge ? 413 : 400;
    sendJson(res, status, { ok: false, error: { code: 'bad-request', message: (e as Error).message } });
    return;
  }
  // A client that goes away (the UI's Cancel, a closed tab) cancels its call.
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  // `Accept: application/x-ndjson`: once the call reports progress, the answer becomes a stream of
  // lines, {"progress": …} while it runs, then the envelope (its status is then in the envelope only).
  const streaming = /\bapplication\/x-ndjson\b/.test(String(req.headers.accept ?? ''));
  const onProgress = streaming
    ? (p: CallProgress) => {
        if (res.writableEnded || res.destroyed) return;
        if (!res.headersSent)
          res.writeHead(200, {
            'Content-Type': 'application/x-ndjson; charset=utf-8',
            'Cache-Control': 'no-store',
          });
        res.write(`${JSON.stringify({ progress: p })}\n`);
      }
    : undefined;
  const env = await backend.call(method, params, {
    signal: abort.signal,
    ...(onProgress ? { onProgress } : {}),
  });
  if (res.headersSent) {
    if (!res.writableEnded) res.end(`${JSON.stringify(env)}\n`);
    return;
  }
  sendJson(res, env.ok ? 200 : STATUS_OF_ERROR[env.error.code], env);
}

const PDF_STATUS: Record<ExportErrorCode, number> = {
  'bad-request': 400,
  'not-found': 404,
  busy: 409,
  unavailable: 503,
  failed: 500,
};

/** The loopback URL this server's own Chromium reaches it at (a wildcard address is no place to connect to). */
function selfUrl(addr: AddressInfo): string {
  const wildcard = addr.address === '0.0.0.0' || addr.address === '::';
  const ip = wildcard ? (addr.family === 'IPv6' ? '::1' : '127.0.0.1') : addr.address;
  return `http://${addr.family === 'IPv6' ? `[${ip}]` : ip}:${addr.port}/`;
}

/**
 * POST /export/<model>.pdf: the model's review report drawn by this app in headless
 * Chromium, as application/pdf. One at a time per server (409 while busy): it takes
 * seconds and a browser's worth of memory. Errors are ApiEnvelope JSON.
 */
async function handlePdf(
  req: IncomingMessage,
  res: ServerResponse,
  model: string,
  ctx: {
    backend: ApiBackend;
    render: (o: ReportPageOptions) => Promise<Uint8Array>;
    appUrl: () => string;
    busy: { on: boolean };
  },
): Promise<void> {
  const fail = (code: ExportErrorCode, message: string) =>
    sendJson(res, PDF_STATUS[code], {
      ok: false,
      error: { code: code === 'failed' || code === 'unavailable' ? 'internal' : 'bad-request', message },
    });
  const refusal = apiRequestRefusal(req.headers, isLoopbackAddress(req.socket.localAddress ?? ''));
  if (refusal) return sendJson(res, 403, { ok: false, error: { code: 'bad-request', message: refusal } });
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: 'PDF export is POST' } });
  }
  if (!isModelRef(model)) return fail('bad-request', `bad model name '${model}'`);
  if (ctx.busy.on) return fail('busy', 'a PDF export is already running; try again when it is done');
  ctx.busy.on = true;
  try {
    await checkReportModel((p) => ctx.backend.call('openModel', p), model);
    const pdf = await ctx.render({ appUrl: ctx.appUrl(), model });
    res.writeHead(200, {
      'Content-Type': 'application/pdf',
      'Content-Length': pdf.length,
      'Content-Disposition': `attachment; filename="${reportPdfFileName(model)}"`,
      'Cache-Control': 'no-store',
      'X-Kmodel-Pdf-Pages': String(pdfPageCount(pdf)),
    });
    res.end(pdf);
  } catch (e) {
    if (e instanceof ExportError) fail(e.code, e.message);
    else fail('failed', `PDF export failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    ctx.busy.on = false;
  }
}

function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, path: string): void {
  // The Host check of the API applies to the app's files too (DNS rebinding reads them otherwise).
  const refusal = apiRequestRefusal(
    { host: req.headers.host },
    isLoopbackAddress(req.socket.localAddress ?? ''),
  );
  if (refusal) {
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`${refusal}\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const file = resolve(root, normalize(`.${sep}${rel}`));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  let target = file;
  if (!existsSync(target) || statSync(target).isDirectory()) {
    // Unknown paths without an extension get the app (client-side views).
    target = extname(rel) ? '' : join(root, 'index.html');
  }
  if (!target || !existsSync(target)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  const body = readFileSync(target);
  res.writeHead(200, {
    'Content-Type': MIME[extname(target)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': target.endsWith('index.html') ? 'no-cache' : 'max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  const root = resolve(opts.staticDir);
  const render = opts.reportPdf === undefined ? renderReportPdf : opts.reportPdf;
  const pdfCtx = render && {
    backend: opts.backend,
    render,
    appUrl: () => selfUrl(server.address() as AddressInfo),
    busy: { on: false },
  };
  const server = createServer(
    {
      headersTimeout: opts.timeouts?.headersTimeoutMs ?? SERVE_LIMITS.headersTimeoutMs,
      requestTimeout: opts.timeouts?.requestTimeoutMs ?? SERVE_LIMITS.requestTimeoutMs,
      // How often those timeouts are checked (Node's default, 30 s, lets a slow client stay that long).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      securityHeaders(res);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const pdf = pdfCtx && /^\/export\/([^/]+)\.pdf$/.exec(url.pathname);
      if (pdf) {
        let model: string;
        try {
          model = decodeURIComponent(pdf[1]!);
        } catch {
          model = pdf[1]!;
        }
        handlePdf(req, res, model, pdfCtx).catch((e) =>
          sendJson(res, 500, { ok: false, error: { code: 'internal', message: String(e) } }),
        );
        return;
      }
      const m = /^\/api\/([A-Za-z]\w*)$/.exec(url.pathname);
      if (m) {
        handleApi(req, res, m[1]!, opts.backend).catch((e) =>
          sendJson(res, 500, { ok: false, error: { code: 'internal', message: String(e) } }),
        );
        return;
      }
      serveStatic(req, res, root, url.pathname);
    },
  );
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolveStart({
        server,
        url: `http://${host}:${addr.port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
