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

/** bpftool's named types: id → [kind, name, size= when printed]. */
function bpftoolNamed(): Map<number, { kind: string; name: string; size?: number }> {
  const m = new Map<number, { kind: string; name: string; size?: number }>();
  for (const l of dump.split('\n')) {
    const x = /^\[(\d+)\] (\w+) '([^']*)'(?:.* size=(\d+))?/.exec(l);
    if (!x || x[3] === '(anon)') continue;
    m.set(Number(x[1]), { kind: x[2]!, name: x[3]!, ...(x[4] ? { size: Number(x[4]) } : {}) });
  }
  return m;
}

describe('BtfIndex', () => {
  it('names every named type once, as bpftool lists them, in tie-break order', () => {
    const ix = index.names();
    const want = bpftoolNamed();
    const names = ix.names.split('\n');
    expect(ix.typeCount).toBe(index.btf.typeCount);
    expect(names.length).toBe(ix.ids.length);
    expect(ix.kinds.length).toBe(ix.ids.length);
    expect(ix.sizes.length).toBe(ix.ids.length);
    expect(new Set(ix.ids).size).toBe(ix.ids.length);
    expect(ix.ids.length).toBe(want.size);
    const rank = ['STRUCT', 'UNION', 'ENUM', 'TYPEDEF', 'FUNC', 'VAR', 'DATASEC', 'INT', 'FWD'];
    const kr = (k: string) => {
      const r = rank.indexOf(k === 'ENUM64' ? 'ENUM' : k === 'FLOAT' ? 'INT' : k);
      return r < 0 ? 9 : r;
    };
    let prev: { kind: string; name: string; id: number } | undefined;
    ix.ids.forEach((id, i) => {
      const kind = ix.kindNames[ix.kinds.charCodeAt(i) - 65]!;
      const b = want.get(id)!;
      expect({ id, kind, name: names[i] }).toEqual({ id, kind: b.kind, name: b.name });
      // bpftool prints size= for the kinds whose record holds one.
      if (b.size !== undefined) expect(ix.sizes[i], b.name).toBe(b.size);
      if (kind === 'FUNC' || kind === 'VAR' || kind === 'FWD') expect(ix.sizes[i]).toBe(-1);
      const cur = { kind, name: names[i]!, id };
      if (prev)
        expect(
          kr(prev.kind) - kr(kind) ||
            prev.name.length - cur.name.length ||
            (prev.name < cur.name ? -1 : prev.name > cur.name ? 1 : prev.id - cur.id),
          `${prev.name} before ${cur.name}`,
        ).toBeLessThan(0);
      prev = cur;
    });
    // Typedefs and pointers get their resolved size, as BtfTypeDetail shows it.
    const u32 = names.indexOf('u32');
    expect(ix.sizes[u32]).toBe(index.detail(ix.ids[u32]!)!.size);
    expect(ix.sizes[u32]).toBe(4);
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
    const d = index.detail(bpftoolStruct('tcp_sock').id)!;
    expect(d.name).toBe('tcp_sock');
    expect(d.referencedByTotal).toBeGreaterThan(0);
    // tcp_sk() style helpers and kfuncs take a struct tcp_sock *, and tcp_sock embeds nothing of itself.
    expect(d.referencedBy.some((r) => r.kind === 'FUNC' || r.kind === 'STRUCT' || r.kind === 'TYPEDEF')).toBe(
      true,
    );
    expect(index.detail(1e9)).toBeUndefined();
  });
});
