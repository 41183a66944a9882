// Program files the app opens: raw bytes (.bin, anything binary) or hex text
// (.hex, .txt, the corpus' `insns` form). Electron-free so it can be tested.
import { isHexText } from '../../core/isa/encoding';
import { readInputFile } from './input-file';

/** The program in a file as lowercase hex of its bytes. Throws InputFileError for unreadable or oversized files. */
export function programHexFromFile(path: string): string {
  const bytes = Buffer.from(readInputFile(path, 'program'));
  const text = bytes.toString('latin1');
  if (isHexText(text)) return text.replace(/0x/gi, '').replace(/[\s,]/g, '').toLowerCase();
  return bytes.toString('hex');
}
