import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseBtf } from './btf';
import { chunksToString } from './dump-out';
import { dumpBtfRaw, dumpBtfRawBytes, dumpBtfTypeRaw } from './dump-raw';

const root = resolve(__dirname, '../..');
const vmlinux = () =>
  parseBtf(new Uint8Array(gunzipSync(readFileSync(resolve(root, 'assets/vmlinux.btf.gz')))));

describe('raw dump', () => {
  it('is bpftool line for line and the same whatever the chunk size; chunks end at type boundaries', () => {
    const btf = vmlinux();
    const ref = gunzipSync(
      readFileSync(resolve(root, 'test/fixtures/btf/vmlinux.bpftool.txt.gz')),
    ).toString();
    expect(dumpBtfRaw(btf)).toBe(ref);
    const small = [...dumpBtfRawBytes(btf, 4096)];
    expect(small.length).toBeGreaterThan(2000);
    for (const c of small) expect(c[c.length - 1]).toBe(10);
    expect(chunksToString(small)).toBe(ref);
  });

  it('agrees with the per-type dump (decoded objects) on every type of the split module', () => {
    const base = vmlinux();
    const mod = parseBtf(new Uint8Array(readFileSync(resolve(root, 'test/fixtures/btf/module.btf'))), {
      base,
    });
    const lines: string[] = [];
    for (let id = mod.startId; id < mod.typeCount; id++) lines.push(`${dumpBtfTypeRaw(mod, id)}\n`);
    expect(dumpBtfRaw(mod)).toBe(lines.join(''));
    expect(dumpBtfRaw(mod)).toBe(readFileSync(resolve(root, 'test/fixtures/btf/module.bpftool.txt'), 'utf8'));
  });
});
