import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pushRecent, RECENT_MAX, readRecent, writeRecent } from './recent';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-recent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real program files to list. */
const files = Array.from({ length: RECENT_MAX + 3 }, (_, i) => {
  const p = join(dir, `p${i}.hex`);
  writeFileSync(p, 'b700000000000000 9500000000000000\n');
  return p;
});
const store = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('pushRecent', () => {
  it('puts the opened file first, once, and keeps at most RECENT_MAX', () => {
    expect(pushRecent(['/a', '/b', '/c'], '/b')).toEqual(['/b', '/a', '/c']);
    expect(pushRecent(['/a', '/b'], '/c', 2)).toEqual(['/c', '/a']);
    let list: string[] = [];
    for (const f of files) list = pushRecent(list, f);
    expect(list).toHaveLength(RECENT_MAX);
    expect(list[0]).toBe(files.at(-1));
    expect(list).not.toContain(files[0]);
  });
});

describe('readRecent / writeRecent', () => {
  it('round-trips the list', () => {
    const f = join(dir, 'recent.json');
    const list = pushRecent(pushRecent([], files[0] as string), files[1] as string);
    expect(writeRecent(f, list)).toBe(true);
    expect(readRecent(f)).toEqual([files[1], files[0]]);
  });

  it('a missing, corrupted or non-array file reads as empty', () => {
    expect(readRecent(join(dir, 'none.json'))).toEqual([]);
    expect(readRecent(store('bad.json', '["/a", '))).toEqual([]);
    expect(readRecent(store('empty.json', ''))).toEqual([]);
    expect(readRecent(store('obj.json', JSON.stringify({ recent: [files[0]] })))).toEqual([]);
    expect(readRecent(store('null.json', 'null'))).toEqual([]);
  });

  it('drops files that are gone, non-strings, relative paths and repeats', () => {
    const gone = join(dir, 'deleted.hex');
    writeFileSync(gone, '');
    const f = store(
      'mixed.json',
      JSON.stringify([files[2], gone, 42, null, 'relative.hex', files[3], files[2], { p: files[4] }]),
    );
    expect(readRecent(f)).toEqual([files[2], gone, files[3]]);
    rmSync(gone);
    expect(readRecent(f)).toEqual([files[2], files[3]]);
  });

  it('caps a hand-edited long list', () => {
    expect(readRecent(store('long.json', JSON.stringify(files)))).toEqual(files.slice(0, RECENT_MAX));
  });

  it('a list that cannot be stored is reported, not thrown', () => {
    const sub = join(dir, 'ro');
    mkdirSync(sub);
    expect(writeRecent(join(sub, 'missing-dir', 'recent.json'), [files[0] as string])).toBe(false);
    expect(writeRecent(join(sub, 'recent.json'), [])).toBe(true);
    expect(JSON.parse(readFileSync(join(sub, 'recent.json'), 'utf8'))).toEqual([]);
  });
});
