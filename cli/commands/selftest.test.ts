import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { selftest } from './selftest';

const root = resolve(__dirname, '../..');
const checks = join(root, 'test/fixtures/objects/selftest/build/checks.bpf.o');

async function call(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await selftest.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
}

describe('kmodel selftest', () => {
  it('checks every annotated program: outcome, messages, xlated, retval; the first mismatch is named', async () => {
    const r = await call([checks]);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      'PASS return_42 (constant return, run)',
      'PASS read_uninit (reading a register never written)',
      'PASS stack_read (messages in order, one by regex)',
      'FAIL wrong_retval (a wrong expectation: selftest reports it): retval 0, expected 1',
      'PASS xdp_pass (xdp verdict from a test run)',
      'PASS xdp_unchecked (packet read without a bounds check)',
      '5 passed, 1 failed, 0 skipped',
      '',
    ]);
  });

  it('--program runs one; exit 0 when it passes', async () => {
    const r = await call([checks, '--program', 'xdp_pass']);
    expect(r).toEqual({
      code: 0,
      out: 'PASS xdp_pass (xdp verdict from a test run)\n1 passed, 0 failed, 0 skipped\n',
    });
  });

  it('an object without annotations or a missing program is a one-line error', async () => {
    const plain = join(root, 'test/fixtures/objects/build/cc_rate.bpf.o');
    await expect(call([plain])).rejects.toThrow(new CliError(`${plain}: no annotated programs`));
    await expect(call([checks, '--program', 'nope'])).rejects.toThrow(
      /no program 'nope' \(programs: return_42, /,
    );
  });
});
