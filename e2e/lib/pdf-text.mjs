// Text of a PDF as Chromium (Skia) writes it, read independently of the app: every
// text-showing operator's glyph ids mapped through the fonts' ToUnicode CMaps. Skia
// writes 2-byte glyph ids (Identity-H); a string is kept under each CMap that maps all
// of its glyphs, which is enough to ask "does the PDF say X".
import { inflateSync } from 'node:zlib';

function streams(buf) {
  const s = buf.toString('latin1');
  const out = [];
  const re = /stream\r?\n/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const start = m.index + m[0].length;
    const end = s.indexOf('endstream', start);
    try {
      out.push(inflateSync(buf.subarray(start, end)).toString('latin1'));
    } catch {
      // not Flate (images, fonts in other encodings)
    }
  }
  return out;
}

function cmapOf(text) {
  const map = new Map();
  for (const b of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const p of b[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g))
      map.set(Number.parseInt(p[1], 16), String.fromCodePoint(Number.parseInt(p[2], 16)));
  for (const b of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
    for (const p of b[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      const lo = Number.parseInt(p[1], 16);
      const hi = Number.parseInt(p[2], 16);
      const u = Number.parseInt(p[3], 16);
      for (let g = lo; g <= hi; g++) map.set(g, String.fromCodePoint(u + g - lo));
    }
  return map;
}

/** The strings a PDF shows (one per Tj/TJ), as a Set. */
export function pdfStrings(buf) {
  const all = streams(buf);
  const cmaps = all.filter((t) => t.includes('begincmap')).map(cmapOf);
  const texts = new Set();
  for (const st of all) {
    for (const t of st.matchAll(/\[((?:<[0-9A-Fa-f]*>|[-\d.\s])*)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj/g)) {
      const hex =
        t[1] !== undefined ? [...t[1].matchAll(/<([0-9A-Fa-f]*)>/g)].map((x) => x[1]).join('') : t[2];
      for (const map of cmaps) {
        let out = '';
        for (let i = 0; i + 4 <= hex.length && out !== null; i += 4) {
          const c = map.get(Number.parseInt(hex.slice(i, i + 4), 16));
          out = c === undefined ? null : out + c;
        }
        if (out) texts.add(out);
      }
    }
  }
  return texts;
}

/** Page objects (`/Type /Page`, not `/Pages`). */
export const pdfPages = (buf) => (buf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;

/** The document information dictionary's /Title when it is a plain (literal) string. */
export const pdfTitle = (buf) => /\/Title\s*\(((?:[^()\\]|\\.)*)\)/.exec(buf.toString('latin1'))?.[1] ?? null;
