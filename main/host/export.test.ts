import { describe, expect, it } from 'vitest';
import { withProvenanceComment } from './export';

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
