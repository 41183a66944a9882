import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { programHexFromFile } from './files';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-files-'));

describe('program files', () => {
  it('reads raw bytes and hex text alike', () => {
    const raw = join(dir, 'p.bin');
    writeFileSync(raw, Buffer.from('b7000000000000009500000000000000', 'hex'));
    const text = join(dir, 'p.hex');
    writeFileSync(text, 'B7 00 00 00 00 00 00 00\n0x95,0x00,0x00,0x00,0x00,0x00,0x00,0x00\n');
    expect(programHexFromFile(raw)).toBe('b7000000000000009500000000000000');
    expect(programHexFromFile(text)).toBe('b7000000000000009500000000000000');
  });

  it('refuses devices and directories with a one-line reason', () => {
    expect(() => programHexFromFile('/dev/zero')).toThrow('/dev/zero: is a device, not a regular file');
    expect(() => programHexFromFile(dir)).toThrow(`${dir}: is a directory`);
  });
});
