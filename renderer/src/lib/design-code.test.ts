import { describe, expect, it } from 'vitest';
import {
  type DesignCodeEntry,
  designCodeMarkdown,
  designCodeText,
  patchedLines,
  x86Lines,
} from './design-code';

const entry = (design: string, callee: string, extra: string[] = []): DesignCodeEntry => ({
  design,
  profile: design === 'kfunc' ? 'v6.18' : 'bpf-next-2026',
  generatedIdx: [0, 1],
  view: {
    xlated: [
      { idx: 0, text: '(bf) r6 = r1' },
      { idx: 1, text: `(85) call ${callee}` },
      ...extra.map((text, i) => ({ idx: 2 + i, text })),
      { idx: 2 + extra.length, text: '(95) exit' },
    ],
    x86: [
      { offset: 0, bytes: '', text: 'push rbp', insn: null },
      { offset: 1, bytes: '', text: 'mov rbx, rdi', insn: 0 },
      { offset: 4, bytes: '', text: `call ${callee.replace(/#.*/, '')}`, insn: 1 },
      { offset: 9, bytes: '', text: 'leave', insn: 2 + extra.length },
    ],
    size: 10 + extra.length,
  },
});

/** Fenced blocks of Markdown: the caption line before each, and its lines. */
function fenced(md: string): { caption: string; lines: string[] }[] {
  const out: { caption: string; lines: string[] }[] = [];
  const ls = md.split('\n');
  for (let i = 0; i < ls.length; i++) {
    if (ls[i] !== '```') continue;
    const end = ls.indexOf('```', i + 1);
    out.push({ caption: ls[i - 2] ?? '', lines: ls.slice(i + 1, end) });
    i = end;
  }
  return out;
}

describe('design code listings', () => {
  it('marks generated instructions (+) and generated calls (*)', () => {
    const e = entry('kfunc', 'bpf_qdisc_init_prologue#12584192');
    expect(patchedLines(e)).toEqual([
      '+ 0: (bf) r6 = r1',
      '* 1: (85) call bpf_qdisc_init_prologue#12584192',
      '  2: (95) exit',
    ]);
    expect(x86Lines(e)).toEqual([
      '  000: push rbp',
      '+ 001: mov rbx, rdi',
      '* 004: call bpf_qdisc_init_prologue',
      '  009: leave',
    ]);
  });

  it('shows code the designs share once, naming both designs', () => {
    const md = designCodeMarkdown([
      { member: 'init', program: 'fifo_init', designs: [entry('kfunc', 'f#1'), entry('wrapper', 'f#1')] },
    ]);
    const b = fenced(md);
    expect(b.map((x) => x.caption)).toEqual([
      'patched program, identical in kfunc (profile v6.18) and wrapper (profile bpf-next-2026):',
      'x86-64 (10 bytes), identical in kfunc (profile v6.18) and wrapper (profile bpf-next-2026):',
    ]);
    expect(b[0]!.lines).toEqual(patchedLines(entry('kfunc', 'f#1')));
    expect(md).toContain("### Each design's code");
    expect(md).toContain('#### `init` (program `fifo_init`)');
  });

  it('puts differing code side by side when both columns fit in 100, else one block per design', () => {
    const narrow = designCodeMarkdown([
      {
        member: 'init',
        program: 'fifo_init',
        designs: [
          entry('kfunc', 'bpf_qdisc_init_prologue#1'),
          entry('wrapper', 'bpf_qdisc_init_prologue_wrap#2', ['(b7) r0 = 0']),
        ],
      },
    ]);
    const nb = fenced(narrow);
    expect(nb.map((x) => x.caption)).toEqual(['patched program, side by side:', 'x86-64, side by side:']);
    expect(nb[0]!.lines[0]).toMatch(/^kfunc \(profile v6\.18\) +\| wrapper \(profile bpf-next-2026\)$/);
    expect(nb[0]!.lines[3]).toMatch(
      /^\* 1: \(85\) call bpf_qdisc_init_prologue#1 +\| \* 1: \(85\) call bpf_qdisc_init_prologue_wrap#2$/,
    );
    // Rows past the shorter listing keep the column.
    expect(nb[0]!.lines.at(-1)).toMatch(/^ +\| {3}3: \(95\) exit$/);
    expect(nb[1]!.lines[0]).toContain('kfunc (profile v6.18), 10 bytes');
    expect(nb[1]!.lines[0]).toContain('wrapper (profile bpf-next-2026), 11 bytes');

    const long = `call ${'x'.repeat(60)}#1`;
    const wide = designCodeMarkdown([
      { member: 'init', program: 'fifo_init', designs: [entry('kfunc', long), entry('wrapper', 'short#2')] },
    ]);
    const wb = fenced(wide);
    expect(wb.map((x) => x.caption)).toEqual([
      'patched program, kfunc (profile v6.18):',
      'patched program, wrapper (profile bpf-next-2026):',
      'x86-64 (10 bytes), kfunc (profile v6.18):',
      'x86-64 (10 bytes), wrapper (profile bpf-next-2026):',
    ]);
    for (const md of [narrow, wide]) expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
  });

  it('wraps a line longer than 100 columns and reports a design that failed', () => {
    const md = designCodeMarkdown([
      {
        member: 'reset',
        program: 'fifo_reset',
        designs: [
          entry('kfunc', `f${'y'.repeat(150)}#1`),
          { design: 'wrapper', profile: 'p', generatedIdx: [], view: { error: 'jit: too big' } },
        ],
      },
    ]);
    expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
    expect(md).toContain('- _wrapper (profile p): jit: too big_');
    expect(md).toContain(`      ${'y'.repeat(10)}`);
  });

  it('as text: the same listings indented for a mail body', () => {
    const t = designCodeText([
      { member: 'init', program: 'fifo_init', designs: [entry('kfunc', 'f#1'), entry('wrapper', 'f#1')] },
    ]);
    expect(t.split('\n').slice(0, 4)).toEqual([
      "Each design's code",
      '(+ marks an instruction the prologue or epilogue generated, * a generated call)',
      '',
      'init (program fifo_init)',
    ]);
    expect(t).toContain(
      '  patched program, identical in kfunc (profile v6.18) and wrapper (profile bpf-next-2026):\n    + 0: (bf) r6 = r1\n    * 1: (85) call f#1',
    );
    expect(t.split('\n').every((l) => l.length <= 100)).toBe(true);
  });
});
