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

  it('grows its buffer for names longer than the room it keeps', () => {
    // One INT and a struct whose member has the same 200 KB name (raw BTF built by hand).
    const long = 'n'.repeat(200_000);
    const strs = new TextEncoder().encode(`\0${long}\0`);
    const types = [1, 1 << 24, 4, 32, 0, (4 << 24) | 1, 4, 1, 1, 0];
    const bytes = new Uint8Array(24 + types.length * 4 + strs.length);
    const v = new DataView(bytes.buffer);
    v.setUint16(0, 0xeb9f, true);
    bytes[2] = 1;
    v.setUint32(4, 24, true);
    v.setUint32(12, types.length * 4, true);
    v.setUint32(16, types.length * 4, true);
    v.setUint32(20, strs.length, true);
    for (const [i, w] of types.entries()) v.setUint32(24 + i * 4, w, true);
    bytes.set(strs, 24 + types.length * 4);
    const want = `[1] INT '${long}' size=4 bits_offset=0 nr_bits=32 encoding=(none)\n[2] STRUCT '(anon)' size=4 vlen=1\n\t'${long}' type_id=1 bits_offset=0\n`;
    expect(chunksToString(dumpBtfRawBytes(parseBtf(bytes), 64, true))).toBe(want);
  });
});
