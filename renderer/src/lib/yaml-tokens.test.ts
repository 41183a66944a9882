import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenizeYaml, type YamlTokenKind } from './yaml-tokens';

const kinds = (line: string, kind: YamlTokenKind): string[] =>
  tokenizeYaml(line)[0]!
    .filter((t) => t.kind === kind)
    .map((t) => t.text);

describe('model YAML tokens', () => {
  it('gives every line back exactly (the overlay must line up with the textarea)', () => {
    const dir = join(__dirname, '../../../models');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      const back = tokenizeYaml(text)
        .map((l) => l.map((t) => t.text).join(''))
        .join('\n');
      expect(back, f).toBe(text);
    }
  });

  it('marks keys, comments, strings, numbers and flow punctuation', () => {
    expect(kinds('subsystem: bpf_qdisc # the name', 'key')).toEqual(['subsystem']);
    expect(kinds('subsystem: bpf_qdisc # the name', 'comment')).toEqual(['# the name']);
    expect(kinds('  - decl: "u32 f(struct sock *sk)"', 'string')).toEqual(['"u32 f(struct sock *sk)"']);
    expect(kinds('  - { name: peek, kind: data, args: 2 }', 'key')).toEqual(['name', 'kind', 'args']);
    expect(kinds('  - { name: peek, kind: data, args: 2 }', 'number')).toEqual([' 2 ']);
    expect(kinds('  - { name: peek, kind: data, args: 2 }', 'punct')).toEqual([
      '- ',
      '{',
      ':',
      ',',
      ':',
      ',',
      ':',
      '}',
    ]);
    expect(kinds('url: http://x#y', 'comment')).toEqual([]);
  });

  it('colours instruction text inside block scalars, and ends the block at the next key', () => {
    const t = tokenizeYaml(
      [
        '    insns: |',
        '      r6 = r1 // keep ctx',
        '      call bpf_x',
        '',
        '      exit',
        '    member: init',
      ].join('\n'),
    );
    expect(t[1]!.filter((x) => x.kind === 'reg').map((x) => x.text)).toEqual(['r6', 'r1']);
    expect(t[1]!.filter((x) => x.kind === 'comment').map((x) => x.text)).toEqual(['// keep ctx']);
    expect(t[2]!.find((x) => x.kind === 'keyword')?.text).toBe('call');
    expect(t[4]!.find((x) => x.kind === 'keyword')?.text).toBe('exit');
    expect(t[5]!.find((x) => x.kind === 'key')?.text).toBe('member');
  });

  it('reads `types` blocks as C: `;` ends a declaration there, it is no comment', () => {
    const t = tokenizeYaml(['types: |', '  struct a { u64 x; }; // why', 'x: 1'].join('\n'));
    expect(t[1]!.filter((x) => x.kind === 'comment').map((x) => x.text)).toEqual(['// why']);
    expect(t[1]!.filter((x) => x.kind === 'keyword').map((x) => x.text)).toEqual(['struct', 'u64']);
    expect(t[1]!.some((x) => x.kind === 'reg')).toBe(false);
  });

  it('a block under a list item ends at the next item', () => {
    const t = tokenizeYaml(['  - name: a', '    insns: |', '      r0 = 0', '  - name: b'].join('\n'));
    expect(t[2]!.some((x) => x.kind === 'reg')).toBe(true);
    expect(t[3]!.find((x) => x.kind === 'key')?.text).toBe('name');
  });
});
