import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex, encodeInsns, insnsFromHex } from '../../core/isa/encoding';
import { loadCases, loadLinuxRuns } from '../../test/fixtures/isa/load';
import { CliError } from '../errors';
import { disasm } from './disasm';

const call = (argv: string[]): string => {
  let out = '';
  expect(disasm.run({ argv, stdout: (t) => (out += t), stderr: () => {} })).toBe(0);
  return out;
};

describe('kmodel disasm', () => {
  it('prints the kernel text of a suite program from a file, LE and BE', () => {
    const c = loadCases().find((x) => x.name === 'alu64-arith')!;
    const want = loadLinuxRuns().find((r) => r.name === 'alu64-arith')!.text!;
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-disasm-'));
    writeFileSync(join(dir, 'le.bin'), bytesFromHex(c.insns));
    writeFileSync(join(dir, 'be.bin'), encodeInsns(insnsFromHex(c.insns), 'be'));
    expect(
      call([join(dir, 'le.bin')])
        .trimEnd()
        .split('\n'),
    ).toEqual(want);
    expect(
      call([join(dir, 'be.bin'), '--big-endian'])
        .trimEnd()
        .split('\n'),
    ).toEqual(want);
    expect(call(['--hex', c.insns]).trimEnd().split('\n')).toEqual(want);
    writeFileSync(join(dir, 'hex.txt'), `${c.insns}\n`);
    expect(
      call([join(dir, 'hex.txt')])
        .trimEnd()
        .split('\n'),
    ).toEqual(want);
  });

  it('prints map references as bpftool does', () => {
    expect(call(['--hex', '181100000500000000000000000000009500000000000000'])).toBe(
      '0: (18) r1 = map[id:5]\n2: (95) exit\n',
    );
  });

  it('names xlated calls from kallsyms as bpftool does', () => {
    const dir = join(__dirname, '../../test/fixtures/isa/bpftool');
    const out = call([join(dir, 'q.bin'), '--kallsyms', join(dir, 'ks.txt')]).split('\n');
    expect(out[1]).toBe('1: (85) call bpf_user_rnd_u32#23440');
    expect(out[9]).toBe('10: (85) call __htab_map_lookup_elem#338048');
    const bad = () =>
      disasm.run({
        argv: [join(dir, 'q.bin'), '--kallsyms', join(dir, 'q.txt')],
        stdout: () => {},
        stderr: () => {},
      });
    expect(bad).toThrow('has no __bpf_call_base');
  });

  it('rejects bad input with CliError', () => {
    const bad = (argv: string[]) => () => disasm.run({ argv, stdout: () => {}, stderr: () => {} });
    expect(bad([])).toThrow(CliError);
    expect(bad(['--hex', 'b700'])).toThrow('program length 2 is not a multiple of 8 bytes');
    expect(bad(['--hex', 'zz'])).toThrow(CliError);
    expect(bad(['/no/such/file'])).toThrow('/no/such/file: no such file');
    expect(bad(['--bogus=1', '--hex', 'b7'])).toThrow('unknown option --bogus');
  });
});
