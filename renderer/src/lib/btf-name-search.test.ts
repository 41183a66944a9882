import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { BtfIndex } from '../../../main/api/btf-index';
import type { BtfNameIndex } from '../../../main/api/types';
import { loadReferenceVmlinuxBtfSync } from '../../../main/host/btf-files';
import { BtfNameSearch } from './btf-name-search';

// bpftool's `btf dump` of the same kernel BTF: an independent reading of it.
const dump = gunzipSync(
  readFileSync(join(__dirname, '../../../test/fixtures/btf/vmlinux.bpftool.txt.gz')),
).toString();

let index: BtfIndex;
let names: BtfNameSearch;
beforeAll(() => {
  index = new BtfIndex(loadReferenceVmlinuxBtfSync());
  // What the renderer gets: the API's answer after a trip through JSON.
  names = new BtfNameSearch(JSON.parse(JSON.stringify(index.names())) as BtfNameIndex);
});

const rows = (hits: Int32Array) => [...hits].map((e) => names.summary(e));

describe('BtfNameSearch', () => {
  it('finds tcp_congestion_ops first for its exact name, with the size bpftool prints', () => {
    const head = /^\[(\d+)\] STRUCT 'tcp_congestion_ops' size=(\d+)/m.exec(dump)!;
    const hits = names.search('tcp_congestion_ops');
    expect(names.summary(hits[0]!)).toEqual({
      id: Number(head[1]),
      kind: 'STRUCT',
      name: 'tcp_congestion_ops',
      size: Number(head[2]),
    });
    // Same answer whatever the case and surrounding blanks.
    expect([...names.search('  TCP_Congestion_Ops ')]).toEqual([...hits]);
  });

  it('ranks prefix matches before substring matches and finds every name holding the query', () => {
    const all = rows(names.search('tcp_'));
    const ranks = all.map((i) => (i.name.toLowerCase().startsWith('tcp_') ? 1 : 2));
    expect([...ranks].sort()).toEqual(ranks);
    const expected = dump.split('\n').filter((l) => /^\[\d+\] \w+ '[^']*tcp_[^']*'/i.test(l)).length;
    expect(all.length).toBe(expected);
  });

  it('ranks exact, prefix, substring, then kind, length, name, id, with or without a kind filter', () => {
    const btf = index.btf;
    const order = [
      ['STRUCT'],
      ['UNION'],
      ['ENUM', 'ENUM64'],
      ['TYPEDEF'],
      ['FUNC'],
      ['VAR'],
      ['DATASEC'],
      ['INT', 'FLOAT'],
      ['FWD'],
    ];
    const kr = (k: string) => {
      const r = order.findIndex((ks) => ks.includes(k));
      return r < 0 ? 9 : r;
    };
    for (const [query, kinds] of [
      ['sk', undefined],
      ['Tcp_', ['STRUCT', 'FUNC']],
      ['ops', ['UNION']],
      ['', ['ENUM']],
      // One letter or underscore reads per-name masks; another single character walks the names.
      ['q', undefined],
      ['T', ['TYPEDEF', 'FWD']],
      ['_', ['STRUCT']],
      ['8', undefined],
    ] as const) {
      const q = query.toLowerCase();
      const want: { id: number; name: string; kind: string; size: number | null }[] = [];
      for (let id = 1; id < btf.typeCount; id++) {
        const name = btf.nameOf(id);
        const kind = btf.kindNameOf(id);
        if (!name) continue;
        if (name.toLowerCase().includes(q) && (!kinds || (kinds as readonly string[]).includes(kind)))
          want.push({ id, name, kind, size: index.summary(id).size });
      }
      const rank = (n: string) => (n.toLowerCase() === q ? 0 : n.toLowerCase().startsWith(q) ? 1 : 2);
      want.sort(
        (a, b) =>
          rank(a.name) - rank(b.name) ||
          kr(a.kind) - kr(b.kind) ||
          a.name.length - b.name.length ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
          a.id - b.id,
      );
      // Rows carry what the server's summary of the type says.
      expect(rows(names.search(query, kinds))).toEqual(want);
    }
  });

  it('lists every named type for an empty query and nothing for a newline', () => {
    expect(names.search('').length).toBe(names.count);
    expect(names.search('   ').length).toBe(names.count);
    expect(names.count).toBe(dump.split('\n').filter((l) => /^\[\d+\] \w+ '(?!\(anon\)')/.test(l)).length);
    expect(names.search('tcp\nsock').length).toBe(0);
    expect(names.search('sk', ['NO_SUCH_KIND']).length).toBe(0);
  });

  it('keeps names whose lower case is longer (İ → i̇) apart from their neighbours', () => {
    const s = new BtfNameSearch({
      typeCount: 4,
      names: 'İx\nfoo\nxfoo',
      ids: [3, 1, 2],
      kinds: 'AAB',
      kindNames: ['STRUCT', 'FUNC'],
      sizes: [8, 4, -1],
    });
    expect([...s.search('foo')].map((e) => s.summary(e))).toEqual([
      { id: 1, kind: 'STRUCT', name: 'foo', size: 4 },
      { id: 2, kind: 'FUNC', name: 'xfoo', size: null },
    ]);
    expect(s.name(0)).toBe('İx');
    expect([...s.search('i̇x')]).toEqual([0]);
  });
});
