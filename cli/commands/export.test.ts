import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { modelName, parseFormats } from './export';

const root = resolve(__dirname, '../..');

describe('kmodel export arguments', () => {
  it('formats: all by default, comma lists, unknown refused', () => {
    expect(parseFormats(undefined)).toEqual(['svg', 'png', 'md', 'pdf']);
    expect(parseFormats('pdf,svg,pdf')).toEqual(['pdf', 'svg']);
    expect(() => parseFormats('svg,gif')).toThrow(CliError);
  });

  it('model: a name, or a file in models/', () => {
    expect(modelName('qdisc', root)).toBe('qdisc');
    expect(modelName(resolve(root, 'models/qdisc.yaml'), root)).toBe('qdisc');
    expect(() => modelName('/tmp/qdisc.yaml', root)).toThrow(/unknown model/);
  });
});
