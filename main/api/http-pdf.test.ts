// POST /export/<model>.pdf on the HTTP host, with the browser replaced by a stub
// (the real Chromium path runs in e2e/export.e2e.mjs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportPageOptions } from '../host/report-page';
import { ExportError } from '../host/report-pdf';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import { type RunningServer, startServer } from './http';

const root = findPackageRoot(__dirname);
const PDF = readFileSync(join(root, 'test/fixtures/report-pdf/one-page.pdf'));
const dir = mkdtempSync(join(tmpdir(), 'kmodel-http-pdf-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kmodel</title>');

let render: (o: ReportPageOptions) => Promise<Uint8Array> = async () => PDF;
const asked: ReportPageOptions[] = [];
let srv: RunningServer;
let bare: RunningServer;

beforeAll(async () => {
  const backend = inProcessBackend(root);
  srv = await startServer({
    staticDir: dir,
    backend,
    reportPdf: (o) => {
      asked.push(o);
      return render(o);
    },
  });
  bare = await startServer({ staticDir: dir, backend, reportPdf: null });
});
afterAll(async () => {
  await srv.close();
  await bare.close();
});

const post = (path: string, headers: Record<string, string> = {}, s = srv) =>
  fetch(new URL(path, s.url), { method: 'POST', headers });

describe('HTTP host: report PDF', () => {
  it('answers with the PDF the renderer drew from its own report route', async () => {
    asked.length = 0;
    const r = await post('export/qdisc.pdf');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="qdisc-report.pdf"');
    expect(r.headers.get('x-kmodel-pdf-pages')).toBe('1');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(Buffer.from(await r.arrayBuffer()).equals(PDF)).toBe(true);
    expect(asked).toEqual([{ appUrl: srv.url, model: 'qdisc' }]);
  });

  it('refuses GET, bad names, unknown models and foreign origins before drawing', async () => {
    asked.length = 0;
    const get = await fetch(new URL('export/qdisc.pdf', srv.url));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const bad = await post('export/..%2Fmodels%2Fqdisc.pdf');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/bad model name/);
    const unknown = await post('export/no_such_model.pdf');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      ok: false,
      error: { code: 'bad-request', message: "unknown model 'no_such_model'" },
    });
    const foreign = await post('export/qdisc.pdf', { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(asked).toEqual([]);
  });

  it('one export at a time: 409 while busy, free again after', async () => {
    let release!: () => void;
    render = () => new Promise((res) => (release = () => res(PDF)));
    const first = post('export/qdisc.pdf');
    // Wait until the first request reached the renderer.
    while (!release) await new Promise((r) => setTimeout(r, 20));
    const second = await post('export/qdisc.pdf');
    expect(second.status).toBe(409);
    expect((await second.json()).error.message).toMatch(/already running/);
    release();
    expect((await first).status).toBe(200);
    render = async () => PDF;
    expect((await post('export/qdisc.pdf')).status).toBe(200);
  });

  it('a missing browser is 503 with the reason; other failures 500', async () => {
    render = async () => {
      throw new ExportError(
        'no Chromium at /nonexistent (install chromium or set KMODEL_CHROMIUM)',
        'unavailable',
      );
    };
    const r = await post('export/qdisc.pdf');
    expect(r.status).toBe(503);
    expect((await r.json()).error.message).toMatch(/^no Chromium at \/nonexistent/);
    render = async () => {
      throw new Error('target closed\n    at somewhere');
    };
    const r2 = await post('export/qdisc.pdf');
    expect(r2.status).toBe(500);
    expect((await r2.json()).error.message).toBe('PDF export failed: target closed');
    render = async () => PDF;
  });

  it('a model file given to the server is named by its path; a path outside is refused', async () => {
    const given = mkdtempSync(join(tmpdir(), 'kmodel-http-pdf-given-'));
    const file = join(given, 'my_model.yaml');
    writeFileSync(file, readFileSync(join(root, 'models/qdisc.yaml')));
    const s = await startServer({
      staticDir: dir,
      backend: inProcessBackend(root, [given]),
      reportPdf: async (o) => {
        asked.push(o);
        return PDF;
      },
    });
    try {
      asked.length = 0;
      const r = await post(`export/${encodeURIComponent(file)}.pdf`, {}, s);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="my_model-report.pdf"');
      expect(asked).toEqual([{ appUrl: s.url, model: file }]);
      const outside = await post(`export/${encodeURIComponent(join(root, 'package.yaml'))}.pdf`, {}, s);
      expect(outside.status).toBe(400);
      expect((await outside.json()).error.message).toMatch(/outside the folders this server may use/);
      expect(asked.length).toBe(1);
    } finally {
      await s.close();
      rmSync(given, { recursive: true, force: true });
    }
  });

  it('without a renderer the route does not exist', async () => {
    const r = await post('export/qdisc.pdf', {}, bare);
    expect(r.status).toBe(405);
    const g = await fetch(new URL('export/qdisc.pdf', bare.url));
    expect(g.status).toBe(404);
  });
});
