import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileBytes } from './btf-files';

describe('readFileBytes', () => {
  it('returns exactly the file, around the initial buffer size and for files whose size lies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-read-'));
    for (const n of [0, 1, 65535, 65536, 65537, 200000]) {
      const p = join(dir, `f${n}`);
      const data = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      writeFileSync(p, data);
      expect(Buffer.from(readFileBytes(p)).equals(Buffer.from(data))).toBe(true);
    }
    // procfs reports size 0 for files with content.
    expect(new TextDecoder().decode(readFileBytes('/proc/self/limits'))).toBe(
      readFileSync('/proc/self/limits', 'utf8'),
    );
  });
});
