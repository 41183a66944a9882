import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_URL, appFilePath, trustedSender } from './app-scheme';

describe('trustedSender', () => {
  it('trusts the app pages only', () => {
    expect(trustedSender(APP_URL)).toBe(true);
    expect(trustedSender('kmodel://app/index.html#report/qdisc')).toBe(true);
    expect(trustedSender('kmodel://app/')).toBe(true);
    for (const url of [
      undefined,
      '',
      'not a url',
      'kmodel://other/index.html',
      'kmodel://app.evil/index.html',
      'kmodel://app:8080/index.html',
      'https://evil.example/',
      'file:///work/main/out/renderer/index.html',
      'about:blank',
      'data:text/html,<script>1</script>',
    ])
      expect(trustedSender(url), String(url)).toBe(false);
  });

  it('trusts the dev server by its whole origin', () => {
    const dev = 'http://localhost:5173';
    expect(trustedSender('http://localhost:5173/', dev)).toBe(true);
    expect(trustedSender('http://localhost:5173/index.html#jit', `${dev}/`)).toBe(true);
    expect(trustedSender(APP_URL, dev)).toBe(true);
    for (const url of [
      'http://localhost:5173.evil.example/',
      'http://localhost:51730/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
      'http://localhost:5173@evil.example/',
    ])
      expect(trustedSender(url, dev), url).toBe(false);
    // Without a dev server, its pages are foreign.
    expect(trustedSender('http://localhost:5173/')).toBe(false);
    // A dev URL with no origin (opaque) matches nothing.
    expect(trustedSender('about:blank', 'about:blank')).toBe(false);
  });
});

describe('appFilePath', () => {
  const dir = join('/opt/kmodel/out', 'renderer');

  it('maps app URLs to files in the renderer folder', () => {
    expect(appFilePath(dir, 'kmodel://app/')).toBe(join(dir, 'index.html'));
    expect(appFilePath(dir, APP_URL)).toBe(join(dir, 'index.html'));
    expect(appFilePath(dir, 'kmodel://app/assets/index-abc.js?x=1#y')).toBe(join(dir, 'assets/index-abc.js'));
    expect(appFilePath(dir, 'kmodel://app/assets/a%20b.css')).toBe(join(dir, 'assets/a b.css'));
  });

  it('keeps dot segments inside the folder (the URL parser stops them at its root)', () => {
    expect(appFilePath(dir, 'kmodel://app/../../etc/passwd')).toBe(join(dir, 'etc/passwd'));
    expect(appFilePath(dir, 'kmodel://app/%2e%2e/%2e%2e/etc/passwd')).toBe(join(dir, 'etc/passwd'));
  });

  it('refuses other hosts, escaped ways out of the folder and bad escapes', () => {
    for (const url of [
      'kmodel://evil/index.html',
      'kmodel://app/assets/%2E%2E%2F..%2F..%2Fmain%2Findex.js',
      'kmodel://app/..%2frenderer-other/x.js',
      'kmodel://app/%E0%A4%A',
      'kmodel://app/index.html%00.js',
      'not a url',
    ])
      expect(appFilePath(dir, url), url).toBeNull();
  });
});
