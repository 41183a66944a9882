import { describe, expect, it } from 'vitest';
import { apiRequestRefusal, isLoopbackAddress } from './origin';

describe('apiRequestRefusal', () => {
  it('answers the app itself and non-browser clients', () => {
    expect(apiRequestRefusal({ host: '127.0.0.1:5177', origin: 'http://127.0.0.1:5177' }, true)).toBeNull();
    expect(apiRequestRefusal({ host: 'localhost:5177', origin: 'http://localhost:5177' }, true)).toBeNull();
    expect(apiRequestRefusal({ host: '[::1]:5177' }, true)).toBeNull();
  });

  it('refuses another site and DNS rebinding', () => {
    expect(apiRequestRefusal({ host: '127.0.0.1:5177', origin: 'https://evil.example' }, true)).toMatch(
      /cross-origin/,
    );
    expect(
      apiRequestRefusal({ host: 'evil.example:5177', origin: 'http://evil.example:5177' }, true),
    ).toMatch(/not this machine/);
    expect(apiRequestRefusal({ host: '127.0.0.1:5177', origin: 'null' }, true)).toMatch(/bad Origin|cross/);
  });

  it('allows any Host when serving on a public address, still same-origin only', () => {
    expect(apiRequestRefusal({ host: 'box.lan:5177', origin: 'http://box.lan:5177' }, false)).toBeNull();
    expect(apiRequestRefusal({ host: 'box.lan:5177', origin: 'http://other.lan' }, false)).toMatch(/cross/);
  });

  it('knows loopback listen addresses', () => {
    expect(isLoopbackAddress('127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('0.0.0.0')).toBe(false);
  });
});

describe('kmodel serve API', () => {
  it('refuses a cross-origin call before it reaches a handler', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startServer } = await import('../api/http');
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-origin-'));
    writeFileSync(join(dir, 'index.html'), '<title>kmodel</title>');
    const calls: string[] = [];
    const srv = await startServer({
      staticDir: dir,
      backend: {
        call: async (m) => {
          calls.push(m);
          return { ok: true, result: {} };
        },
        close: async () => {},
      },
    });
    try {
      const post = (origin?: string) =>
        fetch(new URL('api/version', srv.url), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(origin ? { Origin: origin } : {}) },
          body: '{}',
        });
      expect((await post('https://evil.example')).status).toBe(403);
      expect(calls).toEqual([]);
      expect((await post(new URL(srv.url).origin)).status).toBe(200);
      expect(calls).toEqual(['version']);
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
