import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disasmProgram } from '../../core/isa/disasm';
import { bytesToHex, insnsFromHex } from '../../core/isa/encoding';
import { loadCases } from '../../test/fixtures/isa/load';
import { CliError } from '../errors';
import { asm } from './asm';

const call = (argv: string[]): string => {
  let out = '';
  expect(asm.run({ argv, stdout: (t) => (out += t), stderr: () => {} })).toBe(0);
  return out;
};

describe('kmodel asm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-asm-'));
  const cases = loadCases();

  it('assembles both syntaxes to the suite bytes (hex and --out)', () => {
    for (const name of ['prime', 'lock_fetch_add', 'ja32', 'call_local']) {
      const c = cases.find((x) => x.name === name)!;
      writeFileSync(join(dir, `${name}.s`), c.asm);
      expect(call([join(dir, `${name}.s`), '--syntax', 'conformance'])).toBe(`${c.insns}\n`);
      writeFileSync(join(dir, `${name}.k`), disasmProgram(insnsFromHex(c.insns)).join('\n'));
      call([join(dir, `${name}.k`), '--out', join(dir, `${name}.bin`)]);
      expect(bytesToHex(new Uint8Array(readFileSync(join(dir, `${name}.bin`))))).toBe(c.insns);
    }
    expect(call([join(__dirname, '../../test/fixtures/isa/data/lddw.data')])).toBe(
      `${cases.find((c) => c.name === 'lddw')!.insns}\n`,
    );
  });

  it('reports assembler errors with file, line and column', () => {
    writeFileSync(join(dir, 'bad.s'), 'mov %r0, 1\nldxq %r0, %r1\nexit\n');
    const bad = (argv: string[]) => () => asm.run({ argv, stdout: () => {}, stderr: () => {} });
    expect(bad([join(dir, 'bad.s')])).toThrow(
      `${join(dir, 'bad.s')}: line 2, column 1: Invalid mnemonic: ldxq`,
    );
    expect(bad([join(dir, 'bad.s'), '--syntax', 'intel'])).toThrow(CliError);
    expect(bad([])).toThrow('missing FILE');
  });
});
