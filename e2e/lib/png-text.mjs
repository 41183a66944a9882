// tEXt chunks of a PNG, read independently of the app: chunk walk by the PNG layout,
// CRCs checked with node's zlib.
import { crc32 } from 'node:zlib';

/** { keyword → text } of every tEXt chunk, and whether all CRCs (every chunk's) hold. */
export function pngText(buf) {
  const text = {};
  let crcOk = true;
  for (let o = 8; o + 12 <= buf.length; ) {
    const len = buf.readUInt32BE(o);
    const type = buf.subarray(o + 4, o + 8).toString('latin1');
    if (crc32(buf.subarray(o + 4, o + 8 + len)) !== buf.readUInt32BE(o + 8 + len)) crcOk = false;
    if (type === 'tEXt') {
      const data = buf.subarray(o + 8, o + 8 + len);
      const nul = data.indexOf(0);
      text[data.subarray(0, nul).toString('latin1')] = data.subarray(nul + 1).toString('latin1');
    }
    if (type === 'IEND') break;
    o += 12 + len;
  }
  return { text, crcOk };
}
