// Mutation fuzzing of the BTF parser and everything that walks parsed BTF:
// bit flips, truncations, header and id edits of the reference vmlinux blob,
// a split module blob and a BPF object's BTF. Only BtfError or success is
// acceptable; any other exception (TypeError, RangeError from unbounded
// recursion, …) is a bug.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btfDistillFuncProto } from '../../core/btf/func-model';
import {
  alignOf,
  type Btf,
  BtfError,
  discoverKfuncs,
  dumpBtfC,
  dumpBtfRaw,
  elfBtf,
  findMember,
  funcProtoOf,
  parseBtf,
  resolveType,
  sizeOf,
  typeString,
} from '../../core/btf/index';
import { referenceVmlinuxBtfBytes } from './btf-files';

const fx = (name: string) =>
  new Uint8Array(readFileSync(resolve(__dirname, '../../test/fixtures/btf', name)));

/** Deterministic xorshift32. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return { next, below: (n: number) => next() % n };
}

const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = { undo: () => void; bytes: Uint8Array };

/** Mutates `buf` in place (undo restores it) or returns a truncated view. */
function mutate(buf: Uint8Array, r: ReturnType<typeof rng>, typeCount: number): Mutation {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const saved: [number, number][] = [];
  const setByte = (i: number, v: number) => {
    saved.push([i, buf[i]!]);
    buf[i] = v;
  };
  const setU32 = (i: number, v: number) => {
    for (let k = 0; k < 4; k++) setByte(i + k, 0);
    view.setUint32(i, v >>> 0, true);
  };
  const undo = () => {
    for (let k = saved.length - 1; k >= 0; k--) buf[saved[k]![0]] = saved[k]![1];
  };
  const typeLen = view.getUint32(12, true);
  const typeWord = () => 24 + 4 * r.below(Math.max(1, typeLen >>> 2));
  switch (r.below(6)) {
    case 0: {
      const n = 1 + r.below(8);
      for (let k = 0; k < n; k++) {
        const i = r.below(buf.length);
        setByte(i, buf[i]! ^ (1 << r.below(8)));
      }
      return { undo, bytes: buf };
    }
    case 1:
      return { undo, bytes: buf.subarray(0, r.below(buf.length)) };
    case 2:
      setU32(
        4 * (1 + r.below(5)),
        r.below(2)
          ? EDGES[r.below(EDGES.length)]!
          : view.getUint32(4 * (1 + r.below(5)), true) + r.below(64) - 32,
      );
      return { undo, bytes: buf };
    case 3:
      // An id-sized value in a random type-section word: out-of-range ids, cycles, bad kinds.
      setU32(typeWord(), [typeCount - 1, typeCount, typeCount + 1, r.below(typeCount)][r.below(4)]!);
      return { undo, bytes: buf };
    case 4:
      setU32(typeWord(), EDGES[r.below(EDGES.length)]!);
      return { undo, bytes: buf };
    default: {
      // The info word of a random early type: kind, vlen or kind_flag edits.
      const w = typeWord();
      setU32(w, (r.below(32) << 24) | r.below(4) | (r.below(2) << 31));
      return { undo, bytes: buf };
    }
  }
}

/** Walks a parsed BTF the way the tools do; everything must succeed or throw BtfError. */
function exercise(btf: Btf, ids: Iterable<number>, dumps: 'raw' | 'raw+c' | 'none'): void {
  const guard = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  };
  for (const id of ids) {
    guard(() => btf.type(id));
    guard(() => sizeOf(btf, id));
    guard(() => alignOf(btf, id));
    guard(() => typeString(btf, id));
    guard(() => resolveType(btf, id));
    const k = btf.kindOf(id);
    if (k === 4 || k === 5) guard(() => findMember(btf, id, 'len'));
    if (k === 12 || k === 13) guard(() => btfDistillFuncProto(btf, funcProtoOf(btf, id).id, 'f'));
  }
  guard(() => discoverKfuncs(btf));
  guard(() => btf.findAllByName('sk_buff'));
  if (dumps !== 'none') guard(() => dumpBtfRaw(btf));
  if (dumps === 'raw+c') guard(() => dumpBtfC(btf));
}

function fuzz(
  name: string,
  blob: Uint8Array,
  iterations: number,
  seed: number,
  parse: (b: Uint8Array) => Btf,
  walk: (btf: Btf) => void,
) {
  const r = rng(seed);
  const typeCount = parse(blob).typeCount;
  let ok = 0;
  let rejected = 0;
  for (let i = 0; i < iterations; i++) {
    const m = mutate(blob, r, typeCount);
    try {
      let btf: Btf | undefined;
      try {
        btf = parse(m.bytes);
      } catch (e) {
        if (!(e instanceof BtfError)) throw new Error(`${name} #${i}: ${(e as Error).stack}`);
        expect(e.offset).toBeGreaterThanOrEqual(-1);
        expect(e.offset).toBeLessThanOrEqual(m.bytes.length);
        rejected++;
        continue;
      }
      walk(btf);
      ok++;
    } finally {
      m.undo();
    }
  }
  // Both outcomes occur, so the mutations reach past the header checks.
  expect(ok).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
}

describe('BTF fuzzing', () => {
  const vmlinux = new Uint8Array(referenceVmlinuxBtfBytes());
  const base = parseBtf(vmlinux);

  it('reference vmlinux: 100 mutations', () => {
    fuzz('vmlinux', vmlinux, 100, 0xb7f0001, parseBtf, (btf) => {
      const r = rng(btf.typeCount);
      const ids = Array.from({ length: 300 }, () => r.below(btf.typeCount));
      for (const id of ids) {
        try {
          btf.type(id);
        } catch (e) {
          if (!(e instanceof BtfError)) throw e;
        }
      }
      exercise(btf, ids, 'none');
    });
  });

  it('split module on vmlinux: 1200 mutations', () => {
    const mod = fx('module.btf');
    fuzz(
      'module',
      mod,
      1200,
      0xb7f0002,
      (b) => parseBtf(b, { base }),
      (btf) => exercise(btf, btf.ownIds(), 'raw'),
    );
  });

  it('BPF object BTF (standalone, with C dump): 800 mutations', () => {
    const prog = new Uint8Array(elfBtf(fx('prog.bpf.o')));
    fuzz('prog', prog, 800, 0xb7f0003, parseBtf, (btf) => exercise(btf, btf.ownIds(), 'raw+c'));
  });
});
