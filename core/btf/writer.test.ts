import { describe, expect, it } from 'vitest';
import { type BtfType, parseBtf } from './btf';
import { dumpBtfRaw } from './dump-raw';
import { BtfError } from './error';
import { BtfBuilder, type BtfTypeSpec, btfBytesAdded } from './writer';

const strip = ({ id: _id, nameOff: _n, ...rest }: BtfType) => rest;

describe('BtfBuilder', () => {
  it('parse(write(x)) gives back x for every kind, in both byte orders', () => {
    const specs: BtfTypeSpec[] = [
      { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 },
      { kind: 'PTR', name: '', type: 1 },
      { kind: 'ARRAY', name: '', type: 1, indexType: 1, nelems: 7 },
      {
        kind: 'STRUCT',
        name: 's',
        size: 8,
        kflag: true,
        members: [
          { name: 'a', nameOff: 0, type: 1, bitOffset: 0, bitfieldSize: 3 },
          { name: 'b', nameOff: 0, type: 1, bitOffset: 32, bitfieldSize: 0 },
        ],
      },
      {
        kind: 'UNION',
        name: 'u',
        size: 4,
        kflag: false,
        members: [{ name: 'x', nameOff: 0, type: 1, bitOffset: 0, bitfieldSize: 0 }],
      },
      { kind: 'ENUM', name: 'e', size: 4, signed: true, values: [{ name: 'E_NEG', nameOff: 0, value: -5 }] },
      { kind: 'FWD', name: 'f', union: true },
      { kind: 'TYPEDEF', name: 't', type: 4 },
      { kind: 'VOLATILE', name: '', type: 1 },
      { kind: 'CONST', name: '', type: 1 },
      { kind: 'RESTRICT', name: '', type: 2 },
      { kind: 'FUNC_PROTO', name: '', ret: 1, params: [{ name: 'p', nameOff: 0, type: 2 }] },
      { kind: 'FUNC', name: 'fn', type: 12, linkage: 2 },
      { kind: 'VAR', name: 'v', type: 1, linkage: 1 },
      { kind: 'DATASEC', name: '.data', size: 4, vars: [{ type: 14, offset: 0, size: 4 }] },
      { kind: 'FLOAT', name: 'float', size: 4 },
      { kind: 'DECL_TAG', name: 'tag', type: 13, componentIdx: 0, kflag: false },
      { kind: 'TYPE_TAG', name: 'user', type: 1, kflag: true },
      {
        kind: 'ENUM64',
        name: 'e64',
        size: 8,
        signed: false,
        values: [{ name: 'BIG', nameOff: 0, value: (1n << 63n) + 5n }],
      },
    ];
    const b = new BtfBuilder();
    for (const s of specs) b.add(s);
    for (const bigEndian of [false, true]) {
      const btf = parseBtf(b.build({ bigEndian }));
      expect(btf.typeCount).toBe(specs.length + 1);
      specs.forEach((s, i) => {
        const got = strip(btf.type(i + 1));
        const want = JSON.parse(JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
        const gotJson = JSON.parse(
          JSON.stringify(got, (k, v) => (typeof v === 'bigint' ? `${v}n` : k === 'nameOff' ? 0 : v)),
        );
        expect(gotJson).toEqual(want);
      });
    }
  });

  it('re-serializes parsed BTF to identical bytes and appends to it', () => {
    const b = new BtfBuilder();
    const int = b.addInt('int', 4, 1);
    b.addStruct('pair', 8, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'b', type: int, bitOffset: 32 },
    ]);
    const bytes = b.build();
    const again = BtfBuilder.fromBtf(parseBtf(bytes));
    expect(again.build()).toEqual(bytes);
    const id = again.addTypedef('pair_t', 2);
    expect(id).toBe(3);
    expect(dumpBtfRaw(parseBtf(again.build()))).toContain("[3] TYPEDEF 'pair_t' type_id=2");
  });

  it('builds split BTF and counts the bytes a design adds', () => {
    const base = new BtfBuilder();
    const u32 = base.addInt('unsigned int', 4);
    base.addStruct('sock', 4, [{ name: 'len', type: u32, bitOffset: 0 }]);
    const vm = parseBtf(base.build());
    const mod = new BtfBuilder({ base: vm });
    const s = mod.addStruct('state', 8, [
      { name: 'len', type: u32, bitOffset: 0 }, // 'len' is in the base's strings
      { name: 'acked', type: u32, bitOffset: 32 },
    ]);
    expect(s).toBe(vm.typeCount);
    // One STRUCT record (12) + two members (24); new strings "state\0acked\0" (12).
    expect(btfBytesAdded(mod)).toBe(36 + 12);
    const parsed = parseBtf(mod.build(), { base: vm });
    expect(parsed.type(s)).toMatchObject({
      kind: 'STRUCT',
      name: 'state',
      members: [{ name: 'len' }, { name: 'acked' }],
    });
    expect(btfBytesAdded(new BtfBuilder({ base: vm }))).toBe(0);
  });

  it('refuses what BTF cannot encode', () => {
    const b = new BtfBuilder();
    expect(() => b.addStruct('s', 4, [{ name: 'x', type: 1, bitOffset: 1 << 25, bitfieldSize: 1 }])).toThrow(
      BtfError,
    );
    expect(() => b.addString('a\0b')).toThrow(BtfError);
  });
});
