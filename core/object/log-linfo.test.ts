import { describe, expect, it } from 'vitest';
import { logWithLineInfo } from './log-linfo';
import type { LineInfo } from './types';

const rec = (insnOff: number, lineNum: number, line: string): LineInfo => ({
  insnOff,
  fileName: 'x.bpf.c',
  line,
  lineNum,
  lineCol: 1,
});

describe('verifier log with line_info', () => {
  it('prints the covering record before an insn line, once until another is printed', () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '0: (b7) r0 = 0                        ; R0=0',
      '1: (61) r2 = *(u32 *)(r1 +0)',
      '2: (95) exit',
      'processed 3 insns',
    ].join('\n');
    const info = [rec(2, 7, '\treturn 0;'), rec(0, 5, '\tint x = 0;')];
    expect(logWithLineInfo(log, info).split('\n')).toEqual([
      '0: R1=ctx() R10=fp0',
      '; int x = 0; @ x.bpf.c:5',
      '0: (b7) r0 = 0                        ; R0=0',
      '1: (61) r2 = *(u32 *)(r1 +0)',
      '; return 0; @ x.bpf.c:7',
      '2: (95) exit',
      'processed 3 insns',
    ]);
  });

  it('prints a line once for records of it in a row; line 0 as `@ file:0` (as Linux 6.18)', () => {
    const log = '0: (b7) r0 = 0\n1: (b7) r1 = 0\n2: (b7) r2 = 0\n3: (95) exit';
    const info = [rec(0, 5, 'a'), rec(1, 5, 'a'), rec(2, 0, ''), rec(3, 5, 'a')];
    expect(logWithLineInfo(log, info).split('\n')).toEqual([
      '; a @ x.bpf.c:5',
      '0: (b7) r0 = 0',
      '1: (b7) r1 = 0',
      ';  @ x.bpf.c:0',
      '2: (b7) r2 = 0',
      '; a @ x.bpf.c:5',
      '3: (95) exit',
    ]);
  });

  it('leaves a log alone without line_info, and insns before the first record bare', () => {
    expect(logWithLineInfo('0: (95) exit', [])).toBe('0: (95) exit');
    expect(logWithLineInfo('0: (b7) r0 = 0\n1: (95) exit', [rec(1, 3, 'x')])).toBe(
      '0: (b7) r0 = 0\n; x @ x.bpf.c:3\n1: (95) exit',
    );
  });
});
