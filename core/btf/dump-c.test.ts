import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseBtf } from './btf';
import { dumpBtfC, dumpBtfCBytes, dumpBtfCTo } from './dump-c';
import { chunksToString } from './dump-out';
import { BtfError } from './error';
import { BtfBuilder } from './writer';

const root = resolve(__dirname, '../..');

/** Raw little-endian BTF from u32 type words and a string section. */
function rawBtf(types: number[], strs: string): Uint8Array {
  const s = new TextEncoder().encode(strs);
  const out = new Uint8Array(24 + types.length * 4 + s.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, types.length * 4, true);
  v.setUint32(16, types.length * 4, true);
  v.setUint32(20, s.length, true);
  for (const [i, w] of types.entries()) v.setUint32(24 + i * 4, w >>> 0, true);
  out.set(s, 24 + types.length * 4);
  return out;
}

const STRUCT = 4 << 24;
const ENUM = 6 << 24;

describe('C dump', () => {
  it('is bpftool format c for vmlinux, in chunks that end between top-level types', () => {
    const btf = parseBtf(new Uint8Array(gunzipSync(readFileSync(resolve(root, 'assets/vmlinux.btf.gz')))));
    const ref = gunzipSync(readFileSync(resolve(root, 'test/fixtures/btf/vmlinux.bpftool.c.gz'))).toString();
    const chunks = dumpBtfCBytes(btf, {}, 1 << 14);
    expect(chunks.length).toBeGreaterThan(100);
    for (const c of chunks.slice(0, -1)) expect(new TextDecoder().decode(c.subarray(-3))).toBe(';\n\n');
    expect(chunksToString(chunks)).toBe(ref);
    // Streamed through one reused buffer: each chunk must be taken before the next is written.
    const streamed: Uint8Array[] = [];
    dumpBtfCTo(btf, (c) => streamed.push(c.slice()), {}, 1 << 14);
    expect(streamed.length).toBe(chunks.length);
    expect(chunksToString(streamed)).toBe(ref);
  });

  it('counts duplicate names by their text, also when the string section repeats them', () => {
    // Two structs and two enumerators named alike, each name stored twice: libbpf's
    // name maps key on the text, so the second of each gets ___2.
    const strs = '\0dup\0dup\0E\0E\0';
    const btf = parseBtf(rawBtf([1, STRUCT, 0, 5, STRUCT, 0, 0, ENUM | 2, 4, 9, 0, 11, 1], strs));
    expect(dumpBtfC(btf, { header: false })).toBe(
      'struct dup {};\n\nstruct dup___2 {};\n\nenum {\n\tE = 0,\n\tE___2 = 1,\n};\n\n',
    );
  });

  describe('hostile BTF ends in a BtfError, not a stack overflow or a hang', () => {
    const build = (f: (b: BtfBuilder, int: number) => number) => {
      const b = new BtfBuilder();
      f(b, b.addInt('int', 4, 1));
      return parseBtf(b.build());
    };
    const chain = (n: number, link: (b: BtfBuilder, t: number) => number) =>
      build((b, int) => {
        let t = int;
        for (let i = 0; i < n; i++) t = link(b, t);
        return b.addTypedef('deep', t);
      });

    it('dumps chains of ordinary depth', () => {
      expect(
        dumpBtfC(
          chain(30, (b, t) => b.addPtr(t)),
          { header: false },
        ),
      ).toContain(`typedef int ${'*'.repeat(30)}deep;`);
    });

    it.each([
      ['pointer', (b: BtfBuilder, t: number) => b.addPtr(t)],
      ['const', (b: BtfBuilder, t: number) => b.addConst(t)],
      ['array', (b: BtfBuilder, t: number) => b.addArray(t, 1, 1)],
    ])('refuses a %s chain 100k deep', (_, link) => {
      expect(() => dumpBtfC(chain(100_000, link))).toThrow(/type chain deeper than 1024/);
    });

    it('refuses FUNC_PROTOs that double the walk per level', () => {
      const protos = chain(40, (b, t) => b.addPtr(b.addFuncProto(t, [{ name: '', type: t }])));
      expect(() => dumpBtfC(protos)).toThrow(/type graph too costly to dump/);
    });

    it('refuses a cycle of structs with no pointer to break it', () => {
      const b = new BtfBuilder();
      const a = b.addStruct('A', 4, [{ name: 'b', type: 2, bitOffset: 0 }]);
      b.addStruct('B', 4, [{ name: 'a', type: a, bitOffset: 0 }]);
      expect(() => dumpBtfC(parseBtf(b.build()))).toThrow(BtfError);
      expect(() => dumpBtfC(parseBtf(b.build()))).toThrow(/unsatisfiable type cycle/);
    });
  });
});
