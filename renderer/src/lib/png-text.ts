// PNG tEXt chunks (keyword, Latin-1 text): written into a canvas's PNG so image tools
// (exiftool, identify -verbose, pngcheck -t) show what drew it, and read back by tests.
// Pure bytes, no DOM: the app's PNG export and, through the report page, `kmodel export`
// both go through here (main may not import the renderer, the renderer not core).

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let table: Uint32Array | undefined;

/** CRC-32 (ISO 3309, reflected polynomial 0xedb88320) as PNG chunks carry it. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Typographic characters kmodel writes, spelled in Latin-1. */
const SPELLED: Record<string, string> = {
  '–': '-',
  '—': '-',
  '…': '...',
  '→': '->',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
};

/** Latin-1 bytes (tEXt is Latin-1 only): dashes, arrows and quotes spelled, anything else '?'. */
function latin1(s: string): Uint8Array {
  const t = s.replace(/[–—…→‘’“”]/g, (c) => SPELLED[c]!);
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    out[i] = c < 0x100 ? c : 0x3f;
  }
  return out;
}

function isPng(png: Uint8Array): boolean {
  return png.length >= 8 && SIGNATURE.every((b, i) => png[i] === b);
}

/** One tEXt chunk: length, type, keyword NUL text, CRC over type and data. */
export function textChunk(keyword: string, text: string): Uint8Array {
  // Keywords are 1–79 printable Latin-1 characters without leading, trailing or double spaces.
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $| {2}/.test(keyword))
    throw new Error(`bad PNG keyword '${keyword}'`);
  const k = latin1(keyword);
  const t = latin1(text);
  const chunk = new Uint8Array(12 + k.length + 1 + t.length);
  const dv = new DataView(chunk.buffer);
  dv.setUint32(0, k.length + 1 + t.length);
  chunk.set(latin1('tEXt'), 4);
  chunk.set(k, 8);
  chunk.set(t, 9 + k.length);
  dv.setUint32(chunk.length - 4, crc32(chunk.subarray(4, chunk.length - 4)));
  return chunk;
}

/** `png` with a tEXt chunk per entry right after IHDR (before the image data, where readers look first). */
export function withPngText(png: Uint8Array, entries: readonly (readonly [string, string])[]): Uint8Array {
  if (!isPng(png) || png.length < 33) throw new Error('not a PNG');
  // Signature (8) + IHDR (4 length, 4 type, 13 data, 4 CRC).
  const at = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunks = entries.map(([k, t]) => textChunk(k, t));
  const out = new Uint8Array(png.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(png.subarray(0, at), 0);
  let o = at;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  out.set(png.subarray(at), o);
  return out;
}

export interface PngTextEntry {
  keyword: string;
  text: string;
  /** The stored CRC matches the chunk. */
  crcOk: boolean;
}

/** Every tEXt chunk of `png`, in order. */
export function readPngText(png: Uint8Array): PngTextEntry[] {
  if (!isPng(png)) throw new Error('not a PNG');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: PngTextEntry[] = [];
  const str = (b: Uint8Array) => String.fromCharCode(...b);
  for (let o = 8; o + 12 <= png.length; ) {
    const len = dv.getUint32(o);
    const type = str(png.subarray(o + 4, o + 8));
    if (o + 12 + len > png.length) break;
    if (type === 'tEXt') {
      const data = png.subarray(o + 8, o + 8 + len);
      const nul = data.indexOf(0);
      out.push({
        keyword: str(data.subarray(0, nul)),
        text: str(data.subarray(nul + 1)),
        crcOk: crc32(png.subarray(o + 4, o + 8 + len)) === dv.getUint32(o + 8 + len),
      });
    }
    if (type === 'IEND') break;
    o += 12 + len;
  }
  return out;
}

/** A data: URL's bytes (base64 PNG from canvas.toDataURL). */
export function dataUrlBytes(url: string): Uint8Array {
  const b64 = url.slice(url.indexOf(',') + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes as a base64 data: URL (the CSP allows data: downloads, not blob:). */
export function bytesDataUrl(bytes: Uint8Array, mime = 'image/png'): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${mime};base64,${btoa(bin)}`;
}
