import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProgramArg } from './read-program';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-prog-'));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const EXIT_HEX = 'b7000000000000009500000000000000';

describe('readProgramArg', () => {
  it('reads hex text, raw bytes and assembly alike', () => {
    const want = readProgramArg(undefined, EXIT_HEX);
    expect(want.map((x) => x.code)).toEqual([0xb7, 0x95]);
    expect(readProgramArg(file('p.hex', `${EXIT_HEX}\n`), undefined)).toEqual(want);
    expect(readProgramArg(file('p.bin', Buffer.from(EXIT_HEX, 'hex')), undefined)).toEqual(want);
    expect(readProgramArg(file('p.s', 'r0 = 0\nexit\n'), undefined)).toEqual(want);
  });

  it('refuses an empty program, which the kernel never verifies, with one line', () => {
    expect(() => readProgramArg(undefined, '')).toThrow('--hex: no instructions');
    const empty = file('empty', '');
    expect(() => readProgramArg(empty, undefined)).toThrow(`${empty}: no instructions`);
    expect(() => readProgramArg(dir, undefined)).toThrow(`${dir}: is a directory`);
  });
});
