import { type Btf, type ParseBtfOptions, parseBtf } from './btf';
import { elfBtf, isElf } from './elf';

/** Parses raw BTF or the .BTF section of an ELF object (what `bpftool btf dump file` accepts). */
export function parseBtfOrElf(bytes: Uint8Array, opts: ParseBtfOptions = {}): Btf {
  return parseBtf(isElf(bytes) ? elfBtf(bytes) : bytes, opts);
}
