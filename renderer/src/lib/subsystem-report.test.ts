// The report's Markdown and mail text from the API's real answers for a shipped model (the
// same calls the report page makes), code per design included.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiHandlers } from '../../../main/api/handlers';
import type { MemberCode } from './design-code';
import { type ReportData, reportMarkdown, reportText } from './subsystem-report';

const h = new ApiHandlers(resolve(__dirname, '../../..'));

/** What ReportView gathers: summary, comparison, graph, and each member's code per design. */
function reportData(name: string): ReportData {
  const compare = h.compare({ name, profile: 'auto' });
  const code: MemberCode[] = compare.comparison.members
    .filter((m) => !m.program.startsWith('('))
    .map((m) => ({
      member: m.member,
      program: m.program,
      designs: m.variants
        .filter((v) => v.status === 'ok')
        .map((v) => ({
          design: v.design,
          profile: v.profile,
          generatedIdx: v.generatedIdx,
          view: h.jit({ model: { name, program: m.program, design: v.design, profile: v.profile } }),
        })),
    }));
  return {
    name,
    summary: h.openModel({ name }).summary!,
    compare,
    compareError: null,
    graph: h.subsystemGraph({ name }),
    code,
  };
}

/** Fenced blocks with the caption line before each. */
function fenced(md: string): { caption: string; lines: string[] }[] {
  const out: { caption: string; lines: string[] }[] = [];
  const ls = md.split('\n');
  for (let i = 0; i < ls.length; i++) {
    if (!ls[i]!.startsWith('```')) continue;
    const end = ls.indexOf('```', i + 1);
    out.push({ caption: ls[i - 2] ?? '', lines: ls.slice(i + 1, end) });
    i = end;
  }
  return out;
}

describe('review report of qdisc', { timeout: 120_000 }, () => {
  const d = reportData('qdisc');
  const md = reportMarkdown(d, { href: 'qdisc-graph.svg' });

  it('has both designs’ code per member, generated calls marked, within 100 columns', () => {
    expect(d.code!.map((c) => c.member)).toEqual(['init', 'reset', 'destroy']);
    const section = md.slice(md.indexOf("### Each design's code"), md.indexOf('## Review notes'));
    for (const c of d.code!) {
      expect(section).toContain(`#### \`${c.member}\` (program \`${c.program}\`)`);
      expect(c.designs.map((x) => x.design)).toEqual(['kfunc', 'wrapper']);
    }
    const blocks = fenced(section);
    // Each member: its patched program and its x86-64, for both designs (qdisc's are equal: one listing naming both).
    expect(blocks).toHaveLength(6);
    for (const b of blocks) {
      expect(b.caption).toMatch(
        /^(patched program|x86-64 \(\d+ bytes\)), identical in kfunc \(profile v6\.18\) and wrapper \(profile bpf-next-2026\):$/,
      );
      expect(b.lines.every((l) => l.length <= 100)).toBe(true);
    }
    expect(blocks[0]!.lines).toContain('*  3: (85) call bpf_qdisc_init_prologue#12584192');
    expect(blocks[1]!.lines).toContain('* 018: call bpf_qdisc_init_prologue');
    expect(blocks[0]!.lines.filter((l) => /^[+*] /.test(l))).toHaveLength(7);
  });

  it('keeps every line within 100 columns and names what drew it', () => {
    expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
    for (const s of [
      '- kmodel ',
      '- reference BTF sha256: ',
      '- model sha256: ',
      '- profiles: v6.18, bpf-next-2026',
    ])
      expect(md).toContain(s);
    expect(md).toContain('](qdisc-graph.svg)');
  });

  it('the mail text carries the same listings, indented', () => {
    const t = reportText(d);
    expect(t).toContain("Each design's code");
    expect(t).toContain('init (program fifo_init)');
    expect(t).toContain('    *  3: (85) call bpf_qdisc_init_prologue#12584192');
    const code = t.slice(t.indexOf("Each design's code"), t.indexOf('Review notes'));
    expect(code.split('\n').every((l) => l.length <= 100)).toBe(true);
    expect(t).toMatch(/\n-- \nkmodel [\s\S]*model sha256: [0-9a-f]{64}\n$/);
  });

  it('without a comparison, the graph’s own provenance (the model’s profile)', () => {
    const md2 = reportMarkdown({ ...d, compare: null, compareError: 'x', code: [] }, { href: 'g.svg' });
    expect(md2).toContain('- profiles: v6.18');
    expect(md2).not.toContain("Each design's code");
  });
});

describe('review report of the v2 kfunc proposal (bpf_testmod_v2_kfunc)', { timeout: 120_000 }, () => {
  const d = reportData('bpf_testmod_v2_kfunc');
  const md = reportMarkdown(d, { href: 'g.svg' });

  it('shows the epilogue calling module kfuncs under both designs, every line within 100 columns', () => {
    expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
    const section = md.slice(md.indexOf("### Each design's code"), md.indexOf('## Review notes'));
    expect(section).toContain('#### `test_epilogue` (program `test_epilogue`)');
    const blocks = fenced(section);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const text = section.replace(/\n {2}/g, ' ');
    for (const label of ['kfunc (profile v6.18)', 'wrapper (profile bpf-next-2026)'])
      expect(text).toContain(label);
    const calls = blocks[0]!.lines.filter((l) => l.startsWith('* '));
    expect(calls.map((l) => l.replace(/^\* +\d+: \(85\) call /, '').replace(/#\d+$/, ''))).toEqual([
      'bpf_kfunc_st_ops_inc10',
      'bpf_kfunc_st_ops_inc100',
    ]);
  });
});

describe('every shipped model’s report reads in a mail', { timeout: 120_000 }, () => {
  it.each(['bpf_testmod', 'tcp_cc', 'sched_ext', 'hid_bpf'])('%s: Markdown lines within 100 columns', (m) => {
    const d = reportData(m);
    const md = reportMarkdown(d, { href: 'g.svg' });
    expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
    if (d.code!.length) expect(md).toContain("### Each design's code");
    const t = reportText(d);
    expect(t.split('\n').filter((l) => l.length > 100)).toEqual([]);
    // Wrapping loses no word of the comparison.
    const words = (x: string) => x.split(/\s+/).filter(Boolean);
    expect(words(t)).toEqual(expect.arrayContaining(words(d.compare!.text)));
  });
});
