import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfBtf, elfSections } from './elf';
import { BtfError } from './error';

const SHT_STRTAB = 3;
const SHT_NOBITS = 8;

/** An ELF64 LE file with a null section and one name table section of the given type and size. */
function elfWithNameTable(type: number, size: bigint): Uint8Array {
  const shoff = 64;
  // The names end the file without a final NUL, so only the table's size bounds a scan.
  const bytes = new Uint8Array(shoff + 2 * 64 + 10);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setBigUint64(0x28, BigInt(shoff), true);
  v.setUint16(0x3a, 64, true);
  v.setUint16(0x3c, 2, true);
  v.setUint16(0x3e, 1, true);
  const h = shoff + 64;
  v.setUint32(h, 1, true);
  v.setUint32(h + 4, type, true);
  v.setBigUint64(h + 0x18, BigInt(shoff + 2 * 64), true);
  v.setBigUint64(h + 0x20, size, true);
  bytes.set(new TextEncoder().encode('\0.shstrtab'), shoff + 2 * 64);
  return bytes;
}

describe('elfSections', () => {
  it('reads section names from a string table', () => {
    const names = elfSections(elfWithNameTable(SHT_STRTAB, 10n)).map((s) => s.name);
    expect(names).toEqual(['', '.shstrtab']);
  });

  it('rejects a NOBITS or NULL name table with a huge size instead of scanning past the file', () => {
    for (const type of [SHT_NOBITS, 0]) {
      const bytes = elfWithNameTable(type, 1n << 40n);
      expect(() => elfSections(bytes)).toThrow(BtfError);
      expect(() => elfSections(bytes)).toThrow(/section name table 1 has no data/);
    }
  });

  it('still finds .BTF in a BPF object', () => {
    const obj = new Uint8Array(readFileSync(resolve(__dirname, '../../test/fixtures/btf/prog.bpf.o')));
    expect(elfBtf(obj).length).toBeGreaterThan(24);
  });
});
