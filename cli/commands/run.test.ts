import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex } from '../../core/isa/encoding';
import { loadCases } from '../../test/fixtures/isa/load';
import type { CommandContext } from '../command';
import { CliError } from '../errors';
import { run } from './run';

const data = join(__dirname, '../../test/fixtures/isa/data');

function call(argv: string[]): string {
  let out = '';
  const ctx: CommandContext = { argv, stdout: (t) => (out += t), stderr: () => {} };
  const code = run.run(ctx);
  expect(code).toBe(0);
  return out;
}

describe('kmodel run', () => {
  const cases = loadCases();

  it(`prints the expected r0 for all ${cases.length} suite cases (--hex, --mem)`, () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const argv = ['--hex', c.insns, ...(c.mem ? ['--mem', c.mem] : [])];
      const out = call(argv);
      if (out !== `${c.result}\n`) wrong.push(`${c.name}: ${out.trim()} != ${c.result}`);
    }
    expect(wrong).toEqual([]);
  });

  it('takes .data files, raw bytes and asm text', () => {
    expect(call([join(data, 'mem-len.data')])).toBe('0x8\n');
    expect(call([join(data, 'lddw.data')])).toBe('0x1122334455667788\n');
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-run-'));
    const stxdw = cases.find((c) => c.name === 'stxdw')!;
    writeFileSync(join(dir, 'p.bin'), bytesFromHex(stxdw.insns));
    expect(call([join(dir, 'p.bin'), '--mem', stxdw.mem])).toBe(`${stxdw.result}\n`);
    writeFileSync(join(dir, 'k.txt'), '0: (b7) r0 = 3\n1: (07) r0 += -1\n2: (95) exit\n');
    expect(call([join(dir, 'k.txt')])).toBe('0x2\n');
    const prime = cases.find((c) => c.name === 'prime')!;
    writeFileSync(join(dir, 'c.s'), prime.asm);
    expect(call([join(dir, 'c.s')])).toBe(`${prime.result}\n`);
  });

  it('turns bad input into one-line CliErrors', () => {
    const bad = (argv: string[]) => () => run.run({ argv, stdout: () => {}, stderr: () => {} });
    expect(bad([])).toThrow(CliError);
    expect(bad(['--hex', 'b7'])).toThrow('program length 1 is not a multiple of 8 bytes');
    expect(bad(['--hex', '8c00000000000000'])).toThrow('insn 0: unknown opcode 8c');
    // r11 (BPF_REG_AX) is the kernel's own scratch register: refused as check_reg_arg does, not run.
    expect(bad(['--hex', 'bfb0000000000000 9500000000000000'])).toThrow('insn 0: R11 is invalid');
    expect(bad(['--hex', '0500ffff000000009500000000000000', '--steps', '50'])).toThrow(/step limit of 50/);
    expect(bad([join(data, 'neg-invalid_register.data')])).toThrow(/Invalid register: %r50/);
    expect(bad([join(data, 'neg-invalid_unknown_directive.data')])).toThrow(/unknown section/);
  });

  it('exits 2 with one line on stderr from the real CLI', () => {
    let err = '';
    let status = 0;
    try {
      execFileSync('npx', ['tsx', 'cli/main.ts', 'run', '--hex', '7910000000000000'], {
        cwd: join(__dirname, '../..'),
        stdio: 'pipe',
      });
    } catch (e) {
      const x = e as { status: number; stderr: Buffer };
      status = x.status;
      err = x.stderr.toString();
    }
    expect(status).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^kmodel run: insn 0: invalid read of 8 bytes at 0x0/);
  });
});
