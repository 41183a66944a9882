import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './csp';

describe('content security policy', () => {
  it('is the one in renderer/index.html', () => {
    const html = readFileSync(join(__dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(contentSecurityPolicy());
  });

  it('allows no eval, no inline code and no remote origins outside dev', () => {
    const p = contentSecurityPolicy();
    expect(p).toContain("default-src 'self'");
    expect(p).not.toMatch(/unsafe-(eval|inline)|https?:|\*/);
    expect(contentSecurityPolicy({ dev: true })).toContain("'unsafe-inline'");
  });
});
