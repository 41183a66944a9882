import { describe, expect, it } from 'vitest';
import { loadCases } from '../../test/fixtures/isa/load';
import { bytesFromHex, decodeInsns, encodeInsns, insnsFromHex, insnsToHex, isHexText } from './encoding';
import { IsaError } from './errors';

const cases = loadCases();

describe('encoding', () => {
  it('decodes the README hand-decoded examples', () => {
    // ldxb %r0, [%r1+0x2]
    expect(insnsFromHex('7110020000000000')).toEqual([{ code: 0x71, dst: 0, src: 1, off: 2, imm: 0 }]);
    // add32 %r0, -3
    expect(insnsFromHex('04000000fdffffff')[0]).toEqual({ code: 0x04, dst: 0, src: 0, off: 0, imm: -3 });
    // lock fetch add [%r10-8], %r1
    expect(insnsFromHex('db1af8ff01000000')[0]).toEqual({ code: 0xdb, dst: 10, src: 1, off: -8, imm: 1 });
    const lddw = insnsFromHex('18000000887766550000000044332211');
    expect(lddw.map((i) => i.imm >>> 0)).toEqual([0x55667788, 0x11223344]);
  });

  it(`round-trips all ${cases.length} suite programs through LE and BE`, () => {
    let count = 0;
    for (const c of cases) {
      const insns = insnsFromHex(c.insns);
      count += insns.length - insns.filter((i) => i.code === 0x18).length;
      expect(insnsToHex(insns)).toBe(c.insns);
      const be = encodeInsns(insns, 'be');
      expect(decodeInsns(be, 'be')).toEqual(insns);
    }
    expect(count).toBe(2599); // the README's instruction count (an lddw is one instruction, two slots)
  });

  it('puts dst in the high nibble and swaps off/imm bytes on big-endian', () => {
    const insns = insnsFromHex('db1af8ff01000000');
    expect(insnsToHex(insns, 'be')).toBe('dba1fff800000001');
  });

  it('rejects a length that is not a multiple of 8', () => {
    expect(() => decodeInsns(bytesFromHex('b700000000000000b7'))).toThrow(IsaError);
    expect(() => bytesFromHex('b7z0')).toThrow(/'z'/);
  });
});

describe('isHexText', () => {
  it('tells hex text from assembly and bytes', () => {
    expect(isHexText('b7 00 00 00 00 00 00 00\n0x95,0x00')).toBe(true);
    expect(isHexText('r0 = 0\nexit\n')).toBe(false);
    expect(isHexText(' \n')).toBe(false);
  });

  it('scans a 10 MB file without overflowing the stack', () => {
    const big = '0a '.repeat(3_500_000);
    expect(isHexText(big)).toBe(true);
    expect(isHexText(`${big}z`)).toBe(false);
  });
});
