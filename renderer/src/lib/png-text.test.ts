import { crc32 as nodeCrc32 } from 'node:zlib';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesDataUrl, crc32, dataUrlBytes, readPngText, textChunk, withPngText } from './png-text';

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, nodeCrc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A 2×1 RGBA PNG built with node's CRC (an independent oracle for ours). */
function tinyPng(): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, 2);
  dv.setUint32(4, 1);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = new Uint8Array([0, 255, 0, 0, 255, 0, 0, 255, 255]);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibSync(raw)),
    chunk('IEND', new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Chunk types in order, each with its CRC checked by node's zlib. */
function chunkTypes(png: Uint8Array): { type: string; crcOk: boolean }[] {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; crcOk: boolean }[] = [];
  for (let o = 8; o < png.length; ) {
    const len = dv.getUint32(o);
    out.push({
      type: String.fromCharCode(...png.subarray(o + 4, o + 8)),
      crcOk: nodeCrc32(png.subarray(o + 4, o + 8 + len)) === dv.getUint32(o + 8 + len),
    });
    o += 12 + len;
  }
  return out;
}

describe('crc32', () => {
  it('gives the CRC-32 check value and agrees with zlib', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('IEND'))).toBe(0xae426082);
    const bytes = new Uint8Array(1000).map((_, i) => (i * 37 + 11) & 0xff);
    expect(crc32(bytes)).toBe(nodeCrc32(bytes));
    expect(crc32(bytes.subarray(500), crc32(bytes.subarray(0, 500)))).toBe(nodeCrc32(bytes));
  });
});

describe('PNG tEXt chunks', () => {
  const entries: [string, string][] = [
    ['Software', 'kmodel 0.1.0'],
    ['Creation Time', '2026-12-08T01:49:04Z'],
    ['Comment', 'kmodel 0.1.0\nmodel sha256: ab12'],
  ];

  it('go right after IHDR with valid CRCs, and read back', () => {
    const png = tinyPng();
    const out = withPngText(png, entries);
    expect(chunkTypes(out)).toEqual(
      ['IHDR', 'tEXt', 'tEXt', 'tEXt', 'IDAT', 'IEND'].map((type) => ({ type, crcOk: true })),
    );
    expect(readPngText(out)).toEqual(entries.map(([keyword, text]) => ({ keyword, text, crcOk: true })));
    expect(readPngText(png)).toEqual([]);
    // The image itself is untouched: signature and IHDR before, IDAT and IEND after, byte for byte.
    expect(out.subarray(0, 33)).toEqual(png.subarray(0, 33));
    expect(out.subarray(out.length - (png.length - 33))).toEqual(png.subarray(33));
  });

  it('notices a damaged chunk', () => {
    const out = withPngText(tinyPng(), [['Software', 'kmodel']]);
    out[33 + 8 + 3] ^= 1;
    expect(readPngText(out)[0]!.crcOk).toBe(false);
  });

  it('keeps text Latin-1 and refuses bad keywords', () => {
    const title = 'qdisc — graph é · a → b ✓';
    expect(readPngText(withPngText(tinyPng(), [['Title', title]]))[0]!.text).toBe(
      'qdisc - graph é · a -> b ?',
    );
    expect(textChunk('Title', 'é·').length).toBe(12 + 'Title'.length + 1 + 2);
    for (const k of ['', ' lead', 'two  spaces', 'x'.repeat(80), 'nul\0'])
      expect(() => textChunk(k, 't')).toThrow();
    expect(() => withPngText(ascii('GIF89a'), entries)).toThrow(/not a PNG/);
  });

  it('round-trips through a data: URL', () => {
    const out = withPngText(tinyPng(), entries);
    const url = bytesDataUrl(out);
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(dataUrlBytes(url)).toEqual(out);
  });
});
