// `bpftool prog dump xlated` text of programs loaded into Linux 6.18 (test/fixtures/isa/bpftool).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleKernel } from './asm';
import { disasmProgram, parseKallsyms, xlatedResolver } from './disasm';
import { bytesToHex, decodeInsns, insnsToHex } from './encoding';
import { checkProgram } from './validate';

const dir = join(__dirname, '../../test/fixtures/isa/bpftool');
const syms = parseKallsyms(readFileSync(join(dir, 'ks.txt'), 'utf8'));

describe('disasm of xlated dumps', () => {
  for (const name of ['x', 'q']) {
    it(`prints ${name}.bin as bpftool printed it`, () => {
      const insns = decodeInsns(new Uint8Array(readFileSync(join(dir, `${name}.bin`))));
      expect(checkProgram(insns, { xlated: true, regAx: true })).toEqual([]);
      // bpftool takes the subprogram's name from the program's jited ksyms, not its bytes.
      const resolver = xlatedResolver({
        ...syms,
        subprogName: (k) => (k === 1 ? 'bpf_prog_44d8879130bcbaa7_helper_fn' : undefined),
      });
      const mine = disasmProgram(insns, resolver);
      // bpftool: `%4d: ` index, source lines (`;`) and function headers between.
      const theirs = readFileSync(join(dir, `${name}.txt`), 'utf8')
        .split('\n')
        .filter((l) => /^\s*\d+: /.test(l))
        .map((l) => l.trim());
      expect(theirs.length).toBeGreaterThan(20);
      expect(mine).toEqual(theirs);
    });
  }

  it('assembles bpftool text back to the dumped bytes', () => {
    // x has no bpf-to-bpf call, whose xlated form (index in imm, offset in off) text cannot carry.
    const text = readFileSync(join(dir, 'x.txt'), 'utf8');
    expect(insnsToHex(assembleKernel(text))).toBe(
      bytesToHex(new Uint8Array(readFileSync(join(dir, 'x.bin')))),
    );
  });
});
