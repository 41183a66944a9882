import { describe, expect, it } from 'vitest';
import { slotsOf, splitInsnText, substituteCtxStackOff } from './program';

describe('splitInsnText', () => {
  it('finds named calls and drops comments and blank lines', () => {
    const lines = splitInsnText('r6 = r1 // keep ctx\n\n  call bpf_foo ; the kfunc\ncall pc+1\nexit');
    expect(lines.map((l) => [l.line, l.col, l.text, l.callName])).toEqual([
      [0, 0, 'r6 = r1', undefined],
      [2, 2, 'call bpf_foo', 'bpf_foo'],
      [3, 0, 'call pc+1', undefined],
      [4, 0, 'exit', undefined],
    ]);
  });
});

describe('substituteCtxStackOff / slotsOf', () => {
  it('prints the offset as the verifier log does and counts ld_imm64 as two slots', () => {
    expect(substituteCtxStackOff('r1 = *(u64 *)(r10 {ctx_stack_off})', -16)).toBe('r1 = *(u64 *)(r10 -16)');
    expect([slotsOf('r2 = 0x8000000000000000'), slotsOf('r2 = 0x10'), slotsOf('r1 = map[id:3]')]).toEqual([
      2, 1, 2,
    ]);
  });
});
