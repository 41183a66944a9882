import { describe, expect, it } from 'vitest';
import {
  provenanceFooter,
  provenanceLines,
  provenancePngText,
  provenanceStamp,
  withProvenanceComment,
} from './provenance';

describe('withProvenanceComment', () => {
  it('puts the lines in a comment after the XML prolog, and keeps "--" out of it', () => {
    const svg = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>';
    const out = withProvenanceComment(svg, ['kmodel 0.1.0', 'model: a--b.yaml']);
    expect(out).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!--\n  kmodel 0.1.0\n  model: a- -b.yaml\n-->\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    );
    expect(withProvenanceComment('<svg/>', ['x'])).toBe('<!--\n  x\n-->\n<svg/>');
    expect(withProvenanceComment('<svg/>', [])).toBe('<svg/>');
  });
});

describe('provenance in a PNG', () => {
  const p = {
    kmodel: '0.1.0',
    kernel: { release: '6.18.44', arch: 'x86_64', btfSha256: 'b'.repeat(64) },
    profiles: ['v6.18', 'bpf-next-2026'],
    date: '2026-12-08T01:49:04Z',
    model: { file: 'models/qdisc.yaml', sha256: 'a'.repeat(64) },
  };

  it('names every fact under the PNG keywords, Comment holding all lines', () => {
    const t = Object.fromEntries(provenancePngText(p, 'qdisc — subsystem graph'));
    expect(Object.keys(t)).toEqual(['Title', 'Software', 'Source', 'Creation Time', 'Comment']);
    expect(t.Software).toBe('kmodel 0.1.0');
    expect(t.Source).toBe(`Linux 6.18.44 (x86_64), reference BTF sha256 ${'b'.repeat(64)}`);
    expect(t['Creation Time']).toBe('2026-12-08T01:49:04Z');
    expect(t.Comment!.split('\n')).toEqual(provenanceLines(p));
    expect(t.Comment).toContain(`model sha256: ${'a'.repeat(64)}`);
    expect(t.Comment).toContain('profiles: v6.18, bpf-next-2026');
  });

  it('draws the same facts in a three-line footer', () => {
    const f = provenanceFooter(p).join('\n');
    for (const s of [
      'kmodel 0.1.0',
      '6.18.44',
      'b'.repeat(64),
      'v6.18, bpf-next-2026',
      p.date,
      'a'.repeat(64),
    ])
      expect(f).toContain(s);
    expect(provenanceStamp(p).footer).toHaveLength(3);
  });
});
