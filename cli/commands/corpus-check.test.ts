import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { corpusCheck } from './corpus-check';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-corpus-'));
const firstCase = readFileSync(resolve(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8').split(
  '\n',
)[0]!;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const check = async (argv: string[]) => {
  let out = '';
  const code = await corpusCheck.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
};

describe('kmodel corpus check', () => {
  it('runs a case and writes --out', async () => {
    const out = join(dir, 'out.jsonl');
    const r = await check([file('one.jsonl', `${firstCase}\n`), '--out', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).id).toBe(JSON.parse(firstCase).id);
  });

  it('refuses files without cases and lines that are not cases, naming the line', async () => {
    const empty = file('empty.jsonl', '\n\n');
    await expect(check([empty])).rejects.toThrow(new CliError(`${empty}: no cases`));
    const nul = file('null.jsonl', `${firstCase}\nnull\n`);
    await expect(check([nul])).rejects.toThrow(new CliError(`${nul}:2: a case is a JSON object`));
    // No maps list (found by npm run fuzz: caseToLoadAttr's maps.map was a TypeError).
    const noMaps = file(
      'nomaps.jsonl',
      '{"id":"x","prog_type":"xdp","insns":"95","kernel":{"verdict":"accept"}}\n',
    );
    await expect(check([noMaps])).rejects.toThrow(`${noMaps}:1: case x: 'maps' is not a list of maps`);
    const noKernel = file(
      'nokernel.jsonl',
      '{"id":"x","prog_type":"xdp","insns":"9500000000000000","maps":[]}\n',
    );
    await expect(check([noKernel])).rejects.toThrow(`${noKernel}:1: case x: 'kernel' is not an object`);
    const badHex = file(
      'badhex.jsonl',
      '{"id":"x","prog_type":"xdp","insns":"zz","maps":[],"attach":null,"kernel":{"verdict":"accept"}}\n',
    );
    await expect(check([badHex])).rejects.toThrow(/^.*badhex\.jsonl:1: case x: /);
  });

  it('refuses an --out in a missing directory before running anything', async () => {
    const one = file('one-b.jsonl', `${firstCase}\n`);
    await expect(check([one, '--out', join(dir, 'no/such/dir.jsonl')])).rejects.toThrow(
      new CliError(`cannot write ${join(dir, 'no/such/dir.jsonl')}: no such directory`),
    );
  });
});
