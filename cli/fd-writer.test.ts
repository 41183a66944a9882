import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdWriter } from './fd-writer';

describe('fdWriter', () => {
  it('writes every byte of every chunk, in order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kmodel-fd-writer-')), 'chunks');
    const fd = openSync(file, 'w');
    const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array(1000 + i * 997).fill(65 + (i % 26)));
    const w = fdWriter(fd);
    for (const c of chunks) w.write(c);
    await w.done();
    closeSync(fd);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
  });
});
