// A flat view of a BTF object and its bases for the dumpers' tight loops: one
// word array, the record index of every global id, and one string buffer
// indexed by global string offset. Split BTF continues its base's ids and
// string offsets, so concatenating the chain keeps both numberings as they are.
import type { Btf } from './btf';

export interface DumpView {
  /** Type section words of the whole chain (base first), host order. */
  words: Uint32Array;
  /** Word index in `words` of each id's record. Id 0 is void and has none: check before reading. */
  rec: Uint32Array;
  /** String sections of the whole chain: strs[off] is byte `off` of the global string space. */
  strs: Uint8Array;
  typeCount: number;
}

function chain(btf: Btf): Btf[] {
  const c: Btf[] = [];
  for (let b: Btf | undefined = btf; b; b = b.base) c.unshift(b);
  return c;
}

export function dumpView(btf: Btf): DumpView {
  const objs = chain(btf);
  const n = btf.typeCount;
  const rec = new Uint32Array(n);
  if (objs.length === 1) {
    // The common case: no copies, only the id → record table.
    const { words, records } = btf.rawView();
    rec.set(records, 1);
    return { words, rec, strs: btf.stringSection(), typeCount: n };
  }
  let total = 0;
  let strTotal = 0;
  for (const o of objs) {
    total += o.rawView().words.length;
    strTotal += o.stringSection().length;
  }
  const words = new Uint32Array(total);
  let at = 0;
  for (const o of objs) {
    const { words: w, records } = o.rawView();
    words.set(w, at);
    const start = o.startId;
    for (let i = 0; i < records.length; i++) rec[start + i] = records[i]! + at;
    at += w.length;
  }
  const strs = new Uint8Array(strTotal);
  let s = 0;
  for (const o of objs) {
    strs.set(o.stringSection(), s);
    s += o.stringSection().length;
  }
  return { words, rec, strs, typeCount: n };
}
