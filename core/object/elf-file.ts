// A BPF ELF object's sections, symbols and relocations (ELF64, both byte
// orders). Section headers come from core/btf/elf.ts; this adds what a loader
// needs on top: the symbol table and SHT_REL entries.
import { type ElfSection, elfSections } from '../btf/elf';
import { ObjectError, rethrowBtfError } from './error';

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHF_EXECINSTR = 0x4;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STV_HIDDEN = 2;
export const STV_INTERNAL = 1;

const ET_REL = 1;
const EM_BPF = 247;
const SYM_SIZE = 24;
const REL_SIZE = 16;

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  shndx: number;
}

export interface ElfRel {
  /** Byte offset in the target section. */
  offset: number;
  symbol: number;
  type: number;
}

export interface ObjectSection extends ElfSection {
  index: number;
}

export class ElfFile {
  readonly littleEndian: boolean;
  readonly sections: ObjectSection[];
  readonly symbols: ElfSymbol[];
  readonly symtabIndex: number;

  constructor(bytes: Uint8Array) {
    const sections = rethrowBtfError('ELF', () => elfSections(bytes));
    if (bytes[4] !== 2) throw new ObjectError('ELF: not a 64-bit object (BPF objects are ELF64)');
    this.littleEndian = bytes[5] === 1;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eType = v.getUint16(0x10, this.littleEndian);
    const machine = v.getUint16(0x12, this.littleEndian);
    if (eType !== ET_REL) throw new ObjectError(`ELF: type ${eType} is not a relocatable object (ET_REL)`);
    // libbpf also takes EM_NONE, which old LLVM wrote.
    if (machine !== EM_BPF && machine !== 0)
      throw new ObjectError(`ELF: machine ${machine} is not BPF (${EM_BPF})`);
    this.sections = sections.map((s, index) => ({ ...s, index }));
    const symtabs = this.sections.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length === 0) throw new ObjectError('ELF: no symbol table (stripped object?)');
    if (symtabs.length > 1) throw new ObjectError('ELF: more than one symbol table');
    const symtab = symtabs[0]!;
    this.symtabIndex = symtab.index;
    if (symtab.entsize !== SYM_SIZE)
      throw new ObjectError(`ELF: symbol table entry size ${symtab.entsize}, want ${SYM_SIZE}`);
    const strtab = this.sections[symtab.link];
    if (!strtab || symtab.link === 0 || strtab.type === SHT_NOBITS)
      throw new ObjectError(`ELF: symbol string table index ${symtab.link} is invalid`);
    this.symbols = this.readSymbols(symtab, strtab);
  }

  private view(s: ElfSection): DataView {
    return new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  }

  private readSymbols(symtab: ElfSection, strtab: ElfSection): ElfSymbol[] {
    const v = this.view(symtab);
    const le = this.littleEndian;
    const n = Math.floor(symtab.data.length / SYM_SIZE);
    const out: ElfSymbol[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * SYM_SIZE;
      const info = v.getUint8(o + 4);
      out.push({
        index: i,
        name: cString(strtab.data, v.getUint32(o, le), `symbol ${i} name`),
        type: info & 0xf,
        bind: info >> 4,
        visibility: v.getUint8(o + 5) & 3,
        shndx: v.getUint16(o + 6, le),
        value: Number(v.getBigUint64(o + 8, le)),
        size: Number(v.getBigUint64(o + 16, le)),
      });
    }
    return out;
  }

  section(name: string): ObjectSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Entries of an SHT_REL section, checked against the symbol table. */
  relocations(rel: ObjectSection): ElfRel[] {
    if (rel.entsize !== REL_SIZE)
      throw new ObjectError(`section '${rel.name}': relocation entry size ${rel.entsize}, want ${REL_SIZE}`);
    const v = this.view(rel);
    const le = this.littleEndian;
    const out: ElfRel[] = [];
    for (let o = 0; o + REL_SIZE <= rel.data.length; o += REL_SIZE) {
      const info = v.getBigUint64(o + 8, le);
      const symbol = Number(info >> 32n);
      if (symbol >= this.symbols.length)
        throw new ObjectError(
          `section '${rel.name}': relocation #${o / REL_SIZE} refers to symbol ${symbol} of ${this.symbols.length}`,
        );
      out.push({ offset: Number(v.getBigUint64(o, le)), symbol, type: Number(info & 0xffffffffn) });
    }
    return out;
  }
}

/** A NUL-terminated string at `off` in a string table, bounded by the table. */
export function cString(table: Uint8Array, off: number, what: string): string {
  if (off >= table.length) {
    if (off === 0) return '';
    throw new ObjectError(`ELF: ${what} offset ${off} is outside its string table (${table.length} bytes)`);
  }
  let e = off;
  while (e < table.length && table[e] !== 0) e++;
  return new TextDecoder().decode(table.subarray(off, e));
}
