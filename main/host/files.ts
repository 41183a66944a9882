// Program files the app opens: raw bytes (.bin, anything binary) or hex text
// (.hex, .txt, the corpus' `insns` form). Electron-free so it can be tested.
import { readFileSync } from 'node:fs';

const HEX_TEXT = /^[\s0-9a-fA-Fx,]*$/;

/** The program in a file as lowercase hex of its bytes. */
export function programHexFromFile(path: string): string {
  const bytes = readFileSync(path);
  const text = bytes.toString('latin1');
  if (HEX_TEXT.test(text)) return text.replace(/0x/gi, '').replace(/[\s,]/g, '').toLowerCase();
  return bytes.toString('hex');
}
