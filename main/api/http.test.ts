import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import { type RunningServer, SERVE_LIMITS, startServer } from './http';

let srv: RunningServer;
const dir = mkdtempSync(join(tmpdir(), 'kmodel-http-'));

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kmodel</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  srv = await startServer({ staticDir: dir, backend: inProcessBackend(findPackageRoot(__dirname)), port: 0 });
});
afterAll(() => srv.close());

describe('HTTP host', () => {
  it('serves the app with the CSP header', async () => {
    const r = await fetch(srv.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('content-security-policy')).not.toContain('unsafe-eval');
    expect(await r.text()).toContain('<title>kmodel</title>');
    const js = await fetch(new URL('app.js', srv.url));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers POST /api/<method> with the envelope', async () => {
    const r = await fetch(new URL('api/disasm', srv.url), {
      method: 'POST',
      body: JSON.stringify({ hex: '9500000000000000' }),
    });
    expect(r.status).toBe(200);
    const env = await r.json();
    expect(env.result.lines[0].text).toBe('(95) exit');
    const bad = await fetch(new URL('api/disasm', srv.url), { method: 'POST', body: '{"hex": 3}' });
    expect(bad.status).toBe(400);
    const get = await fetch(new URL('api/disasm', srv.url));
    expect(get.status).toBe(405);
  });

  it('does not serve files outside its folder', async () => {
    const r = await fetch(new URL('/..%2f..%2fetc%2fpasswd', srv.url));
    expect([403, 404]).toContain(r.status);
    const missing = await fetch(new URL('/nope.js', srv.url));
    expect(missing.status).toBe(404);
  });
});

describe('HTTP host hardening', () => {
  let hardened: RunningServer;
  beforeAll(async () => {
    hardened = await startServer({
      staticDir: dir,
      backend: inProcessBackend(findPackageRoot(__dirname)),
      port: 0,
      timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
  });
  afterAll(() => hardened.close());

  const port = () => Number(new URL(hardened.url).port);
  /** A raw request, so Host and Content-Length can be anything. */
  const raw = (opts: {
    path: string;
    method?: string;
    headers?: Record<string, string | number>;
    body?: Buffer;
  }) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((done, fail) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: port(),
          path: opts.path,
          method: opts.method ?? 'GET',
          headers: opts.headers,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', fail);
      if (opts.body) req.write(opts.body);
      req.end();
    });

  it('forbids framing, on the app and the API', async () => {
    for (const path of ['/', '/api/version']) {
      const r = await fetch(new URL(path, hardened.url), { method: path === '/' ? 'GET' : 'POST' });
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('serves the app only under a loopback Host name', async () => {
    expect((await raw({ path: '/', headers: { Host: `localhost:${port()}` } })).status).toBe(200);
    const r = await raw({ path: '/', headers: { Host: 'evil.example' } });
    expect(r.status).toBe(403);
    expect(r.body).toContain("Host 'evil.example' is not this machine");
  });

  it('answers a body over the limit with 413, by its Content-Length or as it streams', async () => {
    const declared = await raw({
      path: '/api/version',
      method: 'POST',
      headers: { 'Content-Length': 100 << 20 },
      body: Buffer.alloc(1024),
    });
    expect(declared.status).toBe(413);
    const streamed = await raw({
      path: '/api/disasm',
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: Buffer.alloc(SERVE_LIMITS.bodyBytes + 4096, 0x20),
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).error.message).toBe(`request body over ${SERVE_LIMITS.bodyBytes} bytes`);
  });

  it('refuses deeply nested JSON with 400 instead of overflowing the stack', async () => {
    const body = `{"hex": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await fetch(new URL('api/disasm', hardened.url), { method: 'POST', body });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/JSON nested deeper than/);
  });

  it('drops a client that never finishes its headers', async () => {
    const sock = connect(port(), '127.0.0.1');
    sock.write('POST /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let reply = '';
    sock.on('data', (d) => (reply += d));
    const t0 = Date.now();
    await new Promise<void>((done) => sock.on('close', () => done()));
    expect(reply).toMatch(/^HTTP\/1.1 408 /);
    // Well before Node's defaults (60 s for headers, checked every 30 s).
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('progress of long calls', () => {
  // r0 = 0; l: r0 += 1; if r0 < 100000 goto l; r0 = 0; exit — a bounded loop the verifier walks
  // iteration by iteration (200,003 processed insns).
  const LOOP = 'b700000000000000 0700000001000000 a500feffa0860100 b700000000000000 9500000000000000';

  it("streams the verifier's progress as ndjson lines when asked, then the envelope", async () => {
    const r = await fetch(new URL('api/verify', srv.url), {
      method: 'POST',
      headers: { Accept: 'application/x-ndjson, application/json' },
      body: JSON.stringify({ hex: LOOP, progType: 'socket_filter' }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const progress = lines.slice(0, -1).map((l) => l.progress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const [i, p] of progress.entries()) {
      expect(p.limit).toBe(1_000_000);
      expect(p.processed % 8192).toBe(0);
      expect([1, 2]).toContain(p.insn);
      if (i) expect(p.processed).toBeGreaterThan(progress[i - 1].processed);
    }
    const env = lines.at(-1);
    expect(env.ok).toBe(true);
    expect([env.result.model.verdict, env.result.model.processedInsns]).toEqual(['accept', 200003]);
  }, 60_000);

  it('answers plain JSON to a caller that does not ask for the stream', async () => {
    const r = await fetch(new URL('api/verify', srv.url), {
      method: 'POST',
      body: JSON.stringify({ hex: LOOP, progType: 'socket_filter' }),
    });
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await r.json()).result.model.processedInsns).toBe(200003);
  }, 60_000);
});
