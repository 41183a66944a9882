import { describe, expect, it } from 'vitest';
import { assemble } from '../isa/asm';
import { checkGeneratedCode } from './generated-check';

const check = (text: string, which: 'prologue' | 'epilogue', callArgs?: (k: number) => number | undefined) =>
  checkGeneratedCode(assemble(text), { which, ...(callArgs ? { callArgs } : {}) }).map(
    (w) => `${w.insn}: ${w.message}`,
  );

describe('abstract check of generated pro/epilogue code', () => {
  it('accepts the shapes the kernel generates (ctx saved and reloaded, calls between)', () => {
    // bpf_qdisc_gen_prologue's shape: keep ctx in r6 across the call, restore r1.
    const prologue =
      'r6 = r1\nr2 = *(u64 *)(r1 +16)\nr1 = *(u64 *)(r1 +0)\ncall bpf_map_lookup_elem\nif r0 == 0 goto pc+1\nexit\nr1 = r6';
    expect(check(prologue, 'prologue', () => 2)).toEqual([]);
    const epilogue =
      'r1 = *(u64 *)(r10 -8)\nr1 = *(u64 *)(r1 +0)\nr6 = *(u64 *)(r1 +0)\nr6 += 10000\n*(u64 *)(r1 +0) = r6\nr0 = r6\nexit';
    expect(check(epilogue, 'epilogue')).toEqual([]);
  });

  it('warns on a register read before it is set, on some path or after a call', () => {
    expect(check('r0 = r7\nexit', 'epilogue')).toEqual([
      '0: reads r7, which is not set on every path to here',
    ]);
    expect(check('if r0 == 0 goto pc+1\nr2 = 1\nr0 = r2\nexit', 'epilogue')).toEqual([
      '2: reads r2, which is not set on every path to here',
    ]);
    expect(check('r6 = r1\ncall bpf_map_lookup_elem\nr0 = r1\nr1 = r6', 'prologue')).toEqual([
      '2: reads r1 after a call clobbered it (r1-r5 do not survive calls)',
    ]);
    expect(check('call bpf_map_lookup_elem\nr0 = 0\nexit', 'epilogue', () => 2)).toEqual([
      '0: reads r1 (argument 1 of the call), which is not set on every path to here',
      '0: reads r2 (argument 2 of the call), which is not set on every path to here',
    ]);
  });

  it('warns on a load or store through a number', () => {
    expect(
      check('r1 = *(u64 *)(r10 -8)\nr2 = *(u32 *)(r1 +0)\nr3 = *(u64 *)(r2 +8)\nexit', 'epilogue'),
    ).toEqual(['2: dereferences r2, which holds a number, not a pointer']);
    expect(check('r2 = 5\n*(u64 *)(r2 +0) = r0\nexit', 'epilogue')).toEqual([
      '1: dereferences r2, which holds a number, not a pointer',
    ]);
  });

  it('warns when the prologue hands the program something else than ctx in r1', () => {
    expect(check('r1 = 0', 'prologue')).toEqual([
      '0: the program starts after the prologue with r1 = ctx, but the prologue leaves r1 as a scalar',
    ]);
    expect(check('r6 = r1\ncall bpf_map_lookup_elem\nr1 = r6', 'prologue')).toEqual([]);
  });
});
