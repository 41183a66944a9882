import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { loadBpfObject } from './object';
import { firstUnmatched, firstUnmatchedLine, selftestSpecs } from './selftest-tags';

const specs = () => {
  const obj = loadBpfObject(objectBytes('selftest/build/checks.bpf.o'), { target: referenceBtf() });
  return selftestSpecs(obj.btf!);
};

describe('selftest annotations from BTF decl tags', () => {
  it("reads each program's tags in source order (the counter), with their values", () => {
    const s = specs();
    expect([...s.keys()].sort()).toEqual(
      ['read_uninit', 'return_42', 'stack_read', 'wrong_retval', 'xdp_pass', 'xdp_unchecked'].sort(),
    );
    expect(s.get('return_42')).toEqual({
      program: 'return_42',
      description: 'constant return, run',
      expect: 'success',
      msgs: [],
      xlated: ['0: r0 = 42', '1: exit'],
      retval: '42',
      flags: [],
      auxiliary: false,
      unmodelled: [],
    });
    expect(s.get('stack_read')).toMatchObject({
      expect: 'failure',
      logLevel: 2,
      msgs: [
        '0: (b7) r0 = 0',
        '1: (79) r{{[0-9]}} = *(u64 *)(r10 +8)',
        'invalid read from stack R10 off=8 size=8',
      ],
    });
  });

  it('matches messages in order, literal text escaped and {{…}} as regular expressions', () => {
    const log = '0: (b7) r0 = 0\n1: (79) r1 = *(u64 *)(r10 +8)\ninvalid read\n';
    expect(firstUnmatched(log, ['r0 = 0', 'r{{[0-9]}} = *(u64 *)(r10 +8)', 'invalid'])).toBeNull();
    // Out of order: the second is searched after the first's match.
    expect(firstUnmatched(log, ['invalid', 'r0 = 0'])).toBe('r0 = 0');
    // `*` and `(` are literal outside {{ }}.
    expect(firstUnmatched(log, ['r1 = *(u64'])).toBeNull();
    expect(firstUnmatched(log, ['r1 = .(u64'])).toBe('r1 = .(u64');
  });

  it('matches xlated patterns as line prefixes, in order', () => {
    const lines = ['0: r0 = 42', '1: exit'];
    expect(firstUnmatchedLine(lines, ['0: r0 = 4', '1: exit'])).toBeNull();
    expect(firstUnmatchedLine(lines, ['r0 = 42'])).toBe('r0 = 42');
    expect(firstUnmatchedLine(lines, ['1: exit', '0: r0'])).toBe('0: r0');
    expect(firstUnmatchedLine(lines, ['{{[0-9]}}: exit'])).toBeNull();
  });
});
