// Program files the app opens: raw bytes (.bin, anything binary) or hex text
// (.hex, .txt, the corpus' `insns` form). Electron-free so it can be tested.
import { basename } from 'node:path';
import { isElf } from '../../core/btf/elf';
import { isHexText } from '../../core/isa/encoding';
import { readInputFile } from './input-file';

/**
 * A BPF ELF object (clang `*.bpf.o`) as the renderer's 'open-object' menu argument
 * (JSON { name, base64 }); undefined when the file is not ELF.
 */
export function objectArgFromFile(path: string): string | undefined {
  const bytes = Buffer.from(readInputFile(path, 'program'));
  if (!isElf(bytes)) return undefined;
  return JSON.stringify({ name: basename(path), base64: bytes.toString('base64') });
}

/** The program in a file as lowercase hex of its bytes. Throws InputFileError for unreadable or oversized files. */
export function programHexFromFile(path: string): string {
  const bytes = Buffer.from(readInputFile(path, 'program'));
  const text = bytes.toString('latin1');
  if (isHexText(text)) return text.replace(/0x/gi, '').replace(/[\s,]/g, '').toLowerCase();
  return bytes.toString('hex');
}
