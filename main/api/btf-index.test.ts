import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../host/btf-files';
import { BtfIndex } from './btf-index';

// bpftool's `btf dump` of the same kernel BTF: an independent reading of it.
const dump = gunzipSync(
  readFileSync(join(__dirname, '../../test/fixtures/btf/vmlinux.bpftool.txt.gz')),
).toString();

function bpftoolStruct(name: string) {
  const lines = dump.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\[\\d+\\] STRUCT '${name}' `).test(l));
  const head = /^\[(\d+)\] STRUCT '\w+' size=(\d+) vlen=(\d+)/.exec(lines[at]!)!;
  const members = lines.slice(at + 1, at + 1 + Number(head[3])).map((l) => {
    const m = /'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(l)!;
    return { name: m[1], type: Number(m[2]), bitOffset: Number(m[3]) };
  });
  return { id: Number(head[1]), size: Number(head[2]), members };
}

let index: BtfIndex;
beforeAll(() => {
  index = new BtfIndex(loadReferenceVmlinuxBtfSync());
});

describe('BtfIndex', () => {
  it('finds tcp_congestion_ops first for its exact name', () => {
    const want = bpftoolStruct('tcp_congestion_ops');
    const r = index.search({ query: 'tcp_congestion_ops', limit: 5 });
    expect(r.items[0]).toEqual({ id: want.id, kind: 'STRUCT', name: 'tcp_congestion_ops', size: want.size });
    expect(r.total).toBeGreaterThanOrEqual(1);
  });

  it('ranks prefix matches before substring matches and pages through all hits', () => {
    const all = index.search({ query: 'tcp_', limit: 100000 });
    const ranks = all.items.map((i) => (i.name.toLowerCase().startsWith('tcp_') ? 1 : 2));
    expect([...ranks].sort()).toEqual(ranks);
    const page = index.search({ query: 'tcp_', offset: 50, limit: 10 });
    expect(page.items).toEqual(all.items.slice(50, 60));
    expect(page.total).toBe(all.total);
    const expected = dump.split('\n').filter((l) => /^\[\d+\] \w+ '[^']*tcp_[^']*'/i.test(l)).length;
    expect(all.total).toBe(expected);
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
    ] as const) {
      const q = query.toLowerCase();
      const want: { id: number; name: string; kind: string }[] = [];
      for (let id = 1; id < btf.typeCount; id++) {
        const name = btf.nameOf(id);
        const kind = btf.kindNameOf(id);
        if (name.toLowerCase().includes(q) && (!kinds || (kinds as readonly string[]).includes(kind)))
          want.push({ id, name, kind });
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
      const got = index.search({ query, kinds: kinds ? [...kinds] : undefined, limit: 100000 });
      expect(got.total).toBe(want.length);
      expect(got.items.map((i) => i.id)).toEqual(want.map((w) => w.id));
    }
    expect(index.search({ query: 'tcp\nsock' }).total).toBe(0);
  });

  it('details a struct with the member offsets bpftool prints', () => {
    const want = bpftoolStruct('tcp_congestion_ops');
    const d = index.detail(want.id)!;
    expect(d.text).toBe('struct tcp_congestion_ops');
    expect(d.size).toBe(want.size);
    expect(d.members!.map((m) => ({ name: m.name, type: m.type.id, bitOffset: m.bitOffset }))).toEqual(
      want.members,
    );
    expect(d.members!.find((m) => m.name === 'cong_avoid')!.offset).toBe(8);
    expect(d.members!.find((m) => m.name === 'cong_avoid')!.type.text).toMatch(/\*$/);
  });

  it('lists named types that use a struct', () => {
    const sock = index.search({ query: 'tcp_sock', kinds: ['STRUCT'], limit: 1 }).items[0]!;
    expect(sock.name).toBe('tcp_sock');
    const d = index.detail(sock.id)!;
    expect(d.referencedByTotal).toBeGreaterThan(0);
    // tcp_sk() style helpers and kfuncs take a struct tcp_sock *, and tcp_sock embeds nothing of itself.
    expect(d.referencedBy.some((r) => r.kind === 'FUNC' || r.kind === 'STRUCT' || r.kind === 'TYPEDEF')).toBe(
      true,
    );
    expect(index.detail(1e9)).toBeUndefined();
  });
});
