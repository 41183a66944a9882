import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import { type RunningServer, startServer } from './http';

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
