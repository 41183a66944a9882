import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from './json-body';

describe('parseJsonBody', () => {
  it('parses ordinary bodies and counts nesting outside strings only', () => {
    expect(parseJsonBody('{"hex": "95", "a": [[1], {"b": 2}]}')).toEqual({ hex: '95', a: [[1], { b: 2 }] });
    expect(parseJsonBody('  ')).toBeUndefined();
    expect(jsonDepth('{"s": "[[[[\\"[[["}')).toBe(1);
    expect(jsonDepth('[[[]],[]]')).toBe(3);
  });

  it('refuses 5,000 nested arrays before JSON.parse or a structured clone recurse on them', () => {
    const deep = `{"hex": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(() => parseJsonBody(deep)).toThrow(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    const atLimit = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(parseJsonBody(atLimit)).toBeInstanceOf(Array);
  });
});
